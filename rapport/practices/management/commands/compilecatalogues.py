from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from rapport.core.catalogue import mo_bytes, parse_po


def catalogues() -> list[Path]:
    """Every .po file under the project's locale folders."""
    return sorted(
        po for folder in settings.LOCALE_PATHS for po in Path(folder).glob("*/LC_MESSAGES/*.po")
    )


class Command(BaseCommand):
    help = (
        "Compile the translation catalogues (.po) into the .mo files Django reads, in Python: "
        "GNU gettext is not needed."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        for po in catalogues():
            mo = po.with_suffix(".mo")
            mo.write_bytes(mo_bytes(parse_po(po.read_text(encoding="utf-8"))))
            self.stdout.write(f"Compiled {mo}")
