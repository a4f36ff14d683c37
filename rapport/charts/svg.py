"""Writing a figure as SVG, with text measured once per process rather than once per drawing.

matplotlib measures every piece of text (tick labels, titles, keys) to place it, and keeps what
it measured only as long as the renderer lives: one drawing. The charts reuse the same few fonts
and mostly the same words (tick numbers, key entries, band names), so measuring them again for
every drawing was a tenth of its cost. An SVG keeps text as text (fonts are not embedded, see
lines.py), so a measure depends only on the words, the font properties and whether it is maths.
"""

from __future__ import annotations

import functools
import io
from typing import Any

from matplotlib.backends.backend_mixed import MixedModeRenderer
from matplotlib.backends.backend_svg import FigureCanvasSVG, RendererSVG
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

# The words and fonts of the charts are few; the bound keeps a long-lived process's memory flat.
MEASURES_KEPT = 4096

_measurer = RendererSVG(72, 72, io.StringIO())  # type: ignore[no-untyped-call]


@functools.lru_cache(maxsize=MEASURES_KEPT)
def _measure(text: str, font: FontProperties, ismath: Any) -> tuple[float, float, float]:
    measured = _measurer.get_text_width_height_descent(text, font, ismath)  # type: ignore[no-untyped-call]
    width, height, descent = measured
    return width, height, descent


class _Renderer(RendererSVG):
    def get_text_width_height_descent(
        self, s: str, prop: FontProperties, ismath: Any
    ) -> tuple[float, float, float]:
        # A copy: FontProperties is mutable and hashed by its current state.
        return _measure(s, prop.copy(), ismath)


class _Canvas(FigureCanvasSVG):
    def print_svg(
        self,
        filename: Any,
        *,
        bbox_inches_restore: Any = None,
        metadata: Any = None,
        **_applied: Any,  # dpi and colours: savefig has set them on the figure already
    ) -> None:
        # As FigureCanvasSVG.print_svg, with the renderer that keeps its measures; the charts
        # always write to a text buffer.
        dpi = self.figure.dpi
        self.figure.dpi = 72
        width, height = self.figure.get_size_inches()
        # matplotlib.backends has no annotations on these constructors.
        svg = _Renderer(width * 72, height * 72, filename, image_dpi=dpi, metadata=metadata)  # type: ignore[no-untyped-call]
        renderer = MixedModeRenderer(  # type: ignore[no-untyped-call]
            self.figure,
            width,
            height,
            dpi,
            svg,
            bbox_inches_restore=bbox_inches_restore,
        )
        self.figure.draw(renderer)  # type: ignore[arg-type]  # it stands in for the SVG renderer
        renderer.finalize()


def svg_bytes(figure: Figure) -> bytes:
    """The figure as an SVG document, without the date and creator that would make the same
    chart differ between drawings."""
    _Canvas(figure)
    text = io.StringIO()
    figure.savefig(text, format="svg", metadata={"Date": None, "Creator": None})
    return text.getvalue().encode("utf-8")
