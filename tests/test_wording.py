"""What people read: no internal codes, raw number pairs or "1 times" on any demo page."""

from __future__ import annotations

import importlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.template.loader import render_to_string
from django.urls import reverse

from rapport.core.text import search_key
from rapport.measures.answering import form_context
from rapport.measures.registry import builtin_instruments, get_instrument
from rapport.people.models import Client
from rapport.plans.goal_status import goal_target_words
from rapport.plans.models import PlanGoal
from tests.test_demo_walk import walk_the_demo


class _VisibleText(HTMLParser):
    """The text a person sees: no scripts, styles, attributes or hidden data."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style", "template"}:
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style", "template"} and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def internal_words() -> re.Pattern[str]:
    codes = {instrument.id for instrument in builtin_instruments().values()}
    codes |= {instrument.family for instrument in builtin_instruments().values()}
    # Family names that are also plain English words cannot be told apart in running text.
    codes -= {"goal", "feedback"}
    alternatives = "|".join(sorted((re.escape(code) for code in codes), key=len, reverse=True))
    return re.compile(
        rf"(?<![\w/.-])(?:{alternatives})(?![\w-])"
        r"|\b1 times\b"
        r"|\d\.\d\s*→\s*\d\.\d"
    )


@pytest.mark.xdist_group("demo_walk")
def test_no_demo_page_shows_an_internal_code_or_a_raw_number_pair(db: None) -> None:
    pattern = internal_words()
    found: dict[str, set[str]] = {}
    walked = walk_the_demo()
    for (_, path), html in walked.html.items():
        text = visible_text(html)
        for match in pattern.finditer(text):
            start = max(match.start() - 40, 0)
            found.setdefault(text[start : match.end() + 40], set()).add(path)
    assert len(walked.html) > 200
    report = [f"{snippet!r} on {sorted(paths)[:3]}" for snippet, paths in found.items()]
    assert not report, "\n".join(report)


def _h1(html: str) -> str:
    found = re.search(r"<h1[^>]*>(.*?)</h1>", html, re.S)
    assert found, "the page has no main heading"
    return visible_text(found.group(1))


def test_search_ignores_accents_and_case_on_the_caseload_and_the_directory(cast, web_as):
    cast.adult_client.full_name = "Alex Wójcik"
    cast.adult_client.save(update_fields=["full_name"])
    clinician = web_as(cast.clinician)
    for query in ("wojcik", "WÓJCIK", "Wojc"):
        page = clinician.get(reverse("people:caseload"), {"q": query})
        assert "Alex Wójcik" in page.text, query
        assert "Ada Adolescent" not in page.text
    directory = web_as(cast.admin).get(reverse("people:client_directory"), {"q": "wojcik"})
    assert "Alex Wójcik" in directory.text


def test_a_name_is_folded_for_search_and_earlier_clients_are_filled_in_by_the_migration(cast):
    assert search_key("  Łukasz  Wójcik-Søndergaard ") == "lukasz wojcik-sondergaard"
    Client.objects.filter(pk=cast.adult_client.pk).update(
        full_name="Zoë Wójcik", preferred_name="Zo", search_name=""
    )
    migration = importlib.import_module("rapport.people.migrations.0002_client_search_name")
    migration.fill_search_names(django_apps, None)
    assert Client.objects.filter(Client.matching("zoe wojcik")).get() == cast.adult_client
    assert Client.objects.filter(Client.matching("zo")).count() == 1


def test_the_caseload_and_the_dashboard_have_different_headings(cast, web_as):
    for user in (cast.clinician, cast.supervisor):
        web = web_as(user)
        caseload = _h1(web.get(reverse("people:caseload")).text)
        dashboard = _h1(web.get(reverse("dashboards:therapist")).text)
        assert caseload != dashboard


@pytest.mark.parametrize("instrument_id", ["checkin-child", "checkin-adult", "phq9"])
def test_a_form_says_each_reassurance_once_and_a_licence_line_only_for_others_work(instrument_id):
    instrument = get_instrument(instrument_id)
    html = render_to_string("measures/answer_page.html", form_context(instrument, {}, {}))
    text = visible_text(html).lower()
    assert text.count("no right or wrong") == 1
    assert ("licence" in text) is False
    assert (instrument.attribution.lower()[:40] in text) is (not instrument.is_rapports_own)


@pytest.mark.parametrize(("target", "words"), [(1, "at least 1 time"), (3, "at least 3 times")])
def test_a_count_goal_says_time_or_times_as_the_number_needs(target, words):
    goal = PlanGoal(benchmark="count", target=target, count_direction="at_least")
    assert goal_target_words(goal, {}) == words


def test_make_run_shows_each_install_step_and_pip_progress():
    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    install = makefile.split("$(STAMP): pyproject.toml", 1)[1].split("\nrun:", 1)[0]
    assert "--quiet" not in install
    assert install.count("@echo") >= 3
