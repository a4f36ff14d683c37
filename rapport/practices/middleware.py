from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from rapport.people.languages import language_of
from rapport.people.models import Client
from rapport.practices.models import Practice


class PracticeTimezoneMiddleware:
    """Pages show times in the practice's own time zone; storage stays in UTC."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        practice = (
            getattr(request.user, "practice", None) if request.user.is_authenticated else None
        )
        if practice is None and request.user.is_authenticated:
            practice = _portal_practice(request)
        if practice is not None:
            timezone.activate(practice.zone)
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _portal_practice(request: HttpRequest) -> Practice | None:
    user = request.user
    if not user.is_authenticated:
        return None
    client = Client.objects.filter(user=user).select_related("practice").first()
    return client.practice if client else None


class LanguageMiddleware:
    """Pages are in the signed-in person's own language (a client's from their record). Before
    signing in nobody is known: the page follows the language switch (its cookie), else the
    browser's Accept-Language among the languages Rapport has. Forms and error pages opened
    from links choose their respondent's language themselves (rapport.measures.answering)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            translation.activate(language_of(request.user))
        else:
            translation.activate(translation.get_language_from_request(request))
        try:
            return self.get_response(request)
        finally:
            translation.deactivate()
