"""The staff sign-in forms: the workbench's and the admin's, with the lockout message."""

from __future__ import annotations

from typing import Any

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from midoffice.accounts.lockout import lockout_message, request_is_locked_out


class _LockoutMessageMixin:
    """Says "too many attempts" instead of "wrong password" when axes refused the sign-in.

    Axes refuses inside ``authenticate()`` (its backend raises PermissionDenied, which
    Django turns into "no user"), so the form would otherwise show the ordinary
    wrong-password error, which invites another try.
    """

    request: Any

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()  # type: ignore[misc,no-any-return]  # mixin over a form
        except ValidationError:
            if request_is_locked_out(self.request):
                raise ValidationError(lockout_message(), code="locked_out") from None
            raise


class StaffAuthenticationForm(_LockoutMessageMixin, AuthenticationForm):
    """The workbench sign-in form."""


class AdminSignInForm(_LockoutMessageMixin, AdminAuthenticationForm):
    """The admin's login form (``admin.site.login_form``)."""
