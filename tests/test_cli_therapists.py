"""`rapport therapists effectiveness`: its JSON, its sign convention, and its one-line errors."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections import Counter
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from rapport.speed.episodes import simulate_episodes

PROJECT = Path(__file__).resolve().parent.parent
COLUMNS = ["--therapist", "therapist", "--domain", "domain", "--pre", "pre", "--post", "post"]
RECORD_KEYS = {
    "therapist",
    "domain",
    "n",
    "estimate",
    "lower",
    "upper",
    "p_above",
    "p_below",
    "label",
}
DEPRESSION = (("depression", 15.0, 5.0, "lower"),)


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def episodes_file(tmp_path: Path, *, direction: str = "lower", boost: float = 0.0) -> Path:
    """Simulated closed episodes; the busiest therapist's clients improve `boost` intake SDs more.
    With direction "higher" the same data are written on a scale where higher is better."""
    episodes = simulate_episodes(40, 2400, seed=8, domains=DEPRESSION)
    busiest = Counter(episodes.therapist.tolist()).most_common(1)[0][0]
    post = episodes.post - boost * 5.0 * (episodes.therapist == busiest)
    pre = episodes.pre
    if direction == "higher":
        pre, post = 40.0 - pre, 40.0 - post
    rows = [
        [t, d, f"{a:.2f}", f"{b:.2f}", age]
        for t, d, a, b, age in zip(
            episodes.therapist, episodes.domain, pre, post, episodes.age_band, strict=True
        )
    ]
    return write(
        tmp_path / f"episodes-{direction}.csv", ["therapist", "domain", "pre", "post", "age"], rows
    )


def run(*args: str) -> str:
    out = StringIO()
    call_command("therapists", "effectiveness", *args, stdout=out)
    return out.getvalue()


def busiest(payload: dict) -> dict:
    return max(payload["therapists"], key=lambda record: record["n"])


def test_json_lists_one_record_per_therapist_and_domain_with_the_documented_keys(tmp_path):
    path = episodes_file(tmp_path)
    payload = json.loads(
        run(str(path), *COLUMNS, "--direction", "lower", "--covariate", "age", "--json")
    )
    assert payload["n_used"] == 2400
    records = payload["therapists"]
    assert {frozenset(record) for record in records} == {frozenset(RECORD_KEYS)}
    assert len({(r["therapist"], r["domain"]) for r in records}) == len(records)
    assert {r["label"] for r in records} <= {"strength", "caution", "no evidence"}
    assert all(r["lower"] <= r["estimate"] <= r["upper"] for r in records)
    assert set(payload["variance_components"]) == {"therapist", "therapist_domain", "residual"}
    assert "age=30-49" in payload["fixed"]
    assert payload["delta"] == 0.1 and payload["level"] == 0.8


@pytest.mark.parametrize("direction", ["lower", "higher"])
def test_a_therapist_simulated_better_comes_out_positive_whichever_way_is_better(
    tmp_path, direction
):
    plain = json.loads(
        run(
            str(episodes_file(tmp_path, direction=direction)),
            *COLUMNS,
            "--direction",
            direction,
            "--json",
        )
    )
    boosted = json.loads(
        run(
            str(episodes_file(tmp_path, direction=direction, boost=0.8)),
            *COLUMNS,
            "--direction",
            direction,
            "--json",
        )
    )
    assert busiest(boosted)["estimate"] > 0.3
    assert busiest(boosted)["estimate"] > busiest(plain)["estimate"] + 0.3
    assert busiest(boosted)["label"] == "strength"


def test_the_text_report_shows_the_variance_components_and_the_settings(tmp_path):
    path = episodes_file(tmp_path)
    text = run(str(path), *COLUMNS, "--direction", "lower", "--delta", "0.2", "--level", "0.9")
    assert "therapist × domain" in text
    assert "90% interval" in text and "P(>0.2)" in text
    assert text.strip().splitlines()[-1].startswith("fitted in ")


def test_rows_missing_a_score_are_left_out_and_counted(tmp_path):
    path = episodes_file(tmp_path)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] = ",".join(lines[1].split(",")[:3] + ["NA"] + lines[1].split(",")[4:])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    payload = json.loads(run(str(path), *COLUMNS, "--direction", "lower", "--json"))
    assert (payload["n_rows"], payload["n_used"]) == (2400, 2399)


def bad(tmp_path: Path, content: str, *options: str) -> str:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        run(str(path), *(options or (*COLUMNS, "--direction", "lower")))
    message = str(raised.value)
    assert "\n" not in message
    return message


GOOD = "therapist,domain,pre,post\nA,depression,15,9\nB,depression,12,10\n"


@pytest.mark.parametrize(
    ("content", "options", "expected"),
    [
        ("therapist,domain,pre\nA,depression,15\n", (), "unknown column 'post'"),
        (
            "therapist,domain,pre,post\nA,depression,15,nine\n",
            (),
            "row 2: post is 'nine', not a number",
        ),
        ("", (), "is empty"),
        (GOOD, (*COLUMNS, "--direction", "sideways"), "--direction must be lower or higher"),
        (GOOD, (*COLUMNS, "--direction", "lower", "--delta", "-0.1"), "--delta must be at least 0"),
        (GOOD, (*COLUMNS, "--direction", "lower", "--delta", "5"), "--delta must be at least 0"),
        (GOOD, (*COLUMNS, "--direction", "lower", "--delta", "x"), "--delta must be a number"),
        (GOOD, (*COLUMNS, "--direction", "lower", "--level", "1.5"), "--level must be between 0"),
        ("therapist,domain,pre,post\nA,depression,,\n", (), "no row has both a pre and a post"),
        (",domain,pre,post\nA,depression,15,9\n", (), "a column without a name"),
        (
            "therapist,domain,pre,post,age\nA,depression,15,9,30\nB,depression,12,10,nan\n",
            (*COLUMNS, "--direction", "lower", "--covariate", "age"),
            "row 3: age is 'nan', not a number",
        ),
        (GOOD, (*COLUMNS[:-1], "pre", "--direction", "lower"), "more than one role: pre"),
    ],
)
def test_bad_input_is_a_one_line_error(tmp_path, content, options, expected):
    assert expected in bad(tmp_path, content, *options)


def test_too_little_data_to_fit_is_a_one_line_error(tmp_path):
    message = bad(tmp_path, GOOD)
    assert "need more than" in message


def test_a_bad_file_exits_non_zero_with_one_line_on_standard_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAPPORT_", "DATABASE_URL"))}
    env["RAPPORT_SQLITE_PATH"] = str(tmp_path / "unused.sqlite3")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "rapport",
            "therapists",
            "effectiveness",
            "-",
            *COLUMNS,
            "--direction",
            "lower",
        ],
        env=env,
        cwd=PROJECT,
        input="therapist,domain,pre,post\nA,depression,15,nine\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == ["CommandError: row 2: post is 'nine', not a number"]


def test_categorical_covariates_become_one_indicator_per_level_but_the_first(tmp_path):
    path = episodes_file(tmp_path)
    payload = json.loads(
        run(str(path), *COLUMNS, "--direction", "lower", "--covariate", "age", "--json")
    )
    assert [name for name in payload["fixed"] if name.startswith("age")] == [
        "age=30-49",
        "age=50+",
    ]
    assert np.isfinite(list(payload["fixed"].values())).all()


def test_a_parquet_file_gives_the_same_estimates_as_the_csv(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    pa = pytest.importorskip("pyarrow")
    path = episodes_file(tmp_path)
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    table = pa.table(
        {
            "therapist": [row["therapist"] for row in rows],
            "domain": [row["domain"] for row in rows],
            "pre": [float(row["pre"]) for row in rows],
            "post": [float(row["post"]) for row in rows],
        }
    )
    parquet = tmp_path / "episodes.parquet"
    pq.write_table(table, parquet)
    from_csv = json.loads(run(str(path), *COLUMNS, "--direction", "lower", "--json"))
    from_parquet = json.loads(run(str(parquet), *COLUMNS, "--direction", "lower", "--json"))
    assert from_parquet["therapists"] == from_csv["therapists"]
