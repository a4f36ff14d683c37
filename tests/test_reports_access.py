"""Who receives which report, and the audit trail of every report issued.

The authorization matrix (tests/authorization/routes_reports.py) covers each route for every
role; these tests pin what the matrix cannot: the audience a reader may ask for, what a
guardian's copy holds, and what the trail records.
"""

from __future__ import annotations

from types import SimpleNamespace

from django.urls import reverse

from rapport.audit.models import AuditEvent
from rapport.people.models import GuardianLink
from tests.authorization.cast_plans import PLANS_PRIVATE, plan_in
from tests.conftest import Cast, signed_in


def latest_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_clinician_not_caring_for_the_client_finds_no_report(cast: Cast) -> None:
    web = signed_in(cast.outsider_clinician)

    for route in ("reports:progress", "reports:progress_pdf", "reports:plan"):
        assert web.get(reverse(route, args=[cast.adult_episode.pk])).status_code == 404


def test_a_client_asking_for_the_clinicians_report_is_refused_and_it_is_audited(
    cast: Cast,
) -> None:
    before = latest_event_id()
    url = reverse("reports:progress", args=[cast.adult_episode.pk]) + "?audience=clinician"

    response = signed_in(cast.adult_client_user).get(url)

    assert response.status_code == 403
    denied = AuditEvent.objects.filter(pk__gt=before, outcome=AuditEvent.Outcome.DENIED)
    assert denied.filter(actor_id=cast.adult_client_user.pk, action="report").exists()
    assert not AuditEvent.objects.filter(pk__gt=before, object_type="care.episode").exists()


def test_a_guardian_asking_for_the_clinicians_report_is_refused(cast: Cast) -> None:
    url = reverse("reports:plan_pdf", args=[cast.adolescent_episode.pk]) + "?audience=clinician"

    assert signed_in(cast.guardian).get(url).status_code == 403


def test_an_audience_that_does_not_exist_is_refused(cast: Cast) -> None:
    url = reverse("reports:progress", args=[cast.adult_episode.pk]) + "?audience=insurer"

    assert signed_in(cast.clinician).get(url).status_code == 403


def test_a_clinician_prints_either_the_record_or_the_clients_copy(cast: Cast) -> None:
    web = signed_in(cast.clinician)
    url = reverse("reports:progress", args=[cast.adult_episode.pk])

    record = web.get(url).content.decode()
    copy = web.get(url + "?audience=client").content.decode()

    assert "Clinician’s report, for the record" in record
    assert "Your progress" in copy and "Clinician’s report" not in copy


def test_every_report_issued_is_audited_with_who_what_and_for_whom(cast: Cast) -> None:
    before = latest_event_id()

    response = signed_in(cast.guardian).get(
        reverse("reports:progress_pdf", args=[cast.adolescent_episode.pk])
    )

    assert response.status_code == 200
    event = AuditEvent.objects.get(pk__gt=before, action="report")
    assert event.actor_id == cast.guardian.pk
    assert (event.object_type, event.object_id) == (
        "reports.progress",
        str(cast.adolescent_episode.pk),
    )
    assert event.client_id == cast.adolescent_client.pk
    assert event.detail == {"report": "progress", "for": "guardian", "format": "pdf", "via": "web"}


def test_a_guardian_whose_link_keeps_the_plan_back_gets_no_plan_summary(cast: Cast) -> None:
    plan_in(SimpleNamespace(extra={}), "teen", cast.adolescent_episode)  # type: ignore[arg-type]
    GuardianLink.objects.filter(pk=cast.guardian_link.pk).update(may_see_plan_summary=False)
    web = signed_in(cast.guardian)

    assert web.get(reverse("reports:plan", args=[cast.adolescent_episode.pk])).status_code == 404
    progress = web.get(reverse("reports:progress", args=[cast.adolescent_episode.pk]))
    assert progress.status_code == 200
    assert "plan is kept between" in progress.content.decode()


def test_no_report_shows_the_private_formulation_to_anyone(cast: Cast) -> None:
    plan_in(SimpleNamespace(extra={}), "own", cast.adult_episode)  # type: ignore[arg-type]
    url = reverse("reports:plan", args=[cast.adult_episode.pk])

    for user in (cast.clinician, cast.adult_client_user):
        page = signed_in(user).get(url)
        assert page.status_code == 200
        assert "Worry less" in page.content.decode()
        assert PLANS_PRIVATE not in page.content.decode()


def test_the_portal_home_links_to_the_reports_and_the_client_page_too(cast: Cast) -> None:
    episode = cast.adult_episode

    portal = signed_in(cast.adult_client_user).get(reverse("portal:home")).content.decode()
    staff = signed_in(cast.clinician).get(
        reverse("people:client_detail", args=[cast.adult_client.pk])
    )

    assert reverse("reports:progress_pdf", args=[episode.pk]) in portal
    assert reverse("reports:plan", args=[episode.pk]) in portal
    assert reverse("reports:progress_pdf", args=[episode.pk]) + "?audience=client" in (
        staff.content.decode()
    )
