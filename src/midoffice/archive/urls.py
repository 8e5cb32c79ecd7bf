"""The archivist's pages under /archief/ (destruction lists: /archief/vernietiging/)."""

from django.urls import path

from midoffice.archive import views

app_name = "archive"

urlpatterns = [
    path("", views.archive_home, name="home"),
    path("tellen/", views.archive_count, name="count"),
    path("overbrengen/", views.archive_transfer_batch, name="transfer_batch"),
    path("dossiers/<str:reference>/overbrengen/", views.archive_transfer, name="transfer"),
    path("dossiers/<str:reference>/blokkering/", views.archive_hold_set, name="hold_set"),
    path(
        "dossiers/<str:reference>/blokkering-opheffen/",
        views.archive_hold_lift,
        name="hold_lift",
    ),
]
