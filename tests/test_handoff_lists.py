"""After a warm handoff every list and aggregate the receiving therapist sees follows the client's
consent, as the single objects already do: the alerts inbox, the client page's panels, the
caseload's and dashboard's flags, the plan pages, the alliance page, the reports, the FHIR export
and the API. What the new therapist records after the transfer is theirs. The therapist who
handed the client over sees none of it; the coordinator and the supervisors are not limited.

The matrix's cast is built once for the module, and the adult client's handoff (clinician ->
outsider) completed once; each test then sets what the client agreed to, in its own savepoint.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client as WebClient
from django.urls import reverse
from django.utils import timezone

from rapport.alerts.models import Alert
from rapport.audit.context import current_request_id
from rapport.consent import (
    HANDOFF_ITEMS,
    ITEM_WORDS,
    remember_viewer,
    viewer_shared,
    viewer_shared_each,
)
from rapport.matching import handoff_services
from rapport.matching.handoff_models import Handoff
from rapport.measures.models import Response
from rapport.plans.models import PlanVersion, Problem
from rapport.trajectories.models import ScoreStatus
from tests.authorization.fixtures import (  # noqa: F401
    Prepared,
    prepared_fixture,
    shared_fixture,
)
from tests.authorization.matrix_cast import MatrixCast
from tests.conftest import make_session, signed_in
from tests.test_alliance import rate

pytestmark = pytest.mark.xdist_group("handoff_lists")

# Two consents, so that each item is seen shared once and withheld once.
CONSENTS = {
    "measures-and-alliance": frozenset({"measures", "alliance"}),
    "plan-and-risk-alerts": frozenset({"plan", "risk_alerts"}),
}


@dataclass(frozen=True)
class Handed:
    cast: MatrixCast
    handoff: Handoff
    alerts: dict[str, Alert]  # by the item each belongs to
    feedback: Response
    score: ScoreStatus

    def alerts_of(self, items: frozenset[str]) -> set[int]:
        return {alert.pk for item, alert in self.alerts.items() if item in items}


def _alert(cast: MatrixCast, kind: str) -> Alert:
    return Alert.objects.create(
        practice=cast.practice,
        client=cast.adult_client,
        episode=cast.adult_episode,
        kind=kind,
        reason=f"{kind} before the handoff",
        opened_at=timezone.now() - timedelta(days=1),
    )


@pytest.fixture(scope="module")
def handed(prepared: Prepared, django_db_blocker: Any) -> Handed:
    """Before the handoff the adult client has a PHQ-9 answered with a risk flag (its urgent
    alert), a session's feedback, a rupture, a plan (a proposed version and a draft), an
    off-track alert, a low-alliance alert and a plan review due; then the handoff completes."""
    cast = prepared.cast
    with django_db_blocker.unblock():
        held = make_session(cast.adult_episode, days_from_now=-3, held=True)
        feedback = rate(held, "client", 8)
        alerts = {
            "risk_alerts": cast.own_alert,
            # The client's rating raised it, as it raises one in practice.
            "alliance": Alert.objects.get(episode=cast.adult_episode, kind="low_alliance"),
            "measures": _alert(cast, "off_track"),
            "plan": _alert(cast, "plan_review"),
        }
        response = cast.own_response
        assert response.completed_at is not None
        score = ScoreStatus.objects.create(
            response=response,
            episode=cast.adult_episode,
            family="phq9",
            session_number=1,
            at=response.completed_at,
            status="on_track",
            method="rule",
            classified_at=response.completed_at,
        )
        handoff = Handoff.objects.get(pk=cast.extra["own_handoff"].pk)
        handoff_services.handoff_consent(
            actor=cast.adult_client_user, handoff=handoff, items={"measures"}, shown=[]
        )
        handoff_services.handoff_summary_write(
            actor=cast.clinician,
            handoff=handoff,
            summary="We worked on sleep and on going back to work; the goals still hold.",
        )
        handoff_services.handoff_summary_read(actor=cast.adult_client_user, handoff=handoff)
        handoff = handoff_services.handoff_complete(actor=cast.supervisor, handoff=handoff)
    return Handed(cast, handoff, alerts, feedback, score)


@pytest.fixture(params=list(CONSENTS))
def agreed(request: Any, handed: Handed, shared: Prepared) -> frozenset[str]:
    """What the client agreed to share, set on the completed handoff for this test only."""
    items = CONSENTS[request.param]
    flags = {f"share_{item}": item in items for item in ("measures", "plan", "alliance")}
    Handoff.objects.filter(pk=handed.handoff.pk).update(
        **flags, share_risk_alerts="risk_alerts" in items
    )
    return items


def _ids(rows: Any) -> set[int]:
    return {row.pk for row in rows}


def _adult_row(rows: Any, cast: MatrixCast) -> Any:
    [found] = [row for row in rows if row.episode.pk == cast.adult_episode.pk]
    return found


def test_alert_lists_show_only_the_alerts_of_items_agreed_to(
    handed: Handed, agreed: frozenset[str]
) -> None:
    cast, new = handed.cast, signed_in(handed.cast.outsider_clinician)
    adult = set(Alert.objects.filter(client=cast.adult_client).values_list("pk", flat=True))
    expected = handed.alerts_of(agreed)

    inbox = new.get(reverse("alerts:inbox")).context["alerts"]
    api = new.get(reverse("api:alert_list")).json()
    page = new.get(reverse("people:client_detail", args=[cast.adult_client.pk])).context

    assert _ids(inbox) & adult == expected
    assert {row["id"] for row in api} & adult == expected
    assert _ids(page["alerts"]) == expected
    assert bool(page["risk_alerts"]) == ("risk_alerts" in agreed)
    # The page says why: what the client did not agree to share of the time before.
    withheld = [str(ITEM_WORDS[item]) for item in HANDOFF_ITEMS if item not in agreed]
    assert [str(words) for words in page["handed_to_me"]["withheld"]] == withheld


def test_the_caseload_and_dashboard_flag_a_risk_only_when_risk_alerts_were_agreed_to(
    handed: Handed, agreed: frozenset[str]
) -> None:
    cast, new = handed.cast, signed_in(handed.cast.outsider_clinician)
    risk = "risk_alerts" in agreed

    caseload = _adult_row(new.get(reverse("people:caseload")).context["rows"], cast)
    [dashboard] = [
        row
        for row in new.get(reverse("dashboards:therapist")).context["rows"]
        if row.episode_id == cast.adult_episode.pk
    ]

    assert ("Risk" in caseload.flags) == risk
    assert caseload.episode.open_alerts == len(handed.alerts_of(agreed))
    assert dashboard.risk == risk
    assert dashboard.track == ("on_track" if "measures" in agreed else None)


def test_forms_let_expire_before_the_handoff_flag_the_caseload_only_with_the_measures_item(
    handed: Handed, agreed: frozenset[str]
) -> None:
    from rapport.measures.models import Assignment

    cast, new = handed.cast, signed_in(handed.cast.outsider_clinician)
    before = handed.handoff.completed_at
    assert before is not None
    for seconds in (30, 20, 10):  # the latest forms of the time before
        Assignment.objects.create(
            episode=cast.adult_episode,
            instrument_id="phq9",
            respondent="client",
            respondent_key="client",
            status=Assignment.Status.EXPIRED,
            due_at=before - timedelta(seconds=seconds),
        )

    caseload = _adult_row(new.get(reverse("people:caseload")).context["rows"], cast)

    assert ("Last 3 forms not completed" in caseload.flags) == ("measures" in agreed)


def test_a_response_page_shows_its_risk_alert_only_with_the_risk_alerts_item(
    handed: Handed, agreed: frozenset[str]
) -> None:
    new = signed_in(handed.cast.outsider_clinician)

    page = new.get(reverse("measures:response_detail", args=[handed.cast.own_response.pk]))

    if "measures" not in agreed:
        assert page.status_code == 404
    else:
        assert page.status_code == 200
        assert list(page.context["risk_alerts"]) == []  # risk alerts: not agreed to here


def test_the_plan_before_the_handoff_is_listed_only_with_the_plan_item(
    handed: Handed, agreed: frozenset[str]
) -> None:
    cast, new = handed.cast, signed_in(handed.cast.outsider_clinician)
    episode = cast.adult_episode.pk
    plan = "plan" in agreed
    version = cast.extra["plans_own_version"]

    page = new.get(reverse("plans:episode", args=[episode])).context
    summary = new.get(reverse("reports:plan", args=[episode])).context["report"]
    api = new.get(reverse("api:episode_plan", args=[episode])).json()

    assert (version.pk in _ids(page["versions"])) == plan
    assert bool(list(page["problems"])) == plan
    assert (page["current"] is not None) == plan
    assert (summary.version is not None) == plan
    assert (api["latest"] is not None, bool(api["problems"])) == (plan, plan)
    assert bool(list(page["review_alerts"])) == plan


def test_the_alliance_history_is_listed_only_with_the_alliance_item(
    handed: Handed, agreed: frozenset[str]
) -> None:
    cast, new = handed.cast, signed_in(handed.cast.outsider_clinician)
    episode = cast.adult_episode.pk
    alliance = "alliance" in agreed

    page = new.get(reverse("alliance:episode", args=[episode])).context
    report = new.get(reverse("reports:progress", args=[episode])).context["report"]

    assert bool(page["ruptures"]) == alliance
    assert bool(page["rows"]) == alliance
    assert bool(report.ruptures) == alliance
    assert {a.pk for a in report.alerts} == handed.alerts_of(agreed)
    assert bool(report.alliance) == alliance


def test_scores_responses_and_the_export_follow_the_measures_and_alliance_items(
    handed: Handed, agreed: frozenset[str], settings: Any
) -> None:
    settings.RAPPORT_FHIR_BASE = "https://rapport.example.org/fhir"
    cast, new = handed.cast, signed_in(handed.cast.outsider_clinician)
    episode = cast.adult_episode.pk
    measures, alliance = "measures" in agreed, "alliance" in agreed

    responses = new.get(reverse("api:episode_responses", args=[episode])).json()
    scores = new.get(reverse("api:episode_scores", args=[episode])).json()
    page = new.get(reverse("people:client_detail", args=[cast.adult_client.pk])).context
    bundle = new.get(reverse("interop:client_fhir", args=[cast.adult_client.pk])).json()
    exported = {
        (e["resource"]["resourceType"], e["resource"]["id"])
        for e in bundle["entry"]
        if e["resource"]["resourceType"] in {"QuestionnaireResponse", "CarePlan"}
    }

    shown = {row["id"] for row in responses}
    assert (cast.own_response.pk in shown, handed.feedback.pk in shown) == (measures, alliance)
    forms = new.get(reverse("api:episode_assignments", args=[episode])).json()
    listed = {row["id"] for row in forms}
    assert (
        cast.own_response.assignment_id in listed,
        handed.feedback.assignment_id in listed,
    ) == (measures, alliance)
    assert bool(scores["scores"]) == measures
    assert bool(page["histories"]) == measures
    assert any(kind == "QuestionnaireResponse" for kind, _ in exported) == (measures or alliance)
    assert any(kind == "CarePlan" for kind, _ in exported) == ("plan" in agreed)


def test_the_therapist_who_handed_the_client_over_sees_none_of_it(
    handed: Handed, shared: Prepared
) -> None:
    cast, old = handed.cast, signed_in(handed.cast.clinician)
    adult = set(Alert.objects.filter(client=cast.adult_client).values_list("pk", flat=True))
    episode = cast.adult_episode.pk

    inbox = old.get(reverse("alerts:inbox")).context["alerts"]
    api = old.get(reverse("api:alert_list")).json()
    caseload = old.get(reverse("people:caseload")).context["rows"]

    assert _ids(inbox) & adult == set()
    assert {row["id"] for row in api} & adult == set()
    assert all(row.episode.pk != episode for row in caseload)
    for refused in (
        reverse("people:client_detail", args=[cast.adult_client.pk]),
        reverse("plans:episode", args=[episode]),
        reverse("api:episode_responses", args=[episode]),
        reverse("interop:client_fhir", args=[cast.adult_client.pk]),
    ):
        assert old.get(refused).status_code == 404, refused


@pytest.mark.parametrize("role", ["supervisor", "other_supervisor"])
def test_the_supervisors_are_not_limited_by_the_consent(
    handed: Handed, agreed: frozenset[str], role: str
) -> None:
    """The supervisor is the coordinator and the old therapist's; the other supervisor is the
    new therapist's. Both read the whole record, as before the handoff."""
    cast = handed.cast
    web: WebClient = signed_in(cast.person(role))

    inbox = web.get(reverse("alerts:inbox")).context["alerts"]
    page = web.get(reverse("plans:episode", args=[cast.adult_episode.pk])).context

    assert handed.alerts_of(frozenset(handed.alerts)) <= _ids(inbox)
    assert cast.extra["plans_own_version"].pk in _ids(page["versions"])


def test_what_the_new_therapist_records_after_the_transfer_is_theirs(
    handed: Handed, shared: Prepared
) -> None:
    cast, therapist = handed.cast, handed.cast.outsider_clinician
    Handoff.objects.filter(pk=handed.handoff.pk).update(share_plan=False, share_risk_alerts=False)
    assert handed.handoff.completed_at is not None
    later = Alert.objects.create(
        practice=cast.practice,
        client=cast.adult_client,
        episode=cast.adult_episode,
        kind="risk",
        urgent=True,
        reason="risk after the handoff",
        opened_at=handed.handoff.completed_at + timedelta(seconds=1),
    )
    # The old therapist's draft, proposed before the handoff, no longer blocks a new one.
    old_draft = cast.extra["plans_own_draft"].pk
    PlanVersion.objects.filter(pk=old_draft).update(status="proposed", proposed_at=later.opened_at)
    new = signed_in(therapist)
    draft_page = reverse("plans:draft_new", args=[cast.adult_episode.pk])

    started = new.post(draft_page, {"reason": "Our own plan", "submission_key": str(uuid.uuid4())})
    inbox = new.get(reverse("alerts:inbox")).context["alerts"]
    page = new.get(reverse("plans:episode", args=[cast.adult_episode.pk])).context

    assert later.pk in _ids(inbox) and cast.own_alert.pk not in _ids(inbox)
    assert started.status_code == 302
    draft = PlanVersion.objects.get(episode=cast.adult_episode, author=therapist)
    # A fresh start, not a copy of the plan the client did not agree to share.
    assert draft.based_on is None and not draft.goals.exists()
    assert page["draft"] == draft and draft.pk in _ids(page["versions"])


def test_a_therapists_agreement_with_clients_counts_only_the_sessions_they_held(
    handed: Handed, agreed: frozenset[str]
) -> None:
    from rapport.alliance.queries import therapist_alliance

    new = handed.cast.outsider_clinician
    before = len(therapist_alliance(new, viewer=new).pairs)
    # The old therapist's own rating of the session before the handoff, beside the client's.
    assert handed.feedback.assignment.session is not None
    rate(handed.feedback.assignment.session, "therapist", 9)

    assert len(therapist_alliance(new, viewer=new).pairs) == before


def test_rows_of_several_clients_read_at_once_leave_out_what_each_ones_own_handoff_withholds(
    handed: Handed, agreed: frozenset[str]
) -> None:
    """As a page of a practice's export reads them: the new therapist loaded the handed-over
    client's record in this request; the other clients' rows are all kept."""
    cast = handed.cast
    clients = [cast.adult_client.pk, cast.other_client.pk, cast.adolescent_client.pk]
    request = current_request_id.set(f"test-{uuid.uuid4()}")
    try:
        remember_viewer(cast.outsider_clinician, cast.adult_client.pk)
        withheld = 0
        for rows, path in (
            (Alert.objects.all(), "client_id"),
            (Response.objects.all(), "episode__client_id"),
            (Problem.objects.all(), "episode__client_id"),
            (PlanVersion.objects.all(), "episode__client_id"),
        ):
            together = viewer_shared_each(rows.filter(**{f"{path}__in": clients}), clients)
            one_by_one = set().union(
                *(_ids(viewer_shared(rows.filter(**{path: pk}), pk)) for pk in clients)
            )
            assert _ids(together) == one_by_one, rows.model
            withheld += rows.filter(**{f"{path}__in": clients}).count() - len(one_by_one)
    finally:
        current_request_id.reset(request)
    assert withheld  # something of the handed-over client's is withheld, whatever was agreed
