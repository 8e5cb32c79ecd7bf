from __future__ import annotations

from django.contrib.auth.views import LoginView
from django.urls import include, path

urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    # At the root: the issuer is the bare http://127.0.0.1:<port>.
    path("", include("oidc_provider.urls", namespace="oidc_provider")),
]
