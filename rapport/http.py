"""The request a signed-in page receives."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from rapport.accounts.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request whose user has signed in: what a view behind `login_required` or one of the
    role decorators (rapport.accounts.decorators) receives, so `request.user` is a `User`, not
    `User | AnonymousUser`. A type only: Django builds the request; the decorator makes the
    annotation true. `htmx` is set on every request by django-htmx's middleware."""

    user: User
    htmx: HtmxDetails
