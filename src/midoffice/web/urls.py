from django.urls import path

from midoffice.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("aanmelden/", views.StaffLoginView.as_view(), name="login"),
    path("afmelden/", views.StaffLogoutView.as_view(), name="logout"),
    path("wachtrij/<slug:code>/", views.team_queue, name="team_queue"),
    path("triage/", views.triage, name="triage"),
    path("triage/<str:reference>/doorsturen/", views.triage_route, name="triage_route"),
    path("zoeken/", views.search, name="search"),
    path("onthaal/registreren/", views.frontdesk_register, name="frontdesk"),
    path("meldingen/", views.notifications, name="notifications"),
    path("rechten/", views.permissions_table, name="permissions"),
    path("contacten/<int:party_id>/", views.contact_detail, name="contact"),
    path("dossiers/<str:reference>/", views.dossier_detail, name="dossier"),
    path("dossiers/<str:reference>/nemen/", views.dossier_take, name="dossier_take"),
    path("dossiers/<str:reference>/toewijzen/", views.dossier_assign, name="dossier_assign"),
    path("dossiers/<str:reference>/status/", views.dossier_status, name="dossier_status"),
    path("dossiers/<str:reference>/verlengen/", views.dossier_extend, name="dossier_extend"),
    path("dossiers/<str:reference>/notitie/", views.dossier_note, name="dossier_note"),
    path("dossiers/<str:reference>/contact/", views.dossier_interaction, name="dossier_contact"),
    path("dossiers/<str:reference>/koppeling/", views.dossier_link, name="dossier_link"),
    path("dossiers/<str:reference>/aanvrager/", views.dossier_requester, name="dossier_requester"),
    path(
        "dossiers/<str:reference>/bijlagen/<int:attachment_id>/",
        views.dossier_attachment,
        name="dossier_attachment",
    ),
]
