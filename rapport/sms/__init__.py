"""Text messages (SMS), the second channel for links to forms: a backend chosen in settings, as
Django's email backends are.

- `console` (development default): the message is written to standard output;
- `file`: each message appended to a file in RAPPORT_SMS_FILE_PATH (tests, staging);
- `http`: a JSON POST `{"to": ..., "body": ...}` to RAPPORT_SMS_URL with
  `Authorization: Bearer RAPPORT_SMS_TOKEN`, the shape most SMS gateways accept (or a small relay
  to the one the practice uses);
- `none` (production default until one is chosen): nothing is sent, and senders are told so.

Only links travel by text, never clinical content: the callers compose the message.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

BACKENDS = ("console", "file", "http", "none")
TIMEOUT_SECONDS = 10


class TextNotSent(Exception):
    """The gateway refused or could not be reached; the caller decides what to do."""


def texts_enabled() -> bool:
    return settings.RAPPORT_SMS_BACKEND != "none"


def send_text(to: str, body: str) -> None:
    """Send one message through the configured backend."""
    backend = settings.RAPPORT_SMS_BACKEND
    if backend == "none":
        return
    if backend == "console":
        sys.stdout.write(f"[text to {to}] {body}\n")
        return
    if backend == "file":
        folder = Path(settings.RAPPORT_SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).isoformat()
        with (folder / "texts.log").open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"at": stamp, "to": to, "body": body}) + "\n")
        return
    if backend == "http":
        _post(to, body)
        return
    raise ImproperlyConfigured(f"RAPPORT_SMS_BACKEND must be one of {', '.join(BACKENDS)}")


def _post(to: str, body: str) -> None:
    url = settings.RAPPORT_SMS_URL
    if not url.startswith("https://"):
        raise ImproperlyConfigured("RAPPORT_SMS_URL must be an https:// address")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        url,
        data=json.dumps({"to": to, "body": body}).encode(),
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {settings.RAPPORT_SMS_TOKEN}",
        },
        method="POST",
    )
    try:
        # The scheme is checked above (https only).
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as reply:  # noqa: S310  # nosec B310
            if reply.status >= 300:
                raise TextNotSent(f"the gateway answered {reply.status}")
    except OSError as error:
        raise TextNotSent(str(error)) from error
