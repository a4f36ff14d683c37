"""What the export is made from: plain values the app fills in from its records.

Only what may leave Rapport is here. There is deliberately no field for a session's private
notes or a plan's private formulation, so no mapping can export them by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from rapport.core.instruments import Instrument

AuthorKind = Literal["client", "guardian", "practitioner"]


@dataclass(frozen=True)
class PracticeInput:
    pk: int
    name: str


@dataclass(frozen=True)
class PractitionerInput:
    pk: int
    name: str
    email: str
    role: str  # "clinician" or "supervisor"
    practice_pk: int


@dataclass(frozen=True)
class ClientInput:
    pk: int
    practice_pk: int
    full_name: str
    preferred_name: str
    date_of_birth: date
    email: str
    phone: str
    address: str
    language: str
    active: bool


@dataclass(frozen=True)
class GuardianInput:
    pk: int  # the guardian link's
    client_pk: int
    name: str
    email: str
    relationship: str  # a GuardianLink.Relationship value
    relationship_label: str
    active: bool
    # What of the young person's record the link shares with the guardian (GuardianLink.may_see_*).
    shares_answers: bool = False
    shares_free_text: bool = False
    shares_plan: bool = False
    shares_schedule: bool = False
    linked_at: datetime | None = None


@dataclass(frozen=True)
class ProblemInput:
    pk: int
    episode_pk: int
    client_pk: int
    title: str
    # The client's own words: left empty by the app when the recipient may not read them.
    client_words: str
    status: str  # active, improving, resolved or dropped
    priority: int
    recorded_at: datetime
    recorder_pk: int


@dataclass(frozen=True)
class EpisodeInput:
    pk: int
    client_pk: int
    practice_pk: int
    clinician_pk: int
    team_pks: tuple[int, ...]
    status: str  # active, on_hold or closed
    start: date
    end: date | None
    problems: tuple[ProblemInput, ...] = ()


@dataclass(frozen=True)
class EncounterInput:
    pk: int
    episode_pk: int
    client_pk: int
    clinician_pk: int
    start: datetime
    minutes: int
    modality: str  # in_person, video, phone or text
    attendance: str  # scheduled, attended, cancelled_client, cancelled_clinician or no_show


@dataclass(frozen=True)
class ResponseInput:
    pk: int
    episode_pk: int
    client_pk: int
    encounter_pk: int | None
    instrument: Instrument
    answers: Mapping[str, object] = field(hash=False)
    completed_at: datetime
    author_kind: AuthorKind
    # The client's, the guardian link's or the practitioner's; None where no longer known (a
    # guardian link removed since).
    author_pk: int | None
    total: float | None
    band: str
    language: str = "en"  # the form's language when it was answered


@dataclass(frozen=True)
class DecisionInput:
    """A client's or guardian's answer to a proposed plan version."""

    party_kind: AuthorKind  # "client" or "guardian"
    party_pk: int | None  # the client's, or the guardian link's (None: link since removed)
    accepted: bool
    pk: int = 0
    at: datetime | None = None


@dataclass(frozen=True)
class GoalInput:
    pk: int
    version_pk: int
    client_pk: int
    title: str
    benchmark: str  # measure_target, reliable_improvement, rating or count
    instrument: Instrument | None  # the measure's, for a measure benchmark
    subscale: str
    target: float | None
    count_direction: str  # at_least or at_most, for a count
    target_words: str  # "below 10 on the PHQ-9"
    target_date: date | None
    problem_pks: tuple[int, ...]


@dataclass(frozen=True)
class PlanInput:
    """One plan version that reached the client (drafts never leave). Its text is what the
    client reads: the shared formulation and the approach, never the private formulation."""

    pk: int
    episode_pk: int
    client_pk: int
    number: int
    status: str  # proposed, accepted, changes_requested or superseded
    episode_closed: bool
    shared_text: str
    proposed_at: datetime
    decided_at: datetime | None
    author_pk: int
    replaces_pk: int | None  # the version this one took the place of
    replaced: bool  # a later version has taken its place
    goals: tuple[GoalInput, ...] = ()
    decisions: tuple[DecisionInput, ...] = ()


@dataclass(frozen=True)
class AlertInput:
    """An alert a rule opened about a client, and what the clinicians did about it. Only its
    rule-made reason is here, never the notes written when acknowledging or resolving it."""

    pk: int
    client_pk: int
    episode_pk: int
    kind: str  # an Alert.Kind value
    kind_label: str
    urgent: bool
    reason: str
    status: str  # open, acknowledged or resolved
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by_pk: int | None
    resolved_at: datetime | None
    resolved_by_pk: int | None
    response_pk: int | None  # the answers that raised it, where one form did
    response_has_total: bool  # so its total is an Observation too
    encounter_pk: int | None
