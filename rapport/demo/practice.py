"""A fictional practice full of plausible data, for trying Rapport out and for screenshots.

Planning is pure (`plan_demo` here, `data.plan_sessions`), so a seed and a day give the same
practice and tests can check that without a database. `build_demo_practice` writes the plan in
one transaction with bulk inserts, which keeps a full load to a second or two on SQLite.
"""

from __future__ import annotations

import random
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection, transaction

from rapport.accounts.models import Role, User
from rapport.audit.services import audit_record
from rapport.care.models import (
    ClosureReason,
    Episode,
    EpisodeStatus,
    EpisodeTransfer,
    Session,
)
from rapport.core.ages import AgeBand
from rapport.core.text import search_key
from rapport.demo import data
from rapport.demo.alliance import build_demo_alliance
from rapport.demo.candidates import build_demo_former_staff, build_demo_profiles
from rapport.demo.dashboards import build_demo_dashboards
from rapport.demo.data import ClientSpec, GuardianSpec, Slot
from rapport.demo.exposure import build_demo_exposure
from rapport.demo.handoff import build_demo_handoff
from rapport.demo.history import build_demo_history
from rapport.demo.matching import build_demo_fit_check, build_demo_review
from rapport.demo.measures import build_demo_measures
from rapport.demo.plans import build_demo_plans
from rapport.demo.trajectories import build_demo_trajectories
from rapport.people.models import Client, ClientStatus, GuardianLink
from rapport.practices.models import Practice, Team

DEMO_PASSWORD = "rapport-demo-2026"
Relationship = GuardianLink.Relationship


class DemoAlreadyLoaded(Exception):
    pass


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    password: str


@dataclass
class DemoSummary:
    practice: Practice
    logins: list[DemoLogin]
    counts: dict[str, int] = field(default_factory=dict)


def demo_email(local: str) -> str:
    return f"{local}@{data.DEMO_DOMAIN}"


def _ascii(name: str) -> str:
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in folded.lower() if ch.isalnum() or ch in ".-")


def _dob(rng: random.Random, today: date, low: int, high: int) -> date:
    # Whole years plus under ten months keeps the completed age exactly the one drawn.
    age = rng.randint(low, high)
    return today - timedelta(days=int(365.25 * age) + rng.randint(1, 300))


class _Planner:
    def __init__(self, seed: int, today: date) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.names: set[str] = set()
        self.surnames: Counter[str] = Counter()
        self.adults = 0
        self.guardian_emails: set[str] = {demo_email("guardian")}
        self.phones = iter(self.rng.sample(range(1000), 200))
        week = [(d, h) for d in range(5) for h in range(9, 18)]
        self.free_slots = {key: list(week) for key in data.ROSTER}
        # Dealt like cards so that reasons repeat only once a pack runs out.
        self.decks: dict[tuple[str, ...], list[str]] = {}

    def deal(self, pack: tuple[str, ...]) -> str:
        deck = self.decks.setdefault(pack, [])
        if not deck:
            deck.extend(self.rng.sample(pack, len(pack)))
        return deck.pop()

    def origin(self, language: str = "") -> data.Origin:
        origins = [o for o in data.ORIGINS if not language or o.language == language]
        return self.rng.choices(origins, [o.weight for o in origins])[0]

    def surname(self, origin: data.Origin, most: int) -> str:
        # Related-looking strangers confuse a demo; keep each surname to `most` households.
        choices = [n for n in origin.surnames if self.surnames[n] < most] or origin.surnames
        surname = self.rng.choice(choices)
        self.surnames[surname] += 1
        return surname

    def unique(self, first: str, surname: str) -> str | None:
        name = f"{first} {surname}"
        if name in self.names:
            return None
        self.names.add(name)
        return name

    def slot(self, keys: tuple[str, ...], after_school: bool) -> Slot:
        # No clinician is double-booked; a transferred client must fit both diaries.
        free = [s for s in self.free_slots[keys[0]] if all(s in self.free_slots[k] for k in keys)]
        chosen = self.rng.choice([s for s in free if s[1] >= 15] if after_school else free)
        for key in keys:
            self.free_slots[key].remove(chosen)
        return chosen

    def start_on(self, weekday: int, weeks_ago: int) -> date:
        start = self.today - timedelta(weeks=weeks_ago)
        return start - timedelta(days=(start.weekday() - weekday) % 7)

    def family(self) -> tuple[data.Origin, str]:
        origin = self.origin()
        # A family's surname is theirs alone, so no unrelated client looks like a relative.
        surname = self.surname(origin, most=1)
        self.surnames[surname] += 1
        return origin, surname

    def guardian(
        self, origin: data.Origin, surname: str, relationship: str, email: str = ""
    ) -> GuardianSpec:
        if relationship == Relationship.LEGAL_GUARDIAN:
            # Often an aunt or a family friend under a special guardianship order.
            origin = self.origin()
            surname = self.surname(origin, most=1)
        gender = {Relationship.MOTHER: "f", Relationship.FATHER: "m"}.get(
            Relationship(relationship), self.rng.choice("fm")
        )
        pool = origin.female if gender == "f" else origin.male
        while not (name := self.unique(self.rng.choice(pool), surname)):
            pass
        if not email:
            email = demo_email(f"guardian.{_ascii(surname)}")
            if email in self.guardian_emails:
                email = demo_email(f"guardian.{_ascii(name.replace(' ', '.'))}")
            self.guardian_emails.add(email)
        return GuardianSpec(name, email, relationship)

    def guardians_for(self, origin: data.Origin, surname: str) -> tuple[GuardianSpec, ...]:
        households = data.HOUSEHOLDS
        relationships = self.rng.choices(list(households), list(households.values()))[0]
        return tuple(self.guardian(origin, surname, r) for r in relationships)

    def person(self, kind: str, family: tuple[data.Origin, str] | None) -> dict[str, Any]:
        rng, minor = self.rng, kind != "adult"
        language = "" if minor else data.LANGUAGE_AT.get(self.adults, "")
        self.adults += not minor
        origin = family[0] if family else self.origin(language)
        name = None
        while name is None:
            surname = family[1] if family else self.surname(origin, most=2)
            gender = rng.choices("fmn", [48, 44, 0 if kind == "child" else 8])[0]
            if gender == "n":
                first = rng.choice(data.NEUTRAL_FIRST_NAMES)
            else:
                pool = origin.female if gender == "f" else origin.male
                first = rng.choice([n for n in pool if not minor or n not in data.ADULT_ONLY_NAMES])
            name = self.unique(first, surname)
        pronouns = {"f": "she/her", "m": "he/him"}.get(gender, "they/them")
        if gender != "n" and (kind == "child" or rng.random() < 0.5):
            pronouns = ""
        if not language and origin.language and rng.random() < origin.language_share:
            language = origin.language
        ages = {"child": (7, 12), "adolescent": (13, 16)}.get(kind, (19, 70))
        return {
            "full_name": name,
            "preferred_name": data.NICKNAMES.get(first, "") if rng.random() < 0.7 else "",
            "pronouns": pronouns,
            "date_of_birth": _dob(rng, self.today, *ages),
            "email": "" if minor else f"{_ascii(first)}.{_ascii(surname)}@example.com",
            "phone": "" if kind == "child" else f"07700 900{next(self.phones):03d}",
            "preferred_language": language or "English",
        }

    def plan(self) -> tuple[ClientSpec, ...]:
        rng = self.rng
        siblings = self.family()
        sibling_guardians = (
            self.guardian(*siblings, Relationship.MOTHER, email=demo_email("guardian")),
            self.guardian(*siblings, Relationship.FATHER),
        )
        specs: list[ClientSpec] = []
        for clinician, roles in data.ROSTER.items():
            for role in roles:
                kind = role.removeprefix("sibling_")
                kind = kind if kind in {"child", "adolescent"} else "adult"
                family = siblings if role.startswith("sibling_") else None
                if kind != "adult" and family is None:
                    family = self.family()
                person = self.person(kind, family)
                if role == "portal":
                    person["email"] = demo_email("client")
                keys = (clinician, "clinician2") if role == "transfer" else (clinician,)
                slot = self.slot(keys, after_school=kind != "adult")
                # The portal client has been coming longest, so the demo spans six months.
                weeks = 26 if role == "portal" else rng.randint(8, 26)
                referrals = data.ADULT_REFERRALS if kind == "adult" else data.YOUNG_REFERRALS
                spec = ClientSpec(
                    **person,
                    clinician=clinician,
                    referral_reason=self.deal(referrals),
                    slot=slot,
                    start_date=self.start_on(slot[0], weeks),
                    sessions_until=self.today,
                    guardians=(
                        sibling_guardians
                        if family is siblings
                        else self.guardians_for(*family)
                        if family
                        else ()
                    ),
                    has_login=role == "portal",
                )
                if role == "transfer":
                    moved = self.today - timedelta(weeks=3)
                    moved -= timedelta(days=max(0, moved.weekday() - 4))  # a weekday
                    at = datetime.combine(moved, time(10), tzinfo=ZoneInfo(data.DEMO_TIME_ZONE))
                    spec = replace(spec, transfer_to="clinician2", transferred_at=at)
                specs.append(spec)
        return tuple(self.vary_episodes(specs))

    def vary_episodes(self, specs: list[ClientSpec]) -> list[ClientSpec]:
        """Close three episodes, pause two and give four a co-clinician."""
        rng = self.rng
        plain = [i for i, s in enumerate(specs) if not (s.is_minor or s.has_login or s.transfer_to)]
        picked = rng.sample(plain, 5)
        closed, on_hold = picked[:3], picked[3:]
        for n, i in enumerate(closed):
            weeks = rng.randint(18, 26)
            start = self.start_on(specs[i].slot[0], weeks)
            last = start + timedelta(weeks=rng.randint(8, weeks - 4))
            dropped = n == 2
            specs[i] = replace(
                specs[i],
                start_date=start,
                # A client who drops out is closed a fortnight after the last missed session.
                end_date=last + timedelta(days=14) if dropped else last,
                sessions_until=last + timedelta(days=1),
                status=EpisodeStatus.CLOSED,
                closure_reason=ClosureReason.DROPPED_OUT if dropped else ClosureReason.COMPLETED,
                closure_note=data.DROPPED_OUT_NOTE if dropped else data.COMPLETED_NOTES[n],
            )
        for i in on_hold:
            paused = self.today - timedelta(weeks=rng.randint(2, 4))
            specs[i] = replace(specs[i], status=EpisodeStatus.ON_HOLD, sessions_until=paused)
        minors = [i for i, s in enumerate(specs) if s.is_minor]
        adults = [i for i in plain if i not in picked]
        clinicians = ("clinician", "clinician2", "clinician3")
        for i in rng.sample(minors, 2) + rng.sample(adults, 2):
            others = [k for k in clinicians if k != specs[i].clinician]
            specs[i] = replace(specs[i], co_clinician=rng.choice(others))
        return specs


def plan_demo(*, seed: int = 7, today: date) -> tuple[ClientSpec, ...]:
    """Every client, guardian and episode of the demo practice; pure and repeatable."""
    return _Planner(seed, today).plan()


def _user(email: str, name: str, role: str, practice: Practice, usable: bool = True) -> User:
    user = User(email=email, full_name=name, role=role, practice=practice)
    if usable:
        user.set_password(DEMO_PASSWORD)
    else:
        # Like a guardian who was invited but has not signed in yet.
        user.set_unusable_password()
    return user


@transaction.atomic
def refresh_planner_statistics() -> None:
    """PostgreSQL plans queries from table statistics, which still describe empty tables right
    after thousands of rows are bulk-inserted (autovacuum cannot see an open transaction); the
    steps that follow, and the first pages, would otherwise get nested loops over full scans.

    Rapport's own tables only: a bare ANALYZE also takes the server's shared catalogs (roles,
    databases), and holds them until the transaction ends, so that any other database's ANALYZE
    on the same server waits for it (parallel test runs would take turns)."""
    if connection.vendor == "postgresql":
        tables = connection.introspection.django_table_names(only_existing=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(map(connection.ops.quote_name, sorted(tables))))


def build_demo_practice(*, today: date | None = None, seed: int = 7) -> DemoSummary:
    """Create the demo practice, its people, six months of sessions and their measures."""
    today = today or datetime.now(ZoneInfo(data.DEMO_TIME_ZONE)).date()
    if (
        Practice.objects.filter(is_demo=True).exists()
        or User.objects.filter(email__endswith="@" + data.DEMO_DOMAIN).exists()
    ):
        raise DemoAlreadyLoaded("A demo practice is already loaded.")
    plan = plan_demo(seed=seed, today=today)

    practice = Practice.objects.create(
        name=data.PRACTICE_NAME, time_zone=data.DEMO_TIME_ZONE, is_demo=True
    )
    team = Team.objects.create(practice=practice, name=data.TEAM_NAME)
    users = {m.key: _user(demo_email(m.key), m.full_name, m.role, practice) for m in data.STAFF}
    for user in users.values():
        user.team = team if user.role == Role.CLINICIAN else None
    portal = next(s for s in plan if s.has_login)
    users["client"] = _user(demo_email("client"), portal.full_name, Role.CLIENT, practice)
    guardians = {g.email: g for s in plan for g in s.guardians}
    for email, g in guardians.items():
        usable = email == demo_email("guardian")
        users[email] = _user(email, g.full_name, Role.GUARDIAN, practice, usable)
    User.objects.bulk_create(users.values())
    team.supervisor = users["supervisor"]
    team.save(update_fields=["supervisor"])

    clients = Client.objects.bulk_create(
        Client(
            practice=practice,
            user=users["client"] if s.has_login else None,
            full_name=s.full_name,
            preferred_name=s.preferred_name,
            search_name=search_key(f"{s.full_name} {s.preferred_name}"),
            pronouns=s.pronouns,
            date_of_birth=s.date_of_birth,
            email=s.email,
            phone=s.phone,
            preferred_language=s.preferred_language,
            language=data.WRITTEN_IN.get(s.preferred_language, "en"),
            status=(
                ClientStatus.DISCHARGED if s.status == EpisodeStatus.CLOSED else ClientStatus.ACTIVE
            ),
        )
        for s in plan
    )
    episodes = Episode.objects.bulk_create(
        Episode(
            practice=practice,
            client=client,
            primary_clinician=users[s.transfer_to or s.clinician],
            referral_reason=s.referral_reason,
            start_date=s.start_date,
            end_date=s.end_date,
            status=s.status,
            closure_reason=s.closure_reason,
            closure_note=s.closure_note,
        )
        for s, client in zip(plan, clients, strict=True)
    )

    links, members, transfers, sessions = [], [], [], []
    for s, client, episode in zip(plan, clients, episodes, strict=True):
        for g in s.guardians:
            links.append(
                GuardianLink(
                    client=client,
                    guardian=users[g.email],
                    relationship=g.relationship,
                    consent_to_treatment=True,
                    # Parents of under-13s usually see their scores; adolescents keep the
                    # confidential defaults.
                    may_see_client_answers=client.age_band(today) == AgeBand.CHILD,
                )
            )
        if s.co_clinician:
            through = Episode.team_members.through
            members.append(through(episode=episode, user=users[s.co_clinician]))
        if s.transfer_to and s.transferred_at:
            transfers.append(
                EpisodeTransfer(
                    episode=episode,
                    from_clinician=users[s.clinician],
                    to_clinician=users[s.transfer_to],
                    reason=data.TRANSFER_REASON,
                    transferred_at=s.transferred_at,
                    transferred_by=users["supervisor"],
                )
            )
        # One generator per client keeps each diary stable when another client's plan changes.
        rng = random.Random(f"{seed}:{s.full_name}")
        sessions += [
            Session(
                episode=episode,
                clinician=users[p.clinician],
                scheduled_start=p.start,
                duration_minutes=p.duration,
                modality=p.modality,
                attendance=p.attendance,
                private_notes=p.note,
            )
            for p in data.plan_sessions(s, today=today, rng=rng)
        ]
    GuardianLink.objects.bulk_create(links)
    Episode.team_members.through.objects.bulk_create(members)
    EpisodeTransfer.objects.bulk_create(transfers)
    Session.objects.bulk_create(sessions, batch_size=500)
    measures = build_demo_measures(
        plan=plan,
        episodes=episodes,
        sessions=sessions,
        guardian_links=links,
        today=today,
        seed=seed,
    )
    alliance = build_demo_alliance(
        plan=plan,
        episodes=episodes,
        sessions=sessions,
        guardian_links=links,
        today=today,
        seed=seed,
    )
    # Former clients with closed episodes, so outcome figures and validation have data.
    history = build_demo_history(practice=practice, plan=plan, users=users, today=today, seed=seed)
    profiles = build_demo_profiles(users=users, practice=practice)
    refresh_planner_statistics()
    plans = build_demo_plans(
        plan=plan,
        episodes=episodes,
        sessions=sessions,
        guardian_links=links,
        users=users,
        today=today,
        seed=seed,
    )
    exposure = build_demo_exposure(
        plan=plan, episodes=episodes, sessions=sessions, today=today, seed=seed
    )
    trajectories = build_demo_trajectories(
        practice=practice, episodes=episodes + history.episodes, today=today
    )
    # After the trajectories' refit: the demo's expected courses and alerts stay those of the
    # practice's own clinicians (a later refit includes these, whose courses are alike).
    former_staff = build_demo_former_staff(practice=practice, plan=plan, today=today, seed=seed)
    reviews = build_demo_review(episodes=episodes, today=today)
    fit_checks = build_demo_fit_check(episodes=episodes, today=today)
    handoffs = build_demo_handoff(episodes=episodes, today=today)
    dashboards = build_demo_dashboards(practice=practice)  # last: it reads all the above

    counts = {
        "clients": len(clients),
        "minors": sum(1 for s in plan if s.is_minor),
        "guardians": len(guardians),
        "episodes": len(episodes),
        "sessions": len(sessions),
        **measures,
        **alliance,
        **history.counts,
        **former_staff,
        **profiles,
        **plans,
        **exposure,
        **trajectories,
        **reviews,
        **fit_checks,
        **handoffs,
        **dashboards,
    }
    # One event for the whole load: a per-record trail of invented people would only be noise.
    detail = {"clients": counts["clients"]}
    audit_record(
        actor=None, action="demo_created", obj=practice, practice_id=practice.pk, detail=detail
    )
    logins = [
        DemoLogin(u.email, u.role, DEMO_PASSWORD) for u in users.values() if u.has_usable_password()
    ]
    return DemoSummary(practice=practice, logins=logins, counts=counts)
