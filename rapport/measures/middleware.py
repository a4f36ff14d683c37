from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from rapport.measures.client_mode import CLIENT_MODE


class ClientModeMiddleware:
    """While a device is in client mode, only the client's form and the unlock screen open.

    The clinician is still signed in, so without this the client could reach the caseload.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._allowed: set[str] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if hasattr(request, "session") and request.session.get(CLIENT_MODE):
            if self._allowed is None:
                self._allowed = {
                    reverse("measures:client_mode_form"),
                    reverse("measures:client_mode_unlock"),
                    reverse("accounts:login"),
                    # "Stay signed in": the clinician's session must not end mid-form.
                    reverse("accounts:keep_alive"),
                }
            path = request.path
            if path not in self._allowed and not path.startswith(settings.STATIC_URL):
                return redirect("measures:client_mode_unlock")
        return self.get_response(request)
