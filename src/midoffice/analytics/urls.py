"""/analyse/…: the dashboards for team leads and management (staff pages, Dutch)."""

from django.urls import path

from midoffice.analytics import views

app_name = "analytics"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("dossiers/", views.dossier_list, name="dossiers"),
    path("export/<slug:key>.<str:fmt>", views.table_export, name="export"),
    path("<slug:part>/", views.dashboard, name="part"),
]
