"""`rapport change` and `rapport suddengains` against the published values in
../shared/reference/README.md, through call_command and once each through the console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
RAPPORT = Path(sys.executable).parent / "rapport"
SESSIONS = ",".join(f"bdi_s{i}" for i in range(1, 13))
HAMD = ["--id", "id", "--time", "time", "--score", "hamd", "--pre", "1", "--post", "4"]
HAMD_RCI = [*HAMD, "--reliability", ".80", "--direction", "lower"]

PUBLISHED_HAMD = {  # improved, unchanged, deteriorated of 40
    "jt": (29, 10, 1),
    "gln": (29, 10, 1),
    "hll": (12, 16, 12),
    "en": (32, 5, 3),
    "nk": (28, 11, 1),
    "ha": (32, 7, 1),
}


def reference_file(name: str) -> Path:
    path = REFERENCE / name
    if not path.exists():
        message = f"reference data missing: {path}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json"))


def write(tmp_path: Path, text: str, name: str = "scores.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_change_json_reproduces_every_published_count_for_all_methods() -> None:
    claus = str(reference_file("claus_2020.csv"))
    data = run_json("change", claus, *HAMD_RCI, "--method", "all", "--reliability-post", ".5")
    assert set(data) == {"n_total", "n_used", "cutoff", "methods"}
    assert (data["n_total"], data["n_used"], data["cutoff"]) == (43, 40, None)
    assert list(data["methods"]) == list(PUBLISHED_HAMD)
    for method, (improved, unchanged, deteriorated) in PUBLISHED_HAMD.items():
        result = data["methods"][method]
        assert set(result) == {"counts", "clients"}
        assert result["counts"] == {
            "improved": improved,
            "unchanged": unchanged,
            "deteriorated": deteriorated,
        }
        assert len(result["clients"]) == 40
        for client in result["clients"]:
            assert set(client) == {"id", "pre", "post", "rci", "category"}


def test_change_json_clients_carry_the_jacobson_truax_rci() -> None:
    claus = str(reference_file("claus_2020.csv"))
    clients = run_json("change", claus, *HAMD_RCI)["methods"]["jt"]["clients"]
    s_diff = 2.1124782  # published for this sample
    for client in clients:
        assert isinstance(client["id"], str)
        assert client["rci"] == pytest.approx((client["post"] - client["pre"]) / s_diff, abs=1e-5)
    assert {c["category"] for c in clients} <= {"improved", "unchanged", "deteriorated"}


def test_change_with_cutoff_c_reproduces_the_published_counts() -> None:
    claus = str(reference_file("claus_2020.csv"))
    norms = ["--cutoff", "c", "--functional-mean", "8", "--functional-sd", "8"]
    data = run_json("change", claus, *HAMD_RCI, *norms)
    assert data["cutoff"] == pytest.approx(19.886998, abs=1e-6)
    assert data["methods"]["jt"]["counts"] == {
        "recovered": 26,
        "improved": 3,
        "unchanged": 10,
        "deteriorated": 1,
        "harmed": 0,
    }


def test_change_reproduces_the_published_bdi_example() -> None:
    claus = str(reference_file("claus_2020.csv"))
    args = "--id id --time time --score bdi --pre 1 --post 4 --reliability .801 --direction lower"
    norms = "--cutoff c --functional-mean 7.69 --functional-sd 7.52"
    data = run_json("change", claus, *args.split(), *norms.split())
    assert data["cutoff"] == pytest.approx(21.016612, abs=1e-6)
    assert list(data["methods"]["jt"]["counts"].values()) == [10, 8, 22, 0, 0]


def test_change_without_json_prints_a_table_of_counts_per_method() -> None:
    claus = str(reference_file("claus_2020.csv"))
    text = run("change", claus, *HAMD_RCI, "--method", "all")
    assert "40 of 43 clients" in text
    rows = {line.split()[0]: line.split()[1:] for line in text.splitlines()}
    assert rows["Jacobson–Truax"] == ["29", "10", "1"]
    assert rows["Hsu–Linn–Lord"] == ["12", "16", "12"]
    assert rows["Hageman–Arrindell"] == ["32", "7", "1"]
    assert "Nunnally–Kotsch left out" in text  # no --reliability-post given


def test_time_points_match_as_text_or_as_numbers(tmp_path: Path) -> None:
    csv_file = write(
        tmp_path,
        "client,visit,score\nA,1,30\nA,2,20\nB,1.0,25\nB,2.0,24\nC,1,28\nC,2,\nD,intake,40\n",
    )
    args = ["--id", "client", "--time", "visit", "--score", "score", "--pre", "1.0"]
    data = run_json(
        "change", csv_file, *args, "--post", "2", "--reliability", ".8", "--direction", "lower"
    )
    assert (data["n_total"], data["n_used"]) == (4, 2)  # C has an empty post, D no pre or post
    clients = data["methods"]["jt"]["clients"]
    assert [(c["id"], c["pre"], c["post"]) for c in clients] == [("A", 30, 20), ("B", 25, 24)]


def test_suddengains_json_reproduces_the_published_sgdata_figures() -> None:
    sgdata = str(reference_file("sgdata.csv"))
    data = run_json("suddengains", sgdata, "--id", "id", "--columns", SESSIONS)
    assert set(data) == {"n_gains", "n_clients_with_gain", "n_reversals", "gains"}
    assert (data["n_gains"], data["n_clients_with_gain"], data["n_reversals"]) == (24, 15, 4)
    magnitudes = [g["magnitude"] for g in data["gains"]]
    assert sum(magnitudes) / len(magnitudes) == pytest.approx(11.0)
    for gain in data["gains"]:
        assert set(gain) == {"id", "session", "pregain", "postgain", "magnitude", "reversed"}
        assert gain["magnitude"] == gain["pregain"] - gain["postgain"]
    assert sum(g["reversed"] for g in data["gains"]) == 4
    text = run("suddengains", sgdata, "--id", "id", "--columns", SESSIONS)
    assert "24 sudden gains; 15 of 43 clients have at least one; 4 reversed" in text
    assert "mean magnitude 11.00 (SD 3.43)" in text


def test_suddengains_reports_the_post_gain_session_column(tmp_path: Path) -> None:
    csv_file = write(tmp_path, "id,w1,w2,w3,w4,w5,w6\n7.0,30,29,28,21,20,20\n8,30,29,28,28,27,27\n")
    data = run_json("suddengains", csv_file, "--id", "id", "--columns", "w1,w2,w3,w4,w5,w6")
    assert data["gains"] == [
        {
            "id": "7",
            "session": "w4",
            "pregain": 28,
            "postgain": 21,
            "magnitude": 7,
            "reversed": False,
        },
    ]


@pytest.mark.parametrize(
    ("contents", "args", "message"),
    [
        (None, HAMD_RCI, "no such file"),
        (b"PK\x03\x04\x14\x00\x06\x00\xff\xfe\x00", HAMD_RCI, "not a CSV file"),
        (
            "id,time,score\n1,1,30\n1,4,20\n",
            HAMD_RCI,
            "unknown column 'hamd' in scores.csv; available columns: id, time, score",
        ),
        ("id,time,hamd\n1,1,30\n1,4,twenty\n", HAMD_RCI, "row 3: hamd is 'twenty', not a number"),
        (
            "id,time,hamd\n1,1,30\n2,4,20\n",
            HAMD_RCI,
            "no client has both a pre (time 1) and a post (time 4) hamd score",
        ),
        (
            "id,time,hamd\n1,1,30\n1,4,20\n2,1,25\n2,4,20\n",
            [*HAMD, "--reliability", "1.5", "--direction", "lower"],
            "--reliability must be between 0 and 1 (exclusive), got 1.5",
        ),
        (
            "id,time,hamd\n1,1,30\n1,4,20\n2,1,25\n2,4,20\n",
            [*HAMD_RCI, "--cutoff", "c"],
            "--cutoff c needs --functional-mean and --functional-sd",
        ),
        (
            "id,time,hamd\n1,1,30\n1,4,20\n",
            HAMD_RCI,
            "at least 2 complete pre–post pairs",
        ),
    ],
)
def test_change_rejects_bad_input_with_a_clear_message(
    tmp_path: Path, contents: str | bytes | None, args: list[str], message: str
) -> None:
    path = tmp_path / "scores.csv"
    if isinstance(contents, str):
        path.write_text(contents, encoding="utf-8")
    elif isinstance(contents, bytes):
        path.write_bytes(contents)
    with pytest.raises(CommandError) as raised:
        call_command("change", str(path), *args, stdout=StringIO())
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_suddengains_rejects_unknown_columns_and_non_numeric_scores(tmp_path: Path) -> None:
    csv_file = write(tmp_path, "id,s1,s2,s3,s4\n1,30,29,x,20\n")
    with pytest.raises(
        CommandError, match="unknown column 's5' in scores.csv; available columns: id, s1"
    ):
        call_command("suddengains", csv_file, "--id", "id", "--columns", "s1,s5", stdout=StringIO())
    with pytest.raises(CommandError, match="row 2: s3 is 'x', not a number"):
        call_command(
            "suddengains", csv_file, "--id", "id", "--columns", "s1,s2,s3,s4", stdout=StringIO()
        )


def console(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RAPPORT), *args], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )


def test_the_console_script_prints_change_json_and_exits_zero() -> None:
    claus = str(reference_file("claus_2020.csv"))
    done = console(
        "change", claus, *HAMD_RCI, "--method", "all", "--reliability-post", ".5", "--json"
    )
    assert done.returncode == 0, done.stderr
    counts = {m: r["counts"] for m, r in json.loads(done.stdout)["methods"].items()}
    assert {m: tuple(c.values()) for m, c in counts.items()} == PUBLISHED_HAMD


def test_the_console_script_reports_bad_change_input_on_one_line_and_exits_non_zero(
    tmp_path: Path,
) -> None:
    csv_file = write(tmp_path, "id,time,score\n1,1,30\n")
    done = console("change", csv_file, *HAMD_RCI)
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "CommandError: unknown column 'hamd' in scores.csv; available columns: id, time, score"
    ]


def test_the_console_script_reports_bad_suddengains_input_on_one_line_and_exits_non_zero(
    tmp_path: Path,
) -> None:
    missing = str(tmp_path / "nowhere.csv")
    done = console("suddengains", missing, "--id", "id", "--columns", SESSIONS, "--json")
    assert done.returncode != 0
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [f"CommandError: no such file: {missing}"]
