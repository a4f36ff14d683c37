from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.core.management.commands import makemessages

from rapport.measures.registry import builtin_instruments
from rapport.measures.wording import translatable, words_of

PACKAGE = Path(__file__).resolve().parents[3]
WORDING = PACKAGE / "instruments" / "wording.py"

HEADER = '''"""The words of Rapport's own instruments, listed for the translation catalogues.

Made by `rapport messages` (`make messages`) from the instrument files: do not edit. Nothing
imports it; the message extractor reads it, and rapport.measures.wording translates the words
when a form is shown.
"""

from django.utils.translation import gettext_noop as _

'''


def wording_module() -> str:
    """The module listing every translatable word of the built-in instruments, once each."""
    lines = [HEADER]
    seen: set[str] = set()
    for instrument in builtin_instruments().values():
        if not translatable(instrument):
            continue
        for where, text in words_of(instrument):
            if not text or text in seen:
                continue
            seen.add(text)
            lines.append(f"# Translators: {instrument.id}, {where}\n_({text!r})\n")
    return "".join(lines)


class MakeMessages(makemessages.Command):
    # The pure core marks a count's phrases for one and for more with plural_noop
    # (rapport.core.text): Django's own names for that are not to be imported there.
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=plural_noop:1,2"]


class Command(BaseCommand):
    help = (
        "Update the translation catalogues (rapport/locale/<language>/LC_MESSAGES/django.po) "
        "from the templates, the code and the built-in instruments. Needs GNU gettext."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        WORDING.write_text(wording_module(), encoding="utf-8")
        self.stdout.write(f"Listed the instruments' words in {WORDING.relative_to(PACKAGE.parent)}")
        languages = [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]
        # The extractor scans the working directory: the package, not the tests or the venv.
        here = Path.cwd()
        os.chdir(PACKAGE)
        try:
            call_command(
                MakeMessages(),
                locale=languages,
                extensions=["html", "txt", "py"],
                no_obsolete=True,
                add_location="file",
                verbosity=options["verbosity"],
            )
        finally:
            os.chdir(here)
