"""Staff sign-in and sign-out: local passwords, and the town's accounts (staff SSO)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods

from midoffice.accounts import sso
from midoffice.accounts.forms import StaffAuthenticationForm
from midoffice.core.errors import UserError
from midoffice.integrations import oidc

logger = logging.getLogger(__name__)

SESSION_STAFF_SSO = "staff_sso_next"


class StaffLoginView(auth_views.LoginView):
    """Sign-in; failures count towards the one lockout all password doors share
    (django-axes, accounts.lockout)."""

    template_name = "web/login.html"
    authentication_form = StaffAuthenticationForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["staff_sso_enabled"] = oidc.staff_provider() is not None
        return context


class StaffLogoutView(auth_views.LogoutView):
    pass


def _sso_failed(request: HttpRequest, message: str, status: int) -> HttpResponse:
    return render(
        request,
        "web/login.html",
        {
            "form": StaffAuthenticationForm(request),
            "next": "",
            "staff_sso_enabled": oidc.staff_provider() is not None,
            "sso_error": message,
        },
        status=status,
    )


def _sso_callback_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("web:sso_callback"))


@require_http_methods(["GET"])
def sso_start(request: HttpRequest) -> HttpResponse:
    """Off to the town's identity provider (state, nonce and PKCE kept by the library)."""
    provider = oidc.staff_provider()
    if provider is None:
        raise Http404("staff SSO is not configured")
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = ""
    request.session[SESSION_STAFF_SSO] = next_url or reverse("web:home")
    try:
        return oidc.authorization_redirect(
            request, provider, redirect_uri=_sso_callback_uri(request)
        )
    except oidc.OidcError:
        logger.warning("staff identity provider unreachable", exc_info=True)
        return _sso_failed(
            request, "De aanmeldpagina van de gemeente is nu niet bereikbaar.", status=502
        )


@require_http_methods(["GET"])
def sso_callback(request: HttpRequest) -> HttpResponse:
    next_url = request.session.pop(SESSION_STAFF_SSO, None)
    provider = oidc.staff_provider()
    if next_url is None or provider is None:
        return _sso_failed(
            request, "Je aanmelding is verlopen of onvolledig. Probeer opnieuw.", status=400
        )
    try:
        claims = oidc.callback_claims(request, provider)
        user = sso.staff_user_from_claims(claims=claims, issuer=provider.issuer)
    except oidc.OidcStateError:
        return _sso_failed(
            request, "Je aanmelding is verlopen of onvolledig. Probeer opnieuw.", status=400
        )
    except oidc.OidcError:
        logger.warning("staff sign-in failed", exc_info=True)
        return _sso_failed(request, "Aanmelden is niet gelukt. Probeer het later opnieuw.", 502)
    except sso.SsoConfigError:
        logger.error("staff SSO group map is wrong", exc_info=True)
        return _sso_failed(
            request,
            "Aanmelden met je account van de gemeente is niet goed ingesteld. "
            "Meld dit aan je beheerder.",
            status=500,
        )
    except UserError as exc:
        return _sso_failed(request, exc.message, status=exc.status_code)
    # The password backend: the SSO user is a normal user from here on (sessions, is_active).
    login(request, user, backend="midoffice.accounts.backends.StaffBackend")
    return redirect(next_url)
