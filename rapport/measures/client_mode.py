"""Client mode: the clinician's signed-in device handed to the client to answer a form in the
room. The state lives in the sign-in session; the views start and end it, the middleware keeps
the client on the form while it lasts."""

from __future__ import annotations

from django.http import Http404, HttpRequest

CLIENT_MODE = "rapport_client_mode"


def client_mode_state(request: HttpRequest) -> dict[str, int]:
    """The assignment being answered and the clinician who handed the device over; 404 for
    anyone else, so nothing tells a stranger the mode exists."""
    state = request.session.get(CLIENT_MODE)
    if not request.user.is_authenticated or not state or state.get("staff") != request.user.pk:
        raise Http404("Not found")
    return state  # type: ignore[no-any-return]
