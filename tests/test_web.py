"""The shared web layer: run_form owns POST → service → message → redirect, and a refusal
or a repeat is told, never saved twice."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib.auth.models import AnonymousUser
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from rapport.web import chart_response, client_ip, run_form


class NoteForm(forms.Form):
    note = forms.CharField()
    submission_key = forms.UUIDField(required=False)


def request_for(user, method: str = "post", data: dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
    request = getattr(RequestFactory(), method)("/somewhere/", data or {})
    request.user = user
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def said(request) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(m.level_tag, m.message) for m in get_messages(request)]


def test_a_get_or_an_invalid_form_runs_nothing_and_leaves_the_page_to_show_the_form(cast) -> None:
    calls: list[dict[str, Any]] = []
    for request, data in [
        (request_for(cast.clinician, "get"), None),
        (request_for(cast.clinician, data={"note": ""}), {"note": ""}),
    ]:
        form = NoteForm(data)
        assert run_form(request, form, calls.append, then="/done/", done="Saved.") is None
    assert calls == []


def test_a_valid_form_is_saved_said_and_sent_where_the_saved_thing_leads(cast) -> None:
    request = request_for(cast.clinician, data={"note": "hello"})
    saved: list[dict[str, Any]] = []

    def save(data: dict[str, Any]) -> int:
        saved.append(data)
        return 7

    response = run_form(
        request,
        NoteForm(request.POST),
        save,
        then=lambda number: f"/things/{number}/",
        done=lambda data: f"Saved {data['note']}.",
    )

    assert response is not None and response.status_code == 302
    assert response["Location"] == "/things/7/"
    assert saved == [{"note": "hello"}]  # the submission key is not the service's business
    assert said(request) == [("success", "Saved hello.")]


def test_a_refusal_is_shown_on_the_form_on_its_field_or_as_a_message(cast) -> None:
    def refuse(data: dict[str, Any]) -> None:
        raise ValidationError("Not today.")

    request = request_for(cast.clinician, data={"note": "x"})
    form = NoteForm(request.POST)
    assert run_form(request, form, refuse, then="/", done="Saved.") is None
    assert form.non_field_errors() == ["Not today."] and said(request) == []

    form = NoteForm(request.POST)
    assert run_form(request, form, refuse, then="/", done="Saved.", error_field="note") is None
    assert form.errors["note"] == ["Not today."]

    form = NoteForm(request.POST)
    assert run_form(request, form, refuse, then="/", done="S.", refusal_as_message=True) is None
    assert form.errors == {} and said(request) == [("error", "Not today.")]


def test_a_refusal_naming_fields_lands_on_them_and_one_the_form_lacks_above_it(cast) -> None:
    def refuse(data: dict[str, Any]) -> None:
        raise ValidationError({"note": "Too short.", "elsewhere": "Not allowed."})

    request = request_for(cast.clinician, data={"note": "x"})
    form = NoteForm(request.POST)
    assert run_form(request, form, refuse, then="/", done="Saved.") is None
    assert form.errors["note"] == ["Too short."]
    assert form.non_field_errors() == ["Not allowed."]


def test_submitted_once_a_repeat_goes_where_the_first_went_and_saves_nothing(cast) -> None:
    key = str(uuid.uuid4())
    saved: list[dict[str, Any]] = []

    def save(data: dict[str, Any]) -> int:
        saved.append(data)
        return len(saved)

    locations = []
    for _ in range(2):
        request = request_for(cast.clinician, data={"note": "x", "submission_key": key})
        response = run_form(
            request,
            NoteForm(request.POST),
            save,
            then=lambda n: f"/things/{n}/",
            done="Saved.",
            once=True,
        )
        assert response is not None
        locations.append((response["Location"], said(request)))

    assert len(saved) == 1
    assert locations == [
        ("/things/1/", [("success", "Saved.")]),
        ("/things/1/", [("info", "This was already saved; it has not been saved twice.")]),
    ]


def test_a_chart_is_kept_by_the_browser_alone_and_the_client_address_is_always_an_address() -> None:
    chart = RequestFactory().get("/chart.svg")
    chart.user = AnonymousUser()
    response = chart_response(chart, audience="test", data=(1, 2), draw=lambda: b"<svg/>")
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Cache-Control"] == "private, no-cache"
    request = RequestFactory().get("/", REMOTE_ADDR="not an address")
    assert client_ip(request) == "0.0.0.0"  # noqa: S104 - the stand-in for an unknown address
