"""What every app's views share: saying a form was saved, submitting a form once, the POST →
service → redirect sequence, SVG images and the client's address.

Views import from here, never from another app's views: a views module is a page, not a library.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.csp import CSP

from rapport.accounts.queries import earlier_submission
from rapport.accounts.services import submission_once

# --- Saved messages and submit-once -------------------------------------------------------------


def say_saved(request: HttpRequest, first_time: bool, message: str) -> None:
    """Confirm a submission; a repeated one is told it was already done, not done twice."""
    if first_time:
        messages.success(request, message)
    else:
        messages.info(request, "This was already saved; it has not been saved twice.")


def repeat_of_submission(request: HttpRequest) -> HttpResponse | None:
    """For a submit-once form whose checks depend on what is stored (an email already in use):
    a repeat of a submission already carried out goes where the first went, before those checks
    would call the first one's result a clash."""
    url = earlier_submission(request.user, str(request.POST.get("submission_key", "")))  # type: ignore[arg-type]
    if url is None:
        return None
    say_saved(request, False, "")
    return redirect(url)


def form_refusal(form: forms.BaseForm, error: ValidationError, field: str | None = None) -> None:
    """A service's refusal shown on the form: on `field`, on the fields it names, or above the
    form (a field the form does not have is named above the form too)."""
    if field is not None or not hasattr(error, "error_dict"):
        form.add_error(field, error)
        return
    for name, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


def run_form[T](
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[dict[str, Any]], T],
    *,
    then: str | Callable[[T], str],
    done: str | Callable[[dict[str, Any]], str],
    once: bool = False,
    error_field: str | None = None,
    refusal_as_message: bool = False,
) -> HttpResponse | None:
    """The POST of a form: when it is valid, `save` is given its data and the person is told
    `done` and sent to `then` (a URL, or made from what `save` returned).

    None when the page is to be shown instead: on a GET, for an invalid form, or when the
    service refused with a ValidationError — shown on the form, or as an error message when
    the page only posts (`refusal_as_message`). With `once`, the form's submission_key keeps a
    double click or a retry from saving twice: the repeat goes where the first went.
    """
    if request.method != "POST" or not form.is_valid():
        return None
    data = {k: v for k, v in form.cleaned_data.items() if k != "submission_key"}

    def perform() -> str:
        result = save(data)
        return then(result) if callable(then) else then

    try:
        if once:
            key = form.cleaned_data["submission_key"]
            url, first = submission_once(user=request.user, key=key, perform=perform)  # type: ignore[arg-type]
        else:
            url, first = perform(), True
    except ValidationError as error:
        if refusal_as_message:
            messages.error(request, " ".join(error.messages))
        else:
            form_refusal(form, error, error_field)
        return None
    say_saved(request, first, done(data) if callable(done) else done)
    return redirect(url)


# --- SVG images ---------------------------------------------------------------------------------

# An SVG shown through <img> never runs script; its own inline styles are all it needs.
SVG_IMAGE_CSP = {"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE]}


def svg_response(svg_text: str | bytes) -> HttpResponse:
    """A chart for an <img>: never cached, since it shows one person's record."""
    response = HttpResponse(svg_text, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


# --- The client's address -----------------------------------------------------------------------


def client_ip(request: HttpRequest) -> str:
    """The client's address, as the trusted proxies report it; always a valid IP address, since
    it is stored in an address column (PostgreSQL's inet refuses anything else)."""
    # "0.0.0.0" stands for an unknown address here; nothing binds to it.
    remote = _valid_ip(str(request.META.get("REMOTE_ADDR", ""))) or "0.0.0.0"  # nosec B104
    if settings.AXES_IPWARE_PROXY_COUNT:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        if len(forwarded) >= settings.AXES_IPWARE_PROXY_COUNT:
            return _valid_ip(forwarded[-settings.AXES_IPWARE_PROXY_COUNT]) or remote
    return remote


def _valid_ip(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None
