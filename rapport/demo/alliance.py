"""Session feedback for the demo practice: alliance ratings, the alerts they raise, ruptures.

After every attended session the client rates the session (bond, goals, approach, overall; 0-10
each, total 0-40), the therapist rates it from their side, and a main guardian of a young client
rates their own relationship with the therapist. Most clients rate 36-40 and climb slowly, and
therapists usually rate a point or two below them. The demo's story adds:

- two ruptures that were repaired: a session rated well below the cut-off (or a drop from a
  steady run), then back to the baseline within three rated sessions, with repair steps logged;
- one unresolved rupture: a dip that stays below the baseline for three sessions;
- clinician3@, who overrates the alliance: four points or more above the client every session;
- a client who gives the maximum every session (the ceiling prompt).

Ordinary histories never fall, so they raise no alerts: the alerts and ruptures in the demo are
the ones the story means. They are found by running the practice's rules (`core.alliance`) over
each history in session order, as `alliance.services.alliance_evaluate` does after each rating,
and written with bulk inserts like the rest of the demo. Alerts older than two weeks were seen to
by the clinician (acknowledged, or resolved when their rupture was repaired).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alliance.models import RepairAction, Rupture
from rapport.alliance.queries import FEEDBACK_FAMILY, rules_settings
from rapport.care.models import Attendance, Episode, Modality, Session
from rapport.core import alliance as rules
from rapport.core.ages import AgeBand, age_band
from rapport.core.instruments import Instrument
from rapport.demo import data
from rapport.demo.data import ClientSpec
from rapport.measures.models import Assignment, MeasurePlan, Response, Schedule
from rapport.measures.registry import choose_version
from rapport.people.models import GuardianLink

Mode = Response.Mode
Status = Assignment.Status
ITEMS = rules.ITEMS

OVERRATING_CLINICIAN = f"clinician3@{data.DEMO_DOMAIN}"
FIRST_CLINICIAN = f"clinician@{data.DEMO_DOMAIN}"
OPEN_FOR = timedelta(days=14)  # older alerts were seen to; newer ones wait in the inbox
RESOLVED_AFTER = timedelta(days=7)  # a resolved alert was resolved a week after it was seen
STORY_MIN_SESSIONS = 8

REPAIRED_LOW = "repaired_low"
REPAIRED_DROP = "repaired_drop"
UNRESOLVED = "unresolved"
CEILING = "ceiling"
OVERRATED = "overrated"

# What clients wrote under "What could have been better?" on an ordinary week.
EVERYDAY_WORDS = (
    "It felt rushed at the end",
    "I wasn't sure why we did the breathing exercise",
    "Could we start a bit later next time? I came straight from work",
    "The video kept freezing",
    "More time on the work stuff please",
    "Nothing really, it was good",
    "I'd like to go over the homework again",
    "Hard to talk with my flatmate home",
)
# What clients and guardians wrote under "What helped?", every third session: picked by the
# session's place, not drawn from the random streams, so the rest of the demo stays as it was.
HELPED_WORDS = {
    "client": (
        "Writing the worries down and looking at them together",
        "Being listened to without being rushed",
        "Practising what to say before it happens",
        "The plan for the mornings",
        "Talking about what went well this week",
    ),
    "guardian": (
        "Hearing what to do when the worry starts at bedtime",
        "Having time at the end to ask my own questions",
        "The ideas for getting out of the door in the morning",
    ),
}


def _helped_words(respondent: str, number: int) -> str:
    said = HELPED_WORDS.get(respondent, ())
    return said[number // 3 % len(said)] if said and number % 3 == 1 else ""


# The story sessions: (item scores, what the client wrote).
DIPS = {
    REPAIRED_LOW: (
        {"bond": 9, "goals": 8, "approach": 6, "overall": 7},
        "I didn't want to do the exposure today and felt pushed into it",
    ),
    REPAIRED_DROP: (
        {"bond": 10, "goals": 9, "approach": 9, "overall": 9},
        "We talked about my mum the whole time and I wanted to talk about work",
    ),
    UNRESOLVED: (
        {"bond": 8, "goals": 6, "approach": 9, "overall": 8},
        "I'm not sure this is helping. We keep going over the same things",
    ),
}


@dataclass
class _Rated:
    session: Session
    client: dict[str, int] | None = None
    words: str = ""
    therapist: dict[str, int] | None = None
    guardians: list[tuple[GuardianLink, dict[str, int]]] = field(default_factory=list)
    responses: dict[str, Response] = field(default_factory=dict)  # by respondent key


@dataclass
class _Course:
    spec: ClientSpec
    episode: Episode
    band: AgeBand
    attended: list[Session]
    guardians: list[GuardianLink]
    story: str = ""
    dip_at: int | None = None

    @property
    def with_overrater(self) -> bool:
        return any(s.clinician.email == OVERRATING_CLINICIAN for s in self.attended)


def _items(total: int, rng: random.Random) -> dict[str, int]:
    """Four 0-10 items adding up to `total`, as even as a slider user makes them."""
    floor = min(8, total // 4)
    values = [floor] * 4
    for _ in range(total - 4 * floor):
        values[rng.choice([i for i, v in enumerate(values) if v < 10])] += 1
    return dict(zip(ITEMS, values, strict=True))


def _therapist_items(client: dict[str, int], shift: int, rng: random.Random) -> dict[str, int]:
    """The client's items moved by `shift` points in all, at most one point per item."""
    items = dict(client)
    names = list(ITEMS)
    rng.shuffle(names)
    for name in names:
        if shift < 0 and items[name] > 0:
            items[name] -= 1
            shift += 1
        elif shift > 0 and items[name] < 10:
            items[name] += 1
            shift -= 1
    return items


def _everyday_totals(n: int, rng: random.Random) -> list[int]:
    """A client's totals that climb slowly to a plateau and never fall (so never alert)."""
    value = rng.choice((36, 37, 37, 38, 38, 39))
    plateau = max(value, rng.choice((38, 39, 39)))
    totals = []
    for _ in range(n):
        totals.append(value)
        if value < plateau and rng.random() < 0.35:
            value += 1
    # Some reach the top in their last sessions (never four in a row: that would be a prompt).
    if n >= 2 and totals[-1] >= 38 and rng.random() < 0.25:
        for i in range(1, min(3, n) + 1):
            totals[-i] = 40
    return totals


def _story_totals(course: _Course, n: int, rng: random.Random) -> list[int]:
    if course.story == CEILING:
        return [40] * n
    if course.story == OVERRATED:
        return [36] * n
    dip = course.dip_at
    assert dip is not None
    base = 38 if course.story in (REPAIRED_LOW, UNRESOLVED) else 39
    totals = [base] * n
    totals[dip] = sum(DIPS[course.story][0].values())
    after = {REPAIRED_LOW: [36], REPAIRED_DROP: [38], UNRESOLVED: [33, 34, 36, 36, 37]}[
        course.story
    ]
    for i, value in enumerate(after, start=dip + 1):
        if i < n:
            totals[i] = value
    if course.story == UNRESOLVED:
        for i in range(dip + len(after) + 1, n):
            totals[i] = 37
    return totals


def _pick_stories(courses: list[_Course], rng: random.Random) -> None:
    for course in courses:
        if course.with_overrater:
            course.story = OVERRATED
    free = [
        c
        for c in courses
        if not c.story and c.band != AgeBand.CHILD and len(c.attended) >= STORY_MIN_SESSIONS
    ]
    # clinician@ (the demo's first login) sees the ruptures; the ceiling client is anyone's.
    free.sort(key=lambda c: (c.episode.primary_clinician.email != FIRST_CLINICIAN, rng.random()))
    for course, story in zip(
        free, (REPAIRED_LOW, UNRESOLVED, REPAIRED_DROP, CEILING), strict=False
    ):
        course.story = story
        n = len(course.attended)
        if story == UNRESOLVED:
            course.dip_at = n - 4  # the last three sessions stay below the baseline
        elif story in (REPAIRED_LOW, REPAIRED_DROP):
            course.dip_at = rng.randint(3, n - 4)


def _completed_at(session: Session, mode: str, rng: random.Random) -> datetime:
    end = session.scheduled_start + timedelta(minutes=session.duration_minutes)
    if mode in (Mode.LINK, Mode.PORTAL):
        when = end + timedelta(minutes=rng.randint(5, 240))
    else:
        when = end - timedelta(minutes=rng.randint(1, 5))
    return min(when, timezone.now())


def _client_mode(course: _Course, session: Session, rng: random.Random) -> str:
    if session.modality == Modality.IN_PERSON:
        return Mode.IN_SESSION
    user = course.episode.client.user
    if user is not None and user.has_usable_password() and rng.random() < 0.5:
        return Mode.PORTAL
    return Mode.LINK


def build_demo_alliance(
    *,
    plan: tuple[ClientSpec, ...],
    episodes: list[Episode],
    sessions: list[Session],
    guardian_links: list[GuardianLink],
    today: date,
    seed: int,
) -> dict[str, int]:
    """Feedback plans, responses, alliance alerts, ruptures and repairs; returns counts."""
    rng = random.Random(f"{seed}:alliance")
    by_episode: dict[int, list[Session]] = defaultdict(list)
    for session in sessions:
        if session.attendance == Attendance.ATTENDED:
            by_episode[session.episode_id].append(session)
    by_client: dict[int, list[GuardianLink]] = defaultdict(list)
    for link in guardian_links:
        if link.is_active:
            by_client[link.client_id].append(link)
    courses = [
        _Course(
            spec=spec,
            episode=episode,
            band=age_band(spec.date_of_birth, today),
            attended=sorted(by_episode[episode.pk], key=lambda s: s.scheduled_start),
            guardians=by_client[episode.client_id],
        )
        for spec, episode in zip(plan, episodes, strict=True)
    ]
    _pick_stories(courses, rng)

    plans: list[MeasurePlan] = []
    plan_of: dict[tuple[int, str], MeasurePlan] = {}
    for course in courses:
        wanted = ["client", "therapist"] + (
            ["guardian"] if course.band != AgeBand.ADULT and course.guardians else []
        )
        for respondent in wanted:
            measure = MeasurePlan(
                episode=course.episode,
                family=FEEDBACK_FAMILY,
                respondent=respondent,
                schedule=Schedule.EVERY_SESSION,
            )
            plans.append(measure)
            plan_of[course.episode.pk, respondent] = measure
    MeasurePlan.objects.bulk_create(plans)

    histories: list[tuple[_Course, list[_Rated]]] = []
    for course in courses:
        crng = random.Random(f"{seed}:alliance:{course.spec.full_name}")
        n = len(course.attended)
        totals = _story_totals(course, n, crng) if course.story else _everyday_totals(n, crng)
        rated = []
        for i, (session, total) in enumerate(zip(course.attended, totals, strict=True)):
            row = _Rated(session)
            if course.story or crng.random() > 0.07:
                if i == course.dip_at:
                    row.client, row.words = dict(DIPS[course.story][0]), DIPS[course.story][1]
                else:
                    row.client = _items(total, crng)
                    if crng.random() < 0.12:
                        row.words = crng.choice(EVERYDAY_WORDS)
            overrater = session.clinician.email == OVERRATING_CLINICIAN
            if row.client is not None and (overrater or crng.random() < 0.9):
                if overrater:
                    row.therapist = {name: 10 for name in ITEMS}
                else:
                    shift = crng.choice((-2, -2, -1, -1, -1, 0, 0, 1))
                    row.therapist = _therapist_items(row.client, shift, crng)
            if row.client is not None and plan_of.get((course.episode.pk, "guardian")):
                for number, link in enumerate(course.guardians):
                    if crng.random() < (0.85 if number == 0 else 0.3):
                        shift = crng.randint(-2, 2)
                        own = max(0, min(40, sum(row.client.values()) + shift))
                        row.guardians.append((link, _items(own, crng)))
            rated.append(row)
        histories.append((course, rated))

    instrument_of: dict[tuple[str, str], Instrument] = {}

    def instrument(respondent: str, band: AgeBand) -> Instrument:
        key = (respondent, str(band))
        if key not in instrument_of:
            instrument_of[key] = choose_version(
                FEEDBACK_FAMILY, respondent=respondent, age_band=str(band)
            )
        return instrument_of[key]

    assignments: list[Assignment] = []
    pending: list[tuple[_Rated, str, Assignment, Instrument, dict[str, Any], str, datetime]] = []
    for course, rated in histories:
        crng = random.Random(f"{seed}:alliance:modes:{course.spec.full_name}")
        for number, row in enumerate(rated):
            session = row.session
            people: list[tuple[str, str, User | None, dict[str, int] | None, str]] = [
                ("client", "client", None, row.client, row.words),
                (
                    f"therapist:{session.clinician.pk}",
                    "therapist",
                    session.clinician,
                    row.therapist,
                    "",
                ),
            ]
            if plan_of.get((course.episode.pk, "guardian")):
                answered = {link.pk: items for link, items in row.guardians}
                for link in course.guardians:
                    key = f"guardian:{link.guardian_id}"
                    people.append((key, "guardian", link.guardian, answered.get(link.pk), ""))
            for key, respondent, user, items, words in people:
                version = instrument(respondent, course.band)
                assignment = Assignment(
                    episode=course.episode,
                    session=session,
                    plan=plan_of[course.episode.pk, respondent],
                    instrument_id=version.id,
                    respondent=respondent,
                    respondent_user=user,
                    respondent_key=key,
                    status=Status.EXPIRED,
                    due_at=session.scheduled_start,
                )
                assignments.append(assignment)
                if items is None:
                    continue
                assignment.status = Status.COMPLETED
                if respondent == "client":
                    mode = _client_mode(course, session, crng)
                elif respondent == "therapist":
                    mode = Mode.CLINICIAN
                else:
                    in_person = session.modality == Modality.IN_PERSON
                    mode = Mode.IN_SESSION if in_person else Mode.LINK
                assignment.remote = mode in (Mode.LINK, Mode.PORTAL)
                answers: dict[str, Any] = {f"feedback-{name}": v for name, v in items.items()}
                if words:
                    answers["feedback-better"] = words
                # Where the alliance fell, the client wrote only what went wrong.
                dipped = number == course.dip_at
                if not dipped and (helped := _helped_words(respondent, number)):
                    answers["feedback-helped"] = helped
                when = _completed_at(session, mode, crng)
                pending.append((row, key, assignment, version, answers, mode, when))
    Assignment.objects.bulk_create(assignments, batch_size=500)

    responses: list[Response] = []
    for row, key, assignment, version, answers, mode, when in pending:
        response = Response.scored(
            assignment=assignment, instrument=version, answers=answers, mode=mode, completed_at=when
        )
        row.responses[key] = response
        responses.append(response)
    Response.objects.bulk_create(responses, batch_size=500)

    counts = {"feedback_plans": len(plans), "feedback_responses": len(responses)}
    if episodes:
        counts.update(_alerts_and_ruptures(histories, today, rng))
    return counts


def _rating(response: Response, index: int) -> rules.AllianceRating:
    items = {name: float(response.answers.get(f"feedback-{name}") or 0) for name in ITEMS}
    return rules.AllianceRating(session_index=index, total=float(response.total or 0), items=items)


def _alerts_and_ruptures(
    histories: list[tuple[_Course, list[_Rated]]], today: date, rng: random.Random
) -> dict[str, int]:
    """The alerts and ruptures `alliance_evaluate` opens, rating by rating; old ones seen to."""
    settings = rules_settings(histories[0][0].episode.practice_id)
    alerts: list[Alert] = []
    ruptures: list[tuple[Rupture, int, list[rules.AllianceRating]]] = []
    # When each alert will be acknowledged (decided now, applied below): a pattern alert is not
    # opened again while the last one of its kind is unresolved, as alliance_evaluate does.
    acknowledged_at: dict[int, datetime | None] = {}
    for course, rated in histories:
        waiting_until: dict[str, datetime | None] = {}
        rows = [row for row in rated if "client" in row.responses]
        ratings = [_rating(row.responses["client"], i) for i, row in enumerate(rows)]
        opened: list[int] = []  # rated positions of this episode's ruptures
        for i, row in enumerate(rows):
            client = row.responses["client"]
            therapist = next(
                (r for k, r in row.responses.items() if k.startswith("therapist:")), None
            )
            guardian = next(
                (r for k, r in row.responses.items() if k.startswith("guardian:")), None
            )
            findings = rules.evaluate_session(
                client_history=ratings[: i + 1],
                therapist=_rating(therapist, i) if therapist else None,
                guardian=_rating(guardian, i) if guardian else None,
                settings=settings,
            )
            for finding in findings:
                if finding.kind in rules.PATTERN_KINDS and finding.kind in waiting_until:
                    until = waiting_until[finding.kind]
                    if until is None or client.completed_at < until:
                        continue
                alert = Alert.raised(
                    episode=course.episode,
                    kind=finding.kind,
                    reason=finding.reason,
                    opened_at=client.completed_at,
                    session=row.session,
                    source_response=client,
                )
                alerts.append(alert)
                midnight = datetime.combine(today, time(), tzinfo=client.completed_at.tzinfo)
                seen_at = (
                    client.completed_at + timedelta(hours=rng.randint(2, 30))
                    if client.completed_at < midnight - OPEN_FOR
                    else None
                )
                acknowledged_at[id(alert)] = seen_at
                # Only a resolved pattern alert lets the next one open; of the patterns, the
                # demo resolves just the ceiling ones, a week after they were seen (see below).
                waiting_until[finding.kind] = (
                    seen_at + RESOLVED_AFTER
                    if seen_at is not None and finding.kind == Alert.Kind.CEILING
                    else None
                )
                still_open = any(
                    rules.rupture_status(
                        before=ratings[:at], after=ratings[at + 1 : i + 1], settings=settings
                    ).state
                    == "open"
                    for at in opened
                )
                if finding.kind in rules.RUPTURE_KINDS and not still_open:
                    opened.append(i)
                    rupture = Rupture(
                        episode=course.episode,
                        session=row.session,
                        alert=alert,
                        opened_at=client.completed_at,
                        client_words=row.words,
                    )
                    ruptures.append((rupture, i, ratings))
    Alert.objects.bulk_create(alerts)

    statuses = {}
    for rupture, at, ratings in ruptures:
        assert rupture.alert is not None  # every demo rupture opens with its alert
        rupture.alert_id = rupture.alert.pk
        status = rules.rupture_status(
            before=ratings[:at], after=ratings[at + 1 :], settings=settings
        )
        statuses[id(rupture)] = status
        if status.state == "repaired":
            rupture.kind = Rupture.Kind.CONFRONTATION
            rupture.understanding = (
                "Pushed on with the plan when they needed to be heard first; "
                "named it at the start of the next session."
            )
        elif status.state == "unresolved":
            rupture.kind = Rupture.Kind.WITHDRAWAL
            rupture.understanding = "Quieter since; may be losing hope that this will help."
    Rupture.objects.bulk_create([rupture for rupture, _, _ in ruptures])

    actions = []
    for rupture, _, _ in ruptures:
        if statuses[id(rupture)].state != "repaired" or rupture.session is None:
            continue
        clinician = rupture.session.clinician
        later = rupture.opened_at + timedelta(days=7)
        actions.append(
            RepairAction(
                rupture=rupture,
                kind=RepairAction.Kind.TALKED,
                note="Asked how last session had been for them; they said it felt one-sided.",
                taken_at=later,
                taken_by=clinician,
            )
        )
        actions.append(
            RepairAction(
                rupture=rupture,
                kind=RepairAction.Kind.ADJUSTED_GOALS,
                note="Agreed to start each session by setting the agenda together.",
                taken_at=later + timedelta(minutes=20),
                taken_by=clinician,
            )
        )
    RepairAction.objects.bulk_create(actions)

    repaired_alerts = {
        rupture.alert_id for rupture, _, _ in ruptures if statuses[id(rupture)].state == "repaired"
    }
    seen = []
    for alert in alerts:
        seen_at = acknowledged_at[id(alert)]
        if seen_at is None:
            continue
        assert alert.session is not None
        alert.status = Alert.Status.ACKNOWLEDGED
        alert.acknowledged_at = seen_at
        alert.acknowledged_by = alert.session.clinician
        alert.acknowledgement_note = ACKNOWLEDGEMENTS[alert.kind]
        if alert.pk in repaired_alerts or alert.kind == Alert.Kind.CEILING:
            alert.status = Alert.Status.RESOLVED
            alert.resolved_at = alert.acknowledged_at + RESOLVED_AFTER
            alert.resolved_by = alert.session.clinician
            alert.resolution_note = (
                "Back to their usual ratings."
                if alert.pk in repaired_alerts
                else "Asked for one thing to change; they asked for more homework review."
            )
        seen.append(alert)
    Alert.objects.bulk_update(
        seen,
        [
            "status",
            "acknowledged_at",
            "acknowledged_by",
            "acknowledgement_note",
            "resolved_at",
            "resolved_by",
            "resolution_note",
        ],
    )
    return {
        "alliance_alerts": len(alerts),
        "ruptures": len(ruptures),
        "repair_actions": len(actions),
    }


ACKNOWLEDGEMENTS: dict[str, str] = {
    Alert.Kind.LOW_ALLIANCE: "Raised it at the start of the next session; will check in again.",
    Alert.Kind.ALLIANCE_DROP: "Asked what was different about last session; noted in the plan.",
    Alert.Kind.DISAGREEMENT: "Discussed in supervision: I rate sessions higher than they do.",
    Alert.Kind.CHILD_GUARDIAN: "Spoke with the parent separately about how sessions feel.",
    Alert.Kind.GOALS_LOW: "Reviewed the goals together at the next session.",
    Alert.Kind.CEILING: "Invited honest feedback: what is one thing that could be better?",
    Alert.Kind.RISK: "Seen.",
}
