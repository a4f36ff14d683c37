"""An instrument's names in the reader's language, for pages that list forms by name."""

from __future__ import annotations

from django import template

from rapport.core.instruments import Instrument
from rapport.measures.models import Response
from rapport.measures.wording import band_read, in_reader_language

register = template.Library()


@register.filter
def title_read(instrument: Instrument) -> str:
    return in_reader_language(instrument).title


@register.filter
def short_title_read(instrument: Instrument) -> str:
    return in_reader_language(instrument).short_title


@register.filter(name="band_read")
def band_read_filter(name: str) -> str:
    return band_read(name)


@register.filter
def written_read(response: Response) -> list[tuple[str, str]]:
    """What the person wrote, under its question in the reader's language."""
    return response.written_in(in_reader_language(response.assignment.instrument))
