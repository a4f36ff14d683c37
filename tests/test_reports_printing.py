"""Printing a report: WeasyPrint fetches nothing but the document's own data: URIs, and it is
loaded at the first print, not with the pages' code (two thirds of a second of every process's
start: each command's system checks, each server worker)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rapport.reports.printing import _nothing_fetched, pdf_of

PROJECT = Path(__file__).resolve().parent.parent
DOT = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


@pytest.mark.parametrize(
    "url", ["file:///etc/hostname", "http://example.org/chart.png", "/static/rapport/rapport.css"]
)
def test_a_report_fetches_nothing_from_the_network_or_the_servers_files(url: str) -> None:
    with pytest.raises(ValueError, match="a report fetches nothing"):
        _nothing_fetched()().fetch(url)


def test_a_report_prints_its_own_data_uris() -> None:
    fetched = _nothing_fetched()().fetch(DOT)
    assert fetched is not None
    pdf = pdf_of(f'<html lang="en"><title>Dot</title><p>Dot</p><img src="{DOT}" alt="dot">')
    assert pdf.startswith(b"%PDF")


def test_the_pages_code_loads_without_weasyprint() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "rapport.settings", "RAPPORT_DEBUG": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, django; django.setup(); import rapport.urls, rapport.reports.views; "
            "print('rapport.reports.printing' in sys.modules, 'weasyprint' in sys.modules)",
        ],
        env=env,
        cwd=PROJECT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "False"]
