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

    def status(self) -> JSONObject:
        """The ``Status`` object sent as the response body (or inside a watch ERROR)."""
        body: JSONObject = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
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


def invalid(kind: str, name: str, field: str, detail: str) -> ApiError:
    """``422 Invalid`` for a failed validation of one field."""
    message = f'{kind} "{name}" is invalid: {field}: {detail}'
    details = {
        "name": name,
        "kind": kind,
        "causes": [{"reason": "FieldValueInvalid", "message": detail, "field": field}],
    }
    return ApiError(422, "Invalid", message, details)


def expired(message: str) -> ApiError:
    """``410 Expired`` (a too old resourceVersion or continue token)."""
    return ApiError(410, "Expired", message)


def too_old_resource_version(requested: int, oldest: int) -> ApiError:
    """The watch cache's 410 for a resourceVersion it no longer holds history for."""
    return expired(f"too old resource version: {requested} ({oldest})")


def unauthorized() -> ApiError:
    """``401 Unauthorized`` as sent for a missing or wrong bearer token."""
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed(verb: str) -> ApiError:
    """``405 MethodNotAllowed``."""
    return ApiError(
        405,
        "MethodNotAllowed",
        f"the server does not allow this method on the requested resource ({verb})",
    )


def _details(resource: str, name: str) -> JSONObject:
    return {"name": name, "kind": resource}
