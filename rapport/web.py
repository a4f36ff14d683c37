"""What every app's views share: saying a form was saved, submitting a form once, the POST →
service → redirect sequence, SVG images (charts drawn once per version of their data) and the
client's address.

Views import from here, never from another app's views: a views module is a page, not a library.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import ipaddress
import sys
from collections.abc import Callable
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect
from django.utils.cache import patch_vary_headers
from django.utils.csp import CSP
from django.utils.translation import gettext

from rapport.accounts.queries import earlier_submission
from rapport.accounts.services import submission_once

# --- Saved messages and submit-once -------------------------------------------------------------


def say_saved(request: HttpRequest, first_time: bool, message: str) -> None:
    """Confirm a submission; a repeated one is told it was already done, not done twice."""
    if first_time:
        messages.success(request, message)
    else:
        messages.info(request, gettext("This was already saved; it has not been saved twice."))


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

# The drawn charts, compressed, keyed by the version of what they show (settings.CACHES).
CHART_CACHE = "charts"
# Private: the browser keeps a chart of one person's record, no proxy ever does; no-cache: it
# asks every time, and gets 304 while the data has not changed.
CHART_CACHE_CONTROL = "private, no-cache"


def chart_response(
    request: HttpRequest, *, audience: str, data: object, draw: Callable[[], bytes]
) -> HttpResponse:
    """A chart for an <img>, drawn once per version of the data it shows.

    Call it after the access check (and its audit): a 304 says the viewer's copy is still the
    record's current chart. The version (the ETag) is a digest of `data` (the chart's input,
    with everything the drawing depends on: layout, size), of `audience` and the viewer's role,
    and of the drawing code, so a change to any of them draws anew, and a clinician's chart is
    never served to a client or a guardian, nor theirs to a clinician. `draw` runs only when no
    drawing of this version is cached.

    Compressed when the browser accepts gzip: an SVG holds no secret and no CSRF token that an
    attacker could guess byte by byte from its compressed size (BREACH), only the chart.
    """
    version = _chart_version(request, audience, data, draw)
    return _versioned_chart(request, version, draw)


def shown_chart_url(
    request: HttpRequest,
    url: str,
    *,
    audience: str,
    data: object,
    draw: Callable[[], bytes],
    **params: str,
) -> str:
    """The address of a chart that a page shows, for data the page has just read itself: `url`
    with `params` and the chart's version (`v`), the same version `chart_response` would give.

    Reading a chart's data costs as much as the page (the progress chart's is most of its
    page), and a page view asked for it again with every chart. So the page remembers what
    it drew the chart from, for this viewer and this address only: the chart's request
    (`remembered_chart`) then answers from it, after its own access check and audit, without
    reading the data again. The address names one version, as the page's tables do: a change
    to the data gives the next page view a new address.
    """
    version = _chart_version(request, audience, data, draw)
    caches[CHART_CACHE].set(_shown_key(request, url, params, version), data)
    return f"{url}?{urlencode({**params, 'v': version})}"


def remembered_chart(request: HttpRequest, draw: Callable[[Any], bytes]) -> HttpResponse | None:
    """The chart of a `shown_chart_url` address, from what its page remembered for this viewer
    (`draw(data)` draws it when its drawing is not cached); None when the address names no
    version this viewer was shown (an address without one, a forged or forgotten one): the
    caller then reads the data and answers with `chart_response`.

    Call it after the access check (and its audit), as `chart_response`."""
    version = request.GET.get("v", "")
    if not version:
        return None
    params = {name: str(value) for name, value in request.GET.items() if name != "v"}
    key = _shown_key(request, request.path, params, version)
    cache = caches[CHART_CACHE]
    data = cache.get(key)
    if data is None:
        return None
    return _versioned_chart(request, version, lambda: draw(data))


def _shown_key(request: HttpRequest, url: str, params: dict[str, str], version: str) -> str:
    """Bound to the viewer, their role and the chart's address (the record it is of): a version
    seen on one record, or by another person, opens nothing."""
    user = request.user
    viewer = f"{getattr(user, 'pk', '')}:{getattr(user, 'role', '')}"
    return "shown:" + _digest(viewer, url, repr(sorted(params.items())), version)


def _chart_version(
    request: HttpRequest, audience: str, data: object, draw: Callable[[], bytes]
) -> str:
    role = str(getattr(request.user, "role", ""))
    return _digest(repr((audience, role, data)), _code_version(draw))


def _versioned_chart(request: HttpRequest, version: str, draw: Callable[[], bytes]) -> HttpResponse:
    etag = f'W/"{version}"'
    if _matches(request.headers.get("If-None-Match", ""), etag):
        not_modified = HttpResponseNotModified()
        _chart_headers(not_modified, etag)
        return not_modified
    cache = caches[CHART_CACHE]
    compressed = cache.get(version)
    if compressed is None:
        compressed = gzip.compress(draw(), compresslevel=6, mtime=0)
        cache.set(version, compressed)
    if _accepts_gzip(request):
        response = HttpResponse(compressed, content_type="image/svg+xml")
        response["Content-Encoding"] = "gzip"
    else:
        response = HttpResponse(gzip.decompress(compressed), content_type="image/svg+xml")
    _chart_headers(response, etag)
    return response


def _chart_headers(response: HttpResponse, etag: str) -> None:
    response["ETag"] = etag
    response["Cache-Control"] = CHART_CACHE_CONTROL
    patch_vary_headers(response, ["Accept-Encoding"])


def _matches(if_none_match: str, etag: str) -> bool:
    """Weak comparison, as If-None-Match asks for (RFC 9110 13.1.2)."""
    if if_none_match.strip() == "*":
        return True
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return etag.removeprefix("W/") in tags


def _accepts_gzip(request: HttpRequest) -> bool:
    codings = [
        part.split(";")[0].strip().lower()
        for part in request.headers.get("Accept-Encoding", "").split(",")
    ]
    return "gzip" in codings


def _digest(*parts: str) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(part.encode())
        hasher.update(b"\0")
    return hasher.hexdigest()[:32]


def _code_version(draw: Callable[[], bytes]) -> str:
    """The drawing code's version: its module, the shared chart modules and matplotlib."""
    function = getattr(draw, "func", draw)  # a functools.partial draws with its function
    return _module_version(str(getattr(function, "__module__", "")))


@functools.cache
def _module_version(module_name: str) -> str:
    files = sorted((Path(__file__).parent / "charts").glob("*.py"))
    module = sys.modules.get(module_name)
    if module is not None and getattr(module, "__file__", None):
        files.append(Path(str(module.__file__)))
    return _digest(package_version("matplotlib"), *(f.read_text() for f in files))


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


# --- Exports that need the FHIR base ------------------------------------------------------------


def needs_fhir_base[**P](view: Callable[P, HttpResponse]) -> Callable[P, HttpResponse]:
    """A FHIR download answers 503 with the reason when the installation has no FHIR base (no
    RAPPORT_FHIR_BASE nor RAPPORT_BASE_URL): an export must not invent the address its
    resources are known by, and a setting left out is not a server error."""

    @functools.wraps(view)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        if not settings.RAPPORT_FHIR_BASE:
            return HttpResponse(
                "FHIR export is not set up on this installation: its administrator must set "
                "RAPPORT_FHIR_BASE (or RAPPORT_BASE_URL).",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        return view(*args, **kwargs)

    return guarded
