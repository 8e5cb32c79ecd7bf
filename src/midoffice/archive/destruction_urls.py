"""The destruction lists' pages, under /archief/vernietiging/."""

from django.urls import path

from midoffice.archive import destruction_views as views

app_name = "destruction"

urlpatterns = [
    path("", views.destruction_lists, name="lists"),
    path("nieuw/", views.destruction_list_new, name="new"),
    path("<int:list_id>/", views.destruction_list_detail, name="list"),
    path("<int:list_id>/toevoegen/", views.destruction_list_add, name="add"),
    path("<int:list_id>/stap/", views.destruction_list_act, name="act"),
    path("<int:list_id>/dossiers/<int:item_id>/", views.destruction_item_act, name="item_act"),
    path("<int:list_id>/verslag.pdf", views.destruction_report, name="report"),
]
