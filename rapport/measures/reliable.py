"""The one reliable-change rule per instrument and practice, for every page, alert and figure.

The client page, the expected-trajectory alerts, plan goals and the practice dashboard all take
their rule from `change_rule`, so they cannot disagree about the same client. The rule itself and
its arithmetic are in rapport.core.reliable.
"""

from __future__ import annotations

from rapport.core.instruments import Instrument
from rapport.core.reliable import ReliableChangeRule, rule_for
from rapport.trajectories.models import ExpectedTrajectory


def practice_estimates(practice_id: int, family: str) -> tuple[float | None, float | None]:
    """(SD, reliability) the practice's expected trajectory of this measure was fitted with:
    the published figures where the instrument has them, else the practice's own estimates."""
    found = (
        ExpectedTrajectory.objects.filter(practice_id=practice_id, family=family)
        .values_list("sd", "reliability")
        .first()
    )
    return found if found is not None else (None, None)


def change_rule(
    instrument: Instrument,
    *,
    practice_id: int | None,
    sd: float | None = None,
    reliability: float | None = None,
) -> ReliableChangeRule | None:
    """The instrument's published criterion, else Jacobson–Truax from its published figures,
    else from the practice's own estimates (given, or as its expected trajectory stores them)."""
    published = rule_for(instrument)
    if published is not None:
        return published
    if sd is None and reliability is None and practice_id is not None:
        sd, reliability = practice_estimates(practice_id, instrument.family)
    return rule_for(instrument, sd=sd, reliability=reliability)
