"""The answer page of an assignment, one flow for every way a form is answered: through a link,
in client mode, typed in by the clinician, and in the portal. Each of those views decides who
may answer and where to go afterwards; this shows the form, keeps a draft and stores the
response."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation

from rapport.core.instruments import Instrument
from rapport.measures.forms import answer_fields, posted_answers
from rapport.measures.models import AccessLink, Assignment, Response
from rapport.measures.queries import link_respondent
from rapport.measures.registry import get_instrument
from rapport.measures.services import AnswersInvalid, draft_save, response_submit
from rapport.measures.wording import answer_problem, english_only, in_reader_language
from rapport.people.languages import client_language, language_of, writing_to


def respondent_language(assignment: Assignment) -> str:
    """The language a form is shown in: the client's own, a guardian's own; a therapist's form
    in the language of the page around it."""
    if assignment.respondent == "client":
        return client_language(assignment.episode.client)
    if assignment.respondent == "guardian":
        return language_of(assignment.respondent_user)
    return translation.get_language() or "en"


def answer(
    request: HttpRequest,
    assignment: Assignment,
    *,
    mode: str,
    template: str,
    context: dict[str, Any],
    link: AccessLink | None = None,
) -> HttpResponse | Response:
    """Show an assignment's form, keep a draft, or store the response (returned on success).

    A form the client or guardian answers is in their language, even on the clinician's
    device; one the clinician types in from paper stays in the clinician's.
    """
    language = (
        translation.get_language() or "en"
        if mode == Response.Mode.CLINICIAN
        else respondent_language(assignment)
    )
    # Dates and times on the form in the practice's zone, even through a link (nobody signed in).
    with writing_to(language), timezone.override(assignment.episode.practice.zone):
        return _answer(
            request,
            assignment,
            mode=mode,
            template=template,
            context=context,
            link=link,
            language=language,
        )


def _answer(
    request: HttpRequest,
    assignment: Assignment,
    *,
    mode: str,
    template: str,
    context: dict[str, Any],
    link: AccessLink | None,
    language: str,
) -> HttpResponse | Response:
    instrument = get_instrument(
        assignment.instrument_id, practice_id=assignment.episode.practice_id
    )
    values: dict[str, Any] = dict(assignment.draft)
    errors: dict[str, str] = {}
    status = 200
    saved_draft = False
    if request.method == "POST":
        values = posted_answers(request.POST)
        if request.POST.get("action") == "draft":
            draft_save(assignment=assignment, answers=values)
            if request.headers.get("X-Rapport-Autosave"):
                return HttpResponse(status=204)
            saved_draft = True
        else:
            # Through a link the person answering is the link's, whoever is signed in on the
            # device (a parent's portal session on the family computer, say).
            actor = (
                link_respondent(assignment)
                if link is not None
                else request.user
                if request.user.is_authenticated
                else None
            )
            try:
                return response_submit(
                    assignment=assignment,
                    answers=values,
                    mode=mode,
                    actor=actor,
                    link=link,
                    language=language,
                )
            except AnswersInvalid as invalid:
                errors = invalid.errors
                status = 400
                draft_save(assignment=assignment, answers=values)
            except ValidationError as error:
                errors = {"": " ".join(error.messages)}
                status = 409
    known = {item.link_id for item in instrument.items}
    errors = {key: answer_problem(message) for key, message in errors.items()}
    context = {
        **context,
        **form_context(instrument, values, errors),
        "other_errors": [msg for key, msg in errors.items() if key not in known],
        "error_count": len(errors),
        "saved_draft": saved_draft,
        "assignment": assignment,
    }
    return render(request, template, context, status=status)


def form_context(
    instrument: Instrument, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    """What the form's templates need of the instrument, in the reader's language."""
    shown = in_reader_language(instrument)
    return {
        "instrument": shown,
        "english_only": english_only(instrument),
        # Instructions that already say so are not told twice (in English, the words compared).
        "says_no_right_or_wrong": "no right or wrong" in instrument.description,
        "fields": answer_fields(shown, values, errors),
        # A child's version gets larger answer boxes (at least 44 px square, even on a phone).
        "for_children": instrument.age_bands == {"child"},
    }
