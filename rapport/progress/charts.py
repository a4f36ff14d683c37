"""The progress chart's one definition: from an episode's progress to a chart and its table.

Pure functions of the read models in `queries.py` (no database access here): the clinician's
page on screen, on a phone and on paper, and any report that prints the chart, draw the same
`ProgressChart` (`render_progress_svg(clinician_chart(episode_progress(episode)))`), and the
accessible table under it is built from the same data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from rapport.charts.layout import score_axis
from rapport.charts.progress import (
    Envelope,
    Event,
    KeyWords,
    Line,
    Panel,
    ProgressChart,
    Shade,
)
from rapport.progress.queries import (
    AlertMark,
    EpisodeProgress,
    FamilyProgress,
    PortalProgress,
    ScoreSeries,
)
from rapport.trajectories.queries import ExpectedBand

# The expected band is drawn a little past the latest session: where the scores should go next.
EXPECTED_AHEAD = 2


def direction_words(family: FamilyProgress) -> str:
    return _("lower is better") if family.lower_is_better else _("higher is better")


# The severity bands of the built-in instruments, named here for the catalogues: a band's name
# is the instrument's category, said in the reader's language (a practice's own names pass
# through as written).
BAND_NAMES = (
    gettext_noop("Minimal"),
    gettext_noop("Mild"),
    gettext_noop("Moderate"),
    gettext_noop("Moderately severe"),
    gettext_noop("Severe"),
    gettext_noop("Below the anxiety cut-off"),
    gettext_noop("May indicate an anxiety disorder"),
)


def band_words(name: str) -> str:
    return _(name) if name else name


def _y_range(family: FamilyProgress) -> tuple[float, float]:
    values = [p.total for s in family.series for p in s.points]
    if family.expected is not None:
        values += [*family.expected.p10, *family.expected.p90]
    return score_axis(family.instrument.score_range, values)


def _shades(family: FamilyProgress) -> list[Shade]:
    return [Shade(b.min, b.max, band_words(b.label), b.severity) for b in family.instrument.bands]


def _envelope(
    band: ExpectedBand | None, offset: float, last_x: float, *, plain: bool = False
) -> Envelope | None:
    if band is None:
        return None
    xs = [session + offset for session in band.sessions]
    keep = [i for i, x in enumerate(xs) if x <= last_x + EXPECTED_AHEAD]
    if not keep:
        return None

    def pick(values: list[float]) -> list[float]:
        return [float(values[i]) for i in keep]

    return Envelope(
        x=[xs[i] for i in keep],
        p10=pick(band.p10),
        p25=pick(band.p25),
        p50=pick(band.p50),
        p75=pick(band.p75),
        p90=pick(band.p90),
        plain=plain,
        words=(_("most people starting like you"), _("half of them"), _("the middle"))
        if plain
        else (_("expected 10–90%"), _("expected 25–75%"), _("expected median")),
    )


def _lines(series: list[ScoreSeries]) -> list[Line]:
    return [Line(s.label, [p.x for p in s.points], [p.total for p in s.points]) for s in series]


def _events(marks: list[AlertMark]) -> list[Event]:
    return [Event(mark.x, mark.label) for mark in marks]


def family_panel(
    family: FamilyProgress, *, simplified: bool = False, expected: bool = False
) -> Panel:
    """A measure's panel; `simplified` (the client's) leaves out the expected band, alerts and
    risk marks, unless `expected` asks for the band (the client's printed progress report, which
    explains it in plain words)."""
    last_x = max(p.x for s in family.series for p in s.points)
    band = not simplified or expected
    return Panel(
        title=f"{family.title} · {direction_words(family)}",
        y_label=_("Score"),
        y_range=_y_range(family),
        lines=_lines(family.series),
        shades=_shades(family),
        envelope=_envelope(family.expected, family.expected_offset, last_x, plain=simplified)
        if band
        else None,
        alerts=[] if simplified else _events(family.alerts),
        risk_points=[] if simplified else risk_points(family),
        words=key_words(),
    )


def key_words() -> KeyWords:
    """The chart's marks named in the reader's language."""
    return KeyWords(alert=_("alert"), risk_item=_("risk item answered"), risk=_("risk"))


def chart_title() -> str:
    """The drawing's name for screen readers, in the reader's language (its panels follow)."""
    return _("Progress chart")


def chart_description() -> str:
    return _("The same scores are in the tables beside the chart.")


def risk_points(family: FamilyProgress) -> list[tuple[float, float]]:
    return [(p.x, p.total) for s in family.series for p in s.points if p.risk]


def alliance_panel(progress: EpisodeProgress) -> Panel | None:
    if not progress.alliance:
        return None
    lines = []
    for label, attribute in (
        (_("Client"), "client"),
        (_("Therapist"), "therapist"),
        (_("Guardian"), "guardian"),
    ):
        points = [(p.x, getattr(p, attribute)) for p in progress.alliance]
        kept = [(x, y) for x, y in points if y is not None]
        if kept:
            lines.append(Line(label, [x for x, _ in kept], [y for _, y in kept]))
    low, high = progress.alliance_range
    return Panel(
        title=_("Session feedback (alliance) · higher is better"),
        y_label=_("Total of %(high)s") % {"high": f"{high:g}"},
        # The whole scale: ratings crowd its top, and an axis cut to the ratings given would
        # make a fall from 39 to 37 look like a collapse.
        y_range=score_axis((low, high), [y for line in lines for y in line.y]),
        lines=lines,
        alerts=_events(progress.alliance_alerts),
        words=key_words(),
    )


def clinician_chart(progress: EpisodeProgress) -> ProgressChart:
    """One panel per measured family, the alliance beneath, plan revisions across all."""
    panels = [family_panel(family) for family in progress.families]
    alliance = alliance_panel(progress)
    if alliance is not None:
        panels.append(alliance)
    return ProgressChart(
        x_label=_("Session number (1 = first session)"),
        panels=panels,
        empty_text=_("No scores yet."),
        # Stuck-case reviews are drawn as the plan's revisions are: each a change of course.
        revisions=[
            *(
                Event(r.x, r.label, short=_("plan v%(number)s") % {"number": r.number})
                for r in progress.revisions
            ),
            *(Event(r.x, r.label, short=_("review")) for r in progress.reviews),
        ],
        title=chart_title(),
        description=chart_description(),
    )


def portal_chart(progress: PortalProgress, *, expected: bool = False) -> ProgressChart:
    """The client's own scores over their sessions, with the instrument's ranges shaded (and
    with `expected`, the expected band of the families that carry one)."""
    return ProgressChart(
        x_label=_("Session"),
        panels=[
            family_panel(family, simplified=True, expected=expected) for family in progress.families
        ],
        empty_text=_("No scores to show yet."),
        title=chart_title(),
        description=chart_description(),
    )


# --- The table under the chart ------------------------------------------------------------------


@dataclass(frozen=True)
class TableRow:
    session: str
    at: datetime
    scores: list[tuple[str, str]]  # (respondent, score)
    band: str
    expected: tuple[str, str]  # the middle half and median; the 10th to 90th percentile
    alerts: list[str]
    risk: list[str]  # whose form at this session carries a risk flag


def session_words(x: float) -> str:
    if x == int(x):
        return str(int(x))
    if x < 1:
        return _("before session 1")
    return _("between %(first)s and %(next)s") % {"first": int(x), "next": int(x) + 1}


def revision_words(x: float) -> str:
    if x == int(x):
        return _("at session %(n)s") % {"n": int(x)}
    return _("before session 1") if x < 1 else _("after session %(n)s") % {"n": int(x)}


def _number(value: float) -> str:
    """A score as the reader writes numbers: "12.5" in English, "12,5" in Spanish."""
    return number_format(value, decimal_pos=0 if value == int(value) else 1)


def expected_words(band: ExpectedBand | None, session: float) -> tuple[str, str]:
    """The expected middle half with its median, and the 10th to 90th percentile, at a session
    counted from the intake (see FamilyProgress.expected_offset); blank where there is none."""
    if band is None or session != int(session) or int(session) not in band.sessions:
        return "", ""
    i = band.sessions.index(int(session))
    middle = _("%(low)s–%(high)s, median %(median)s") % {
        "low": _number(band.p25[i]),
        "high": _number(band.p75[i]),
        "median": _number(band.p50[i]),
    }
    return middle, f"{_number(band.p10[i])}–{_number(band.p90[i])}"


def family_table(family: FamilyProgress, *, simplified: bool = False) -> list[TableRow]:
    """One row per session with a score: each respondent's score, the band of the first
    respondent's (the client's) score, the expected range and the alerts of that session."""
    by_x: dict[float, dict[int, str]] = {}
    dates: dict[float, datetime] = {}
    bands: dict[float, str] = {}
    risk: dict[float, list[str]] = {}
    for column, series in enumerate(family.series):
        for point in series.points:
            by_x.setdefault(point.x, {})[column] = _number(point.total)
            if point.risk and not simplified:
                risk.setdefault(point.x, []).append(series.label)
            dates.setdefault(point.x, point.at)
            if column == 0:
                bands[point.x] = point.band
    columns = list(enumerate(family.series))
    offset = family.expected_offset
    alerts: dict[float, list[str]] = {}
    if not simplified:
        for mark in family.alerts:
            alerts.setdefault(mark.x, []).append(mark.label)
    return [
        TableRow(
            session=session_words(x),
            at=dates[x],
            scores=[(series.label, by_x[x].get(column, "—")) for column, series in columns],
            band=band_words(bands.get(x, "")),
            expected=("", "") if simplified else expected_words(family.expected, x - offset),
            alerts=alerts.get(x, []),
            risk=risk.get(x, []),
        )
        for x in sorted(by_x)
    ]


def unplaced_alerts(family: FamilyProgress) -> list[AlertMark]:
    """Alerts on sessions without a score of this family (listed under the table)."""
    scored = {p.x for s in family.series for p in s.points}
    return [mark for mark in family.alerts if mark.x not in scored]


# --- Plain words for the portal -----------------------------------------------------------------


def own_labels() -> tuple[str, str]:
    """How the portal labels the reader's own scores (rapport.progress.queries.portal_progress):
    a client's "You", a guardian's "Your answers" beside the young person's named line."""
    return (_("You"), _("Your answers"))


def meaning(family: FamilyProgress) -> str:
    return (
        _("lower means fewer symptoms")
        if family.lower_is_better
        else _("higher means things are going better")
    )


def plain_summary(series: ScoreSeries, family: FamilyProgress) -> str:
    """'Your PHQ-9 scores have gone down from 18 to 9: lower means fewer symptoms.' Whole
    sentences for the translator: whose scores they are changes the word order in Spanish."""
    own = series.label in own_labels()
    first, latest = series.first.total, series.latest.total
    words = {
        "name": series.label,
        "measure": family.title,
        "first": _number(first),
        "score": _number(latest),
        "meaning": meaning(family),
    }
    if len(series.points) == 1:
        sentence = (
            _("Your first %(measure)s score is %(score)s: %(meaning)s.")
            if own
            else _("%(name)s’s first %(measure)s score is %(score)s: %(meaning)s.")
        )
    elif latest == first:
        sentence = (
            _("Your %(measure)s scores are where they started, at %(score)s: %(meaning)s.")
            if own
            else _(
                "%(name)s’s %(measure)s scores are where they started, at %(score)s: %(meaning)s."
            )
        )
    elif latest < first:
        sentence = (
            _("Your %(measure)s scores have gone down from %(first)s to %(score)s: %(meaning)s.")
            if own
            else _(
                "%(name)s’s %(measure)s scores have gone down from %(first)s to %(score)s: "
                "%(meaning)s."
            )
        )
    else:
        sentence = (
            _("Your %(measure)s scores have gone up from %(first)s to %(score)s: %(meaning)s.")
            if own
            else _(
                "%(name)s’s %(measure)s scores have gone up from %(first)s to %(score)s: "
                "%(meaning)s."
            )
        )
    sentence %= words
    if series.latest.band:
        band = band_words(series.latest.band).lower()
        sentence += " " + _("%(score)s is in the “%(band)s” range.") % {
            "score": words["score"],
            "band": band,
        }
    return sentence
