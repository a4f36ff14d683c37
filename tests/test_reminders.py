"""Reminders that reach people: how many, how far apart, never in the quiet hours, by email and
(with the client's yes) by text message, with STOP honoured and recorded.

The worker is run at fixed moments in the practice's time zone (Europe/London), so nothing here
depends on the hour the suite runs at.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse

from rapport.audit.models import AuditEvent
from rapport.care.models import Modality
from rapport.core.reminders import in_quiet_hours, phone_key, reminder_due, reply_keyword
from rapport.measures.models import AccessLink
from rapport.measures.services import links_send_due, measure_plan_set
from rapport.people.models import Client, GuardianPhone, StoppedNumber, TextConsentSource
from rapport.people.services import client_update, texts_consent_set
from tests.conftest import Cast, make_session, phq9_before_video, signed_in

LONDON = ZoneInfo("Europe/London")
BASE = "https://rapport.example.org"
TOKEN = "gateway-secret-for-the-tests"


@pytest.mark.parametrize(
    ("hour", "quiet"),
    [(20, False), (21, True), (23, True), (0, True), (7, True), (8, False), (12, False)],
)
def test_quiet_hours_span_midnight(hour: int, quiet: bool) -> None:
    assert in_quiet_hours(hour, quiet_from=21, quiet_until=8) is quiet


def test_quiet_hours_within_a_day_and_none_when_both_hours_are_equal() -> None:
    assert in_quiet_hours(13, quiet_from=12, quiet_until=14)
    assert not in_quiet_hours(14, quiet_from=12, quiet_until=14)
    assert not any(in_quiet_hours(h, quiet_from=5, quiet_until=5) for h in range(24))


def test_each_reminder_comes_a_gap_after_the_one_before_and_never_beyond_the_limit() -> None:
    first = datetime(2026, 12, 7, 12, tzinfo=LONDON)
    gap = timedelta(hours=24)

    def due(now: datetime, sent: int, limit: int = 2) -> bool:
        return reminder_due(
            now=now, first_reminder_at=first, reminders_sent=sent, limit=limit, every=gap
        )

    assert not due(first - timedelta(minutes=1), 0)
    assert due(first, 0)
    assert not due(first + timedelta(hours=23), 1)
    assert due(first + gap, 1)
    assert not due(first + 5 * gap, 2)
    assert not due(first, 0, limit=0)


@pytest.mark.parametrize(
    ("body", "word"),
    [
        ("STOP", "stop"),
        (" stop\n", "stop"),
        ("Unsubscribe", "stop"),
        ("START", "start"),
        ("please stop texting me about therapy", None),
        ("", None),
    ],
)
def test_only_the_standard_words_of_a_reply_are_read(body: str, word: str | None) -> None:
    assert reply_keyword(body) == word


def test_a_phone_number_is_matched_by_its_digits() -> None:
    assert phone_key("+44 (0)7700 900-123") == "4407700900123"


@pytest.fixture
def video_session(cast: Cast, settings: Any, tmp_path: Path) -> Any:
    """The adult client's PHQ-9 before a video session on Monday 7 December 2026 at 15:00."""
    settings.RAPPORT_SMS_BACKEND = "file"
    settings.RAPPORT_SMS_FILE_PATH = str(tmp_path / "texts")
    practice = cast.practice
    practice.quiet_from_hour, practice.quiet_until_hour = 21, 8
    practice.link_lead_hours, practice.link_reminder_hours = 24, 2
    practice.link_reminders, practice.link_reminder_every_hours = 2, 1
    practice.save()
    cast.adult_client.phone = "07700 900123"
    return phq9_before_video(cast, at(7, 15))


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=LONDON)


def texts(tmp_path: Path) -> list[dict[str, str]]:
    log = tmp_path / "texts" / "texts.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_nothing_is_sent_in_the_quiet_hours_and_the_link_goes_once_they_end(
    video_session: Any,
) -> None:
    assert links_send_due(now=at(6, 22), base_url=BASE) == 0  # within the lead, but quiet
    assert links_send_due(now=at(7, 7, 59), base_url=BASE) == 0
    assert links_send_due(now=at(7, 8), base_url=BASE) == 1
    assert len(mail.outbox) == 1


def test_the_practice_s_two_reminders_come_an_hour_apart_and_no_third(
    video_session: Any,
) -> None:
    assert links_send_due(now=at(7, 9), base_url=BASE) == 1  # the link
    assert links_send_due(now=at(7, 12, 59), base_url=BASE) == 0  # reminders from 13:00
    assert links_send_due(now=at(7, 13), base_url=BASE) == 1
    assert links_send_due(now=at(7, 13, 30), base_url=BASE) == 0
    assert links_send_due(now=at(7, 14), base_url=BASE) == 1
    assert links_send_due(now=at(7, 14, 30), base_url=BASE) == 0  # two was the limit

    assert [m.subject.startswith("Reminder") for m in mail.outbox] == [False, True, True]


def test_a_measure_plan_can_ask_for_no_reminders(cast: Cast, video_session: Any) -> None:
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
        reminders=0,
    )
    assert links_send_due(now=at(7, 9), base_url=BASE) == 1
    assert links_send_due(now=at(7, 14), base_url=BASE) == 0


def test_with_the_clients_yes_the_link_also_goes_by_text_without_clinical_words(
    cast: Cast, video_session: Any, tmp_path: Path
) -> None:
    client_update(actor=cast.clinician, client=cast.adult_client, details={"sms_consent": True})

    assert links_send_due(now=at(7, 9), base_url=BASE) == 1

    [sent] = texts(tmp_path)
    assert sent["to"] == "07700 900123"
    assert f"{BASE}/m/" in sent["body"] and "STOP" in sent["body"]
    # The link's random token may spell anything ("...mrphqaz..." once did): the words only.
    words = re.sub(rf"{re.escape(BASE)}/m/\S+", "", sent["body"]).lower()
    for clinical in ("PHQ", "depress", "mood", "anxiety", "therapy"):
        assert clinical.lower() not in words
    event = AuditEvent.objects.get(action="link_text")
    assert event.detail == {"reminder": False, "sent": True}


def test_without_the_clients_yes_no_text_is_sent(video_session: Any, tmp_path: Path) -> None:
    assert links_send_due(now=at(7, 9), base_url=BASE) == 1
    assert texts(tmp_path) == []


def reply(body: str, sender: str = "+447700900123", token: str = TOKEN) -> Any:
    return signed_in(None).post(
        reverse("people:text_reply"),
        {"from": sender, "body": body},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_stop_reply_ends_texts_is_recorded_and_start_lifts_it(
    cast: Cast, video_session: Any, settings: Any, tmp_path: Path
) -> None:
    settings.RAPPORT_SMS_REPLY_TOKEN = TOKEN
    cast.adult_client.phone = "+44 7700 900123"
    cast.adult_client.save()
    client_update(actor=cast.clinician, client=cast.adult_client, details={"sms_consent": True})

    assert reply("Stop").status_code == 204
    stopped = Client.objects.get(pk=cast.adult_client.pk)
    assert stopped.sms_stopped_at is not None and not stopped.may_text
    assert AuditEvent.objects.filter(action="text_stop", client_id=cast.adult_client.pk).exists()
    assert links_send_due(now=at(7, 9), base_url=BASE) == 1  # by email only
    assert texts(tmp_path) == []

    assert reply("START").status_code == 204
    assert Client.objects.get(pk=cast.adult_client.pk).may_text


def test_a_reply_without_the_gateways_token_is_refused_and_changes_nothing(
    cast: Cast, settings: Any
) -> None:
    cast.adult_client.phone = "+44 7700 900123"
    cast.adult_client.save()

    settings.RAPPORT_SMS_REPLY_TOKEN = ""
    assert reply("STOP").status_code == 403  # no token configured: nothing is accepted
    settings.RAPPORT_SMS_REPLY_TOKEN = TOKEN
    assert reply("STOP", token="guessed").status_code == 403
    assert reply("STOP", sender="").status_code == 400

    assert Client.objects.get(pk=cast.adult_client.pk).sms_stopped_at is None


def test_texts_need_a_phone_number_on_the_client_form(cast: Cast) -> None:
    from rapport.people.forms import ClientForm

    data = {
        "full_name": "Alex Adult",
        "date_of_birth": "1990-01-01",
        "status": "active",
        "preferred_language": "English",
        "sms_consent": "on",
        "phone": "",
    }
    form = ClientForm(data, instance=cast.adult_client)

    assert not form.is_valid()
    assert form.errors["phone"] == ["Texts need a phone number."]


def test_the_measures_page_says_how_and_when_forms_reach_the_client(
    cast: Cast, video_session: Any
) -> None:
    page = signed_in(cast.clinician).get(
        reverse("measures:episode_measures", args=[cast.adult_episode.pk])
    )
    text = " ".join(page.content.decode().split())

    assert "the link goes 24 hours ahead by email" in text
    assert "Up to 2 reminders if not done" in text and "then every 1 hour" in text
    assert "Nothing is sent between 21:00 and 08:00." in text
    assert "Texts: not agreed" in text


# --- A measure plan's own link life -------------------------------------------------------------


def test_a_measure_plan_s_own_link_life_makes_its_links_and_is_shown(
    cast: Cast, video_session: Any
) -> None:
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adult_episode,
        family="phq9",
        respondent="client",
        schedule="every_session",
        link_valid_hours=6,
    )
    assert links_send_due(now=at(7, 9), base_url=BASE) == 1

    link = AccessLink.objects.get()
    assert link.expires_at == at(7, 15)  # six hours, not the practice's 72
    assert "for 6 hours" in mail.outbox[0].body
    page = signed_in(cast.clinician).get(
        reverse("measures:episode_measures", args=[cast.adult_episode.pk])
    )
    assert "link works 6 hours" in page.text


@pytest.mark.parametrize("hours", [0, 721])
def test_a_measure_plan_s_link_life_outside_the_practice_s_range_is_refused(
    cast: Cast, hours: int
) -> None:
    with pytest.raises(ValidationError) as refused:
        measure_plan_set(
            actor=cast.clinician,
            episode=cast.adult_episode,
            family="phq9",
            respondent="client",
            schedule="every_session",
            link_valid_hours=hours,
        )
    assert "link_valid_hours" in refused.value.message_dict


# --- Texts to guardians -------------------------------------------------------------------------


def test_a_guardian_s_form_is_texted_to_their_own_number_in_their_language_never_the_child_s(
    cast: Cast, settings: Any, tmp_path: Path
) -> None:
    settings.RAPPORT_SMS_BACKEND = "file"
    settings.RAPPORT_SMS_FILE_PATH = str(tmp_path / "texts")
    teen = cast.adolescent_client
    client_update(
        actor=cast.clinician, client=teen, details={"phone": "07700 900999", "sms_consent": True}
    )
    cast.guardian.language = "es"
    cast.guardian.save()
    texts_consent_set(
        actor=cast.guardian,
        record=GuardianPhone(guardian=cast.guardian),
        phone="+34 600 123 456",
        consent=True,
        source="portal",
    )
    measure_plan_set(
        actor=cast.clinician,
        episode=cast.adolescent_episode,
        family="checkin",
        respondent="guardian",
        schedule="every_session",
    )
    session = make_session(cast.adolescent_episode, days_from_now=0)
    session.scheduled_start, session.modality = at(7, 15), Modality.VIDEO
    session.save()

    assert links_send_due(now=at(7, 9), base_url=BASE) == 1

    [sent] = texts(tmp_path)
    assert sent["to"] == "+34 600 123 456"
    assert sent["body"].startswith("Un formulario breve para que usted lo complete")
    assert "Responda STOP" in sent["body"]
    for private in ("Northside", "Tia", "check", "ansiedad", "terapia", "hij"):
        assert private.lower() not in sent["body"].lower()
    event = AuditEvent.objects.get(action="link_text")
    assert event.detail["to"] == "guardian" and event.client_id == teen.pk


def test_a_stop_from_a_number_stops_everyone_with_it_and_anyone_given_it_later(
    cast: Cast, settings: Any
) -> None:
    settings.RAPPORT_SMS_REPLY_TOKEN = TOKEN
    shared = "+44 7700 900123"
    client_update(
        actor=cast.clinician,
        client=cast.adolescent_client,
        details={"phone": shared, "sms_consent": True},
    )
    parent = texts_consent_set(
        actor=cast.guardian,
        record=GuardianPhone(guardian=cast.guardian),
        phone="+44 (7700) 900-123",  # the same phone, written another way
        consent=True,
        source="portal",
    )

    assert reply("STOP", sender=shared).status_code == 204
    assert StoppedNumber.objects.filter(digits=phone_key(shared)).exists()
    assert not Client.objects.get(pk=cast.adolescent_client.pk).may_text
    assert not GuardianPhone.objects.get(pk=parent.pk).may_text
    assert AuditEvent.objects.filter(action="text_stop").count() == 2
    later = client_update(
        actor=cast.clinician,
        client=cast.adult_client,
        details={"phone": shared, "sms_consent": True},
    )
    assert later.sms_stopped_at is not None  # the number said STOP before it was theirs

    assert reply("START", sender=shared).status_code == 204
    assert not StoppedNumber.objects.exists()
    assert Client.objects.get(pk=cast.adult_client.pk).may_text
    assert GuardianPhone.objects.get(pk=parent.pk).may_text


def test_staff_record_a_guardian_s_number_and_yes_on_the_guardian_settings(cast: Cast) -> None:
    web = signed_in(cast.clinician)
    url = reverse("people:guardian_link_edit", args=[cast.guardian_link.pk])
    page = web.get(url)
    data = {
        name: value
        for name, value in page.context["form"].initial.items()
        if value not in (None, False)
    }
    data.update(relationship="mother", phone="07700 900555", sms_consent="on")

    assert web.post(url, data).status_code == 302

    texts = GuardianPhone.objects.get(guardian=cast.guardian)
    assert texts.may_text and texts.sms_consent_source == TextConsentSource.STAFF
    assert texts.sms_consent_at is not None
    measures = web.get(reverse("measures:episode_measures", args=[cast.adolescent_episode.pk]))
    text = " ".join(measures.text.split())
    assert "by email and by text message to their own number" in text
    assert "(recorded by staff)" in text


# --- The portal's page for texts ----------------------------------------------------------------


def test_a_client_gives_and_withdraws_their_yes_to_texts_in_the_portal_in_their_language(
    cast: Cast,
) -> None:
    client_update(actor=cast.clinician, client=cast.adult_client, details={"language": "es"})
    web = signed_in(cast.adult_client_user)
    url = reverse("portal:texts")
    page = web.get(url)
    assert "Un mensaje solo contiene el enlace" in page.text
    key = page.context["form"]["submission_key"].value()

    said_yes = web.post(url, {"texts": "yes", "phone": "07700 900123", "submission_key": key})

    assert said_yes.status_code == 302
    client = Client.objects.get(pk=cast.adult_client.pk)
    assert client.may_text and client.sms_consent_source == TextConsentSource.PORTAL
    event = AuditEvent.objects.get(action="texts_consent")
    assert event.actor_id == cast.adult_client_user.pk and event.detail["source"] == "portal"
    measures = signed_in(cast.clinician).get(
        reverse("measures:episode_measures", args=[cast.adult_episode.pk])
    )
    assert "(given in the portal)" in measures.text

    web.post(url, {"texts": "no", "phone": "07700 900123", "submission_key": str(uuid4())})
    client.refresh_from_db()
    assert not client.sms_consent and client.sms_consent_at is None


@pytest.mark.parametrize(
    ("posted", "field"),
    [({"texts": "yes", "phone": ""}, "phone"), ({"texts": "yes", "phone": "12"}, "phone")],
)
def test_a_yes_without_a_usable_number_is_refused_on_the_portal_page(
    cast: Cast, posted: dict[str, str], field: str
) -> None:
    answer = signed_in(cast.guardian).post(
        reverse("portal:texts"), {**posted, "submission_key": str(uuid4())}
    )
    assert answer.status_code == 200 and field in answer.context["form"].errors
    assert not GuardianPhone.objects.exists()
