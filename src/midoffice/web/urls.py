from django.urls import path

from midoffice.web.views import address, attachments, auth, dossier, links, people, queues
from midoffice.web.views import property as property_views

app_name = "web"

urlpatterns = [
    path("", queues.home, name="home"),
    path("aanmelden/", auth.StaffLoginView.as_view(), name="login"),
    path("aanmelden/gemeente/", auth.sso_start, name="sso_start"),
    path("aanmelden/gemeente/terug/", auth.sso_callback, name="sso_callback"),
    path("afmelden/", auth.StaffLogoutView.as_view(), name="logout"),
    path("wachtrij/<slug:code>/", queues.team_queue, name="team_queue"),
    path("triage/", queues.triage, name="triage"),
    path("triage/<str:reference>/doorsturen/", queues.triage_route, name="triage_route"),
    path("zoeken/", people.search, name="search"),
    path("onthaal/registreren/", people.frontdesk_register, name="frontdesk"),
    path(
        "onthaal/adres/suggesties/",
        address.frontdesk_address_suggest,
        name="frontdesk_address_suggest",
    ),
    path("meldingen/", people.notifications, name="notifications"),
    path("rechten/", people.permissions_table, name="permissions"),
    path("contacten/<int:party_id>/", people.contact_detail, name="contact"),
    path("contacten/<int:party_id>/wijzigen/", people.contact_edit, name="contact_edit"),
    # ADR 29: linked citizen contacts, the staff decisions.
    path("koppelingen/", links.party_links_pending, name="party_links"),
    path("koppelingen/<int:link_id>/", links.party_link_decide, name="party_link_decide"),
    path("contacten/<int:party_id>/koppelen/", links.party_link_create, name="party_link_create"),
    path("dossiers/<str:reference>/", dossier.dossier_detail, name="dossier"),
    path("dossiers/<str:reference>/nemen/", dossier.dossier_take, name="dossier_take"),
    path("dossiers/<str:reference>/toewijzen/", dossier.dossier_assign, name="dossier_assign"),
    path("dossiers/<str:reference>/status/", dossier.dossier_status, name="dossier_status"),
    path("dossiers/<str:reference>/verlengen/", dossier.dossier_extend, name="dossier_extend"),
    path("dossiers/<str:reference>/notitie/", dossier.dossier_note, name="dossier_note"),
    path("dossiers/<str:reference>/contact/", dossier.dossier_interaction, name="dossier_contact"),
    path("dossiers/<str:reference>/koppeling/", dossier.dossier_link, name="dossier_link"),
    path(
        "dossiers/<str:reference>/aanvrager/", dossier.dossier_requester, name="dossier_requester"
    ),
    path("dossiers/<str:reference>/gevonden/", dossier.dossier_found_apply, name="dossier_found"),
    path("dossiers/<str:reference>/adres/", address.dossier_address_set, name="dossier_address"),
    path(
        "dossiers/<str:reference>/adres/suggesties/",
        address.dossier_address_suggest,
        name="dossier_address_suggest",
    ),
    # Vastgoedinformatie (issue 15, ADR 27).
    path(
        "dossiers/<str:reference>/vastgoed/",
        property_views.dossier_property_documents,
        name="dossier_property",
    ),
    path(
        "dossiers/<str:reference>/vastgoed/toevoegen/",
        property_views.dossier_property_keep,
        name="dossier_property_keep",
    ),
    path(
        "dossiers/<str:reference>/vastgoed/bijvoegen/",
        property_views.dossier_property_attach,
        name="dossier_property_attach",
    ),
    path(
        "dossiers/<str:reference>/vastgoed/<int:kept_id>/",
        property_views.dossier_property_download,
        name="dossier_property_download",
    ),
    path(
        "dossiers/<str:reference>/bijlagen/<int:attachment_id>/",
        attachments.dossier_attachment,
        name="dossier_attachment",
    ),
    path(
        "dossiers/<str:reference>/bijlagen/<int:attachment_id>/bekijken/",
        attachments.dossier_attachment_preview,
        name="dossier_attachment_preview",
    ),
    path(
        "dossiers/<str:reference>/bijlagen/<int:attachment_id>/vrijgeven/",
        attachments.dossier_attachment_release,
        name="dossier_attachment_release",
    ),
    path(
        "dossiers/<str:reference>/documenten/<int:document_id>/",
        attachments.dossier_document_download,
        name="dossier_document",
    ),
    path(
        "dossiers/<str:reference>/documenten/<int:document_id>/bekijken/",
        attachments.dossier_document_preview,
        name="dossier_document_preview",
    ),
]
