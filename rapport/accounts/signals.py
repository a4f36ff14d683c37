from __future__ import annotations

import time
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest

from rapport.accounts.middleware import LAST_SEEN_AT, SIGNED_IN_AT
from rapport.accounts.models import User
from rapport.audit.services import audit_record


@receiver(user_logged_in)
def start_session_clock(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now
    audit_record(actor=user, action="sign_in", obj=user)


@receiver(user_logged_out)
def record_sign_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        audit_record(actor=user, action="sign_out", obj=user)
