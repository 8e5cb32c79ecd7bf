"""Staff sign-in and sign-out."""

from __future__ import annotations

from django.contrib.auth import views as auth_views

from midoffice.accounts.forms import StaffAuthenticationForm


class StaffLoginView(auth_views.LoginView):
    """Sign-in; failures count towards the one lockout all password doors share
    (django-axes, accounts.lockout)."""

    template_name = "web/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True


class StaffLogoutView(auth_views.LogoutView):
    pass
