from django.urls import path

from midoffice.intake import views

app_name = "intake"

urlpatterns = [
    path("voorkeur/<str:token>/", views.preference, name="preference"),
    path("post/", views.staff_mail, name="staff-mail"),
    path("post/<int:inbound_id>/opnieuw/", views.staff_retry, name="staff-retry"),
]
