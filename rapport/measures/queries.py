"""Read models: scores over time per measure, for the client page and the portal."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from rapport.care.models import Episode
from rapport.core.instruments import Instrument
from rapport.core.progress import classify_change
from rapport.measures.models import Response
from rapport.measures.registry import get_instrument

CATEGORY_WORDS = {
    "recovered": "reliably better, and now in the healthy range",
    "improved": "reliably better",
    "unchanged": "no reliable change yet",
    "deteriorated": "reliably worse",
    "harmed": "reliably worse, and now in the clinical range",
}


@dataclass(frozen=True)
class ScoreRow:
    response: Response
    total: float | None
    band: str
    change: float | None  # since the first score in the episode
    category: str | None


@dataclass
class MeasureHistory:
    instrument: Instrument
    respondent: str
    rows: list[ScoreRow] = field(default_factory=list)

    @property
    def latest(self) -> ScoreRow | None:
        return self.rows[-1] if self.rows else None

    @property
    def category_words(self) -> str:
        latest = self.latest
        return CATEGORY_WORDS.get(latest.category or "", "") if latest else ""

    @property
    def first_at(self) -> datetime | None:
        return self.rows[0].response.completed_at if self.rows else None


def score_histories(
    episode: Episode,
    *,
    respondents: tuple[str, ...] = ("client", "guardian", "therapist"),
    kinds: tuple[str, ...] = ("outcome", "goal"),
) -> list[MeasureHistory]:
    """Each scored measure's totals in order, with change since the first and its category."""
    responses = (
        Response.objects.filter(episode=episode, respondent__in=respondents, total__isnull=False)
        .select_related("assignment__respondent_user")
        .order_by("completed_at")
    )
    histories: dict[tuple[str, str], MeasureHistory] = {}
    for response in responses:
        key = (response.instrument_id, response.assignment.respondent_key)
        if key not in histories:
            instrument = get_instrument(response.instrument_id, practice_id=episode.practice_id)
            histories[key] = MeasureHistory(instrument, response.respondent)
        history = histories[key]
        first = history.rows[0].total if history.rows else None
        instrument = history.instrument
        category = None
        if first is not None and response.total is not None and instrument.kind == "outcome":
            category = classify_change(
                first,
                response.total,
                direction=instrument.direction,
                reliability=instrument.reliability,
                sd=instrument.clinical_sd,
                cutoff=instrument.cutoff,
            )
        history.rows.append(
            ScoreRow(
                response=response,
                total=response.total,
                band=response.band,
                change=None if first is None or response.total is None else response.total - first,
                category=category,
            )
        )
    wanted = [h for h in histories.values() if h.instrument.kind in kinds]
    return sorted(wanted, key=lambda h: (h.instrument.kind != "outcome", h.instrument.title))
