"""Errors from talking to the Kubernetes API, one class per way a caller must react.

Messages carry the HTTP status, the Status reason and the API's own message, never a
request header: the Authorization header must not reach a log line through an exception.
"""

from __future__ import annotations


class KubeError(Exception):
    """Base class of everything the API layer raises."""


class ConfigError(KubeError):
    """The kubeconfig or in-cluster configuration cannot be used (operator input)."""


class ApiError(KubeError):
    """The API answered with an error status."""

    def __init__(self, status: int, reason: str = "", message: str = "") -> None:
        self.status = status
        self.reason = reason
        self.message = message
        super().__init__(f"HTTP {status} {reason}: {message}".strip().rstrip(":"))


class Gone(ApiError):
    """410: the resourceVersion or continue token is too old; the caller must relist."""


class TooManyRequests(ApiError):
    """429: back off for ``retry_after`` seconds (the server's ``Retry-After``)."""

    def __init__(self, status: int, reason: str, message: str, retry_after: float) -> None:
        super().__init__(status, reason, message)
        self.retry_after = retry_after


class Unauthorized(ApiError):
    """401: the credential is missing, wrong or expired."""


class Forbidden(ApiError):
    """403: RBAC does not allow this request."""


class StreamError(KubeError):
    """A watch stream broke: it stalled, was cut mid-line, or carried an unreadable line."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}: {detail}")


def error_for_status(
    status: int, reason: str, message: str, retry_after: float | None = None
) -> ApiError:
    """The exception class that tells the caller how to react to ``status``.

    >>> type(error_for_status(410, "Expired", "too old resource version")).__name__
    'Gone'
    """
    if status == 410:
        return Gone(status, reason, message)
    if status == 429:
        return TooManyRequests(status, reason, message, retry_after or 1.0)
    if status == 401:
        return Unauthorized(status, reason, message)
    if status == 403:
        return Forbidden(status, reason, message)
    return ApiError(status, reason, message)
