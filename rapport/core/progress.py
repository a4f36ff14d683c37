"""One client's change since intake, in the categories of Jacobson & Truax (1991).

The sample-level methods are in `change`; here a single client is compared with the scale's
published reliability and clinical standard deviation, the way a clinician reads a chart.
"""

from __future__ import annotations

from rapport.core.change import Z_TWO_TAILED, rci_single


def classify_change(
    pre: float,
    post: float,
    *,
    direction: str,
    reliability: float | None,
    sd: float | None,
    cutoff: float | None = None,
) -> str | None:
    """recovered / improved / unchanged / deteriorated / harmed, or None without norms.

    "Recovered" needs a reliable improvement that also crosses the cut-off from the clinical to
    the functional side; "harmed" the reverse. Strict inequalities, as in `change`.
    """
    if reliability is None or sd is None or sd <= 0 or not 0 < reliability < 1:
        return None
    if direction not in ("lower", "higher"):
        raise ValueError("direction must be 'lower' or 'higher'")
    sign = -1 if direction == "lower" else 1
    index = rci_single(pre, post, sd, reliability) * sign  # positive = better
    if index > Z_TWO_TAILED:
        if (
            cutoff is not None
            and _functional(post, cutoff, sign)
            and not _functional(pre, cutoff, sign)
        ):
            return "recovered"
        return "improved"
    if index < -Z_TWO_TAILED:
        if (
            cutoff is not None
            and _functional(pre, cutoff, sign)
            and not _functional(post, cutoff, sign)
        ):
            return "harmed"
        return "deteriorated"
    return "unchanged"


def _functional(score: float, cutoff: float, sign: int) -> bool:
    return score * sign > cutoff * sign
