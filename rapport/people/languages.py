"""Which language Rapport writes to a person in: a client's comes from their record (the
clinician or the client sets it), a guardian's and a staff member's from their own account.
Pages, forms opened from links and emails all ask here, never the browser's Accept-Language: a
parent on a shared family computer still reads their own language. Only a page that knows
nobody (signing in, a link that opens nothing) follows the browser or the language switch."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.utils import translation
from django.utils.formats import number_format

from rapport.accounts.models import Role, User
from rapport.people.models import Client


def supported(code: str | None) -> str:
    """`code` if Rapport has it, else the practice's default (English)."""
    known = {lang for lang, _ in settings.LANGUAGES}
    return code if code in known else settings.LANGUAGE_CODE


def language_of(user: User | None) -> str:
    """The language `user` reads Rapport in; the default for nobody."""
    if user is None:
        return settings.LANGUAGE_CODE
    if user.role == Role.CLIENT:
        language = Client.objects.filter(user=user).values_list("language", flat=True).first()
        return supported(language)
    return supported(user.language)


def client_language(client: Client) -> str:
    return supported(client.language)


@contextmanager
def writing_to(language: str) -> Iterator[None]:
    """Render pages, form errors and emails inside in `language`."""
    with translation.override(supported(language)):
        yield


# Spanish writes a four-digit number without a separator (4000) and groups longer ones with a
# space (12 345), as the RAE and ISO 80000 advise; Django's Spanish format groups them all
# ("4 000"). A language added with the same rule joins this set.
FOUR_DIGITS_UNGROUPED = frozenset({"es"})


def whole_number(value: int) -> str:
    """`value` as a reader of the active language writes it: 4,000 and 12,345 in English,
    4000 and 12 345 in Spanish."""
    language = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    if language in FOUR_DIGITS_UNGROUPED and abs(value) < 10_000:
        return str(value)
    return number_format(value, force_grouping=True)
