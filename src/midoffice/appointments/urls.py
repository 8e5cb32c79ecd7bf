"""/agenda/…: the staff's appointment pages."""

from django.urls import path

from midoffice.appointments import views_staff as views
from midoffice.appointments import views_staff_booking as booking

app_name = "appointments"

urlpatterns = [
    path("", views.agenda_index, name="agenda"),
    path("medewerker/<str:key>/", views.agenda_staff, name="agenda-staff"),
    path("zaal/<str:key>/", views.agenda_room, name="agenda-room"),
    path("locatie/<slug:key>/", views.agenda_location, name="agenda-location"),
    path("onthaal/", views.frontdesk, name="frontdesk"),
    path("afspraken/<int:appointment_id>/", booking.appointment_detail, name="appointment"),
    path(
        "afspraken/<int:appointment_id>/aangemeld/",
        booking.appointment_arrived,
        name="arrived",
    ),
    path(
        "afspraken/<int:appointment_id>/niet-gekomen/",
        booking.appointment_no_show,
        name="no-show",
    ),
    path(
        "afspraken/<int:appointment_id>/verplaatsen/",
        booking.appointment_reschedule,
        name="reschedule",
    ),
    path("afspraken/<int:appointment_id>/annuleren/", booking.appointment_cancel, name="cancel"),
    path("dossiers/<str:reference>/nieuw/", booking.book_for_dossier, name="book"),
]
