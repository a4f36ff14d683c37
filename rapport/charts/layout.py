"""Where text goes in a chart, worked out before drawing, so that nothing overlaps.

Measuring text with matplotlib's renderer (or letting a layout engine do it) would cost more than
all the drawing; an estimate of the width from the number of characters is enough when it errs
wide. All lengths here are in points (1/72 inch), the unit matplotlib sizes fonts in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Average advance of a character in DejaVu Sans (the widest font the browser may pick) as a
# fraction of the font size, rounded up so that estimates err wide.
CHAR_WIDTH = 0.62
LINE_HEIGHT = 1.25  # of the font size, for a line of text with its ascent and descent
# Between the lines of one wrapped label: the browser's box of a line (ascent and descent of the
# font it picks) can be taller than matplotlib's estimate, so wrapped lines get more room.
WRAPPED_LINE_SPACING = 1.5

# Legend spacing, in font sizes: passed to matplotlib and used to size the key beforehand.
HANDLE_LENGTH = 1.6
HANDLE_PAD = 0.5
COLUMN_SPACING = 1.0
LABEL_SPACING = 0.35
BORDER_PAD = 0.2


def text_width(text: str, font: float) -> float:
    return len(text) * font * CHAR_WIDTH


@dataclass(frozen=True)
class KeyShape:
    columns: int
    rows: int

    def height(self, font: float) -> float:
        """The key's height in points, with its padding."""
        if not self.rows:
            return 0.0
        lines = self.rows * LINE_HEIGHT + (self.rows - 1) * LABEL_SPACING
        return (lines + 2 * BORDER_PAD) * font


def split_columns(labels: Sequence[str], columns: int) -> list[Sequence[str]]:
    """The columns matplotlib makes (numpy.array_split: the first columns take the extra)."""
    size, extra = divmod(len(labels), columns)
    out, start = [], 0
    for i in range(columns):
        end = start + size + (1 if i < extra else 0)
        out.append(labels[start:end])
        start = end
    return [column for column in out if column]


def key_shape(labels: Sequence[str], font: float, width: float) -> KeyShape:
    """The most columns (hence fewest rows) whose key fits in `width` points."""
    if not labels:
        return KeyShape(0, 0)
    entry = (HANDLE_LENGTH + HANDLE_PAD) * font

    def fits(columns: int) -> bool:
        split = split_columns(labels, columns)
        needed = sum(entry + max(text_width(label, font) for label in column) for column in split)
        needed += (len(split) - 1) * COLUMN_SPACING * font + 2 * BORDER_PAD * font
        return needed <= width

    most = next((c for c in range(len(labels), 1, -1) if fits(c)), 1)
    rows = -(-len(labels) // most)
    # As few columns as keep that many rows, so that the last row is not left nearly empty.
    columns = -(-len(labels) // rows)
    if not fits(columns):
        columns = most
    return KeyShape(columns, -(-len(labels) // columns))


def wrap(label: str, font: float, width: float) -> list[str]:
    """One line if it fits in `width` points, else two lines split at the most even space."""
    if text_width(label, font) <= width or " " not in label:
        return [label]
    words = label.split(" ")
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    first, second = min(splits, key=lambda pair: max(len(pair[0]), len(pair[1])))
    return [first, second]


@dataclass(frozen=True)
class BandLabel:
    text: str  # with a newline where it wraps
    y: float  # data value at the middle of the band's visible part


def band_labels(
    bands: Sequence[tuple[float, float, str]],
    y_range: tuple[float, float],
    axes_height: float,
    font: float,
    width: float,
) -> list[BandLabel]:
    """A name beside each band (low, high, name) in a margin `width` points wide, or none where
    the name does not fit the margin even on two lines or the band's visible part is too thin:
    each label stays inside its own band, so no two labels meet and none reaches past the axes
    into the key below."""
    low, high = y_range
    points_per_unit = axes_height / (high - low)
    labels = []
    for band_low, band_high, name in bands:
        visible_low, visible_high = max(low, band_low), min(high, band_high)
        if visible_high <= visible_low:
            continue
        lines = wrap(name, font, width)
        if max(text_width(line, font) for line in lines) > width:
            continue  # even wrapped it would run past the drawing's edge
        spacing = WRAPPED_LINE_SPACING if len(lines) > 1 else LINE_HEIGHT
        if (visible_high - visible_low) * points_per_unit < len(lines) * spacing * font:
            continue
        labels.append(BandLabel("\n".join(lines), (visible_low + visible_high) / 2))
    return labels


def label_rows(spans: Sequence[tuple[float, float]], gap: float) -> list[int]:
    """A row for each (start, end) span so that spans in one row keep `gap` apart, first fit."""
    ends: list[float] = []
    rows = []
    for start, end in spans:
        for row, row_end in enumerate(ends):
            if start >= row_end + gap:
                ends[row] = end
                rows.append(row)
                break
        else:
            ends.append(end)
            rows.append(len(ends) - 1)
    return rows


def spaced(xs: Sequence[float], width: float) -> list[bool]:
    """Which of the points at `xs` (in points, ascending) can carry a label `width` wide
    without touching the previous label that was kept."""
    keep, last = [], None
    for x in xs:
        fits = last is None or x - last >= width
        keep.append(fits)
        if fits:
            last = x
    return keep


def score_axis(scale: tuple[float, float], values: Sequence[float] = ()) -> tuple[float, float]:
    """The y axis of a score chart: the scale's whole range from its definition (stretched to
    any value drawn outside it), half a point below the lowest, and room above the highest
    for the alert marks."""
    low, high = min([scale[0], *values]), max([scale[1], *values])
    return low - 0.5, high + max(1.0, (high - low) * 0.06)


@dataclass(frozen=True)
class Layout:
    """Inches and points. At 96 dpi the narrow drawing (3.9 inches) is shown about 1:1 on a
    390 px phone, so a font of `small` points is drawn `small` × 4/3 CSS pixels high there:
    9.5 points are 12.7 px, still 11 px when a card's padding shrinks the drawing by a tenth."""

    width: float
    plot_height: float  # each panel's plotting area
    font: float  # titles and axis labels
    small: float  # tick labels, keys, band names, marks
    band_margin: float  # on the right, for the names of the severity bands
    narrow: bool = False  # fewer ticks, shorter labels


WIDE = Layout(width=7.6, plot_height=1.9, font=9.5, small=8.5, band_margin=1.4)
NARROW = Layout(width=3.9, plot_height=2.2, font=10.5, small=9.5, band_margin=0.9, narrow=True)
LAYOUTS = {"wide": WIDE, "narrow": NARROW}

EDGE = 0.06  # inches of white around the drawing
TICK_SPACE = 7.0  # points: tick length and the pad before the tick labels


def inches(points: float) -> float:
    return points / 72


def left_margin(layout: Layout, tick_chars: int = 3) -> float:
    """Inches for the rotated y label and the y tick labels."""
    return inches(
        4 + layout.font * LINE_HEIGHT + 3 + text_width("0" * tick_chars, layout.small) + TICK_SPACE
    )
