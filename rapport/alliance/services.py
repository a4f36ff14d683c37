"""Alliance feedback: series per perspective, alerts after each rating, ruptures and repair."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from rapport.accounts.models import User
from rapport.alerts.models import Alert
from rapport.alerts.services import alert_open, alert_open_unless_open
from rapport.alliance.models import AllianceSettings, RepairAction, Rupture
from rapport.audit.services import audit_record
from rapport.care.models import Episode, Session
from rapport.charts.layout import score_axis
from rapport.charts.lines import LineChart, Marker, Series
from rapport.core import alliance as rules
from rapport.measures.models import Assignment, MeasurePlan, Response
from rapport.measures.registry import get_instrument

FEEDBACK_FAMILY = "feedback"
# The scale a chart of an episode without any feedback yet is drawn on.
DEFAULT_FEEDBACK = "feedback-client"
ITEMS = ("bond", "goals", "approach", "overall")
# Low or falling alliance is what a rupture is; the other alerts ask for a conversation.
RUPTURE_KINDS = frozenset({"low_alliance", "alliance_drop"})


@transaction.atomic
def alliance_settings_update(*, actor: User, settings: AllianceSettings) -> AllianceSettings:
    """Store a practice's alliance thresholds; a value outside its range is refused, not saved."""
    settings.full_clean()
    settings.save()
    audit_record(actor=actor, action="update", obj=settings)
    return settings


def rules_settings(practice_id: int) -> rules.AllianceSettings:
    stored = AllianceSettings.for_practice(practice_id)
    return rules.AllianceSettings(
        low_total_cutoff=stored.low_total_cutoff,
        low_item_value=stored.low_item_value,
        drop_from_previous=stored.drop_from_previous,
        drop_from_recent_mean=stored.drop_from_recent_mean,
        disagreement_total=stored.disagreement_total,
        disagreement_item=stored.disagreement_item,
        child_guardian_discrepancy=stored.child_guardian_discrepancy,
        goals_item_low=stored.goals_item_low,
        ceiling_sessions=stored.ceiling_sessions,
        repair_window_sessions=stored.repair_window_sessions,
    )


# --- Plans: feedback is asked for at every session unless a clinician stops it ----------------


def feedback_plans_ensure(*, episode: Episode) -> None:
    """Session feedback from the client and the therapist (and guardians of young clients).

    A plan that a clinician stopped stays stopped: only a perspective never planned is added.
    """
    wanted = ["client", "therapist"]
    if episode.client.is_minor and episode.client.guardian_links.filter(is_active=True).exists():
        wanted.append("guardian")
    planned = set(
        MeasurePlan.objects.filter(episode=episode, family=FEEDBACK_FAMILY).values_list(
            "respondent", flat=True
        )
    )
    for respondent in wanted:
        if respondent not in planned:
            MeasurePlan.objects.create(
                episode=episode,
                family=FEEDBACK_FAMILY,
                respondent=respondent,
                schedule="every_session",
            )


# --- Series -----------------------------------------------------------------------------------


def rating_of(response: Response, index: int) -> rules.AllianceRating:
    items = {name: float(response.answers.get(f"feedback-{name}") or 0) for name in ITEMS}
    return rules.AllianceRating(session_index=index, total=float(response.total or 0), items=items)


@dataclass
class SessionAlliance:
    session: Session
    client: Response | None = None
    therapist: Response | None = None
    guardians: list[Response] = field(default_factory=list)

    @property
    def gap(self) -> float | None:
        """Therapist minus client: positive when the therapist sees it rosier."""
        if self.client is None or self.therapist is None:
            return None
        return float(self.therapist.total or 0) - float(self.client.total or 0)

    @property
    def client_words(self) -> str:
        return str(self.client.answers.get("feedback-better") or "") if self.client else ""


def alliance_by_session(episode: Episode) -> list[SessionAlliance]:
    """Every session with any feedback, in order, with each perspective's response."""
    responses = (
        Response.objects.filter(
            episode=episode,
            assignment__plan__family=FEEDBACK_FAMILY,
            assignment__session__isnull=False,
        )
        .select_related("assignment__session", "assignment__respondent_user")
        .order_by("assignment__session__scheduled_start", "pk")
    )
    rows: dict[int, SessionAlliance] = {}
    for response in responses:
        session = response.assignment.session
        assert session is not None
        row = rows.setdefault(session.pk, SessionAlliance(session))
        if response.respondent == "client":
            row.client = response
        elif response.respondent == "therapist":
            row.therapist = response
        else:
            row.guardians.append(response)
    return list(rows.values())


def alliance_score_range(episode: Episode, rows: list[SessionAlliance]) -> tuple[float, float]:
    """The lowest and highest total the feedback forms of these sessions can have, from their
    instrument definitions, so that a chart's axis shows the whole scale: ratings crowd its
    top, and an axis cut to the points given makes a fall from 39 to 37 look like a collapse."""
    used = {
        response.instrument_id
        for row in rows
        for response in (row.client, row.therapist, *row.guardians)
        if response is not None
    } or {DEFAULT_FEEDBACK}
    ranges = [
        get_instrument(instrument_id, practice_id=episode.practice_id).score_range
        for instrument_id in sorted(used)
    ]
    return min(low for low, _ in ranges), max(high for _, high in ranges)


def client_ratings(rows: list[SessionAlliance]) -> list[rules.AllianceRating]:
    rated = [row for row in rows if row.client is not None]
    return [rating_of(row.client, i) for i, row in enumerate(rated) if row.client is not None]


# --- Alerts after each rating ------------------------------------------------------------------


@transaction.atomic
def alliance_evaluate(*, response: Response) -> list[Alert]:
    """Run the practice's alliance rules for the session this response belongs to."""
    assignment: Assignment = response.assignment
    session = assignment.session
    if session is None or assignment.plan is None or assignment.plan.family != FEEDBACK_FAMILY:
        return []
    episode = response.episode
    rows = alliance_by_session(episode)
    upto = [row for row in rows if row.session.scheduled_start <= session.scheduled_start]
    current = next((row for row in upto if row.session.pk == session.pk), None)
    if current is None or current.client is None:
        return []  # the client's rating is the anchor; the other side is checked when it comes
    history = client_ratings(upto)
    latest_index = history[-1].session_index
    therapist = rating_of(current.therapist, latest_index) if current.therapist else None
    guardian = rating_of(current.guardians[0], latest_index) if current.guardians else None
    findings = rules.evaluate_session(
        client_history=history,
        therapist=therapist,
        guardian=guardian,
        settings=rules_settings(episode.practice_id),
    )
    created = []
    now = timezone.now()
    for finding in findings:
        if Alert.objects.filter(episode=episode, session=session, kind=finding.kind).exists():
            continue
        # Patterns wait one at a time; events (a low or falling rating) open every session.
        opener = alert_open_unless_open if finding.kind in rules.PATTERN_KINDS else alert_open
        alert = opener(
            episode=episode,
            session=session,
            kind=finding.kind,
            # One reason a line, so the alert card lists them.
            reason="\n".join(finding.reasons) or finding.reason,
            source_response=response,
        )
        if alert is None:
            continue
        created.append(alert)
        if finding.kind in RUPTURE_KINDS and not _open_rupture_exists(episode):
            rupture = Rupture.objects.create(
                episode=episode,
                session=session,
                alert=alert,
                opened_at=now,
                client_words=current.client_words,
            )
            audit_record(
                actor=None,
                action="open",
                obj=rupture,
                client_id=episode.client_id,
                practice_id=episode.practice_id,
            )
    return created


def _open_rupture_exists(episode: Episode) -> bool:
    return any(status_of(r).state == "open" for r in episode.ruptures.all())


# --- Ruptures ----------------------------------------------------------------------------------


def status_of(rupture: Rupture, rows: list[SessionAlliance] | None = None) -> rules.RuptureStatus:
    """Repaired / unresolved / open, computed from the client's ratings around the rupture."""
    rows = alliance_by_session(rupture.episode) if rows is None else rows
    rated = [row for row in rows if row.client is not None]
    start = rupture.session.scheduled_start if rupture.session else rupture.opened_at
    before = [row for row in rated if row.session.scheduled_start < start]
    # The rupture session itself is the low point, not yet the repair.
    after = [row for row in rated if row.session.scheduled_start > start]
    index = {row.session.pk: i for i, row in enumerate(rated)}
    return rules.rupture_status(
        before=[rating_of(row.client, index[row.session.pk]) for row in before if row.client],
        after=[rating_of(row.client, index[row.session.pk]) for row in after if row.client],
        settings=rules_settings(rupture.episode.practice_id),
    )


@transaction.atomic
def rupture_open(
    *,
    actor: User,
    episode: Episode,
    session: Session | None,
    kind: str,
    client_words: str,
    understanding: str,
) -> Rupture:
    if kind not in Rupture.Kind.values:
        raise ValidationError("Choose what kind of rupture this was.")
    if session is not None and session.episode_id != episode.pk:
        raise ValidationError("That session belongs to another episode.")
    rupture = Rupture.objects.create(
        episode=episode,
        session=session,
        opened_at=timezone.now(),
        opened_by=actor,
        kind=kind,
        client_words=client_words.strip(),
        understanding=understanding.strip(),
    )
    audit_record(actor=actor, action="create", obj=rupture, client_id=episode.client_id)
    return rupture


@transaction.atomic
def rupture_update(
    *, actor: User, rupture: Rupture, kind: str, client_words: str, understanding: str
) -> Rupture:
    if kind not in Rupture.Kind.values:
        raise ValidationError("Choose what kind of rupture this was.")
    rupture.kind = kind
    rupture.client_words = client_words.strip()
    rupture.understanding = understanding.strip()
    rupture.save(update_fields=["kind", "client_words", "understanding"])
    audit_record(actor=actor, action="update", obj=rupture, client_id=rupture.episode.client_id)
    return rupture


@transaction.atomic
def repair_log(*, actor: User, rupture: Rupture, kind: str, note: str) -> RepairAction:
    if kind not in RepairAction.Kind.values:
        raise ValidationError("Choose what you did.")
    action = RepairAction.objects.create(
        rupture=rupture, kind=kind, note=note.strip(), taken_at=timezone.now(), taken_by=actor
    )
    audit_record(
        actor=actor,
        action="repair",
        obj=rupture,
        client_id=rupture.episode.client_id,
        detail={"kind": kind},
    )
    return action


@dataclass(frozen=True)
class RuptureCounts:
    opened: int
    repaired: int
    unresolved: int
    still_open: int
    median_sessions_to_repair: float | None


def rupture_counts(statuses: list[rules.RuptureStatus]) -> RuptureCounts:
    """Ruptures opened, repaired and unresolved, and the median sessions to repair."""
    opened, repaired, unresolved, median = rules.repair_summary(statuses)
    return RuptureCounts(opened, repaired, unresolved, opened - repaired - unresolved, median)


@dataclass(frozen=True)
class TherapistAlliance:
    clinician: User
    statuses: list[rules.RuptureStatus]
    pairs: list[tuple[float, float]]  # (therapist total, client total) at the same session

    @property
    def counts(self) -> RuptureCounts:
        return rupture_counts(self.statuses)


def therapist_alliance(clinician: User) -> TherapistAlliance:
    """A therapist's ruptures with their computed status, and their paired ratings with clients.

    Each episode's feedback is read once and serves both.
    """
    statuses: list[rules.RuptureStatus] = []
    pairs: list[tuple[float, float]] = []
    episodes = Episode.objects.filter(primary_clinician=clinician).prefetch_related(
        "ruptures__session"
    )
    for episode in episodes:
        rows = alliance_by_session(episode)
        statuses += [status_of(rupture, rows) for rupture in episode.ruptures.all()]
        pairs += [
            (float(row.therapist.total or 0), float(row.client.total or 0))
            for row in rows
            if row.client is not None and row.therapist is not None
        ]
    return TherapistAlliance(clinician, statuses, pairs)


def alliance_chart(episode: Episode) -> LineChart:
    """Client, therapist and guardian totals over sessions, with alerts and ruptures marked."""
    rows = alliance_by_session(episode)

    def series(label: str, pick: Callable[[SessionAlliance], Response | None]) -> Series:
        points = [(row.session.scheduled_start, pick(row)) for row in rows]
        kept = [(x, float(r.total or 0)) for x, r in points if r is not None]
        return Series(label, [x for x, _ in kept], [y for _, y in kept])

    alerts = Alert.objects.filter(episode=episode, session__isnull=False).exclude(kind="risk")
    cutoff = AllianceSettings.for_practice(episode.practice_id).low_total_cutoff
    lines = [
        series("Client", lambda row: row.client),
        series("Therapist", lambda row: row.therapist),
        series("Guardian", lambda row: row.guardians[0] if row.guardians else None),
    ]
    scale = alliance_score_range(episode, rows)
    return LineChart(
        title=f"Session feedback (total of {scale[1]:g})",
        y_label="Total",
        y_range=score_axis(scale),
        series=lines,
        alerts=[
            Marker(a.session.scheduled_start, a.get_kind_display())
            for a in alerts.select_related("session")
            if a.session
        ],
        ruptures=[
            Marker(r.session.scheduled_start if r.session else r.opened_at, "rupture")
            for r in episode.ruptures.select_related("session")
        ],
        threshold=cutoff,
        threshold_label="practice cut-off",
    )
