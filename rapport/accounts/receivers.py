"""How accounts react to signing in and out; connected in rapport/signals.py."""

from __future__ import annotations

import time
from typing import Any

from django.http import HttpRequest

from rapport.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from rapport.accounts.models import User
from rapport.audit.services import audit_record


def start_session_clock(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
    audit_record(actor=user, action="sign_in", obj=user)


def record_sign_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="sign_out", obj=user)
