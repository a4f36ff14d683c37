"""An SVG document written directly from numbers a chart has already laid out.

The progress chart knows where every mark goes before it draws (layout.py): handing those
numbers to matplotlib to be laid out again cost ten times more than writing the elements. The
look is matplotlib's: the same fonts, line widths, dash patterns and marker shapes. Lengths are
in points (the drawing's own units, 72 to the inch); y grows downwards, as in SVG.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import TypedDict, Unpack

# The fonts matplotlib asks for, in its order: the server and Debian's Chromium have DejaVu Sans.
FONT_FAMILY = (
    "'DejaVu Sans', 'Bitstream Vera Sans', 'Lucida Grande', Verdana, Geneva, Arial, "
    "Helvetica, sans-serif"
)
# Where a line of text has its baseline, as a fraction of the font size below the top of its
# box (DejaVu Sans' ascent) and above its bottom (its descent), as matplotlib places them.
ASCENT = 0.76
DESCENT = 0.24

# matplotlib's dash patterns for a line one point wide; they lengthen with the line.
DASHES: dict[str, tuple[float, ...]] = {
    "-": (),
    "--": (3.7, 1.6),
    ":": (1.0, 1.65),
    "-.": (6.4, 1.6, 1.0, 1.6),
}

Point = tuple[float, float]


def num(value: float) -> str:
    """A coordinate with two decimals at most (a hundredth of a point is below what shows)."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _points(points: Iterable[Point]) -> str:
    return " ".join(f"{num(x)},{num(y)}" for x, y in points)


class Style(TypedDict, total=False):
    fill: str
    stroke: str
    width: float  # of the stroke
    opacity: float
    dashes: Sequence[float]
    cap: str
    join: str


def _style(
    *,
    fill: str = "none",
    stroke: str = "none",
    width: float = 1.0,
    opacity: float = 1.0,
    dashes: Sequence[float] = (),
    cap: str = "",
    join: str = "",
) -> str:
    parts = [f'fill="{fill}"']
    if stroke != "none":
        parts.append(f'stroke="{stroke}" stroke-width="{num(width)}"')
    if opacity < 1:
        parts.append(f'opacity="{opacity:.3g}"')
    if dashes:
        parts.append(f'stroke-dasharray="{",".join(num(d) for d in dashes)}"')
    if cap:
        parts.append(f'stroke-linecap="{cap}"')
    if join:
        parts.append(f'stroke-linejoin="{join}"')
    return " ".join(parts)


def dash_pattern(style: str | tuple[float, ...], width: float) -> tuple[float, ...]:
    """A line style ("-", "--", ":", "-." or a pattern for a one-point line) at `width`."""
    pattern = DASHES[style] if isinstance(style, str) else style
    return tuple(length * width for length in pattern)


def marker_element(shape: str, x: float, y: float, size: float, style: str) -> str:
    """One of matplotlib's markers ("o", "s", "^", "D", "v") `size` points across at (x, y)."""
    half = size / 2
    if shape == "o":
        return f'<circle cx="{num(x)}" cy="{num(y)}" r="{num(half)}" {style}/>'
    if shape == "s":
        return (
            f'<rect x="{num(x - half)}" y="{num(y - half)}" width="{num(size)}" '
            f'height="{num(size)}" {style}/>'
        )
    corners: list[Point]
    if shape == "^":
        corners = [(x, y - half), (x - half, y + half), (x + half, y + half)]
    elif shape == "v":
        corners = [(x, y + half), (x - half, y - half), (x + half, y - half)]
    elif shape == "D":  # a square turned on its corner, as wide as the square's diagonal
        reach = half * math.sqrt(2)
        corners = [(x, y - reach), (x + reach, y), (x, y + reach), (x - reach, y)]
    else:
        raise ValueError(f"unknown marker {shape!r}")
    return f'<polygon points="{_points(corners)}" {style}/>'


class Drawing:
    """An SVG document built element by element; `bytes()` closes it."""

    def __init__(self, width: float, height: float, *, title: str, description: str = "") -> None:
        self.width, self.height = width, height
        self._parts = [
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{num(width)}pt" '
            f'height="{num(height)}pt" viewBox="0 0 {num(width)} {num(height)}" role="img">\n'
            f"<title>{escape(title)}</title>\n"
            + (f"<desc>{escape(description)}</desc>\n" if description else "")
            + "<defs><style>*{stroke-linejoin:round;stroke-linecap:butt}"
            f"text{{font-family:{FONT_FAMILY}}}</style></defs>\n"
            f'<rect width="{num(width)}" height="{num(height)}" fill="#ffffff"/>\n'
        ]
        self._clips = 0

    def add(self, element: str) -> None:
        self._parts.append(element)

    def open(self, group_id: str = "", clip: str = "") -> None:
        attributes = (f' id="{group_id}"' if group_id else "") + (
            f' clip-path="url(#{clip})"' if clip else ""
        )
        self._parts.append(f"<g{attributes}>\n")

    def close(self) -> None:
        self._parts.append("</g>\n")

    def clip(self, x: float, y: float, width: float, height: float) -> str:
        """A clipping rectangle; its id, for `open(clip=...)`."""
        self._clips += 1
        name = f"clip_{self._clips}"
        self._parts.append(
            f'<clipPath id="{name}"><rect x="{num(x)}" y="{num(y)}" width="{num(width)}" '
            f'height="{num(height)}"/></clipPath>\n'
        )
        return name

    def rect(self, x: float, y: float, w: float, h: float, **style: Unpack[Style]) -> None:
        self._parts.append(
            f'<rect x="{num(x)}" y="{num(y)}" width="{num(w)}" height="{num(h)}" '
            f"{_style(**style)}/>\n"
        )

    def line(self, points: Sequence[Point], **style: Unpack[Style]) -> None:
        """An open path through `points` (nothing when fewer than two)."""
        if len(points) < 2:
            return
        self._parts.append(f'<polyline points="{_points(points)}" {_style(**style)}/>\n')

    def polygon(self, points: Sequence[Point], **style: Unpack[Style]) -> None:
        self._parts.append(f'<polygon points="{_points(points)}" {_style(**style)}/>\n')

    def markers(
        self, shape: str, points: Iterable[Point], size: float, **style: Unpack[Style]
    ) -> None:
        attributes = _style(**style)
        self._parts.extend(marker_element(shape, x, y, size, attributes) + "\n" for x, y in points)

    def text(
        self,
        x: float,
        y: float,
        text: str,
        *,
        size: float,
        anchor: str = "start",
        align: str = "baseline",
        colour: str = "",
        bold: bool = False,
        rotate: bool = False,
    ) -> None:
        """A line of text; `align` says whether y is its top, centre, bottom or baseline (for
        text turned a quarter to read upwards, `rotate`, the same along x)."""
        shift = {
            "top": ASCENT * size,
            "center": ASCENT * size / 2,
            "bottom": -DESCENT * size,
            "baseline": 0.0,
        }[align]
        if rotate:
            x, placement = x + shift, f' transform="rotate(-90 {num(x + shift)} {num(y)})"'
        else:
            y, placement = y + shift, ""
        attributes = f'font-size="{num(size)}"'
        if anchor != "start":
            attributes += f' text-anchor="{anchor}"'
        if colour:
            attributes += f' fill="{colour}"'
        if bold:
            attributes += ' font-weight="bold"'
        self._parts.append(
            f'<text x="{num(x)}" y="{num(y)}" {attributes}{placement}>{escape(text)}</text>\n'
        )

    def bytes(self) -> bytes:
        return ("".join(self._parts) + "</svg>\n").encode()
