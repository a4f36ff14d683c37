"""Alliance words rapport.core names in English, in the reader's language: a rupture's state, how
well the two sides' totals agree."""

from __future__ import annotations

from django import template
from django.utils.translation import pgettext_lazy

register = template.Library()

STATE_WORDS = {
    "open": pgettext_lazy("rupture state", "open"),
    "repaired": pgettext_lazy("rupture state", "repaired"),
    "unresolved": pgettext_lazy("rupture state", "unresolved"),
}


@register.filter
def state_words(state: str) -> str:
    return str(STATE_WORDS.get(state, state))


# How well the two sides' totals agree, as rapport.core.agreement words it (Cicchetti's bands).
AGREEMENT_WORDS = {
    "poorly": pgettext_lazy("agreement", "poorly"),
    "fairly": pgettext_lazy("agreement", "fairly"),
    "well": pgettext_lazy("agreement", "well"),
    "very well": pgettext_lazy("agreement", "very well"),
}


@register.filter
def agreement_words(words: str) -> str:
    return str(AGREEMENT_WORDS.get(words, words))
