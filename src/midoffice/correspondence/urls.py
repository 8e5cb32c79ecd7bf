from django.urls import path

from midoffice.correspondence import views

app_name = "correspondence"

urlpatterns = [
    path("handtekenmap/", views.signature_folder, name="signature_folder"),
    path("dossiers/<str:reference>/antwoord/", views.compose, name="compose"),
    path("brieven/<int:letter_id>/", views.letter_detail, name="letter"),
    path("brieven/<int:letter_id>/brief.pdf", views.letter_pdf, name="letter_pdf"),
    path("brieven/<int:letter_id>/afleverbewijs.pdf", views.attestation_pdf, name="attestation"),
    path("brieven/<int:letter_id>/ondertekenen/", views.sign, name="sign"),
    path("brieven/<int:letter_id>/weigeren/", views.refuse, name="refuse"),
]
