"""Opening a link from home: the read of what the token opens, and, when it opens nothing, the
failure counted for the address in its own short write."""

from __future__ import annotations

from django.utils import timezone

from rapport.measures.models import AccessLink
from rapport.measures.queries import LinkUnusable, link_opened
from rapport.measures.services import link_failure_record


def link_resolve(token: str, *, ip_address: str) -> AccessLink:
    """The link a token opens, or LinkUnusable with a reason that reveals nothing clinical.

    A token that opens nothing counts as a failure for its address (see link_rate_limited);
    a working token is never refused, however many failures its address has.
    """
    now = timezone.now()
    try:
        return link_opened(token, now=now)
    except LinkUnusable as problem:
        problem.throttled = link_failure_record(ip_address=ip_address, now=now)
        raise
