"""What a handoff's consent lets the receiving therapist see of the time before it.

A completed warm handoff (rapport.matching Handoff) brings a client to a new therapist with the
client's itemised consent: measures, plan and goals, alliance history, risk alerts; private notes
never. For the therapist it brought the client to, every record of that client dated before the
handoff's completion and belonging to an item not agreed to is withheld; what is recorded after
it is the new therapist's own work and is shown in full. Everyone else (the coordinator, the
supervisors, a break-glass reader) follows the ordinary rules of rapport.access; the therapist
who handed the client over has lost access there already.

The rule lives here, once, and every read applies it through one of:
- `consented(user, rows)`: a list over any number of clients (the alerts inbox, the caseload's
  flags, exports, the API's lists);
- `shared_only(user, rows, client_id)`: one client's rows, for a reader known by the caller;
- `viewer_shared(rows, client_id)`: one client's rows, for the reader `rapport.access.load` let
  in during this request (reads that are given an episode, not a reader: score histories, the
  alliance by session); `viewer_shared_each(rows, client_ids)` the same for several clients'
  rows read at once (a page of a practice's export);
- `shown_since(user, client_id, item)` / `withheld_before_by_client(user, item)`: for reads that
  gather rows or figures themselves, the moment from which an item may be shown.

Which item a record belongs to (the table `_WITHHELD_BEFORE`):
- measures: every questionnaire response but session feedback, and the scores, trajectories and
  charts drawn from them;
- alliance history: session feedback responses, ruptures;
- plan and goals: problems, plan versions, goals, their ratings and counts, plan reviews;
- risk alerts: alerts raised by a risk answer;
- other alerts follow the item whose data they state: those raised from session feedback (low
  alliance, the alliance falling, disagreement, a young person and guardian disagreeing, goals
  rated low, top marks every session) follow the alliance history; plan reviews and changes
  asked for follow the plan; off track, at risk and deterioration follow the measures;
- private notes (the sessions held before, with their notes) never move.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy

from rapport.audit.context import current_request_id

if TYPE_CHECKING:
    from rapport.accounts.models import User

HANDOFF_ITEMS = ("measures", "plan", "alliance", "risk_alerts")
# What the receiving therapist is told was not shared, in plain words.
ITEM_WORDS = {
    "measures": gettext_lazy("questionnaires and scores"),
    "plan": gettext_lazy("the plan and its goals"),
    "alliance": gettext_lazy("session feedback and ruptures"),
    "risk_alerts": gettext_lazy("risk alerts"),
}

_ALLIANCE_ALERTS = Q(
    kind__in=[
        "low_alliance",
        "alliance_drop",
        "disagreement",
        "child_guardian_discrepancy",
        "goals_low",
        "ceiling",
    ]
)
_PLAN_ALERTS = Q(kind__in=["plan_review", "plan_changes"])
_FEEDBACK = Q(assignment__plan__family="feedback")
# For each kind of record kept before a transfer: its time field, and which item each of its rows
# belongs to.
_WITHHELD_BEFORE: dict[str, tuple[str, dict[str, Q]]] = {
    "measures.response": ("completed_at", {"measures": ~_FEEDBACK, "alliance": _FEEDBACK}),
    # Forms due before the handoff are part of that history; those due after are the new
    # therapist's to follow.
    "measures.assignment": (
        "due_at",
        {"measures": ~Q(plan__family="feedback"), "alliance": Q(plan__family="feedback")},
    ),
    "alliance.rupture": ("opened_at", {"alliance": Q()}),
    "alerts.alert": (
        "opened_at",
        {
            "risk_alerts": Q(kind="risk"),
            "alliance": _ALLIANCE_ALERTS,
            "plan": _PLAN_ALERTS,
            "measures": ~Q(kind="risk") & ~_ALLIANCE_ALERTS & ~_PLAN_ALERTS,
        },
    ),
    # The new therapist does not open the sessions held before the handoff (the client page
    # still lists their dates).
    "care.session": ("scheduled_start", {"private_notes": Q()}),
    "plans.problem": ("created_at", {"plan": Q()}),
    "plans.planversion": ("created_at", {"plan": Q()}),
    "plans.plangoal": ("version__created_at", {"plan": Q()}),
    "plans.goalrating": ("recorded_at", {"plan": Q()}),
    "plans.behaviourcount": ("recorded_at", {"plan": Q()}),
    "plans.planreview": ("at", {"plan": Q()}),
    # A score's place against its expected trajectory is read from the score itself.
    "trajectories.scorestatus": ("at", {"measures": Q()}),
}
# The lookup to the client of a kind of record above that declares no `client_path` (one `load`
# never serves alone).
_CLIENT_FIELD = {
    "plans.goalrating": "episode__client_id",
    "plans.behaviourcount": "episode__client_id",
    "plans.planreview": "episode__client_id",
    "trajectories.scorestatus": "episode__client_id",
}


@dataclass(frozen=True)
class Withheld:
    """For a receiving therapist: the items the client did not agree to share, and from when
    the record is theirs to see in full (the handoff's completion)."""

    items: frozenset[str]
    before: datetime


def _label(model: type[Model]) -> str:
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _received(user: User, client_ids: Any = None) -> dict[int, Withheld]:
    """Per client a completed handoff brought to `user`: what is withheld (the latest handoff)."""
    if not user.is_authenticated or not user.is_clinical_staff:
        return {}
    handoffs = apps.get_model("matching", "Handoff").objects.filter(
        to_clinician=user, status="completed"
    )
    if client_ids is not None:
        handoffs = handoffs.filter(episode__client_id__in=client_ids)
    found: dict[int, Withheld] = {}
    rows = handoffs.order_by("completed_at").values(
        "episode__client_id", "completed_at", *(f"share_{item}" for item in HANDOFF_ITEMS)
    )
    for row in rows:  # the latest handoff of each client is read last, and kept
        items = {item for item in HANDOFF_ITEMS if not row[f"share_{item}"]}
        found[row["episode__client_id"]] = Withheld(
            items=frozenset(items | {"private_notes"}), before=row["completed_at"]
        )
    return found


def handoff_withheld(user: User, client_id: int | None) -> Withheld | None:
    """What of the client's past `user` may not see, as the therapist a handoff brought them
    to; None for everyone else."""
    if client_id is None:
        return None
    return _received(user, [client_id]).get(client_id)


def _withheld_rows(model: type[Model], withheld: Withheld) -> Q | None:
    rule = _WITHHELD_BEFORE.get(_label(model))
    if rule is None:
        return None
    moment, items = rule
    hidden = [condition for item, condition in items.items() if item in withheld.items]
    if not hidden:
        return None
    return Q(**{f"{moment}__lt": withheld.before}) & reduce(or_, hidden)


def _client_path(model: type[Model]) -> str:
    if (field := _CLIENT_FIELD.get(_label(model))) is not None:
        return field
    path = getattr(model, "client_path", None)
    if not isinstance(path, str) or not path:
        raise TypeError(f"{model.__name__} declares no client_path.")
    return "pk" if path == "pk" else f"{path}_id"


def consented[S: QuerySet[Any]](user: User, rows: S) -> S:
    """`rows` (of any clients) without what a handoff's consent withholds from `user`: for each
    client a handoff brought them, that client's rows of the items not agreed to, dated before
    the handoff. One query for the handoffs; a model the rule does not name is left as it is."""
    if _label(rows.model) not in _WITHHELD_BEFORE:
        return rows
    hidden = []
    client_field = _client_path(rows.model)
    for client_id, withheld in _received(user).items():
        rule = _withheld_rows(rows.model, withheld)
        if rule is not None:
            hidden.append(Q(**{client_field: client_id}) & rule)
    return rows.exclude(reduce(or_, hidden)) if hidden else rows


def shared_only[M: Model](user: User, rows: QuerySet[M], client_id: int | None) -> QuerySet[M]:
    """`rows` of one client's record without what a handoff's consent withholds from `user`."""
    withheld = handoff_withheld(user, client_id)
    hidden = _withheld_rows(rows.model, withheld) if withheld is not None else None
    return rows.exclude(hidden) if hidden is not None else rows


def shown_since(user: User, client_id: int | None, item: str) -> datetime | None:
    """For reads that gather rows themselves: the moment from which rows of `item` may be shown
    to `user` (None: all of them)."""
    withheld = handoff_withheld(user, client_id)
    return withheld.before if withheld is not None and item in withheld.items else None


def withheld_before_by_client(user: User, item: str) -> dict[int, datetime]:
    """`shown_since` for every client at once (a caseload, an export): the clients whose `item`
    is withheld from `user` before a moment, and that moment. Clients not named show in full."""
    return {
        client_id: withheld.before
        for client_id, withheld in _received(user).items()
        if item in withheld.items
    }


def is_withheld(model: type[Model], pk: int, withheld: Withheld | None) -> bool:
    """Whether one object of the record is from before a handoff and not consented to."""
    hidden = _withheld_rows(model, withheld) if withheld is not None else None
    return hidden is not None and model._default_manager.filter(hidden, pk=pk).exists()


# The reads that gather a record's rows themselves (score histories, the alliance by session)
# are given an episode, not a reader. `load` remembers, for the request being served, what the
# reader it let in may not see of that client, and those reads apply it through `viewer_shared`.
# Keyed by the request's id, so nothing carries over to another request (a portal page of the
# same client, say) or to the worker, which reads outside any request.
_viewer: ContextVar[tuple[str, int, Withheld | None] | None] = ContextVar(
    "rapport_handoff_viewer", default=None
)


def remember_viewer(user: User, client_id: int | None) -> Withheld | None:
    withheld = handoff_withheld(user, client_id)
    request_id = current_request_id.get()
    if request_id and client_id is not None:
        _viewer.set((request_id, client_id, withheld))
    return withheld


def _viewer_withheld(client_id: int) -> Withheld | None:
    remembered = _viewer.get()
    if remembered is None or remembered[:2] != (current_request_id.get(), client_id):
        return None
    return remembered[2]


def viewer_shared[S: QuerySet[Any]](rows: S, client_id: int) -> S:
    """`rows` of one client's record without what a handoff withholds from the staff member
    this request loaded that client's record for (all of them outside such a request)."""
    withheld = _viewer_withheld(client_id)
    hidden = _withheld_rows(rows.model, withheld) if withheld is not None else None
    return rows.exclude(hidden) if hidden is not None else rows


def viewer_shared_each[S: QuerySet[Any]](rows: S, client_ids: Iterable[int]) -> S:
    """`viewer_shared` for the rows of several clients' records read in one query: each client's
    rows without what a handoff withholds from that client's viewer in this request. No query
    of its own, like `viewer_shared`: the viewer is remembered, not read."""
    hidden = []
    for client_id in client_ids:
        withheld = _viewer_withheld(client_id)
        rule = _withheld_rows(rows.model, withheld) if withheld is not None else None
        if rule is not None:
            hidden.append(Q(**{_client_path(rows.model): client_id}) & rule)
    return rows.exclude(reduce(or_, hidden)) if hidden else rows


def viewer_withholds(client_id: int, item: str) -> bool:
    """Whether the staff member this request loaded the client's record for may not see `item`
    of the time before a handoff: for figures drawn from that time as a whole (an expected
    trajectory fitted to the intake score, say), which no row filter can trim."""
    withheld = _viewer_withheld(client_id)
    return withheld is not None and item in withheld.items
