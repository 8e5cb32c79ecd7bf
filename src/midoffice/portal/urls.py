from django.urls import include, path

from midoffice.portal import address_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("aanmelden/", views.signin, name="signin"),
    path("aanmelden/oidc/", views.oidc_start, name="oidc_start"),
    path("aanmelden/oidc/terug/", views.oidc_callback, name="oidc_callback"),
    path("aanmelden/link/<str:token>/", views.link_signin, name="link"),
    path("afmelden/", views.signout, name="signout"),
    path("voorkeuren/", views.preferences, name="preferences"),
    path("koppelen/", views.link_email, name="link_email"),
    # Issue 15: the address autocomplete's suggestions (public, rate-limited).
    path("adres/suggesties/", address_views.address_suggest, name="address_suggest"),
    # Appointments (issue 12): booking without sign-in, the manage link (portal:appointment-…).
    path("afspraak/", include("midoffice.portal.appointment_urls")),
    path("dossiers/<str:reference>", views.dossier_detail, name="dossier"),
    path("dossiers/<str:reference>/vraag", views.question, name="question"),
    path(
        "dossiers/<str:reference>/documenten/<int:document_id>",
        views.document_download,
        name="document",
    ),
    path(
        "dossiers/<str:reference>/bijlagen/<int:attachment_id>",
        views.mail_attachment_download,
        name="mail_attachment",
    ),
    path(
        "dossiers/<str:reference>/brieven/<int:letter_id>",
        views.letter_download,
        name="letter",
    ),
]
