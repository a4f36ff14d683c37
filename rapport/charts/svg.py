"""Writing a chart's figure as an SVG document: one way for every chart, so the same data always
gives the same bytes (the responses are cached and compared by their data's version)."""

from __future__ import annotations

import io

from matplotlib.figure import Figure


def svg_bytes(figure: Figure) -> bytes:
    """The figure as an SVG document, without the date and creator that would make the same
    chart differ between drawings (stable ids are set in lines.py)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue()
