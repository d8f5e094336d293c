"""The wording that gives each cause away, in the order it is tried.

Every pattern is matched against the lower-cased, bounded message with quoted tokens,
URLs and the runtimes' unquoted repeats of the image blanked out
(:func:`~exporter.pullerrors.messages.for_matching`). The order is the classification
rule, and it matters:

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

>>> [signal.cause.value for signal in SIGNALS][:3]
['never_pull', 'secret_missing', 'invalid_name']
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from exporter.pullerrors.causes import Cause


@dataclass(frozen=True, slots=True)
class Signal:
    """Wording that gives ``cause`` away: plain phrases, or patterns behind a keyword.

    Plain substring tests run at C speed; a pattern runs only when its keyword is in the
    text, so a long message costs a few scans instead of an alternation per position.
    """

    cause: Cause
    phrases: tuple[str, ...]
    patterns: tuple[tuple[str, re.Pattern[str]], ...] = ()

    def found_in(self, lowered: str) -> bool:
        """Whether the lower-cased message carries this signal."""
        # A plain loop over the phrases: this runs ~15 times per message, and any() over a
        # generator costs more than the substring tests themselves.
        for phrase in self.phrases:
            if phrase in lowered:
                return True
        return any(key in lowered and pattern.search(lowered) for key, pattern in self.patterns)


def _status(code: str, phrase: str) -> tuple[str, re.Pattern[str]]:
    """An HTTP status as Go and the runtimes print it, keyed on its digits.

    "401 Unauthorized", "status code 403", "unexpected http code: 500 (Internal Server
    Error)", "error parsing HTTP 404 response body".
    """
    return code[:1], re.compile(
        rf"\b{code} \(?{phrase}|(?:status(?: ?code)?|http(?: code| status)?)\W{{0,3}}{code}\b"
    )


def _word(word: str) -> tuple[str, re.Pattern[str]]:
    """A word that must not match inside another one ("eof" is in "thereof")."""
    return word, re.compile(rf"\b{re.escape(word)}\b")


SIGNALS: tuple[Signal, ...] = (
    Signal(Cause.NEVER_PULL, ("is not present with pull policy of never", "errimageneverpull")),
    Signal(
        Cause.SECRET_MISSING,
        ("unable to retrieve some image pull secrets", "failedtoretrieveimagepullsecret"),
    ),
    Signal(
        Cause.INVALID_NAME,
        (
            "couldn't parse image reference",
            "couldn't parse image name",
            "invalid reference format",
            "failed to apply default image tag",
            # containers/image pkg/shortnames: "... no unqualified-search registries are
            # defined in X" or "... no containers-registries.conf(5) was found"
            "did not resolve to an alias and no ",
            # containers/image pkg/shortnames, short-name-mode "enforcing" without a TTY,
            # and CRI-O's rewording of it (internal/storage/image.go)
            "short-name resolution enforced",
            "short name mode is enforcing",
            "no registries configured while trying to pull an unqualified image",
            "repository name must be canonical",
            "repository name must have at least one component",
            "invalidimagename",
        ),
    ),
    Signal(
        Cause.RATE_LIMIT,
        (
            "toomanyrequests",
            "too many requests",
            "pull qps exceeded",
            "pull rate limit",
            "rate limit exceeded",
            "rate exceeded",
        ),
        (_status("429", "too many"),),
    ),
    Signal(
        Cause.PLATFORM,
        (
            "no match for platform in manifest",
            "in the manifest list entries",  # moby: no matching manifest for linux/arm64 in ...
            "no image found in manifest list for architecture",
            "no image found in image index for architecture",
            # moby daemon/images: "image with reference X was found but does not match the
            # specified platform: wanted A, actual: B" (newer: "but its platform (B) ...")
            "does not match the specified platform",
        ),
        (("cannot be used on this platform", re.compile(r"image operating system \S+ cannot")),),
    ),
    Signal(
        Cause.DISK,
        (
            "no space left on device",
            "disk quota exceeded",
            "failed to extract layer",
            "failed to register layer",
            "failed to unpack layer",
            # moby "Error processing tar file(...)"; containers/storage "processing tar
            # file(...)" under CRI-O's "adding layer with blob" (containers/image
            # storage/storage_dest.go: committing a downloaded layer to local storage)
            "processing tar file",
            "adding layer with blob",
            # containerd core/unpack / rootfs/apply.go: the snapshotter, not the registry
            "failed to prepare extraction snapshot",
            "apply layer error",
            "applylayer exit status",
            "input/output error",
            "read-only file system",
        ),
        # A Go PathError on a local path ("mkdir /var/lib/containerd/...: permission
        # denied") is the node's storage, not the registry's denial.
        (
            (
                "permission denied",
                re.compile(
                    r"\b(?:open|openat|mkdir|mkdirat|lstat|stat|write|rename|remove|unlinkat|"
                    r"chown|lchown|chmod|mknod|symlink|link|setxattr|lsetxattr) "
                    r"/\S{0,512}(?: /\S{0,512})?: permission denied"  # symlink OLD NEW
                ),
            ),
        ),
    ),
    Signal(
        Cause.TLS,
        (
            "x509:",
            "server gave http response to https client",
            "tls: ",
            "certificate signed by unknown authority",
            "certificate has expired or is not yet valid",
            "first record does not look like a tls handshake",
        ),
    ),
    Signal(
        Cause.AUTH,
        (
            "no basic auth credentials",
            "token has expired",
            "token expired",
            "expired token",
            "invalid token",
            "invalid auth token",
            "invalid authentication token",
            "token is invalid",
            "invalid username/password",
            "incorrect username or password",
            "invalid username or password",
            "http basic: access denied",
            "cannot be authenticated",
            "unable to retrieve auth token",
        ),
        (_word("unauthenticated"), _status("401", "unauthorized")),
    ),
    Signal(
        Cause.DENIED,
        (
            "pull access denied",
            "insufficient_scope",
            "requested access to the resource is denied",
            "permission denied",
            "permission_denied",
            "denied:",
            "access forbidden",
        ),
        # _word("denied"): a bare trailing answer, `Head "https://...": denied` (moby)
        (_word("forbidden"), _word("denied"), _status("403", "forbidden")),
    ),
    Signal(
        Cause.AUTH,
        ("authentication required", "not authorized", "authorization failed"),
        (_word("unauthorized"),),
    ),
    Signal(
        Cause.NOT_FOUND,
        ("manifest unknown", "name unknown", "code = notfound", "no such image"),
        (
            _word("not found"),
            ("does not exist", re.compile(r"repository .{0,300}?does not exist")),
            _status("404", "not found"),
        ),
    ),
    Signal(
        Cause.DNS,
        (
            "no such host",
            "server misbehaving",
            "temporary failure in name resolution",
            "name or service not known",
        ),
        (("lookup ", re.compile(r"\blookup \S+(?: on \S+)?: ")),),
    ),
    Signal(
        Cause.NETWORK,
        (
            "i/o timeout",
            "connection refused",
            "connection reset",
            "connection timed out",
            "no route to host",
            "network is unreachable",
            "deadline exceeded",
            "code = deadlineexceeded",
            "context canceled",
            "tls handshake timeout",
            "timeout awaiting response headers",
            "client.timeout exceeded",
            "broken pipe",
            "forcibly closed by the remote host",
            "proxyconnect",
            "registry is unavailable",
            "registryunavailable",
            "service unavailable",
            "bad gateway",
            "gateway timeout",
            "gateway time-out",
            "internal server error",
        ),
        (_word("eof"), _status(r"5\d\d", r"[a-z]")),
    ),
)
