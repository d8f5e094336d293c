"""The wording that gives each cause away, in the order it is tried.

Every pattern is matched against the lower-cased, bounded message with quoted images and
URLs blanked out. The order is the classification rule, and it matters:

1. Local, unambiguous conditions first (``never_pull``, ``secret_missing``,
   ``invalid_name``, ``rate_limit``, ``platform``, ``disk``, ``tls``): their wording
   cannot be mistaken, and a message carrying them may also mention ``not found`` or an
   HTTP status on the way (containerd's ``no match for platform in manifest: not found``).
2. ``auth`` when the credentials were explicitly missing, expired or rejected
   (``no basic auth credentials``, ``authorization token has expired``, ``401
   Unauthorized``): ECR says ``denied: Your authorization token has expired``, which is
   an expired credential, not a permission problem.
3. ``denied`` next: ``pull access denied ... may require authorization``,
   ``insufficient_scope``, ``requested access to the resource is denied``, 403.
   Docker Hub gives this same answer for a repository that does not exist and for a
   private one the caller may not read, and it adds ``unauthorized: authentication
   required`` to it; we cannot tell them apart, so the whole family is ``denied`` (the
   hint says to check the name first).
4. ``auth`` on the weaker words (``unauthorized``, ``authentication required``,
   ``not authorized``) when nothing above matched.
5. ``not_found``, then ``dns`` (lookup failures), then ``network`` (timeouts, resets,
   5xx): a DNS lookup that times out is ``dns``, not ``network``.

>>> [cause.value for cause, _ in SIGNALS][:3]
['never_pull', 'secret_missing', 'invalid_name']
"""

from __future__ import annotations

import re

from exporter.pullerrors.causes import Cause


def _any(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{alternative})" for alternative in alternatives))


# An HTTP status as Go's net/http and the runtimes print it: "401 Unauthorized",
# "status code 403", "unexpected http code: 500 (Internal Server Error)", "HTTP 404 response".
def _status(code: str, phrase: str) -> str:
    return rf"\b{code} \(?{phrase}|(?:status(?: ?code)?|http(?: code| status)?)\W{{0,3}}{code}\b"


SIGNALS: tuple[tuple[Cause, re.Pattern[str]], ...] = (
    (
        Cause.NEVER_PULL,
        _any(r"is not present with pull policy of never", r"\berrimageneverpull\b"),
    ),
    (
        Cause.SECRET_MISSING,
        _any(
            r"unable to retrieve some image pull secrets",
            r"\bfailedtoretrieveimagepullsecret\b",
        ),
    ),
    (
        Cause.INVALID_NAME,
        _any(
            r"couldn't parse image (?:reference|name)",
            r"invalid reference format",
            r"failed to apply default image tag",
            r"did not resolve to an alias and no unqualified-search registries",
            r"no registries configured while trying to pull an unqualified image",
            r"repository name must (?:be canonical|have at least one component)",
            r"\binvalidimagename\b",
        ),
    ),
    (
        Cause.RATE_LIMIT,
        _any(
            r"toomanyrequests",
            r"too many requests",
            _status("429", "too many"),
            r"pull qps exceeded",
            r"pull rate limit",
            r"rate limit exceeded",
            r"rate exceeded",
        ),
    ),
    (
        Cause.PLATFORM,
        _any(
            r"no match for platform in manifest",
            r"no matching manifest for [\w/.-]+ in the manifest list",
            r"no image found in (?:manifest list|image index) for architecture",
            r"image operating system \S+ cannot be used on this platform",
        ),
    ),
    (
        Cause.DISK,
        _any(
            r"no space left on device",
            r"disk quota exceeded",
            r"failed to extract layer",
            r"failed to register layer",
            r"failed to unpack layer",
            r"error processing tar file",
            r"applylayer exit status",
            r"input/output error",
            r"read-only file system",
        ),
    ),
    (
        Cause.TLS,
        _any(
            r"\bx509:",
            r"server gave http response to https client",
            r"\btls: ",
            r"certificate signed by unknown authority",
            r"certificate has expired or is not yet valid",
            r"first record does not look like a tls handshake",
        ),
    ),
    (
        Cause.AUTH,
        _any(
            r"no basic auth credentials",
            r"authori[sz]ation token (?:has )?expired",
            r"token (?:has )?expired",
            r"expired token",
            r"invalid (?:auth(?:entication|orization)? )?token",
            r"token (?:is )?invalid",
            r"invalid username/password",
            r"incorrect username or password",
            r"invalid username or password",
            r"http basic: access denied",
            r"cannot be authenticated",
            r"\bunauthenticated\b",
            r"unable to retrieve auth token",
            _status("401", "unauthorized"),
        ),
    ),
    (
        Cause.DENIED,
        _any(
            r"pull access denied",
            r"insufficient_scope",
            r"requested access to the resource is denied",
            r"permission[ _]denied",
            r"\bdenied:",
            r"access forbidden",
            r"\bforbidden\b",
            _status("403", "forbidden"),
        ),
    ),
    (
        Cause.AUTH,
        _any(
            r"\bunauthorized\b",
            r"authentication required",
            r"not authorized",
            r"authorization failed",
        ),
    ),
    (
        Cause.NOT_FOUND,
        _any(
            r"manifest unknown",
            r"name unknown",
            r"\bnot found\b",
            r"code = notfound",
            r"repository .{0,300}?does not exist",
            r"no such image",
            _status("404", "not found"),
        ),
    ),
    (
        Cause.DNS,
        _any(
            r"no such host",
            r"server misbehaving",
            r"temporary failure in name resolution",
            r"name or service not known",
            r"\blookup \S+(?: on \S+)?: ",
        ),
    ),
    (
        Cause.NETWORK,
        _any(
            r"i/o timeout",
            r"connection refused",
            r"connection reset",
            r"connection timed out",
            r"no route to host",
            r"network is unreachable",
            r"\beof\b",
            r"context deadline exceeded",
            r"code = deadlineexceeded",
            r"deadline exceeded",
            r"context canceled",
            r"tls handshake timeout",
            r"timeout awaiting response headers",
            r"client\.timeout exceeded",
            r"broken pipe",
            r"forcibly closed by the remote host",
            r"proxyconnect",
            r"registry is unavailable",
            r"\bregistryunavailable\b",
            r"service unavailable",
            r"bad gateway",
            r"gateway time-?out",
            r"internal server error",
            _status(r"5\d\d", r"[a-z]"),
        ),
    ),
)
