"""BigQuery's REST error format, so the real client raises its real exception classes.

A failed call answers ``{"error": {"code", "message", "errors": [{"reason", "message", "domain"}],
"status"}}``; a failed job carries the same ``{"reason", "message"}`` as ``status.errorResult``.
The client maps the HTTP code to a ``google.api_core.exceptions`` class (404 ``NotFound``, 403
``Forbidden``, 400 ``BadRequest``...) and, for a job, the reason to a code first.
"""

from __future__ import annotations

from typing import Any

_STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    409: "ALREADY_EXISTS",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
}


class BigQueryHttpError(Exception):
    """An error answer: HTTP ``code``, BigQuery ``reason`` (``notFound``, ``invalidQuery``...) and message."""

    def __init__(self, code: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message

    def error_proto(self) -> dict[str, Any]:
        """The ``ErrorProto`` of a job's ``status.errorResult``."""
        return {
            "reason": self.reason,
            "message": self.message,
            "location": "query" if self.reason == "invalidQuery" else "",
        }

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "code": self.code,
                "message": self.message,
                "errors": [{"message": self.message, "domain": "global", "reason": self.reason}],
                "status": _STATUS.get(self.code, "UNKNOWN"),
            }
        }


def invalid_query(message: str) -> BigQueryHttpError:
    return BigQueryHttpError(400, "invalidQuery", message)


def not_found(message: str) -> BigQueryHttpError:
    return BigQueryHttpError(404, "notFound", f"Not found: {message}")


def bytes_billed_limit(limit: int, required: int) -> BigQueryHttpError:
    """BigQuery's own wording when ``maximumBytesBilled`` is below what the query would bill."""
    return BigQueryHttpError(
        400,
        "bytesBilledLimitExceeded",
        f"Query exceeded limit for bytes billed: {limit}. {required} or higher required.",
    )
