"""Measure histories for the demo practice: plans, completed forms and the alerts they raised.

Every adult answers the PHQ-9 at each session, and about half of them the GAD-7 every fourth;
young people and their parents fill in the Rapport check-in at each session and the SCARED
(scoring-only version) every fourth. Each client's scores follow a course
dealt from a pack (most improve, some do not change, a few get worse, a few make a sudden gain)
and are spread over the items, so that every stored total is what `core.instruments.score` makes
of the stored answers. Two PHQ-9s report thoughts of self-harm (item 9): a recent one whose urgent
alert is still open on clinician@'s caseload, and an older one that was acknowledged with a note.

Everything is drawn from the seed, and rows are written with bulk inserts: a per-form
`response_submit` would multiply the demo's load time for no benefit, and scores come from the
same `score` that it uses.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.care.models import (
    Attendance,
    ClosureReason,
    Episode,
    EpisodeStatus,
    Modality,
    Session,
)
from rapport.core.ages import AgeBand, age_band
from rapport.core.instruments import Instrument
from rapport.core.schedules import due_at_session
from rapport.demo.data import ClientSpec
from rapport.measures.models import Assignment, MeasurePlan, Response, Schedule
from rapport.measures.registry import choose_version
from rapport.people.models import GuardianLink

Mode = Response.Mode
Status = Assignment.Status

IMPROVER = "improver"
NON_RESPONDER = "non_responder"
DETERIORATOR = "deteriorator"
SUDDEN_GAIN = "sudden_gain"
# How an adult's PHQ-9 moves over the episode, as shares of the adult caseload.
ADULT_COURSES = {IMPROVER: 55, NON_RESPONDER: 25, DETERIORATOR: 10, SUDDEN_GAIN: 10}
# Young people's check-ins (higher is better); no sudden gains on a four-item check-in.
YOUNG_COURSES = {IMPROVER: 60, NON_RESPONDER: 25, DETERIORATOR: 15}

# A sudden gain needs a stable run on either side of it (three scores each, Tang & DeRubeis).
SUDDEN_GAIN_MIN_SCORES = 8
# Referrals that make a clinician add the GAD-7; the rest of the "about half" is drawn.
ANXIOUS_WORDS = ("anxi", "panic", "worry", "fear", "checking", "intrusive", "flashback")

# How much each PHQ-9 item carries of a total (item 9 is set on its own, and is 0 unless the
# demo means it): mood, interest, sleep and energy lead; slowed movement is the rarest.
PHQ9_WEIGHTS = (1.3, 1.4, 1.2, 1.3, 0.9, 1.0, 1.0, 0.5)
GAD7_WEIGHTS = (1.3, 1.2, 1.3, 1.1, 0.7, 1.0, 0.8)

# What the clinician did about an earlier flag: a form sent from home, or one filled in the room.
ACKNOWLEDGEMENT_FROM_HOME = (
    "Phoned the same afternoon: passive thoughts only, no plan or intent. Safety plan reviewed, "
    "crisis numbers shared, GP informed with consent."
)
ACKNOWLEDGEMENT_IN_SESSION = (
    "Discussed in the session: fleeting thoughts during a bad week, no plan or intent. Safety "
    "plan updated; agreed to check in by phone on Friday."
)
# Older flagged forms than this were seen to by the clinician; newer ones are still open.
OPEN_FOR = timedelta(days=14)


@dataclass
class _Course:
    """One episode with everything needed to give it a measure history."""

    spec: ClientSpec
    episode: Episode
    band: AgeBand
    past: list[tuple[int, Session]]  # (session number, session): recorded and not cancelled
    guardians: list[GuardianLink]
    kind: str = ""
    gad7: bool = False
    flags: dict[int, int] = field(default_factory=dict)  # session pk -> PHQ-9 item 9

    @property
    def attended(self) -> list[Session]:
        return [s for _, s in self.past if s.attendance == Attendance.ATTENDED]

    @property
    def is_adult(self) -> bool:
        return self.band == AgeBand.ADULT


def _numbered(sessions: list[Session]) -> list[tuple[int, Session]]:
    """Past sessions with the number `session_number` gives them (cancellations don't count)."""
    numbered, number = [], 0
    for session in sorted(sessions, key=lambda s: s.scheduled_start):
        if session.is_cancelled:
            continue
        number += 1
        if session.attendance != Attendance.SCHEDULED:
            numbered.append((number, session))
    return numbered


def _deal(shares: dict[str, int], count: int, rng: random.Random) -> list[str]:
    """`count` course kinds in the given shares (largest remainder), shuffled."""
    total = sum(shares.values())
    exact = {kind: share * count / total for kind, share in shares.items()}
    counts = {kind: math.floor(value) for kind, value in exact.items()}
    by_remainder = sorted(shares, key=lambda kind: counts[kind] - exact[kind])
    for kind in by_remainder[: count - sum(counts.values())]:
        counts[kind] += 1
    deck = [kind for kind, n in counts.items() for _ in range(n)]
    rng.shuffle(deck)
    return deck


def _assign_courses(courses: list[_Course], rng: random.Random) -> None:
    """Deal the courses, with the ones the demo's story needs fixed first."""
    adults = [c for c in courses if c.is_adult]
    deck = _deal(ADULT_COURSES, len(adults), rng)

    def take(course: _Course, kind: str) -> None:
        course.kind = kind
        if kind in deck:
            deck.remove(kind)

    for course in adults:
        if course.spec.has_login or course.spec.closure_reason == ClosureReason.COMPLETED:
            take(course, IMPROVER)  # the portal client sees progress; completed means better
        elif course.spec.closure_reason == ClosureReason.DROPPED_OUT:
            take(course, NON_RESPONDER)
    risky = _recent_risk_course(adults)
    if risky is not None and not risky.kind:
        take(risky, DETERIORATOR if DETERIORATOR in deck else NON_RESPONDER)
    long_enough = [c for c in adults if not c.kind and len(c.attended) >= SUDDEN_GAIN_MIN_SCORES]
    for course in rng.sample(long_enough, min(deck.count(SUDDEN_GAIN), len(long_enough))):
        take(course, SUDDEN_GAIN)
    rest = [kind for kind in deck if kind != SUDDEN_GAIN] + [IMPROVER] * deck.count(SUDDEN_GAIN)
    for course in adults:
        if not course.kind:
            course.kind = rest.pop() if rest else IMPROVER

    young = [c for c in courses if not c.is_adult]
    for course, kind in zip(young, _deal(YOUNG_COURSES, len(young), rng), strict=True):
        course.kind = kind

    # About half the adults also answer the GAD-7; anxious referrals first.
    ranked = sorted(
        adults,
        key=lambda c: (
            not any(w in c.spec.referral_reason.lower() for w in ANXIOUS_WORDS),
            rng.random(),
        ),
    )
    for course in ranked[: round(len(adults) / 2)]:
        course.gad7 = True


def _on_first_caseload(course: _Course) -> bool:
    spec = course.spec
    return (spec.transfer_to or spec.clinician) == "clinician" and not spec.has_login


def _recent_risk_course(adults: list[_Course]) -> _Course | None:
    """clinician@'s open-episode adult whose last attended session is the most recent."""
    candidates = [
        c
        for c in adults
        if _on_first_caseload(c) and c.spec.status == EpisodeStatus.ACTIVE and c.attended
    ]
    if not candidates:
        return None
    return max(candidates, key=lambda c: (c.attended[-1].scheduled_start, c.spec.full_name))


def _place_flags(courses: list[_Course], today: date, rng: random.Random) -> None:
    """Item 9 answered on a recent PHQ-9 and, for another client, on one five to ten weeks ago."""
    adults = [c for c in courses if c.is_adult]
    recent = _recent_risk_course(adults)
    if recent is None:
        return
    recent.flags[recent.attended[-1].pk] = 1
    midnight = datetime.combine(today, time(), tzinfo=recent.attended[-1].scheduled_start.tzinfo)
    window = (midnight - timedelta(weeks=10), midnight - timedelta(weeks=5))
    earlier = [
        (c, s)
        for c in adults
        if c is not recent and _on_first_caseload(c) and c.kind == IMPROVER
        for s in c.attended[1:]
        if window[0] <= s.scheduled_start <= window[1]
    ]
    if earlier:
        course, session = rng.choice(sorted(earlier, key=lambda cs: cs[1].scheduled_start))
        course.flags[session.pk] = 1


# --- Scores --------------------------------------------------------------------------------


def _ease(progress: float) -> float:
    """Most of the change early on, as in most therapy (0 at the start, 1 at the end)."""
    return (1 - math.exp(-3 * progress)) / (1 - math.exp(-3))


def _noise(rng: random.Random, sd: float, most: int = 3) -> int:
    return max(-most, min(most, round(rng.gauss(0, sd))))


def _progress(sessions: list[Session]) -> list[float]:
    """Each session's place in the episode so far, from 0 (first) to 1 (latest), by date."""
    if len(sessions) < 2:
        return [0.0] * len(sessions)
    first, last = sessions[0].scheduled_start, sessions[-1].scheduled_start
    span = (last - first).total_seconds()
    return [(s.scheduled_start - first).total_seconds() / span for s in sessions]


def phq9_course(
    kind: str, progress: list[float], rng: random.Random, *, ends_well: bool = False
) -> list[int]:
    """PHQ-9 totals (0-24: item 9 is added separately) at each attended session.

    Improvers start moderate or moderately severe and fall by 6-12 points (into the
    non-clinical range when `ends_well`); non-responders stay within a couple of points;
    deteriorators rise by 6 or more; sudden gainers drop 7-9 points between their third or
    fourth and the next session and hold it.
    """
    n = len(progress)
    if kind == IMPROVER:
        start = rng.randint(12, 19)
        low = max(6, start - 7) if ends_well else 6
        drop = rng.randint(low, max(low, min(12, start - 2)))
        means = [start - drop * _ease(p) for p in progress]
        totals = [round(m) + _noise(rng, 1.3) for m in means]
        if n > 1:
            totals[-1] = round(means[-1]) + _noise(rng, 0.6, most=1)
    elif kind == NON_RESPONDER:
        start = rng.randint(11, 18)
        drift = rng.choice((-1, 0, 0, 1))
        totals = [start + round(drift * p) + _noise(rng, 1.4) for p in progress]
        if n > 1:
            totals[-1] = start + _noise(rng, 1.0, most=2)
    elif kind == DETERIORATOR:
        start = rng.randint(7, 13)
        rise = rng.randint(6, 10)
        means = [start + rise * p**1.2 for p in progress]
        totals = [round(m) + _noise(rng, 1.2) for m in means]
        if n > 1:
            totals[-1] = round(means[-1]) + rng.randint(0, 1)
    elif kind == SUDDEN_GAIN:
        start = rng.randint(15, 19)
        gain = rng.randint(7, 9)
        after = rng.randint(3, 4)  # the first score after the gain
        extra = rng.randint(1, 3)
        totals = []
        for i in range(n):
            if i < after:
                value = start + (0 if i == after - 1 else rng.randint(-1, 1))
            else:
                tail = round(extra * (i - after) / max(1, n - 1 - after))
                value = start - gain - tail + (rng.randint(-1, 1) if i > after else 0)
            totals.append(value)
    else:
        raise ValueError(f"unknown course '{kind}'")
    if n and kind != SUDDEN_GAIN:
        totals[0] = start  # the baseline, as assessed
    return [max(0, min(24, t)) for t in totals]


def checkin_course(kind: str, progress: list[float], rng: random.Random) -> list[int]:
    """Check-in totals (0-40, higher is better) at each attended session."""
    if kind == IMPROVER:
        start, change = rng.randint(10, 20), rng.randint(8, 15)
    elif kind == DETERIORATOR:
        start, change = rng.randint(20, 27), -rng.randint(6, 10)
    else:
        start, change = rng.randint(14, 24), rng.choice((-1, 0, 1))
    return [max(0, min(40, round(start + change * _ease(p)) + _noise(rng, 1.8))) for p in progress]


def spread(total: int, weights: tuple[float, ...], most: int, rng: random.Random) -> list[int]:
    """Split a total over items of 0..`most` points, each point going where `weights` lean."""
    values = [0] * len(weights)
    total = max(0, min(total, most * len(weights)))
    for _ in range(total):
        open_items = [i for i, v in enumerate(values) if v < most]
        chosen = rng.choices(open_items, [weights[i] for i in open_items])[0]
        values[chosen] += 1
    return values


def phq9_answers(total: int, item9: int, rng: random.Random) -> dict[str, Any]:
    values = spread(total - item9, PHQ9_WEIGHTS, 3, rng) + [item9]
    answers: dict[str, Any] = {f"phq9-{n}": v for n, v in enumerate(values, start=1)}
    # "How difficult have these problems made it...": asked only when something was ticked.
    if sum(values) and rng.random() < 0.9:
        answers["phq9-difficulty"] = min(3, sum(values) // 6)
    return answers


def gad7_answers(total: int, rng: random.Random) -> dict[str, Any]:
    values = spread(total, GAD7_WEIGHTS, 3, rng)
    answers: dict[str, Any] = {f"gad7-{n}": v for n, v in enumerate(values, start=1)}
    if sum(values) and rng.random() < 0.9:
        answers["gad7-difficulty"] = min(3, sum(values) // 5)
    return answers


CHECKIN_ITEMS = ("checkin-feeling", "checkin-home", "checkin-school", "checkin-overall")


def checkin_answers(total: int, rng: random.Random) -> dict[str, Any]:
    # A better week is better on every line, a little more on some than others.
    weights = tuple(rng.uniform(0.8, 1.2) for _ in CHECKIN_ITEMS)
    return dict(zip(CHECKIN_ITEMS, spread(total, weights, 10, rng), strict=True))


# Separation and general worry lead in the demo's young referrals; school avoidance is rarer.
SCARED_WEIGHTS = tuple(
    1.4 if n in (4, 8, 13, 16, 20, 25, 29, 31) else 1.2 if n in (5, 7, 14, 21, 23) else 1.0
    for n in range(1, 42)
)


def scared_total(checkin_total: int) -> int:
    """A SCARED total (0-82, lower is better) that moves with the young person's check-in."""
    return max(0, min(82, round((40 - checkin_total) * 1.3)))


def scared_answers(total: int, rng: random.Random) -> dict[str, Any]:
    values = spread(total, SCARED_WEIGHTS, 2, rng)
    return {f"scared-{n}": v for n, v in enumerate(values, start=1)}


# --- Who answered, how and when ------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    key: str
    respondent: str
    user: User | None
    main: bool  # the parent who usually fills it in (or the client)


def _mode(person: _Person, session: Session, rng: random.Random) -> str | None:
    """How the form was completed, or None when it never was (the link was not used)."""
    family = session.duration_minutes == 60
    if session.modality == Modality.IN_PERSON or family:
        if not person.main and not family and rng.random() < 0.65:
            return None  # the other parent did not come in and did not fill it in
        return Mode.IN_SESSION if family or rng.random() < 0.9 else Mode.LINK
    if rng.random() < (0.06 if person.main else 0.65):
        return None
    if person.user is not None and person.user.has_usable_password() and rng.random() < 0.5:
        return Mode.PORTAL
    if person.respondent == "client" and session.modality == Modality.PHONE:
        # Read out over the phone and entered by the clinician, now and then.
        return Mode.CLINICIAN if rng.random() < 0.2 else Mode.LINK
    return Mode.LINK


def _completed_at(mode: str, session: Session, rng: random.Random) -> datetime:
    start = session.scheduled_start
    if mode in (Mode.LINK, Mode.PORTAL):
        # Links go out a day ahead; most are done the evening before or that morning.
        return start - timedelta(minutes=rng.randint(20, 20 * 60))
    return start - timedelta(minutes=rng.randint(0, 8))


# --- Building ------------------------------------------------------------------------------


def build_demo_measures(
    *,
    plan: tuple[ClientSpec, ...],
    episodes: list[Episode],
    sessions: list[Session],
    guardian_links: list[GuardianLink],
    today: date,
    seed: int,
) -> dict[str, int]:
    """Plans, past assignments, responses and alerts for the demo's episodes; returns counts."""
    rng = random.Random(f"{seed}:measures")
    by_episode: dict[int, list[Session]] = defaultdict(list)
    for session in sessions:
        by_episode[session.episode_id].append(session)
    by_client: dict[int, list[GuardianLink]] = defaultdict(list)
    for link in guardian_links:
        by_client[link.client_id].append(link)
    courses = [
        _Course(
            spec=spec,
            episode=episode,
            band=age_band(spec.date_of_birth, today),
            past=_numbered(by_episode[episode.pk]),
            guardians=[link for link in by_client[episode.client_id] if link.is_active],
        )
        for spec, episode in zip(plan, episodes, strict=True)
    ]
    _assign_courses(courses, rng)
    _place_flags(courses, today, rng)

    Planned = tuple[MeasurePlan, list[tuple[_Person, Instrument]]]
    plans: dict[int, list[Planned]] = defaultdict(list)  # by episode
    for course in courses:
        episode, band = course.episode, str(course.band)
        wanted = (
            [("phq9", "client", Schedule.EVERY_SESSION, 1)]
            + ([("gad7", "client", Schedule.EVERY_N_SESSIONS, 4)] if course.gad7 else [])
            if course.is_adult
            else [
                ("checkin", "client", Schedule.EVERY_SESSION, 1),
                ("checkin", "guardian", Schedule.EVERY_SESSION, 1),
                ("scared", "client", Schedule.EVERY_N_SESSIONS, 4),
                ("scared", "guardian", Schedule.EVERY_N_SESSIONS, 4),
            ]
        )
        for family, respondent, schedule, every_n in wanted:
            measure = MeasurePlan(
                episode=episode,
                family=family,
                respondent=respondent,
                schedule=schedule,
                every_n=every_n,
            )
            instrument = choose_version(family, respondent=respondent, age_band=band)
            if respondent == "client":
                people = [_Person("client", "client", episode.client.user, True)]
            else:
                people = [
                    _Person(f"guardian:{link.guardian_id}", "guardian", link.guardian, n == 0)
                    for n, link in enumerate(course.guardians)
                ]
            plans[episode.pk].append((measure, [(p, instrument) for p in people]))
    measures = [measure for planned in plans.values() for measure, _ in planned]
    MeasurePlan.objects.bulk_create(measures)

    assignments: list[Assignment] = []
    pending: list[tuple[Assignment, Instrument, dict[str, Any], str, datetime]] = []
    for course in courses:
        # One generator per client keeps each history stable when another client's changes.
        crng = random.Random(f"{seed}:measures:{course.spec.full_name}")
        attended = course.attended
        progress = _progress(attended)
        gad_targets: list[int] = []
        if course.is_adult:
            targets = phq9_course(
                course.kind,
                progress,
                crng,
                ends_well=course.spec.closure_reason == ClosureReason.COMPLETED,
            )
            ratio, offset = crng.uniform(0.65, 0.85), crng.randint(-1, 3)
            gad_targets = [max(0, min(21, round(t * ratio) + offset)) for t in targets]
        else:
            targets = checkin_course(course.kind, progress, crng)
        target_at = {s.pk: i for i, s in enumerate(attended)}
        carer_shift = crng.randint(-4, 4)
        for measure, respondents in plans[course.episode.pk]:
            for number, session in course.past:
                if not due_at_session(
                    measure.schedule, session_number=number, every_n=measure.every_n
                ):
                    continue
                for person, instrument in respondents:
                    assignment = Assignment(
                        episode=course.episode,
                        session=session,
                        plan=measure,
                        instrument_id=instrument.id,
                        respondent=person.respondent,
                        respondent_user=person.user if person.respondent != "client" else None,
                        respondent_key=person.key,
                        status=Status.EXPIRED,
                        due_at=session.scheduled_start,
                    )
                    assignments.append(assignment)
                    if session.attendance != Attendance.ATTENDED:
                        continue  # a no-show: the form expired with the session
                    i = target_at[session.pk]
                    flagged = session.pk in course.flags and instrument.id == "phq9"
                    mode = _mode(person, session, crng)
                    if mode is None and (course.kind == SUDDEN_GAIN or flagged):
                        # The story needs this one: a gain needs its run, a flag its form.
                        in_person = session.modality == Modality.IN_PERSON
                        mode = Mode.IN_SESSION if in_person else Mode.LINK
                    if mode is None:
                        continue
                    if instrument.id == "phq9":
                        item9 = course.flags.get(session.pk, 0)
                        total = max(targets[i], item9)
                        answers = phq9_answers(total, item9, crng)
                    elif instrument.id == "gad7":
                        answers = gad7_answers(gad_targets[i] + _noise(crng, 1.0, 2), crng)
                    elif instrument.family == "scared":
                        shift = carer_shift if person.respondent == "guardian" else 0
                        total = scared_total(targets[i] + shift) + _noise(crng, 2.0)
                        answers = scared_answers(total, crng)
                    elif person.respondent == "guardian":
                        total = targets[i] + carer_shift + _noise(crng, 1.5)
                        answers = checkin_answers(total, crng)
                    else:
                        answers = checkin_answers(targets[i], crng)
                    assignment.status = Status.COMPLETED
                    when = _completed_at(mode, session, crng)
                    pending.append((assignment, instrument, answers, mode, when))
    Assignment.objects.bulk_create(assignments, batch_size=500)

    responses = [
        Response.scored(
            assignment=assignment,
            instrument=instrument,
            answers=answers,
            mode=mode,
            completed_at=when,
        )
        for assignment, instrument, answers, mode, when in pending
    ]
    Response.objects.bulk_create(responses, batch_size=500)
    alerts = _alerts(responses, pending, today, rng)
    Alert.objects.bulk_create(alerts)
    return {
        "measure_plans": len(measures),
        "assignments": len(assignments),
        "responses": len(responses),
        "alerts": len(alerts),
    }


def _alerts(
    responses: list[Response],
    pending: list[tuple[Assignment, Instrument, dict[str, Any], str, datetime]],
    today: date,
    rng: random.Random,
) -> list[Alert]:
    """An alert for each flag, as `response_submit` raises them; older ones acknowledged."""
    alerts = []
    for response, (assignment, instrument, *_rest) in zip(responses, pending, strict=True):
        if not response.flags:
            continue
        episode = assignment.episode
        midnight = datetime.combine(today, time(), tzinfo=response.completed_at.tzinfo)
        for flag in response.flags:
            alert = Alert.raised(
                episode=episode,
                kind=Alert.Kind.RISK,
                reason=Alert.risk_reason(instrument.short_title, flag),
                opened_at=response.completed_at,
                urgent=flag["urgent"],
                session=assignment.session,
                source_response=response,
            )
            if response.completed_at < midnight - OPEN_FOR:
                assert assignment.session is not None  # a flagged demo answer has its session
                alert.status = Alert.Status.ACKNOWLEDGED
                alert.acknowledged_at = response.completed_at + timedelta(
                    minutes=rng.randint(60, 240)
                )
                alert.acknowledged_by = assignment.session.clinician
                alert.acknowledgement_note = (
                    ACKNOWLEDGEMENT_FROM_HOME
                    if response.mode in (Mode.LINK, Mode.PORTAL)
                    else ACKNOWLEDGEMENT_IN_SESSION
                )
            alerts.append(alert)
    return alerts
