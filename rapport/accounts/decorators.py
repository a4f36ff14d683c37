from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from rapport.accounts.models import Role
from rapport.audit.models import AuditEvent
from rapport.audit.services import audit_record

View = Callable[..., HttpResponse]


def role_required(*roles: Role) -> Callable[[View], View]:
    """Anonymous users are sent to sign in; signed-in users of another role get 403."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role not in roles:
                audit_record(
                    actor=user,
                    action="open_page",
                    object_type="route",
                    object_id=request.path[:64],
                    outcome=AuditEvent.Outcome.DENIED,
                )
                raise PermissionDenied("This page is not available to your account.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


clinical_staff_required = role_required(Role.CLINICIAN, Role.SUPERVISOR)
# Pages that show a client's record: clinical staff in their care, and a practice admin under
# break-glass (read-only; rapport.access.record_access decides per client and refuses writes).
record_readers_required = role_required(Role.CLINICIAN, Role.SUPERVISOR, Role.ADMIN)
