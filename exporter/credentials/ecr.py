"""Amazon ECR authorization tokens: recognising them and reading their expiry.

``aws ecr get-login-password`` (GetAuthorizationToken) returns a password that is the
standard base64 of a JSON envelope whose ``expiration`` is the token's unix expiry; the
username is always ``AWS``. Tokens live 12 hours, so the issue time is derived.

>>> is_ecr_registry("123456789012.dkr.ecr.eu-west-1.amazonaws.com")
True
>>> import base64
>>> password = base64.b64encode(b'{"payload":"x","datakey":"y","version":"2",'
...                             b'"type":"DATA_KEY","expiration":1900043200}').decode()
>>> read_ecr_times(password, now=1_900_000_000.0)
TokenTimes(expires_at=1900043200.0, issued_at=1900000000.0)
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from exporter.credentials.jwt_claims import TokenTimes
from exporter.credentials.limits import MAX_ECR_PASSWORD_CHARS
from exporter.credentials.timestamps import plausible_timestamp

ECR_USERNAME = "AWS"
ECR_TOKEN_LIFETIME_SECONDS = 12 * 3600.0

# Private registries: <account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn], and the
# dual-stack <account>.dkr-ecr.<region>.on.aws; labels may be globs in a keyring key.
_ECR_HOST = re.compile(
    r"[^./]+\.dkr\.ecr(?:-fips)?\.[^./]+\.amazonaws\.com(?:\.cn)?"
    r"|[^./]+\.dkr-ecr\.[^./]+\.on\.aws"
    r"|public\.ecr\.aws"
)


def is_ecr_registry(registry_key: str) -> bool:
    """Whether a normalised registry key names an ECR host (port and path ignored).

    >>> is_ecr_registry("*.dkr.ecr.*.amazonaws.com")
    True
    >>> is_ecr_registry("ecr.example.com")
    False
    """
    host = registry_key.partition("/")[0]
    if ":" in host:
        host = host.rsplit(":", 1)[0]
    return _ECR_HOST.fullmatch(host.lower()) is not None


def read_ecr_times(password: str, *, now: float) -> TokenTimes | None:
    """Expiry of an ECR password and its derived issue time; ``None`` if not that shape."""
    if not password or len(password) > MAX_ECR_PASSWORD_CHARS:
        return None
    try:
        envelope: object = json.loads(base64.b64decode(password, validate=True))
    except (binascii.Error, ValueError, RecursionError):
        return None
    if not isinstance(envelope, dict):
        return None
    expires_at = plausible_timestamp(envelope.get("expiration"), now=now)
    if expires_at is None:
        return None
    return TokenTimes(expires_at, expires_at - ECR_TOKEN_LIFETIME_SECONDS)
