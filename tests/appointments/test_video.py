"""Video links through the provider plugin: Jitsi by default, another by setting."""

from __future__ import annotations

import re

import pytest

from midoffice.appointments import video
from midoffice.appointments.models import Appointment
from midoffice.appointments.video import (
    TOPIC_CANCEL,
    JitsiProvider,
    VideoProvider,
    VideoUnavailable,
    meeting_cancel_enqueue,
    meeting_url,
)
from midoffice.core.models import OutboxMessage
from midoffice.core.outbox import outbox_deliver


class RecordingProvider:
    """A stand-in for e.g. a Teams adapter: remembers what it was asked."""

    created: list[str] = []
    cancelled: list[str] = []

    def create(self, appointment: Appointment) -> str:
        self.created.append(appointment.uid)
        return "https://teams.example/l/meetup-join/abc"

    def cancel(self, *, url: str, appointment_uid: str) -> None:
        self.cancelled.append(url)


class BrokenProvider:
    def create(self, appointment: Appointment) -> str:
        return "http://not-https.example/x"

    def cancel(self, *, url: str, appointment_uid: str) -> None:
        raise ConnectionError("video service down")


class NotAProvider:
    pass


def test_the_default_is_an_unguessable_jitsi_link_on_the_configured_host(settings):
    settings.TOWN_NAME = "Gemeente Leemdonk"
    settings.VIDEO_HOST = "video.leemdonk.example"
    appointment = Appointment(uid="x@leemdonk.example")
    urls = {JitsiProvider().create(appointment) for _ in range(200)}
    assert len(urls) == 200
    for url in urls:
        # 128 random bits as 26 lower-case base32 characters: Jitsi ignores case.
        assert re.fullmatch(r"https://video\.leemdonk\.example/leemdonk-[a-z2-7]{26}", url)
    assert isinstance(video.provider(), JitsiProvider)
    assert isinstance(JitsiProvider(), VideoProvider)


def test_the_town_slug_drops_the_kind_of_town(settings):
    settings.TOWN_NAME = "Stad Sint-Niklaas"
    assert video.town_slug() == "sint-niklaas"
    settings.TOWN_NAME = "Zwijndrecht"
    assert video.town_slug() == "zwijndrecht"


def test_a_reschedule_keeps_the_link():
    appointment = Appointment(uid="x@y", video_url="https://meet.jit.si/leemdonk-kept")
    assert meeting_url(appointment) == "https://meet.jit.si/leemdonk-kept"


def test_another_provider_is_chosen_by_its_dotted_path(settings, db):
    settings.VIDEO_PROVIDER = "tests.appointments.test_video.RecordingProvider"
    appointment = Appointment(uid="teams@leemdonk.example", pk=7)
    assert meeting_url(appointment) == "https://teams.example/l/meetup-join/abc"
    assert RecordingProvider.created == ["teams@leemdonk.example"]
    appointment.video_url = "https://teams.example/l/meetup-join/abc"
    meeting_cancel_enqueue(appointment)
    message = OutboxMessage.objects.get(topic=TOPIC_CANCEL)
    assert RecordingProvider.cancelled == []  # only after commit, by the outbox
    assert outbox_deliver(message_id=message.pk) == "sent"
    assert RecordingProvider.cancelled == ["https://teams.example/l/meetup-join/abc"]


def test_a_provider_that_fails_to_cancel_is_retried(settings, db):
    settings.VIDEO_PROVIDER = "tests.appointments.test_video.BrokenProvider"
    appointment = Appointment(uid="b@leemdonk.example", pk=8, video_url="https://x.example/m")
    meeting_cancel_enqueue(appointment)
    message = OutboxMessage.objects.get(topic=TOPIC_CANCEL)
    assert outbox_deliver(message_id=message.pk) == "pending"
    message.refresh_from_db()
    assert "video service down" in message.last_error


def test_a_link_that_is_not_https_is_refused_in_dutch(settings):
    settings.VIDEO_PROVIDER = "tests.appointments.test_video.BrokenProvider"
    with pytest.raises(VideoUnavailable) as refused:
        meeting_url(Appointment(uid="b@y"))
    assert refused.value.message.startswith("De videolink kon niet gemaakt worden.")


def test_a_class_without_the_interface_is_refused(settings):
    settings.VIDEO_PROVIDER = "tests.appointments.test_video.NotAProvider"
    with pytest.raises(TypeError, match="VideoProvider"):
        video.provider()


def test_no_cancel_is_queued_without_a_link(db):
    meeting_cancel_enqueue(Appointment(uid="p@y", pk=9))
    assert not OutboxMessage.objects.filter(topic=TOPIC_CANCEL).exists()
