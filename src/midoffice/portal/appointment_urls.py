"""/mijn/afspraak/…: the citizen's appointment pages (included in the portal's namespace,
so the names read ``portal:appointment-…``)."""

from django.urls import path

from midoffice.portal import appointment_manage as manage
from midoffice.portal import appointment_views as views

urlpatterns = [
    path("", views.start, name="appointment-start"),
    path("dossier/<str:reference>/", views.start_for_dossier, name="appointment-for-dossier"),
    path("vragen/", views.question, name="appointment-questions"),
    path("info/", views.info, name="appointment-info"),
    path("wijze/", views.service, name="appointment-service"),
    path("tijdstip/", views.times, name="appointment-times"),
    path("gegevens/", views.details, name="appointment-details"),
    path("bevestigen/", views.confirm, name="appointment-confirm"),
    path("bevestigd/", views.done, name="appointment-done"),
    path("beheer/<str:token>/", manage.manage, name="appointment-manage"),
    path("beheer/<str:token>/verplaatsen/", manage.reschedule, name="appointment-reschedule"),
    path("beheer/<str:token>/annuleren/", manage.cancel, name="appointment-cancel"),
]
