"""The CSV tools run on files alone: no server secrets, standard input, and never over their input.

Each runs `python -m rapport` in a subprocess under production settings (no RAPPORT_DEBUG) with no
RAPPORT_SECRET_KEY and no audit key, as a researcher would on their own machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parent.parent
PHQ_HEADER = "client,date," + ",".join(f"phq9-{n}" for n in range(1, 10))
SUDDEN = "id,s1,s2,s3,s4,s5,s6\n1,30,29,28,14,13,12\n2,20,20,19,19,18,18\n"
LONG = "id,time,score\n" + "".join(
    f"{client},{time},{score}\n"
    for client, pre, post in [(1, 30, 10), (2, 25, 24), (3, 28, 12), (4, 22, 23)]
    for time, score in [(1, pre), (2, (pre + post) // 2), (3, post)]
)


def offline(
    tmp_path: Path, *args: str, stdin: str | None = None, python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DATABASE_URL"))}
    env["RAPPORT_SQLITE_PATH"] = str(tmp_path / "unused.sqlite3")
    return subprocess.run(
        [sys.executable, *python, "-m", "rapport", *args],
        env=env,
        cwd=PROJECT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_score_reads_standard_input_without_any_server_secret(tmp_path):
    done = offline(
        tmp_path,
        "score",
        "phq9",
        "-",
        stdin=f"{PHQ_HEADER}\nA,2026-01-05,1,1,1,1,1,0,0,0,0\n",
        python=("-X", "importtime"),
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1].startswith("A,2026-01-05,1,1,1,1,1,0,0,0,0,5,")
    # Like the other file tools it skips the site's checks, which import every page's code
    # (PDF printing, charts, the API) first: two thirds of its start-up time.
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "rapport.core.instruments" in imported
    assert not {"rapport.urls", "rapport.reports.views", "weasyprint"} & imported


def test_suddengains_reads_standard_input_without_any_server_secret(tmp_path):
    done = offline(
        tmp_path,
        "suddengains",
        "-",
        "--id",
        "id",
        "--columns",
        "s1,s2,s3,s4,s5,s6",
        "--json",
        stdin=SUDDEN,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)


def test_change_reads_standard_input_without_any_server_secret(tmp_path):
    done = offline(
        tmp_path,
        "change",
        "-",
        "--id",
        "id",
        "--time",
        "time",
        "--score",
        "score",
        "--pre",
        "1",
        "--post",
        "3",
        "--reliability",
        ".8",
        "--direction",
        "lower",
        "--json",
        stdin=LONG,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["methods"]


def test_growth_reads_standard_input_without_any_server_secret(tmp_path):
    done = offline(
        tmp_path,
        "growth",
        "-",
        "--id",
        "id",
        "--time",
        "time",
        "--score",
        "score",
        "--json",
        stdin=LONG,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)


@pytest.mark.parametrize(
    "args",
    [
        ["suddengains", "-", "--id", "id", "--columns", "s1,s2,nope"],
        [
            "change",
            "-",
            "--id",
            "id",
            "--time",
            "time",
            "--score",
            "nope",
            "--pre",
            "1",
            "--post",
            "3",
            "--reliability",
            ".8",
            "--direction",
            "lower",
        ],
    ],
)
def test_bad_standard_input_is_one_line_and_a_non_zero_exit(tmp_path, args):
    done = offline(tmp_path, *args, stdin=SUDDEN if args[0] == "suddengains" else LONG)
    assert done.returncode != 0
    assert done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "standard input" in lines[0] and "nope" in lines[0]


def test_score_refuses_to_write_its_output_over_its_input(tmp_path):
    source = tmp_path / "answers.csv"
    original = f"{PHQ_HEADER}\nA,2026-01-05,1,1,1,1,1,0,0,0,0\n"
    source.write_text(original)
    done = offline(
        tmp_path, "score", "phq9", str(source), "--output", str(tmp_path / "." / "answers.csv")
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        f"CommandError: {tmp_path / '.' / 'answers.csv'}: the output would overwrite the input; "
        "choose another file"
    ]
    assert source.read_text() == original
