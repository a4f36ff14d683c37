"""The demo's therapist profiles, and the closed episodes that let the practice's effectiveness
model say something (issue 14, parts 3 to 5).

Every therapist of the demo (the clinicians and the supervisor) gets a profile with open places
and varied languages, approaches, populations, modalities, days and style; two consent to show
self-described characteristics, one does not.

The effectiveness model labels therapists only when at least ten have fifteen or more closed
episodes in a domain (rapport.core.matching.MIN_THERAPISTS): four therapists, however many
episodes, never get a label. So the practice also remembers seven colleagues who have left
(inactive accounts, no profile: they are no one's candidate), each with seventeen former clients
planned and written as rapport.demo.history plans the practice's own (weekly sessions, the PHQ-9
at each, the GAD-7 for about half, session ratings), in diaries of their own and before them.
Their effects are spread around the practice's course, so the model finds therapist variance,
and Daniel Mensah (clinician@), whose former clients improved most (history.THERAPIST_SHIFT),
comes out with a strength in low mood (the PHQ-9's domain).
"""

from __future__ import annotations

import random
from datetime import date

from rapport.accounts.models import Role, User
from rapport.demo import data
from rapport.demo.data import ClientSpec
from rapport.demo.history import (
    INTAKE_SD,
    FormerClient,
    _HistoryPlanner,
    plan_history,
    write_former_clients,
)
from rapport.matching.models import TherapistProfile
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
    ("former6", "Gareth Evans", -0.35),
    ("former7", "Yasmin Haddad", -0.05),
)
FORMER_EPISODES = 17  # 15 or more with two PHQ-9 scores, a drop-out or two apart
# Their former clients started 2.5 to 5 years ago: before those of rapport.demo.history.
STARTED_WEEKS_AGO = (135, 260)


class _FormerStaffPlanner(_HistoryPlanner):
    """rapport.demo.history's planner, for the colleagues who have left: the same courses,
    measures and ratings, in diaries of their own."""

    caseloads = {key: FORMER_EPISODES for key, _name, _effect in FORMER_STAFF}
    # PHQ-9 points by session 12 above (+) or below (-) the practice's course, as
    # history.THERAPIST_SHIFT: an effect of +0.2 intake SDs is a point less.
    shifts = {key: -effect * INTAKE_SD for key, _name, effect in FORMER_STAFF}
    started_weeks_ago = STARTED_WEEKS_AGO

    def __init__(
        self, plan: tuple[ClientSpec, ...], today: date, seed: int, taken: set[str]
    ) -> None:
        super().__init__(plan, today, seed)
        self.rng = random.Random(f"{seed}:former staff")
        self.names |= taken
        week = [(d, h) for d in range(5) for h in range(9, 18)]
        self.free_from.update({key: dict.fromkeys(week, date.min) for key in self.caseloads})


def plan_former_staff(
    *, plan: tuple[ClientSpec, ...], today: date, seed: int
) -> tuple[FormerClient, ...]:
    """The former colleagues' clients; pure and repeatable (names apart from the history's)."""
    taken = {f.full_name for f in plan_history(plan=plan, today=today, seed=seed)}
    return _FormerStaffPlanner(plan, today, seed, taken).plan()


def build_demo_former_staff(
    *, practice: Practice, plan: tuple[ClientSpec, ...], today: date, seed: int
) -> dict[str, int]:
    """Seven former colleagues (inactive accounts) and their former clients, in bulk."""
    staff = {
        key: User(
            email=f"{key}@{data.DEMO_DOMAIN}",
            full_name=name,
            role=Role.CLINICIAN,
            practice=practice,
            is_active=False,
        )
        for key, name, _effect in FORMER_STAFF
    }
    for user in staff.values():
        user.set_unusable_password()
    User.objects.bulk_create(staff.values())
    former = plan_former_staff(plan=plan, today=today, seed=seed)
    written = write_former_clients(practice=practice, former=former, users=staff)
    return {
        "former_staff": len(staff),
        "former_staff_clients": written.counts["former_clients"],
    }


def build_demo_profiles(*, users: dict[str, User], practice: Practice) -> dict[str, int]:
    TherapistProfile.objects.bulk_create(
        TherapistProfile(user=users[key], practice=practice, **values)
        for key, values in PROFILES.items()
    )
    return {"therapist_profiles": len(PROFILES)}
