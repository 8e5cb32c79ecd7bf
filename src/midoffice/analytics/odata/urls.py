"""``/odata/``: the service root, ``$metadata``, ``Set``, ``Set(1)`` and ``Set/$count``."""

from __future__ import annotations

from django.urls import re_path

from midoffice.analytics.odata import views

app_name = "odata"

urlpatterns = [
    re_path(r"^$", views.root, name="root"),
    re_path(r"^\$metadata$", views.metadata, name="metadata"),
    re_path(r"^(?P<name>[A-Za-z]+)/\$count$", views.count, name="count"),
    re_path(r"^(?P<name>[A-Za-z]+)\((?P<key>[0-9A-Za-z=' ]*)\)$", views.collection, name="entity"),
    re_path(r"^(?P<name>[A-Za-z]+)$", views.collection, name="collection"),
    # Anything else under /odata/ is an OData 404 (after the token check), not a web page.
    re_path(r"^(?P<path>.+)$", views.unknown, name="unknown"),
]
