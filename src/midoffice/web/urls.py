from django.urls import path

from midoffice.web import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("aanmelden/", views.StaffLoginView.as_view(), name="login"),
    path("afmelden/", views.StaffLogoutView.as_view(), name="logout"),
    path("dossiers/<str:reference>/", views.dossier_detail, name="dossier"),
]
