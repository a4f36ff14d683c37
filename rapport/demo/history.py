"""Former clients of the demo practice: two years of closed episodes behind today's caseload.

The practice dashboard judges closed episodes only, compares therapists from fifteen of them,
and the expected-trajectory validation checks early flags against final outcomes; forty
current clients leave all three nearly empty. So the demo also remembers about two hundred
adults who started 6-30 months ago and have since finished (most), dropped out (about one in
six) or been referred on (a few). Each came weekly in a slot of their clinician's diary that no
current client holds, answered the PHQ-9 at each attended session, and about half of them (the
anxious referrals first) the GAD-7 as well, and rated most sessions, as did their therapist.

Scores follow a log-linear course, the shape the expected-trajectory model assumes: an intake
PHQ-9 around 15 (at or above the caseness cut-off of 10), a client's own rate of improvement,
a modest shift by therapist, a brief worsening in the second or third session for some, and
measurement noise. About one in five does not respond and one in twelve gets worse, and
early slow progress carries on, so early off-track flags have something true to predict.

Planning (`plan_history`) is pure and repeatable for a seed and a day; `build_demo_history`
writes the plan with bulk inserts, scoring every form with `core.instruments.score`. Nothing
here is risky enough for an alert (item 9 stays at 0), and the demo audits its load once.
"""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rapport.accounts.models import User
from rapport.alliance.queries import FEEDBACK_FAMILY
from rapport.care.models import Attendance, ClosureReason, Episode, EpisodeStatus, Modality, Session
from rapport.core.alliance import ITEMS as FEEDBACK_ITEMS
from rapport.core.instruments import Instrument
from rapport.core.text import search_key
from rapport.demo import data
from rapport.demo.alliance import EVERYDAY_WORDS
from rapport.demo.data import ClientSpec, Slot
from rapport.demo.measures import ANXIOUS_WORDS, gad7_answers, phq9_answers
from rapport.measures.models import Assignment, MeasurePlan, Response, Schedule
from rapport.measures.registry import choose_version
from rapport.people.models import Client, ClientStatus
from rapport.practices.models import Practice

Mode = Response.Mode
Status = Assignment.Status

# Former clients per clinician. The supervisor sees only a few, fewer than the dashboard's
# minimum of 15 closed episodes, so the page shows a therapist counted but not named.
CASELOADS = {"clinician": 60, "clinician2": 58, "clinician3": 56, "supervisor": 8}
# Episodes started between these many weeks ago: after 6 months, so none overlaps the current
# caseload's start dates (up to 26 weeks back), and within 30 months.
STARTED_WEEKS_AGO = (28, 130)

IMPROVER = "improver"
NON_RESPONDER = "non_responder"
DETERIORATOR = "deteriorator"
COURSE_SHARES = {IMPROVER: 72, NON_RESPONDER: 20, DETERIORATOR: 8}
# Share of the intake score gone by session 12 (negative: gained), mean and SD by course.
IMPROVEMENT = {IMPROVER: (0.6, 0.2), NON_RESPONDER: (0.04, 0.1), DETERIORATOR: (-0.8, 0.15)}
REFERENCE_SESSION = 12
# Who leaves early, and who is referred to another service, by course: not responding makes
# both likelier. Over the caseload that gives about 17% dropped out and 5% referred out.
DROPOUT = {IMPROVER: 0.13, NON_RESPONDER: 0.25, DETERIORATOR: 0.25}
REFERRED = {IMPROVER: 0.01, NON_RESPONDER: 0.12, DETERIORATOR: 0.2}
# PHQ-9 points by session 12 that a therapist's clients end above (+) or below (-) the
# practice's course, which gives a therapist effect (ICC) of roughly 0.05-0.10.
THERAPIST_SHIFT = {"clinician": -2.0, "clinician2": 0.4, "clinician3": 2.2, "supervisor": -0.8}
INTAKE_MEAN, INTAKE_SD, CASENESS, MOST = 15.0, 5.0, 10, 24  # item 9 stays 0: at most 24
NOISE_SD = 1.8  # about the PHQ-9's standard error of measurement
EARLY_DIP_SHARE = 0.25
MAX_BOOKINGS = 20
SKIPPED_WEEK = 0.08  # holidays and illness: no appointment that week
GAD7_OTHERS = 0.2  # of the clients not referred for anxiety; about half answer the GAD-7 in all
# clinician3@ overrates the alliance (the demo's story): their clients give it 36 or a little
# less while they give 40, as in rapport.demo.alliance.
OVERRATING_CLINICIAN = "clinician3"

ENDED_IN_CLINICAL_RANGE_NOTES = (
    "Planned ending after the agreed sessions; some progress, scores still in the clinical "
    "range. Options discussed, GP informed; welcome to re-refer.",
    "Ended as agreed at review: client wants a break from therapy. Scores not improved; GP "
    "informed and follow-up arranged.",
)
REFERRED_OUT_NOTES = (
    "Referred to the community mental health team for longer-term work; GP informed.",
    "Referred to secondary care psychology after review with the supervisor.",
)


@dataclass(frozen=True)
class FormerVisit:
    """One booked session of a former client, with the forms filled in around it."""

    start: datetime
    modality: str
    attendance: str
    note: str
    number: int  # as `session_number` counts it: cancellations don't count; 0 if cancelled
    phq9: dict[str, Any] | None = None
    gad7: dict[str, Any] | None = None
    measure_mode: str = ""
    measures_at: datetime | None = None
    client_rating: dict[str, Any] | None = None
    client_mode: str = ""
    client_rated_at: datetime | None = None
    therapist_rating: dict[str, Any] | None = None
    therapist_rated_at: datetime | None = None


@dataclass(frozen=True)
class FormerClient:
    full_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date
    email: str
    phone: str
    preferred_language: str
    clinician: str
    referral_reason: str
    start_date: date
    end_date: date
    closure_reason: str
    closure_note: str
    course: str
    intake: int
    gad7: bool
    visits: tuple[FormerVisit, ...]

    @property
    def phq9_totals(self) -> list[int]:
        return [sum(_items(v.phq9, "phq9-")) for v in self.visits if v.phq9 is not None]


def _items(answers: dict[str, Any], prefix: str) -> list[int]:
    return [v for k, v in answers.items() if k.startswith(prefix) and k[len(prefix) :].isdigit()]


def _fold(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in ".-")


# --- Scores ----------------------------------------------------------------------------------


def phq9_mean(
    *, intake: float, improvement: float, shift: float, session: int, dip: float = 0.0
) -> float:
    """The expected PHQ-9 at a session (1 = intake): log-linear in the session number."""
    progress = math.log(session) / math.log(REFERENCE_SESSION)
    return intake * (1 - improvement * progress) + shift * progress + dip


def _draw_intake(rng: random.Random, *, mean: float = INTAKE_MEAN, highest: int = MOST) -> int:
    # Clients come at caseness or above; redraws keep the normal shape above the cut-off.
    while True:
        value = round(rng.gauss(mean, INTAKE_SD))
        if CASENESS <= value <= highest:
            return value


def _deal_courses(count: int, rng: random.Random) -> list[str]:
    total = sum(COURSE_SHARES.values())
    deck = [
        kind for kind, share in COURSE_SHARES.items() for _ in range(round(share * count / total))
    ]
    deck = (deck + [IMPROVER] * count)[:count]
    rng.shuffle(deck)
    return deck


# --- Planning --------------------------------------------------------------------------------


class _HistoryPlanner:
    def __init__(self, plan: tuple[ClientSpec, ...], today: date, seed: int) -> None:
        self.rng = random.Random(f"{seed}:history")
        self.today = today
        self.seed = seed
        self.zone = ZoneInfo(data.DEMO_TIME_ZONE)
        self.names = {s.full_name for s in plan}
        used_phones = {s.phone for s in plan}
        self.phones = iter(
            n for n in self.rng.sample(range(1000), 1000) if f"07700 900{n:03d}" not in used_phones
        )
        week = [(d, h) for d in range(5) for h in range(9, 18)]
        held: dict[str, set[Slot]] = {key: set() for key in data.ROSTER}
        for spec in plan:
            held[spec.clinician].add(spec.slot)
            if spec.transfer_to:
                held[spec.transfer_to].add(spec.slot)
        # A former client's slot is one no current client holds, so no diary is double-booked.
        self.free_from = {
            key: {slot: date.min for slot in week if slot not in held[key]} for key in data.ROSTER
        }
        self.referrals: list[str] = []

    def referral(self) -> str:
        if not self.referrals:
            self.referrals = self.rng.sample(data.ADULT_REFERRALS, len(data.ADULT_REFERRALS))
        return self.referrals.pop()

    def person(self, start: date) -> dict[str, Any]:
        rng = self.rng
        while True:
            origin = rng.choices(data.ORIGINS, [o.weight for o in data.ORIGINS])[0]
            gender = rng.choices("fmn", [48, 44, 8])[0]
            if gender == "n":
                first = rng.choice(data.NEUTRAL_FIRST_NAMES)
            else:
                first = rng.choice(origin.female if gender == "f" else origin.male)
            surname = rng.choice(origin.surnames)
            if f"{first} {surname}" not in self.names:
                break
        self.names.add(f"{first} {surname}")
        pronouns = {"f": "she/her", "m": "he/him"}.get(gender, "they/them")
        if gender != "n" and rng.random() < 0.5:
            pronouns = ""
        language = ""
        if origin.language and rng.random() < origin.language_share:
            language = origin.language
        age = rng.randint(19, 68)  # at the start of the episode
        return {
            "full_name": f"{first} {surname}",
            "preferred_name": data.NICKNAMES.get(first, "") if rng.random() < 0.7 else "",
            "pronouns": pronouns,
            "date_of_birth": start - timedelta(days=int(365.25 * age) + rng.randint(1, 300)),
            "email": f"{_fold(first)}.{_fold(surname)}@example.com",
            "phone": f"07700 900{next(self.phones):03d}",
            "preferred_language": language or "English",
        }

    def slot_for(self, clinician: str, wanted: date) -> tuple[Slot, date]:
        """A free slot of the clinician's week on or after `wanted`, and its first day."""
        free = self.free_from[clinician]
        day = wanted
        while True:
            open_slots = sorted(s for s, since in free.items() if since <= day)
            if open_slots:
                slot = self.rng.choice(open_slots)
                return slot, day + timedelta(days=(slot[0] - day.weekday()) % 7)
            day += timedelta(weeks=1)

    # Whose former clients, how many, when they started and each therapist's shift: the
    # practice's own clinicians here; rapport.demo.candidates plans colleagues who have left.
    caseloads: dict[str, int] = CASELOADS
    shifts: dict[str, float] = THERAPIST_SHIFT
    started_weeks_ago: tuple[int, int] = STARTED_WEEKS_AGO

    def plan(self) -> tuple[FormerClient, ...]:
        rng = self.rng
        planned: list[FormerClient] = []
        for clinician, count in self.caseloads.items():
            earliest, latest = self.started_weeks_ago
            starts = sorted(
                self.today - timedelta(days=rng.randint(earliest * 7, latest * 7))
                for _ in range(count)
            )
            for wanted, course in zip(starts, _deal_courses(count, rng), strict=True):
                slot, first_day = self.slot_for(clinician, wanted)
                former = self.former_client(clinician, course, slot, first_day)
                # The slot is free again the week after the last booking.
                last = former.visits[-1].start.date()
                self.free_from[clinician][slot] = last + timedelta(days=7)
                planned.append(former)
        return tuple(planned)

    def former_client(self, clinician: str, course: str, slot: Slot, start: date) -> FormerClient:
        rng = self.rng
        if rng.random() < REFERRED[course]:
            closure = ClosureReason.REFERRED_OUT
        elif rng.random() < DROPOUT[course]:
            closure = ClosureReason.DROPPED_OUT
        else:
            closure = ClosureReason.COMPLETED
        person = self.person(start)
        referral = self.referral()
        anxious = any(word in referral.lower() for word in ANXIOUS_WORDS)
        gad7 = anxious or rng.random() < GAD7_OTHERS
        # One generator per client keeps each history stable when another client's changes.
        crng = random.Random(f"{self.seed}:history:{person['full_name']}")
        bookings = self.bookings(slot, start, closure, crng)
        visits, intake = self.scored(bookings, clinician, course, gad7, crng)
        last = visits[-1].start.date()
        if closure == ClosureReason.DROPPED_OUT:
            end, note = last + timedelta(days=14), data.DROPPED_OUT_NOTE
        elif closure == ClosureReason.REFERRED_OUT:
            end, note = last, crng.choice(REFERRED_OUT_NOTES)
        elif sum(_items(visits[-1].phq9 or {}, "phq9-")) < CASENESS:
            end, note = last, crng.choice(data.COMPLETED_NOTES)
        else:
            end, note = last, crng.choice(ENDED_IN_CLINICAL_RANGE_NOTES)
        return FormerClient(
            **person,
            clinician=clinician,
            referral_reason=referral,
            start_date=start,
            end_date=end,
            closure_reason=closure,
            closure_note=note,
            course=course,
            intake=intake,
            gad7=gad7,
            visits=tuple(visits),
        )

    def bookings(
        self, slot: Slot, start: date, closure: str, rng: random.Random
    ) -> list[tuple[datetime, str, str]]:
        """(start, modality, attendance) of each weekly booking until the episode ended."""
        if closure == ClosureReason.COMPLETED:
            attend = min(18, max(5, round(rng.gauss(10, 3.5))))
        elif closure == ClosureReason.DROPPED_OUT:
            attend = rng.randint(2, 7)
        else:
            attend = rng.randint(4, 9)
        usual = rng.choices([Modality.IN_PERSON, Modality.VIDEO, Modality.PHONE], [60, 30, 10])[0]
        weights = data.ATTENDANCE_WEIGHTS
        booked: list[tuple[datetime, str, str]] = []
        attended, day = 0, start
        # A drop-out misses their last three bookings (as the closure note says); the other
        # episodes end on an attended session.
        missed = 3 if closure == ClosureReason.DROPPED_OUT else 0
        limit = MAX_BOOKINGS - missed
        while attended < attend and len(booked) < limit:
            when = datetime.combine(day, time(slot[1]), tzinfo=self.zone)
            modality = usual
            if rng.random() < 0.25:
                modality = rng.choices([Modality.IN_PERSON, Modality.VIDEO, Modality.PHONE])[0]
            attendance = Attendance.ATTENDED
            if booked and attended < attend - 1:
                attendance = rng.choices(list(weights), list(weights.values()))[0]
            if len(booked) == limit - 1:
                attendance = Attendance.ATTENDED
            booked.append((when, modality, attendance))
            attended += attendance == Attendance.ATTENDED
            day += timedelta(weeks=2 if rng.random() < SKIPPED_WEEK else 1)
        for _ in range(missed):
            when = datetime.combine(day, time(slot[1]), tzinfo=self.zone)
            booked.append((when, usual, Attendance.NO_SHOW))
            day += timedelta(weeks=1)
        return booked

    def scored(
        self,
        bookings: list[tuple[datetime, str, str]],
        clinician: str,
        course: str,
        with_gad7: bool,
        rng: random.Random,
    ) -> tuple[list[FormerVisit], int]:
        if course == DETERIORATOR:  # a severe start would leave little room to get worse
            intake = _draw_intake(rng, mean=INTAKE_MEAN - 3, highest=16)
        else:
            intake = _draw_intake(rng)
        mean, sd = IMPROVEMENT[course]
        improvement = rng.gauss(mean, sd)
        dip = rng.uniform(1, 3) if rng.random() < EARLY_DIP_SHARE else 0.0
        gad_ratio, gad_offset = rng.uniform(0.65, 0.85), rng.randint(-1, 3)
        overrated = clinician == OVERRATING_CLINICIAN
        base = 36 if overrated else rng.choice((37, 38, 38, 39) if course == IMPROVER else (36, 37))
        visits: list[FormerVisit] = []
        number = 0
        last_attended = max(i for i, (_, _, a) in enumerate(bookings) if a == Attendance.ATTENDED)
        for i, (start, modality, attendance) in enumerate(bookings):
            cancelled = attendance in (Attendance.CANCELLED_CLIENT, Attendance.CANCELLED_CLINICIAN)
            number += not cancelled
            if attendance != Attendance.ATTENDED:
                visits.append(
                    FormerVisit(start, modality, attendance, "", 0 if cancelled else number)
                )
                continue
            note = data.FIRST_SESSION_NOTE if number == 1 else ""
            if number > 1 and rng.random() < 0.3:
                note = rng.choice(data.ADULT_NOTES)
            # Intake and the last session are always scored: they are the pre and post.
            answered = number == 1 or i == last_attended or rng.random() < 0.96
            phq9 = gad7 = None
            mode, measures_at = "", None
            if answered:
                if number == 1:
                    total = intake
                else:
                    expected = phq9_mean(
                        intake=intake,
                        improvement=improvement,
                        shift=self.shifts[clinician],
                        session=number,
                        dip=dip if number in (2, 3) else 0.0,
                    )
                    total = round(expected + rng.gauss(0, NOISE_SD))
                total = max(0, min(MOST, total))
                phq9 = phq9_answers(total, 0, rng)
                if with_gad7:  # anxiety moves with mood, a little lower and its own noise
                    gad_total = round(total * gad_ratio) + gad_offset + round(rng.gauss(0, 1))
                    gad7 = gad7_answers(max(0, min(21, gad_total)), rng)
                mode, measures_at = self.measure_mode(start, modality, rng)
            visit = FormerVisit(
                start, modality, attendance, note, number, phq9, gad7, mode, measures_at
            )
            visits.append(self.rated(visit, base, overrated, rng))
        return visits, intake

    def measure_mode(
        self, start: datetime, modality: str, rng: random.Random
    ) -> tuple[str, datetime]:
        """Filled in the room before an in-person session, else from a link sent a day ahead."""
        if modality == Modality.IN_PERSON and rng.random() < 0.95:
            return Mode.IN_SESSION, start - timedelta(minutes=rng.randint(0, 8))
        if modality == Modality.PHONE and rng.random() < 0.2:
            return Mode.CLINICIAN, start - timedelta(minutes=rng.randint(0, 8))
        return Mode.LINK, start - timedelta(minutes=rng.randint(20, 20 * 60))

    def rated(
        self, visit: FormerVisit, base: int, overrated: bool, rng: random.Random
    ) -> FormerVisit:
        """The session ratings: most clients, and most therapists after them."""
        if rng.random() > 0.93:
            return visit
        total = base
        if overrated:
            total = 35 if rng.random() < 0.1 else 36
        elif rng.random() < 0.3:
            total = min(40, base + 1)
        client = _split_rating(total, rng)
        answers: dict[str, Any] = {f"feedback-{k}": v for k, v in client.items()}
        if rng.random() < 0.1:
            answers["feedback-better"] = rng.choice(EVERYDAY_WORDS)
        end = visit.start + timedelta(minutes=50)
        if visit.modality == Modality.IN_PERSON:
            mode, rated_at = Mode.IN_SESSION, end - timedelta(minutes=rng.randint(1, 5))
        else:
            mode, rated_at = Mode.LINK, end + timedelta(minutes=rng.randint(5, 240))
        therapist = None
        if overrated:
            therapist = {f"feedback-{k}": 10 for k in FEEDBACK_ITEMS}
        elif rng.random() < 0.9:
            shift = rng.choice((-2, -2, -1, -1, -1, 0, 0, 1))
            therapist = {f"feedback-{k}": v for k, v in _shifted(client, shift, rng).items()}
        return replace(
            visit,
            client_rating=answers,
            client_mode=mode,
            client_rated_at=rated_at,
            therapist_rating=therapist,
            therapist_rated_at=end - timedelta(minutes=rng.randint(1, 5)),
        )


def _split_rating(total: int, rng: random.Random) -> dict[str, int]:
    """Four 0-10 session-rating items adding up to `total`, as even as a slider user makes them."""
    floor = min(8, total // 4)
    values = [floor] * 4
    for _ in range(total - 4 * floor):
        values[rng.choice([i for i, v in enumerate(values) if v < 10])] += 1
    return dict(zip(FEEDBACK_ITEMS, values, strict=True))


def _shifted(items: dict[str, int], shift: int, rng: random.Random) -> dict[str, int]:
    """The items moved by `shift` points in all, at most one point per item."""
    moved = dict(items)
    for name in rng.sample(list(FEEDBACK_ITEMS), len(FEEDBACK_ITEMS)):
        if shift < 0 and moved[name] > 0:
            moved[name], shift = moved[name] - 1, shift + 1
        elif shift > 0 and moved[name] < 10:
            moved[name], shift = moved[name] + 1, shift - 1
    return moved


def plan_history(
    *, plan: tuple[ClientSpec, ...], today: date, seed: int = 7
) -> tuple[FormerClient, ...]:
    """The demo's former clients around the current caseload `plan`; pure and repeatable."""
    return _HistoryPlanner(plan, today, seed).plan()


# --- Writing ---------------------------------------------------------------------------------


@dataclass
class DemoHistory:
    episodes: list[Episode]
    counts: dict[str, int]


def build_demo_history(
    *,
    practice: Practice,
    plan: tuple[ClientSpec, ...],
    users: dict[str, User],
    today: date,
    seed: int,
) -> DemoHistory:
    """Former clients, their closed episodes, sessions, measures and ratings, in bulk."""
    former = plan_history(plan=plan, today=today, seed=seed)
    return write_former_clients(practice=practice, former=former, users=users)


def write_former_clients(
    *, practice: Practice, former: tuple[FormerClient, ...], users: dict[str, User]
) -> DemoHistory:
    """Write planned former clients (plan_history's, or another planner's) in bulk."""
    clients = Client.objects.bulk_create(
        Client(
            practice=practice,
            full_name=f.full_name,
            preferred_name=f.preferred_name,
            search_name=search_key(f"{f.full_name} {f.preferred_name}"),
            pronouns=f.pronouns,
            date_of_birth=f.date_of_birth,
            email=f.email,
            phone=f.phone,
            preferred_language=f.preferred_language,
            language=data.WRITTEN_IN.get(f.preferred_language, "en"),
            # Finished or referred on: discharged; stopped coming: inactive until re-referred.
            status=(
                ClientStatus.INACTIVE
                if f.closure_reason == ClosureReason.DROPPED_OUT
                else ClientStatus.DISCHARGED
            ),
        )
        for f in former
    )
    episodes = Episode.objects.bulk_create(
        Episode(
            practice=practice,
            client=client,
            primary_clinician=users[f.clinician],
            referral_reason=f.referral_reason,
            start_date=f.start_date,
            end_date=f.end_date,
            status=EpisodeStatus.CLOSED,
            closure_reason=f.closure_reason,
            closure_note=f.closure_note,
        )
        for f, client in zip(former, clients, strict=True)
    )
    sessions: list[list[Session]] = [
        [
            Session(
                episode_id=episode.pk,
                clinician_id=users[f.clinician].pk,
                scheduled_start=v.start,
                duration_minutes=50,
                modality=v.modality,
                attendance=v.attendance,
                private_notes=v.note,
            )
            for v in f.visits
        ]
        for f, episode in zip(former, episodes, strict=True)
    ]
    Session.objects.bulk_create([s for rows in sessions for s in rows], batch_size=1000)

    adult = "adult"
    instruments = {
        "phq9": choose_version("phq9", respondent="client", age_band=adult),
        "gad7": choose_version("gad7", respondent="client", age_band=adult),
        "client": choose_version(FEEDBACK_FAMILY, respondent="client", age_band=adult),
        "therapist": choose_version(FEEDBACK_FAMILY, respondent="therapist", age_band=adult),
    }
    measure_plans: list[MeasurePlan] = []
    plans_of: list[dict[str, MeasurePlan]] = []
    for f, episode in zip(former, episodes, strict=True):
        wanted = {
            "phq9": ("phq9", "client"),
            "gad7": ("gad7", "client"),
            "client": (FEEDBACK_FAMILY, "client"),
            "therapist": (FEEDBACK_FAMILY, "therapist"),
        }
        if not f.gad7:
            del wanted["gad7"]
        mine = {
            key: MeasurePlan(
                episode=episode,
                family=family,
                respondent=respondent,
                schedule=Schedule.EVERY_SESSION,
            )
            for key, (family, respondent) in wanted.items()
        }
        plans_of.append(mine)
        measure_plans += mine.values()
    MeasurePlan.objects.bulk_create(measure_plans)

    assignments: list[Assignment] = []
    pending: list[tuple[Assignment, Instrument, dict[str, Any], str, datetime]] = []
    for f, episode, rows, mine in zip(former, episodes, sessions, plans_of, strict=True):
        for visit, session in zip(f.visits, rows, strict=True):
            if visit.number == 0:
                continue  # cancelled: nothing was sent
            therapist_key = f"therapist:{session.clinician_id}"
            forms: list[tuple[str, str, str, dict[str, Any] | None, str, datetime | None]] = [
                ("phq9", "client", "client", visit.phq9, visit.measure_mode, visit.measures_at),
            ]
            if f.gad7:
                forms.append(
                    ("gad7", "client", "client", visit.gad7, visit.measure_mode, visit.measures_at)
                )
            if visit.attendance == Attendance.ATTENDED:
                # Session ratings are asked for after a session that took place.
                forms += [
                    (
                        "client",
                        "client",
                        "client",
                        visit.client_rating,
                        visit.client_mode,
                        visit.client_rated_at,
                    ),
                    (
                        "therapist",
                        "therapist",
                        therapist_key,
                        visit.therapist_rating,
                        Mode.CLINICIAN,
                        visit.therapist_rated_at,
                    ),
                ]
            for key, respondent, respondent_key, answers, mode, when in forms:
                instrument = instruments[key]
                assignment = Assignment(
                    episode_id=episode.pk,
                    session_id=session.pk,
                    plan_id=mine[key].pk,
                    instrument_id=instrument.id,
                    respondent=respondent,
                    respondent_user_id=session.clinician_id if respondent == "therapist" else None,
                    respondent_key=respondent_key,
                    status=Status.EXPIRED,
                    due_at=session.scheduled_start,
                )
                assignments.append(assignment)
                if answers is None or when is None:
                    continue
                assignment.status = Status.COMPLETED
                if key in ("client", "therapist"):
                    assignment.remote = mode in (Mode.LINK, Mode.PORTAL)
                pending.append((assignment, instrument, answers, mode, when))
    Assignment.objects.bulk_create(assignments, batch_size=1000)

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
    Response.objects.bulk_create(responses, batch_size=1000)
    return DemoHistory(
        episodes=episodes,
        counts={
            "former_clients": len(clients),
            "former_sessions": sum(len(rows) for rows in sessions),
            "former_measure_plans": len(measure_plans),
            "former_assignments": len(assignments),
            "former_responses": len(responses),
        },
    )
