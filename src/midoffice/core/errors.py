"""Errors that say whose fault it is.

``UserError`` and its kinds are the caller's fault: they carry a message in the user's
language and become a 4xx answer. Anything else is ours: logged with context, retried
or quarantined, and answered with 500 only as a last resort.
"""

from __future__ import annotations


class UserError(Exception):
    """The request cannot be done as asked; ``message`` is shown to the user (Dutch)."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class NotFound(UserError):
    status_code = 404
    code = "not_found"


class Conflict(UserError):
    """The object changed under the caller (e.g. someone else took the dossier first)."""

    status_code = 409
    code = "conflict"


class Forbidden(UserError):
    status_code = 403
    code = "forbidden"
