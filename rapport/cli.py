"""The `rapport` command: Django's management commands under the project's own name."""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.management import execute_from_command_line

# The CSV analysis tools work on files alone: they run without the server's secrets, so that a
# researcher can use them on any machine with the package installed.
OFFLINE_COMMANDS = frozenset({"score", "change", "suddengains", "growth", "therapists"})
offline_tool_running = False


def main() -> None:
    global offline_tool_running
    offline_tool_running = len(sys.argv) > 1 and sys.argv[1] in OFFLINE_COMMANDS
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rapport.settings")
    try:
        execute_from_command_line(["rapport", *sys.argv[1:]])
    except ImproperlyConfigured as error:
        print(f"rapport: configuration error: {error}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
