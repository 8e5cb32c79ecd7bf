"""URL map: staff web UI, admin, REST API with its OpenAPI document, health."""

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from midoffice.accounts.forms import AdminSignInForm
from midoffice.appointments.api import AppointmentViewSet
from midoffice.archive.api import ArchiveDossierViewSet, ArchiveDueViewSet, ArchiveTransferViewSet
from midoffice.archive.destruction_api import DestructionCandidateViewSet, DestructionListViewSet
from midoffice.catalog.api import DossierTypeViewSet
from midoffice.core import metrics as core_metrics
from midoffice.core import views as core_views
from midoffice.dossiers.api import DossierViewSet
from midoffice.dossiers.oslo.api import OsloContextView
from midoffice.parties.api import PartyViewSet

router = DefaultRouter()
router.register("dossiers", DossierViewSet, basename="dossier")
router.register("catalog/dossier-types", DossierTypeViewSet, basename="dossier-type")
router.register("parties", PartyViewSet, basename="party")
router.register("appointments", AppointmentViewSet, basename="appointment")
router.register("archive/destruction-lists", DestructionListViewSet, basename="destruction-list")
router.register(
    "archive/destruction-candidates", DestructionCandidateViewSet, basename="destruction-candidate"
)
router.register("archive/dossiers", ArchiveDossierViewSet, basename="archive-dossier")
router.register("archive/due", ArchiveDueViewSet, basename="archive-due")
router.register("archive/transfers", ArchiveTransferViewSet, basename="archive-transfer")

admin.site.site_header = "Midoffice – beheer"
admin.site.site_title = "Midoffice"
# The admin's login counts towards the same lockout as the workbench (accounts.lockout).
admin.site.login_form = AdminSignInForm

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # Prometheus, behind MIDOFFICE_METRICS_TOKEN (core.metrics, ADR 21b).
    path("metrics", core_metrics.metrics_view, name="metrics"),
    path("admin/", admin.site.urls),
    path("api/v1/oslo/context.jsonld", OsloContextView.as_view(), name="oslo-context"),
    # Specialist systems (maatsystemen), with their own tokens (systems.auth, ADR 28).
    path("api/v1/", include("midoffice.systems.urls")),
    path("api/v1/", include(router.urls)),
    # Staff only, like the API itself (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); the docs
    # page sends a visitor who is not signed in to the sign-in page first. The split view
    # serves Swagger UI's start script as a file of ours, so the page needs no inline script,
    # and our template moves its inline style to a file: the page works under the same
    # strict CSP as the rest (core.middleware).
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/docs/",
        login_required(
            SpectacularSwaggerSplitView.as_view(
                url_name="schema", template_name="core/swagger_ui.html"
            )
        ),
        name="api-docs",
    ),
    path("intake/", include("midoffice.intake.urls")),
    # The OData feed for Power BI: its own read-only tokens, no session (analytics.odata).
    path("odata/", include("midoffice.analytics.odata.urls")),
    path("mijn/", include("midoffice.portal.urls")),
    path("correspondentie/", include("midoffice.correspondence.urls")),
    path("agenda/", include("midoffice.appointments.urls")),
    path("archief/vernietiging/", include("midoffice.archive.destruction_urls")),
    path("analyse/", include("midoffice.analytics.urls")),
    path("maatsystemen/", include("midoffice.systems.web_urls")),
    path("archief/", include("midoffice.archive.urls")),
    path("", include("midoffice.web.urls")),
]
