"""API errors as the real API server reports them: ``Status`` objects with reason and code.

>>> not_found("pods", "web-1").status()["message"]
'pods "web-1" not found'
"""

from __future__ import annotations

from typing import Any

JSONObject = dict[str, Any]


class ApiError(Exception):
    """An error response: HTTP ``code`` with a ``Status`` body (and optional headers)."""

    def __init__(
        self,
        code: int,
        reason: str,
        message: str,
        details: JSONObject | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details
        self.headers = headers or {}
        self.list_meta: JSONObject = {}

    def status(self) -> JSONObject:
        """The ``Status`` object sent as the response body (or inside a watch ERROR)."""
        body: JSONObject = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": self.list_meta,
            "status": "Failure",
            "message": self.message,
        }
        if self.reason:
            body["reason"] = self.reason
        if self.details is not None:
            body["details"] = self.details
        body["code"] = self.code
        return body


def not_found(resource: str, name: str) -> ApiError:
    """``404 NotFound`` for one object, worded like the API server."""
    return ApiError(404, "NotFound", f'{resource} "{name}" not found', _details(resource, name))


def already_exists(resource: str, name: str) -> ApiError:
    """``409 AlreadyExists`` on create of an existing name."""
    return ApiError(
        409, "AlreadyExists", f'{resource} "{name}" already exists', _details(resource, name)
    )


def conflict(resource: str, name: str) -> ApiError:
    """``409 Conflict`` for a write carrying a stale ``resourceVersion``."""
    message = (
        f'Operation cannot be fulfilled on {resource} "{name}": the object has been modified; '
        "please apply your changes to the latest version and try again"
    )
    return ApiError(409, "Conflict", message, _details(resource, name))


def bad_request(message: str) -> ApiError:
    """``400 BadRequest``."""
    return ApiError(400, "BadRequest", message)


_CAUSES = {"Required value": "FieldValueRequired", "Forbidden": "FieldValueForbidden"}


def invalid(kind: str, name: str, field: str, detail: str) -> ApiError:
    """``422 Invalid`` for a failed validation of one field; ``detail`` starts with the
    error type as ``field.Error`` prints it (``Invalid value: ...``, ``Forbidden: ...``).

    >>> invalid("Secret", "s", "type", 'Invalid value: "x": field is immutable').message
    'Secret "s" is invalid: type: Invalid value: "x": field is immutable'
    """
    message = f'{kind} "{name}" is invalid: {field}: {detail}'
    reason = next((r for p, r in _CAUSES.items() if detail.startswith(p)), "FieldValueInvalid")
    details = {
        "name": name,
        "kind": kind,
        "causes": [{"reason": reason, "message": detail, "field": field}],
    }
    return ApiError(422, "Invalid", message, details)


def expired(message: str, list_meta: JSONObject | None = None) -> ApiError:
    """``410 Expired`` (a too old resourceVersion or continue token); ``list_meta`` is the
    Status's ``metadata`` (where an inconsistent-continue token goes)."""
    error = ApiError(410, "Expired", message)
    error.list_meta = list_meta or {}
    return error


def too_large_resource_version(requested: int, current: int, retry_after: int) -> ApiError:
    """``504 Timeout`` for a resourceVersion the server has not reached (the watch cache
    waits 3 s for it first and asks to retry in 1 s; etcd answers at once, no retry)."""
    details: JSONObject = {
        "causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}]
    }
    headers = {}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
        headers["Retry-After"] = str(retry_after)
    message = f"Timeout: Too large resource version: {requested}, current: {current}"
    return ApiError(504, "Timeout", message, details, headers)


def too_old_resource_version(requested: int, oldest: int) -> ApiError:
    """The watch cache's 410 for a resourceVersion it no longer holds history for."""
    return expired(f"too old resource version: {requested} ({oldest})")


def unauthorized() -> ApiError:
    """``401 Unauthorized`` as sent for a missing or wrong bearer token."""
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed() -> ApiError:
    """``405 MethodNotAllowed``, as the API server answers a method its route lacks (e.g.
    DELETE of a cluster-wide collection): ``NewGenericServerResponse`` with no resource."""
    return ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
        {},
    )


def _details(resource: str, name: str) -> JSONObject:
    return {"name": name, "kind": resource}
