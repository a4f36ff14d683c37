"""What the demo practice is made of: fictional people, clinical snippets, a week's diary.

Everyone here is invented. Client phone numbers come from Ofcom's drama range (07700 900xxx)
and client emails use example.com, so nothing the demo sends can reach a real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from rapport.care.models import Attendance, ClosureReason, EpisodeStatus, Modality
from rapport.core.ages import AgeBand, age_band

PRACTICE_NAME = "Harbourside Psychological Therapies"
TEAM_NAME = "Adult & Family Team"
DEMO_DOMAIN = "demo.rapport.test"
DEMO_TIME_ZONE = "Europe/London"


class StaffMember(NamedTuple):
    key: str  # also the local part of the login email
    full_name: str
    role: str


STAFF = (
    StaffMember("admin", "Rosa Delgado", "admin"),
    StaffMember("supervisor", "Priya Raman", "supervisor"),
    StaffMember("clinician", "Daniel Mensah", "clinician"),
    StaffMember("clinician2", "Aoife Gallagher", "clinician"),
    StaffMember("clinician3", "Tomasz Wiśniewski", "clinician"),
)


# What each caseload holds, in order. The "sibling_" pair are the children of the guardian@
# login; "portal" is the client@ login; "transfer" moves to clinician2 partway through.
ROSTER: dict[str, tuple[str, ...]] = {
    "clinician": ("portal", "sibling_child", "sibling_adolescent", "adolescent") + ("adult",) * 9,
    "clinician2": ("child", "adolescent", "adolescent") + ("adult",) * 10,
    "clinician3": ("child", "adolescent", "transfer") + ("adult",) * 9,
    "supervisor": ("adult", "adult"),
}
ATTENDANCE_WEIGHTS = {
    Attendance.ATTENDED: 85,
    Attendance.CANCELLED_CLIENT: 6,
    Attendance.CANCELLED_CLINICIAN: 2,
    Attendance.NO_SHOW: 7,
}

# Who a young person lives with, and how often: both parents in half of the families.
HOUSEHOLDS: dict[tuple[str, ...], int] = {
    ("mother", "father"): 10,
    ("mother",): 5,
    ("father",): 3,
    ("grandparent",): 1,
    ("legal_guardian",): 1,
}

Slot = tuple[int, int]  # (weekday, hour) of a client's regular appointment


@dataclass(frozen=True)
class GuardianSpec:
    full_name: str
    email: str
    relationship: str


@dataclass(frozen=True)
class ClientSpec:
    """One planned client with their episode; staff are named by their key in STAFF."""

    full_name: str
    preferred_name: str
    pronouns: str
    date_of_birth: date
    email: str
    phone: str
    preferred_language: str
    clinician: str  # primary clinician when the episode started
    referral_reason: str
    slot: Slot
    start_date: date
    sessions_until: date  # no past sessions on or after this day
    status: str = EpisodeStatus.ACTIVE
    end_date: date | None = None
    closure_reason: str = ""
    closure_note: str = ""
    guardians: tuple[GuardianSpec, ...] = ()
    co_clinician: str = ""
    transfer_to: str = ""
    transferred_at: datetime | None = None
    has_login: bool = False

    @property
    def is_minor(self) -> bool:
        return bool(self.guardians)


class PlannedSession(NamedTuple):
    start: datetime
    duration: int
    modality: str
    attendance: str
    note: str
    clinician: str


class Origin(NamedTuple):
    weight: int
    female: tuple[str, ...]
    male: tuple[str, ...]
    surnames: tuple[str, ...]
    # A language other than English that some clients with this background prefer, and how
    # many of them do.
    language: str = ""
    language_share: float = 0.0


ORIGINS = (
    Origin(
        30,
        (
            "Emma",
            "Sophie",
            "Charlotte",
            "Rebecca",
            "Elizabeth",
            "Lucy",
            "Hannah",
            "Jessica",
            "Margaret",
            "Chloe",
            "Grace",
            "Amelia",
            "Harriet",
            "Joanne",
        ),
        (
            "James",
            "Oliver",
            "Thomas",
            "Daniel",
            "Christopher",
            "Matthew",
            "George",
            "Harry",
            "Nathaniel",
            "Callum",
            "Stuart",
            "Ben",
            "Luke",
            "Edward",
        ),
        (
            "Taylor",
            "Hughes",
            "Walker",
            "Robinson",
            "Wright",
            "Thompson",
            "Cooper",
            "Fletcher",
            "Barker",
            "Holloway",
            "Pearson",
            "Marsh",
            "Bennett",
            "Carter",
            "Ellis",
            "Shaw",
            "Lambert",
            "Harding",
            "Whitaker",
            "Dawson",
            "Kemp",
            "Ashworth",
            "Tranter",
            "Bowden",
        ),
    ),
    Origin(
        6,
        ("Cerys", "Ffion", "Seren", "Bethan"),
        ("Rhys", "Gethin", "Dylan", "Owain"),
        ("Llewellyn", "Pritchard", "Evans", "Rees", "Bowen"),
        "Welsh",
        0.3,
    ),
    Origin(
        7,
        ("Katarzyna", "Zofia", "Agnieszka", "Magdalena"),
        ("Piotr", "Marek", "Jakub", "Pawel"),
        ("Nowak", "Mazur", "Kaczmarek", "Wójcik", "Zielinski"),
        "Polish",
        0.3,
    ),
    Origin(
        8,
        ("Ayesha", "Fatima", "Zainab", "Maryam", "Sana"),
        ("Imran", "Bilal", "Usman", "Hamza"),
        ("Khan", "Hussain", "Iqbal", "Malik", "Chaudhry"),
        "Urdu",
        0.2,
    ),
    Origin(
        6,
        ("Anjali", "Nisha", "Kavya", "Meera"),
        ("Rohan", "Arjun", "Vikram", "Dev"),
        ("Patel", "Sharma", "Gill", "Desai", "Mistry"),
    ),
    Origin(
        8,
        ("Adaeze", "Folake", "Ama", "Chiamaka"),
        ("Chidi", "Kwame", "Oluwaseun", "Emeka"),
        ("Okafor", "Adeyemi", "Boateng", "Owusu", "Eze"),
    ),
    Origin(
        6,
        ("Shanice", "Tia", "Keisha", "Jasmine"),
        ("Jerome", "Marcus", "Tyrone", "Andre"),
        ("Campbell", "Grant", "Clarke", "Francis", "Baptiste"),
    ),
    Origin(
        5,
        ("Lucía", "Carmen", "Sofía", "Valentina"),
        ("Mateo", "Javier", "Diego", "Alejandro"),
        ("García", "Romero", "Herrera", "Morales", "Ortega"),
        "Spanish",
        0.3,
    ),
    Origin(
        5,
        ("Mei", "Hana", "Linh", "Xiu"),
        ("Wei", "Kenji", "Minh", "Jun"),
        ("Chen", "Nguyen", "Tanaka", "Li", "Wong"),
    ),
    Origin(
        6,
        ("Siobhan", "Niamh", "Eilidh", "Orla"),
        ("Cormac", "Fraser", "Ciaran", "Eoin"),
        ("Murphy", "MacLeod", "Byrne", "Doherty", "Fitzgerald"),
    ),
    Origin(
        5,
        ("Leyla", "Nadia", "Yasmin", "Elif"),
        ("Yusuf", "Omar", "Emre", "Karim"),
        ("Demir", "Haddad", "Yilmaz", "Mansour"),
    ),
)

# Every language offered shows up at least once: the n-th adult client (counting from 0)
# comes from a background where it is spoken, and prefers it.
LANGUAGE_AT = {3: "Polish", 10: "Urdu", 17: "Spanish", 24: "Welsh"}
# The preferred languages Rapport writes in: such a client's forms, portal and reports follow it.
WRITTEN_IN = {"Spanish": "es"}

NEUTRAL_FIRST_NAMES = ("Alex", "Jordan", "Robin", "Charlie", "Rowan", "Sam", "Kai", "Ash")
# Names that would look odd on a child born in the last fifteen years.
ADULT_ONLY_NAMES = frozenset({"Margaret", "Elizabeth", "Christopher", "Nathaniel"})

NICKNAMES = {
    "Elizabeth": "Liz",
    "Rebecca": "Becky",
    "Jessica": "Jess",
    "Margaret": "Maggie",
    "Christopher": "Kit",
    "Matthew": "Matt",
    "Nathaniel": "Nat",
    "Katarzyna": "Kasia",
    "Agnieszka": "Aga",
    "Magdalena": "Magda",
    "Oluwaseun": "Seun",
    "Chiamaka": "Chi",
    "Alejandro": "Alex",
}

ADULT_REFERRALS = (
    "Low mood since redundancy",
    "Panic attacks on public transport",
    "Worry and poor sleep since mother's cancer diagnosis",
    "Bereavement: father died in the spring",
    "Social anxiety affecting presentations at work",
    "Health anxiety; frequent GP visits",
    "Low self-esteem after the end of a long relationship",
    "Intrusive thoughts about harm coming to the baby (postnatal)",
    "Work stress and burnout; signed off for four weeks",
    "Flashbacks and poor sleep after a road traffic collision",
    "Checking doors and appliances for up to an hour before leaving",
    "Anger at home; partner asked them to get help",
    "Adjusting to an autism diagnosis in adulthood",
    "Worry and procrastination before university finals",
    "Low mood and isolation since retirement",
    "Chronic back pain and low mood",
    "Relationship difficulties and recurring arguments",
    "Drinking more since working from home; wants to cut down",
    "Insomnia for over a year",
    "Caring for a parent with dementia; feeling overwhelmed",
    "Grief after a miscarriage",
    "Loneliness and low mood after moving to the UK",
    "Perfectionism and exhaustion at work",
    "Fear of driving after a near miss on the motorway",
    "Low confidence and avoidance since a period of unemployment",
    "Nightmares and irritability after an assault",
    "Anxiety about returning to work after maternity leave",
    "Persistent low mood; two previous episodes of depression",
    "Worry about money and debt; not opening post",
    "Struggling with a new diagnosis of type 1 diabetes",
    "Fear of vomiting; avoiding restaurants and travel",
    "Body image worries and restrictive eating (GP monitoring weight)",
)

YOUNG_REFERRALS = (
    "School refusal since starting secondary school",
    "Worries at bedtime; cannot sleep alone",
    "Angry outbursts at home and at school",
    "Low mood and withdrawing from friends",
    "Exam anxiety before GCSEs",
    "Self-harm disclosed to the school nurse; safety plan in place",
    "Separation anxiety since parents separated",
    "Bullied at school; low confidence",
    "Panic attacks in lessons",
    "Struggling after grandmother's death",
    "Friendship difficulties and online bullying",
)

FIRST_SESSION_NOTE = "Assessment completed; risk screen negative. Agreed weekly sessions and goals."

ADULT_NOTES = (
    "Reviewed thought record; homework: behavioural activation diary.",
    "Psychoeducation on the panic cycle; agreed first exposure step.",
    "Goals reviewed: back to the gym twice a week, call sister on Sundays.",
    "Explored the belief 'I'm a failure'; evidence for and against.",
    "Sleep diary reviewed; introduced stimulus control.",
    "Graded exposure: two stops by bus, anxiety peaked at 6/10 and settled.",
    "Risk reviewed: no current thoughts of self-harm. Safety plan unchanged.",
    "Introduced worry time; sceptical but willing to try for a week.",
    "Grief work: talked about the funeral for the first time.",
    "Planned a behavioural experiment: speak once in Monday's team meeting.",
    "Values exercise; family and creativity came out on top.",
    "Mid-point review; scores improving, feels 'a bit lighter'.",
    "Low this week after an argument at home; problem-solving steps agreed.",
    "Started the relapse-prevention blueprint.",
    "Compassion-focused imagery; found it hard, will practise with the recording.",
    "Drink diary: three alcohol-free days this week.",
    "Role-played the conversation with their manager about workload.",
    "Built the exposure hierarchy; first step: leave the house after one check.",
)

YOUNG_NOTES = (
    "Feelings cards; talked about worries at school.",
    "Drew the 'worry monster'; practised belly breathing.",
    "Traffic-light chart for what happens before outbursts.",
    "Talked about friendships; plan to try the lunchtime club.",
    "Mood diary: two better days this week.",
    "Made a revision timetable with breaks built in.",
    "Safety plan reviewed; agreed what to share with school.",
    "Graded steps for getting into school: reached the gate on time three days.",
)

FAMILY_NOTES = (
    "Family session: agreed a reward chart for school mornings.",
    "Family session: parents practised labelled praise.",
    "Family session: shared the formulation; parents' questions answered.",
    "Family session: planned a calmer bedtime routine.",
)

COMPLETED_NOTES = (
    "Goals met and scores now in the non-clinical range. Relapse-prevention plan shared "
    "with client and GP.",
    "Planned ending; confident using the tools. Discharge letter sent to GP.",
)

DROPPED_OUT_NOTE = (
    "Did not attend the last three sessions; two letters sent without reply. Closed with an "
    "invitation to re-refer at any time."
)

TRANSFER_REASON = (
    "Tomasz is reducing his hours; Aoife can offer the client the same afternoon slot."
)


def plan_sessions(spec: ClientSpec, *, today: date, rng: random.Random) -> list[PlannedSession]:
    """Weekly sessions in the client's slot, then one or two bookings if the episode is open."""
    zone = ZoneInfo(DEMO_TIME_ZONE)
    is_child = age_band(spec.date_of_birth, today) == AgeBand.CHILD
    usual = rng.choices([Modality.IN_PERSON, Modality.VIDEO, Modality.PHONE], [66, 25, 9])[0]
    days: list[date] = []
    day = spec.start_date
    while day < spec.sessions_until:
        days.append(day)
        day += timedelta(weeks=1)
    past = len(days)
    if spec.status == EpisodeStatus.ACTIVE:
        # The loop stopped at the first slot on or after today, so these fall in the next
        # fortnight.
        days += [day + timedelta(weeks=k) for k in range(rng.choice((1, 2)))]
    sessions = []
    for n, day in enumerate(days):
        start = datetime.combine(day, time(spec.slot[1]), tzinfo=zone)
        family = spec.is_minor and n % 4 == 3
        modality = usual
        if rng.random() < 0.4:
            modality = rng.choices(list(Modality), [58, 25, 10, 7])[0]
        if family or (is_child and modality == Modality.TEXT):
            modality = Modality.IN_PERSON  # families come in; children don't do text sessions
        attendance, note = Attendance.SCHEDULED, ""
        if n < past:
            weights = ATTENDANCE_WEIGHTS
            attendance = rng.choices(list(weights), list(weights.values()))[0]
            if n == 0:
                attendance = Attendance.ATTENDED
            elif spec.closure_reason == ClosureReason.DROPPED_OUT and n >= past - 3:
                attendance = Attendance.NO_SHOW
        if attendance == Attendance.ATTENDED and (n == 0 or rng.random() < 0.45):
            pool = YOUNG_NOTES if spec.is_minor else ADULT_NOTES
            note = rng.choice(FAMILY_NOTES if family else pool)
            note = FIRST_SESSION_NOTE if n == 0 else note
        moved = spec.transferred_at is not None and start >= spec.transferred_at
        clinician = spec.transfer_to if moved else spec.clinician
        duration = 60 if family else 50
        sessions.append(PlannedSession(start, duration, modality, attendance, note, clinician))
    return sessions
