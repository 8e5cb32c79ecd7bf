"""API paths of specialist systems, under /api/v1/ (included before the router's).

Ids are taken as any text and checked in the view: a malformed one gets the API's JSON
404, not Django's HTML page (tests/api: a malformed path).
"""

from django.urls import path

from midoffice.systems import api

urlpatterns = [
    path("dossiers/<str:reference>/links/", api.RecordListView.as_view(), name="system-records"),
    path(
        "dossiers/<str:reference>/links/<str:record_id>/",
        api.RecordDetailView.as_view(),
        name="system-record",
    ),
    path(
        "dossiers/<str:reference>/links/<str:record_id>/status/",
        api.RecordStatusView.as_view(),
        name="system-record-status",
    ),
    path(
        "dossiers/<str:reference>/documents/",
        api.DocumentView.as_view(),
        name="system-documents",
    ),
    path("systems/webhooks/", api.WebhookListView.as_view(), name="system-webhooks"),
    path(
        "systems/webhooks/<str:subscription_id>/",
        api.WebhookDetailView.as_view(),
        name="system-webhook",
    ),
]
