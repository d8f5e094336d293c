"""Opaque identifiers of credentials, for deduplication without keeping the secret.

HMAC-SHA256 under a random key drawn once per process, truncated to 64 bits: equal
credentials get equal fingerprints within one exporter process, and a fingerprint that
leaks (a debug page, a log) cannot be tested offline against guessed passwords.

>>> credential_fingerprint("AWS", "pa55") == credential_fingerprint("AWS", "pa55")
True
>>> len(credential_fingerprint("AWS", "pa55"))
16
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

_PROCESS_KEY = secrets.token_bytes(32)
FINGERPRINT_HEX_CHARS = 16


def credential_fingerprint(*parts: str) -> str:
    """Fingerprint of ``parts`` (e.g. username, password, tokens); order matters.

    Each part is length-prefixed so ("ab", "c") and ("a", "bc") differ. Strings decoded
    from invalid UTF-8 carry lone surrogates, which ``surrogatepass`` encodes losslessly.
    """
    mac = hmac.new(_PROCESS_KEY, digestmod=hashlib.sha256)
    for part in parts:
        encoded = part.encode("utf-8", "surrogatepass")
        mac.update(len(encoded).to_bytes(8, "big"))
        mac.update(encoded)
    return mac.hexdigest()[:FINGERPRINT_HEX_CHARS]
