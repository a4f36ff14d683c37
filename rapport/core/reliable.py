"""Reliable change of one client's score: one rule per instrument, used everywhere it is judged.

The client page, the expected-trajectory alerts ("reliably worse"), plan goals ("reliable
improvement") and the practice dashboard's recovered / improved / deteriorated counts all ask
`ReliableChangeRule.category`, so they can never disagree about the same client.

Two kinds of rule:
- a published criterion in points, shipped with the instrument's definition — for the PHQ-9 and
  GAD-7 the NHS Talking Therapies criteria (a change of 6 or more points on the PHQ-9, 4 or more
  on the GAD-7; caseness 10 and 8). "6 or more" is inclusive;
- otherwise Jacobson & Truax's reliable change index (1991): a change larger than
  1.96 × S_diff, S_diff = √2 · SD · √(1 − r) — strictly larger, as in rapport.core.change.

"Recovered" is a reliable improvement from the clinical range (at or above the caseness score
where lower is better) to below it; "harmed" the reverse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rapport.core.change import Z_TWO_TAILED
from rapport.core.outcomes import recovery_cutoff

if TYPE_CHECKING:
    from rapport.core.instruments.model import Instrument

# Categories in outcome order, best first (the same codes as rapport.core.outcomes.CATEGORIES).
RECOVERED, IMPROVED, UNCHANGED, DETERIORATED, HARMED = range(5)
CATEGORY_KEYS = ("recovered", "improved", "unchanged", "deteriorated", "harmed")
# Short names for tables; `ReliableChangeRule.explain` adds the rule behind them.
CATEGORY_LABELS = {
    "recovered": "recovered",
    "improved": "reliable improvement",
    "unchanged": "no reliable change",
    "deteriorated": "reliable deterioration",
    "harmed": "reliable deterioration into the clinical range",
}
JACOBSON_TRUAX = "Jacobson–Truax reliable change index"
# Scores are sums of item values: a tolerance keeps "6 or more" exact under float arithmetic.
_EPSILON = 1e-9


@dataclass(frozen=True)
class ReliableChangeRule:
    """How large a change must be to be beyond measurement error, and where caseness starts."""

    points: float  # the size of a reliable change
    direction: str  # "lower" (lower scores are better) or "higher"
    inclusive: bool  # True: a change of exactly `points` is reliable ("6 or more")
    caseness: float | None  # the clinical range starts here (None: no recovered / harmed)
    name: str  # "NHS Talking Therapies criterion", or JACOBSON_TRUAX
    source: str = ""

    def __post_init__(self) -> None:
        if not self.points > 0 or not math.isfinite(self.points):
            raise ValueError("a reliable change is a positive number of points")
        if self.direction not in ("lower", "higher"):
            raise ValueError("direction must be 'lower' or 'higher'")

    @property
    def sign(self) -> int:
        """+1 where a higher score is better, −1 where a lower one is."""
        return 1 if self.direction == "higher" else -1

    def _reliable(self, size: float) -> bool:
        if self.inclusive:
            return size >= self.points - _EPSILON
        return size > self.points + _EPSILON

    def _clinical(self, score: float) -> bool:
        assert self.caseness is not None
        return score >= self.caseness if self.direction == "lower" else score <= self.caseness

    def category(self, pre: float, post: float) -> str:
        """recovered / improved / unchanged / deteriorated / harmed."""
        better = (post - pre) * self.sign
        if self._reliable(better):
            if self.caseness is not None and self._clinical(pre) and not self._clinical(post):
                return "recovered"
            return "improved"
        if self._reliable(-better):
            if self.caseness is not None and not self._clinical(pre) and self._clinical(post):
                return "harmed"
            return "deteriorated"
        return "unchanged"

    def is_reliably_worse(self, pre: float, post: float) -> bool:
        return self.category(pre, post) in ("deteriorated", "harmed")

    def is_reliably_better(self, pre: float, post: float) -> bool:
        return self.category(pre, post) in ("recovered", "improved")

    def categories(self, pre: ArrayLike, post: ArrayLike) -> NDArray[np.int64]:
        """`category` for many pairs at once, as codes (RECOVERED … HARMED)."""
        x1 = np.asarray(pre, dtype=np.float64)
        x2 = np.asarray(post, dtype=np.float64)
        if x1.shape != x2.shape or x1.ndim != 1:
            raise ValueError("pre and post must be one-dimensional and of the same length")
        better = (x2 - x1) * self.sign
        if self.inclusive:
            improved = better >= self.points - _EPSILON
            worse = -better >= self.points - _EPSILON
        else:
            improved = better > self.points + _EPSILON
            worse = -better > self.points + _EPSILON
        codes = np.full(x1.shape, UNCHANGED, dtype=np.int64)
        codes[improved] = IMPROVED
        codes[worse] = DETERIORATED
        if self.caseness is not None:
            c = self.caseness
            clinical_pre = x1 >= c if self.direction == "lower" else x1 <= c
            clinical_post = x2 >= c if self.direction == "lower" else x2 <= c
            codes[improved & clinical_pre & ~clinical_post] = RECOVERED
            codes[worse & ~clinical_pre & clinical_post] = HARMED
        return codes

    # --- Words ------------------------------------------------------------------------------

    def _size_words(self, better: bool) -> str:
        move = "fall" if better == (self.direction == "lower") else "rise"
        if self.inclusive:
            return f"a {move} of {self.points:g} or more points"
        return f"a {move} of more than {self.points:.1f} points"

    @property
    def improvement_words(self) -> str:
        """ "a fall of 6 or more points" (where lower is better)."""
        return self._size_words(better=True)

    @property
    def deterioration_words(self) -> str:
        return self._size_words(better=False)

    def explain(self, category: str) -> str:
        """The category in words with the rule behind it, for staff pages and alerts:
        "reliable improvement (NHS Talking Therapies criterion: a fall of 6 or more points)"."""
        recovered = ""
        if self.caseness is not None:
            side = "below" if self.direction == "lower" else "above"
            recovered = f", ending {side} the caseness score of {self.caseness:g}"
        words = {
            "recovered": ("recovered", f"{self.improvement_words}{recovered}"),
            "improved": ("reliable improvement", self.improvement_words),
            "unchanged": ("no reliable change", f"needs {self.improvement_words} either way"),
            "deteriorated": ("reliable deterioration", self.deterioration_words),
            "harmed": ("reliable deterioration into the clinical range", self.deterioration_words),
        }
        label, rule = words[category]
        if category == "unchanged":
            rule = (
                f"needs {self.improvement_words} for improvement, "
                f"{self.deterioration_words} for deterioration"
            )
        return f"{label} ({self.name}: {rule})"


def jacobson_truax_rule(
    *,
    sd: float | None,
    reliability: float | None,
    direction: str,
    caseness: float | None = None,
    source: str = "",
) -> ReliableChangeRule | None:
    """Jacobson & Truax's criterion in points, or None without a usable SD and reliability."""
    if sd is None or reliability is None or not sd > 0 or not 0 < reliability < 1:
        return None
    s_diff = math.sqrt(2.0) * sd * math.sqrt(1.0 - reliability)
    return ReliableChangeRule(
        points=Z_TWO_TAILED * s_diff,
        direction=direction,
        inclusive=False,
        caseness=caseness,
        name=JACOBSON_TRUAX,
        source=source,
    )


def rule_for(
    instrument: Instrument, *, sd: float | None = None, reliability: float | None = None
) -> ReliableChangeRule | None:
    """The one rule an instrument's change is judged by.

    Its published criterion where the definition ships one; else Jacobson–Truax from its
    published reliability and clinical SD, or — where it has none — the `sd` and `reliability`
    given (a practice's own estimates, as its expected trajectories store them). None when
    nothing usable is known: change is then not judged at all.
    """
    if instrument.reliable_change is not None:
        return instrument.reliable_change
    r = instrument.reliability if instrument.reliability is not None else reliability
    spread = instrument.clinical_sd if instrument.clinical_sd else sd
    caseness, _ = recovery_cutoff(
        direction=instrument.direction,
        published_cutoff=instrument.cutoff,
        clinical_mean=instrument.clinical_mean,
        clinical_sd=instrument.clinical_sd,
        functional_mean=instrument.functional_mean,
        functional_sd=instrument.functional_sd,
    )
    return jacobson_truax_rule(
        sd=spread, reliability=r, direction=instrument.direction, caseness=caseness
    )
