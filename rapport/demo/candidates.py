"""The demo's therapist profiles, and the closed episodes that let the practice's effectiveness
model say something (issue 14, parts 3 to 5).

Every therapist of the demo (the clinicians and the supervisor) gets a profile with open places
and varied languages, approaches, populations, modalities, days and style; two consent to show
self-described characteristics, one does not.

The effectiveness model labels therapists only when at least ten have fifteen or more closed
episodes in a domain (rapport.core.matching.MIN_THERAPISTS): four therapists, however many
episodes, never get a label. So the practice also remembers eight colleagues who have left
(inactive accounts, no profile: they are no one's candidate), each with eighteen former clients
who answered the PHQ-9 at their first and last session. Their true effects are spread around the
practice's mean, so the model finds therapist variance, and Daniel Mensah (clinician@), whose
former clients improved most (rapport.demo.history.THERAPIST_SHIFT), comes out with a strength
in low mood (the PHQ-9's domain). Written in bulk, like the rest of the demo's history.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from rapport.accounts.models import Role, User
from rapport.care.models import Attendance, ClosureReason, Episode, EpisodeStatus, Modality, Session
from rapport.core.text import search_key
from rapport.demo import data
from rapport.demo.measures import phq9_answers
from rapport.matching.models import TherapistProfile
from rapport.measures.models import Assignment, MeasurePlan, Response, Schedule
from rapport.measures.registry import choose_version
from rapport.people.models import Client, ClientStatus
from rapport.practices.models import Practice

P = TherapistProfile.Population
M = TherapistProfile.Modality

PROFILES: dict[str, dict[str, object]] = {
    "clinician": {
        "languages": ["English", "Twi"],
        "approaches": ["CBT", "Behavioural activation"],
        "populations": [P.ADOLESCENTS, P.ADULTS],
        "modalities": [M.IN_PERSON, M.VIDEO],
        "days": ["mon", "tue", "thu"],
        "hours": "9:00 to 17:00",
        "capacity": 2,
        "directive": "directive",
        "challenge": "challenging",
        "share_characteristics": True,
        "gender": "Man",
        "age_range": "40s",
    },
    "clinician2": {
        "languages": ["English", "Irish", "Spanish"],
        "approaches": ["Person-centred", "Compassion-focused"],
        "populations": [P.CHILDREN, P.ADOLESCENTS, P.ADULTS],
        "modalities": [M.IN_PERSON, M.VIDEO, M.PHONE],
        "days": ["mon", "wed", "fri"],
        "hours": "10:00 to 19:00",
        "capacity": 3,
        "directive": "exploratory",
        "challenge": "gentle",
        "share_characteristics": True,
        "gender": "Woman",
        "age_range": "30s",
        "cultural_background": "Irish",
    },
    "clinician3": {
        "languages": ["English", "Polish"],
        "approaches": ["CBT", "Systemic"],
        "populations": [P.CHILDREN, P.ADOLESCENTS, P.ADULTS, P.COUPLES],
        "modalities": [M.IN_PERSON, M.VIDEO],
        "days": ["tue", "wed", "thu"],
        "hours": "8:00 to 16:00",
        "capacity": 1,
        "directive": "directive",
        "challenge": "gentle",
        "share_characteristics": False,
    },
    "supervisor": {
        "languages": ["English", "Tamil"],
        "approaches": ["CBT", "Schema therapy"],
        "populations": [P.ADULTS, P.COUPLES],
        "modalities": [M.VIDEO, M.PHONE],
        "days": ["wed", "thu"],
        "hours": "12:00 to 18:00",
        "capacity": 1,
        "directive": "exploratory",
        "challenge": "gentle",
        "share_characteristics": False,
    },
}

# Colleagues who have left, with their true effect in SDs of intake PHQ-9 scores (positive:
# more improvement than the practice's course): spread, so that the therapist variance shows.
FORMER_STAFF = (
    ("former1", "Helen Okafor", 0.20),
    ("former2", "Marcus Lindqvist", -0.40),
    ("former3", "Nadia Rahman", -0.15),
    ("former4", "Owen Pritchard", -0.30),
    ("former5", "Silvia Moretti", 0.05),
    ("former6", "Gareth Evans", -0.45),
    ("former7", "Yasmin Haddad", -0.20),
    ("former8", "Peter Novak", -0.10),
)
FORMER_EPISODES = 18
INTAKE_MEAN, INTAKE_SD, CASENESS, MOST = 15.0, 5.0, 10, 24  # as rapport.demo.history
IMPROVEMENT_SHARE = 0.45  # of the intake score gone by the end, on average
NOISE_SD = 3.5
DROPPED_OUT_SHARE = 0.17  # as the demo's other former clients
ENDED_YEARS_AGO = (1.0, 3.0)  # before the demo's other history, so no diary is double-booked


def build_demo_profiles(*, users: dict[str, User], practice: Practice) -> dict[str, int]:
    TherapistProfile.objects.bulk_create(
        TherapistProfile(user=users[key], practice=practice, **values)
        for key, values in PROFILES.items()
    )
    return {"therapist_profiles": len(PROFILES)}


@dataclass(frozen=True)
class _Former:
    clinician: User
    name: str
    started: date
    ended: date
    intake: int
    final: int
    reason: str
    age: int

    @property
    def dropped(self) -> bool:
        return self.reason == ClosureReason.DROPPED_OUT


def _name(rng: random.Random, taken: set[str]) -> str:
    while True:
        origin = rng.choices(data.ORIGINS, [o.weight for o in data.ORIGINS])[0]
        first = rng.choice(origin.female if rng.random() < 0.55 else origin.male)
        name = f"{first} {rng.choice(origin.surnames)}"
        if name not in taken:
            taken.add(name)
            return name


def build_demo_former_staff(*, practice: Practice, today: date, seed: int) -> dict[str, int]:
    """Eight former colleagues and their closed episodes: intake and final PHQ-9 only."""
    rng = random.Random(f"{seed}:former staff")
    zone = ZoneInfo(data.DEMO_TIME_ZONE)
    staff = [
        User(
            email=f"{key}@{data.DEMO_DOMAIN}",
            full_name=name,
            role=Role.CLINICIAN,
            practice=practice,
            is_active=False,
        )
        for key, name, _effect in FORMER_STAFF
    ]
    for user in staff:
        user.set_unusable_password()
    User.objects.bulk_create(staff)
    taken = set(Client.objects.filter(practice=practice).values_list("full_name", flat=True))
    plans: list[_Former] = []
    for user, (_key, _full_name, effect) in zip(staff, FORMER_STAFF, strict=True):
        for _ in range(FORMER_EPISODES):
            ended = today - timedelta(days=int(365 * rng.uniform(*ENDED_YEARS_AGO)))
            intake = round(min(MOST, max(CASENESS, rng.gauss(INTAKE_MEAN, INTAKE_SD))))
            change = IMPROVEMENT_SHARE * intake + effect * INTAKE_SD + rng.gauss(0, NOISE_SD)
            dropped = rng.random() < DROPPED_OUT_SHARE
            plans.append(
                _Former(
                    clinician=user,
                    name=_name(rng, taken),
                    started=ended - timedelta(weeks=rng.randint(8, 20)),
                    ended=ended,
                    intake=intake,
                    final=round(min(MOST, max(0, intake - change))),
                    reason=ClosureReason.DROPPED_OUT if dropped else ClosureReason.COMPLETED,
                    age=rng.randint(19, 66),
                )
            )
    clients = Client.objects.bulk_create(
        Client(
            practice=practice,
            full_name=f.name,
            search_name=search_key(f.name),
            date_of_birth=f.started - timedelta(days=int(365.25 * f.age) + 30),
            preferred_language="English",
            status=ClientStatus.INACTIVE if f.dropped else ClientStatus.DISCHARGED,
        )
        for f in plans
    )
    episodes = Episode.objects.bulk_create(
        Episode(
            practice=practice,
            client=client,
            primary_clinician=f.clinician,
            referral_reason=rng.choice(data.ADULT_REFERRALS),
            start_date=f.started,
            end_date=f.ended,
            status=EpisodeStatus.CLOSED,
            closure_reason=f.reason,
            closure_note=data.DROPPED_OUT_NOTE if f.dropped else rng.choice(data.COMPLETED_NOTES),
        )
        for f, client in zip(plans, clients, strict=True)
    )
    # Weekly sessions, all attended; the PHQ-9 at the first and the last (the only scores
    # kept from those years), so a later refit of the expected course reads them in place.
    sessions: list[Session] = []
    scored: list[tuple[Session, Session]] = []
    for f, episode in zip(plans, episodes, strict=True):
        weeks = max(2, (f.ended - f.started).days // 7)
        mine = [
            Session(
                episode=episode,
                clinician=f.clinician,
                scheduled_start=datetime.combine(
                    f.started + timedelta(weeks=week), time(9 + week % 8), tzinfo=zone
                ),
                duration_minutes=50,
                modality=Modality.IN_PERSON,
                attendance=Attendance.ATTENDED,
            )
            for week in range(weeks)
        ]
        sessions += mine
        scored.append((mine[0], mine[-1]))
    Session.objects.bulk_create(sessions, batch_size=1000)
    phq9 = choose_version("phq9", respondent="client", age_band="adult")
    measure_plans = MeasurePlan.objects.bulk_create(
        MeasurePlan(
            episode=episode, family="phq9", respondent="client", schedule=Schedule.EVERY_SESSION
        )
        for episode in episodes
    )
    assignments, answers = [], []
    for f, episode, plan, visits in zip(plans, episodes, measure_plans, scored, strict=True):
        for session, total in zip(visits, (f.intake, f.final), strict=True):
            assignments.append(
                Assignment(
                    episode=episode,
                    session=session,
                    plan=plan,
                    instrument_id=phq9.id,
                    respondent="client",
                    respondent_key="client",
                    status=Assignment.Status.COMPLETED,
                    due_at=session.scheduled_start,
                )
            )
            answers.append((phq9_answers(total, 0, rng), session.scheduled_start))
    Assignment.objects.bulk_create(assignments, batch_size=1000)
    Response.objects.bulk_create(
        (
            Response.scored(
                assignment=assignment,
                instrument=phq9,
                answers=given,
                mode=Response.Mode.CLINICIAN,
                completed_at=when,
            )
            for assignment, (given, when) in zip(assignments, answers, strict=True)
        ),
        batch_size=1000,
    )
    return {"former_staff": len(staff), "former_staff_episodes": len(episodes)}
