"""Every word a client or guardian can read is translated: the client-facing templates (listed
here, in one place) have no text outside {% translate %} / {% blocktranslate %}; every message of
every catalogue has a finished translation with the same placeholders; the committed .mo files
are compiled from the .po files as they are; our own instruments' words are all in the
catalogues, so a new item fails here until a translator has given it its words."""

from __future__ import annotations

import gettext
import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType
from django.template.loader import get_template

from rapport.core.catalogue import Entry, mo_bytes, parse_po
from rapport.measures.registry import builtin_instruments
from rapport.measures.wording import translatable, words_of
from rapport.practices.management.commands.compilecatalogues import catalogues
from rapport.practices.management.commands.messages import WORDING, wording_module

# What a client or guardian sees: pages, the parts of pages, and emails. A template added to
# the portal or the forms belongs here.
CLIENT_FACING_TEMPLATES = (
    "base.html",
    "403.html",
    "404.html",
    "500.html",
    "form_fields.html",
    "portal/home.html",
    "portal/answer.html",
    "measures/base_form.html",
    "measures/answer_page.html",
    "measures/answer_form.html",
    "measures/_intro.html",
    "measures/link_done.html",
    "measures/link_problem.html",
    "measures/client_mode_unlock.html",
    "measures/email/link.txt",
    "people/email/client_invitation.txt",
    "people/email/guardian_invitation.txt",
    "reports/email/link.txt",
    "accounts/email/password_reset.txt",
    "accounts/login.html",
    "accounts/password_reset.html",
    "accounts/password_reset_done.html",
    "accounts/password_reset_confirm.html",
    "accounts/password_reset_complete.html",
    "accounts/language_switch.html",
    "accounts/account.html",
    "accounts/email/password_reset_subject.txt",
    "reports/portal_panel.html",
    "plans/portal_panel.html",
    "progress/portal_link.html",
    "exposure/portal_card.html",
    "progress/portal.html",
    "progress/chart_figure.html",
    "plans/portal_plan.html",
    "plans/_version_body.html",
    "plans/_comparison.html",
    "plans/_goal_status.html",
    "plans/print.html",
    "exposure/portal_ladder.html",
    # The client's progress report, on its page, in its PDF and through its emailed link.
    "reports/page.html",
    "reports/document.html",
    "reports/progress_client.html",
    "reports/_heading.html",
    "reports/_chart.html",
    "reports/_goals.html",
    "reports/_helped.html",
    "reports/download.html",
    # The client's copies of the plan summary and the discharge letter (the same templates).
    "reports/plan.html",
    "reports/discharge.html",
    # On every page of a signed-in staff member, the client's in client mode.
    "accounts/idle_warning.html",
    # Choosing a new therapist, and the client's own preferences about one.
    "matching/portal_choose.html",
    "matching/portal_preferences.html",
    "matching/portal_links.html",
)

TAG = re.compile(r"<[^>]*>")
ENTITY = re.compile(r"&[a-z]+;|&#\d+;")
# Attributes a screen reader reads out or a browser shows.
SPOKEN_ATTRIBUTE = re.compile(r'\b(?:aria-label|title|alt|placeholder)="([^"]*[A-Za-z][^"]*)"')
SKIPPED_BLOCKS = {"blocktranslate": "endblocktranslate", "comment": "endcomment"}
# Names, the same in every language.
NAMES = {"Rapport", "PDF"}
MARK = "\x00"  # stands for a template tag or variable: no letters, so never a word


def untranslated_text(source: str) -> list[str]:
    """The words of a template that are outside every translation tag."""
    skeleton: list[str] = []
    closing: str | None = None
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0]
            if closing is None and name in SKIPPED_BLOCKS:
                closing = SKIPPED_BLOCKS[name]
            elif name == closing:
                closing = None
            skeleton.append(MARK)
        elif token.token_type == TokenType.TEXT and closing is None:
            skeleton.append(token.contents)
        else:
            skeleton.append(MARK)
    text = "".join(skeleton)
    found = SPOKEN_ATTRIBUTE.findall(text)
    words = ENTITY.sub(" ", TAG.sub(" ", text)).replace(MARK, " ")
    found += [w for w in words.split() if re.search(r"[A-Za-z]", w) and w not in NAMES]
    return found


def template_source(name: str) -> str:
    return Path(get_template(name).origin.name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CLIENT_FACING_TEMPLATES)
def test_a_client_facing_template_has_no_untranslated_words(name):
    assert untranslated_text(template_source(name)) == []


def test_the_check_finds_words_outside_translation_tags():
    source = (
        '{% load i18n %}<p title="Hello">{% translate "Fine" %} Not fine</p>'
        "{% blocktranslate %}Also fine{% endblocktranslate %}<b>&nbsp;·</b>"
    )
    assert untranslated_text(source) == ["Hello", "Not", "fine"]


def other_languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def catalogue_of(language: str) -> Path:
    [po] = [po for po in catalogues() if po.parent.parent.name == language]
    return po


def entries_of(language: str) -> list[Entry]:
    return parse_po(catalogue_of(language).read_text(encoding="utf-8"))


PLACEHOLDER = re.compile(r"%\(\w+\)s")


@pytest.mark.parametrize("language", other_languages())
def test_every_message_has_a_finished_translation_with_the_same_placeholders(language):
    unfinished, mismatched = [], []
    for entry in entries_of(language)[1:]:
        if not entry.translated:
            unfinished.append(entry.msgid)
            continue
        wanted = set(PLACEHOLDER.findall(entry.msgid + (entry.msgid_plural or "")))
        for translation in [entry.msgstr] if entry.msgid_plural is None else entry.plurals.values():
            if set(PLACEHOLDER.findall(translation)) != wanted:
                mismatched.append(entry.msgid)
    assert unfinished == [], f"untranslated or fuzzy in {language}"
    assert mismatched == [], f"placeholders differ in {language}"


@pytest.mark.parametrize("language", other_languages())
def test_the_committed_mo_file_is_compiled_from_the_po_file(language):
    po = catalogue_of(language)
    with po.with_suffix(".mo").open("rb") as compiled:
        committed = gettext.GNUTranslations(compiled)
    fresh = gettext.GNUTranslations(io.BytesIO(mo_bytes(parse_po(po.read_text(encoding="utf-8")))))
    # Compared as Python reads them, so a .mo from GNU msgfmt passes as well as our own.
    assert committed._catalog == fresh._catalog, "run `make compile`"  # type: ignore[attr-defined]


@pytest.mark.parametrize("language", other_languages())
def test_every_word_of_our_own_instruments_is_in_the_catalogue(language):
    msgids = {entry.msgid for entry in entries_of(language)}
    missing = [
        (instrument.id, where, text)
        for instrument in builtin_instruments().values()
        if translatable(instrument)
        for where, text in words_of(instrument)
        if text and text not in msgids
    ]
    assert missing == [], "run `make messages` and translate the new words"


def test_the_list_of_instrument_words_is_up_to_date():
    assert WORDING.read_text(encoding="utf-8") == wording_module(), "run `make messages`"


def test_instruments_by_others_are_not_translated():
    others = {i.id for i in builtin_instruments().values() if not translatable(i)}
    assert {"phq9", "gad7", "scared-child", "scared-parent"} <= others
