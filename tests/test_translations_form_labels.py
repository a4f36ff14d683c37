"""Every form's labels and help texts follow the reader's language (issue 17 §1): a label written
as a plain string in a form or a model reads in English to a Spanish-choosing staff member
whatever the page around it says, so every form in the package is walked here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator
from typing import Any

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise

import rapport
from tests.conftest import build_cast, built_once, signed_in

# Fields no person reads as a field: filled by a machine (an SMS gateway's post), or sent by a
# button whose own words are in its template.
NOT_READ = {
    ("TextReplyForm", "body"),
    ("TextReplyForm", "from"),
    ("FitCheckStepForm", "action"),
    ("HandoffConsentForm", "action"),
    ("HandoffStepForm", "action"),
    ("ChangesReplyForm", "party"),
    ("ReorderForm", "order"),
    ("InstrumentForm", "instrument"),
}
# Choices that are names, the same in every language: time zones, and each language in itself.
NAMES = {("PracticeSettingsForm", "time_zone"), ("LanguageChoiceForm", "language")}

# What the forms that need them are built with, none of which reads the database.
ARGUMENTS: dict[str, dict[str, Any]] = {
    "InSessionAnswerForm": {"parties": ["client", "guardian"]},
    "HandoffConsentForm": {"shared": []},
    "HandoffBeginForm": {"practice_id": 0, "current_id": 0},
    "UserForm": {"practice_id": 0},
    "InviteUserForm": {"practice_id": 0},
    "NewClientForm": {"practice_id": 0},
    "TeamForm": {"practice_id": 0},
    "MeasurePlanForm": {"families": []},
    "ConsultationForm": {"candidates": []},
    "DefaultMeasuresForm": {"options": {}, "current": {}},
}


def form_modules() -> Iterator[str]:
    for module in pkgutil.walk_packages(rapport.__path__, "rapport."):
        if module.name.rpartition(".")[2].endswith("forms"):
            yield module.name


def form_classes() -> list[type[forms.BaseForm]]:
    for name in form_modules():
        importlib.import_module(name)
    found: list[type[forms.BaseForm]] = []
    waiting: list[type[forms.BaseForm]] = [forms.BaseForm]
    while waiting:
        for sub in waiting.pop().__subclasses__():
            waiting.append(sub)
            if sub.__module__.startswith("rapport.") and sub not in found:
                found.append(sub)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def read_fields(fields: dict[str, forms.Field]) -> Iterator[tuple[str, forms.Field]]:
    for name, field in fields.items():
        if not field.widget.is_hidden:
            yield name, field


def class_level_words(cls: type[forms.BaseForm]) -> list[str]:
    """Words fixed when the module is imported: only a lazy translation reads in the language of
    each request (a plain string, even one translated then, is in one language for good)."""
    found = []
    for name, field in read_fields(cls.base_fields):  # type: ignore[attr-defined]
        if (cls.__name__, name) in NOT_READ:
            continue
        if field.label is None:
            found.append(f"{cls.__name__}.{name}: no label (Django would show {name!r} in English)")
        for kind in ("label", "help_text"):
            words = getattr(field, kind)
            if words and not isinstance(words, Promise):
                found.append(f"{cls.__name__}.{name} {kind}: {words!r}")
        # A model choice's words are its records' (names, titles), not the form's.
        if isinstance(field, forms.ChoiceField) and not isinstance(field, forms.ModelChoiceField):
            if (cls.__name__, name) in NAMES:
                continue
            found += [
                f"{cls.__name__}.{name} choice: {words!r}"
                for value, words in field.choices
                if value != "" and not isinstance(words, Promise)
            ]
    return found


def built(cls: type[forms.BaseForm], language: str) -> forms.BaseForm | None:
    kwargs = ARGUMENTS.get(cls.__name__, {})
    with translation.override(language):
        try:
            return cls(**kwargs)
        except TypeError:  # needs a record: its class-level words are checked all the same
            return None


def request_time_words(cls: type[forms.BaseForm]) -> list[str]:
    """Words a form's __init__ sets as plain strings (translated then, or built from translated
    parts): the same in English and in Spanish means untranslated."""
    english, spanish = built(cls, "en"), built(cls, "es")
    if english is None or spanish is None:
        return []
    found = []
    for name, field in read_fields(english.fields):
        if (cls.__name__, name) in NOT_READ:
            continue
        for kind in ("label", "help_text"):
            if isinstance(getattr(field, kind), Promise):
                continue  # marked, and the catalogue's own test sees it translated
            with translation.override("en"):
                said_in_english = str(getattr(field, kind) or "")
            with translation.override("es"):
                said_in_spanish = str(getattr(spanish.fields[name], kind) or "")
            if said_in_english and said_in_english == said_in_spanish:
                found.append(f"{cls.__name__}.{name} {kind}: {said_in_english!r}")
    return found


def test_every_forms_module_of_the_package_is_found():
    classes = {cls.__name__ for cls in form_classes()}

    # One form of each kind the walk must reach: a model form, a plain form, one in a module
    # whose name only ends in "forms", and a form that builds its fields when it is made.
    assert {"AllianceSettingsForm", "DraftForm", "HandoffSettingsForm"} <= classes
    assert {"InSessionAnswerForm", "ClientPreferencesForm"} <= classes


def test_every_label_and_help_text_of_every_form_is_a_translation():
    untranslated = [words for cls in form_classes() for words in class_level_words(cls)]

    assert untranslated == []


def test_every_label_and_help_text_a_form_sets_when_made_reads_in_spanish_to_a_spanish_reader():
    untranslated = [words for cls in form_classes() for words in request_time_words(cls)]

    assert untranslated == []


def test_the_check_finds_a_label_or_a_help_text_left_in_english():
    class Careless(forms.Form):
        plain = forms.CharField(label="Plain words")
        helped = forms.CharField(label=translation.gettext_lazy("Note"), help_text="In English")
        unnamed = forms.CharField()
        chosen = forms.ChoiceField(
            label=translation.gettext_lazy("Note"),
            choices=[("", "—"), ("a", translation.gettext_lazy("Yes")), ("b", "Plain")],
        )

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.fields["helped"].label = "Set when made"

    assert class_level_words(Careless) == [
        "Careless.plain label: 'Plain words'",
        "Careless.helped help_text: 'In English'",
        "Careless.unnamed: no label (Django would show 'unnamed' in English)",
        "Careless.chosen choice: 'Plain'",
    ]
    assert request_time_words(Careless) == [
        "Careless.plain label: 'Plain words'",
        "Careless.helped label: 'Set when made'",
        "Careless.helped help_text: 'In English'",
    ]


# --- As a Spanish-choosing staff member reads them ------------------------------------------------


def _spanish_readers():  # type: ignore[no-untyped-def]
    cast = build_cast()
    for person in (cast.admin, cast.co_clinician):
        person.language = "es"
        person.save(update_fields=["language"])
    return cast


@pytest.fixture(scope="module")
def readers(django_db_blocker):  # type: ignore[no-untyped-def]
    """The practice admin and a clinician of the adult client's episode, who chose Spanish."""
    yield from built_once(django_db_blocker, _spanish_readers)


# (who reads it, the page, words in Spanish it shows, the English words it no longer shows)
PAGES = {
    "alliance settings": (
        "admin",
        lambda cast: reverse("alliance:settings"),
        ("Punto de corte del total bajo", "Alertar cuando el total del cliente (0–40)"),
        ("Low total cutoff", "Alert when the client's total"),
    ),
    "practice settings": (
        "admin",
        lambda cast: reverse("practices:settings"),
        ("Zona horaria", "Horas de silencio: desde", "Tres como máximo"),
        ("Time zone", "Three at most"),
    ),
    "fit check settings": (
        "admin",
        lambda cast: reverse("matching:fit_settings"),
        ("Quién coordina las revisiones de encaje", "Administradores del centro"),
        ("Who coordinates fit checks", "Practice admins"),
    ),
    "fit check": (
        "co_clinician",
        lambda cast: reverse("matching:fit_check_new", args=[cast.adult_episode.pk]),
        ("Por qué una revisión de encaje", "Lo que dijo el cliente, con sus palabras"),
        ("Why a fit check", "What the client said", "no supervisor approval needed"),
    ),
}


@pytest.mark.parametrize("page", PAGES)
def test_a_staff_member_who_chose_spanish_reads_the_forms_words_in_spanish(readers, page, db):
    who, url, spanish, english = PAGES[page]

    response = signed_in(getattr(readers, who)).get(url(readers))

    assert response.status_code == 200
    for words in spanish:
        assert words in response.text, words
    for words in english:
        assert words not in response.text, words
