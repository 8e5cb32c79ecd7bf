"""Staff pages of specialist systems (under /maatsystemen/)."""

from django.urls import path

from midoffice.systems import views

app_name = "systems"

urlpatterns = [
    path(
        "dossiers/<str:reference>/documenten/<int:document_id>/",
        views.system_document_download,
        name="document",
    ),
]
