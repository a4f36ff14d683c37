"""`rapport growth` on sleepstudy against lme4's values in ../shared/reference/README.md, through
call_command and once through the console script."""

from __future__ import annotations

import dataclasses
import json
import math
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from rapport.core.growth import fit_growth

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference"
RAPPORT = Path(sys.executable).parent / "rapport"
SLEEP = ["--id", "Subject", "--time", "Days", "--score", "Reaction"]
KEYS = {
    "n_obs",
    "n_groups",
    "method",
    "fixed",
    "se",
    "random",
    "residual_sd",
    "loglik",
    "criterion",
    "converged",
    "fit_seconds",
}
# lme4 (reference README): SEs, SDs, correlation, residual SD, −2 log-likelihood.
EXPECTED = {
    "REML": ((6.825, 1.546), (24.7407, 5.9221), 0.066, 25.5918, 1743.6283),
    "ML": ((6.632, 1.502), (23.7805585, 5.7168379), 0.0813196, 25.59182, 1751.9393),
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
    call_command("growth", *args, stdout=out)
    return out.getvalue()


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json"))


def write(tmp_path: Path, text: str, name: str = "scores.csv") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


@pytest.mark.parametrize("method", ["REML", "ML"])
def test_json_on_sleepstudy_matches_lme4(method: str) -> None:
    flags = ["--ml"] if method == "ML" else []
    data = run_json(str(reference_file("sleepstudy.csv")), *SLEEP, *flags)
    assert set(data) == KEYS
    (se0, se1), (sd0, sd1), corr, residual, criterion = EXPECTED[method]
    assert (data["n_obs"], data["n_groups"], data["method"]) == (180, 18, method)
    assert list(data["fixed"]) == list(data["se"]) == ["intercept", "time"]
    assert data["fixed"]["intercept"] == pytest.approx(251.405104848485, rel=1e-6)
    assert data["fixed"]["time"] == pytest.approx(10.467285959595, rel=1e-6)
    assert (round(data["se"]["intercept"], 3), round(data["se"]["time"], 3)) == (se0, se1)
    assert set(data["random"]) == {"sd_intercept", "sd_time", "corr"}
    assert data["random"]["sd_intercept"] == pytest.approx(sd0, rel=1e-3)
    assert data["random"]["sd_time"] == pytest.approx(sd1, rel=1e-3)
    assert data["random"]["corr"] == pytest.approx(corr, abs=2e-3)
    assert data["residual_sd"] == pytest.approx(residual, rel=1e-3)
    assert data["criterion"] == pytest.approx(criterion, abs=1e-3)
    assert data["loglik"] == pytest.approx(-criterion / 2, abs=1e-3)
    assert data["converged"] is True
    assert 0 < data["fit_seconds"] < 5


def test_text_report_on_sleepstudy() -> None:
    text = run(str(reference_file("sleepstudy.csv")), *SLEEP)
    lines = text.splitlines()
    assert lines[0] == "Reaction over Days, REML: 180 observations of 18 clients"
    assert any(line.split()[:3] == ["intercept", "251.4051", "6.8246"] for line in lines)
    assert "REML criterion 1743.6283, log-likelihood -871.8141" in text
    assert "intercept–slope correlation 0.066" in text


def growth_csv(tmp_path: Path) -> tuple[str, dict[str, Any]]:
    """Six clients; intake is written on every row but only each client's first value counts."""
    rng = np.random.default_rng(1)
    rows = ["client;week;phq9;intake"]
    truth: dict[str, list[Any]] = {"client": [], "week": [], "score": [], "intake": []}
    for client in range(6):
        intake = 10.0 + 2 * client + (client % 2)
        for week in range(5):
            score = round(20 - 0.5 * week - 0.2 * client * week + rng.normal(0, 1), 2)
            written = intake if week == 0 else intake + 100  # later rows disagree: ignored
            rows.append(f"c{client};{week};{score};{written}")
            truth["client"].append(client)
            truth["week"].append(float(week))
            truth["score"].append(score)
            truth["intake"].append(intake)
    rows.append("c9;1;NA;12")  # no score: left out
    rows.append("c5;7;;12")
    return write(tmp_path, "\n".join(rows) + "\n"), truth


def test_covariates_take_each_clients_first_value_and_interact_with_time(tmp_path: Path) -> None:
    path, truth = growth_csv(tmp_path)
    args = ["--id", "client", "--time", "week", "--score", "phq9", "--covariate", "intake"]
    data = run_json(path, *args)
    assert list(data["fixed"]) == ["intercept", "time", "intake", "time:intake"]
    assert (data["n_obs"], data["n_groups"]) == (30, 6)
    expected = fit_growth(
        truth["client"], truth["week"], truth["score"], {"intake": truth["intake"]}
    )
    for name, value in expected.fixed.items():
        assert data["fixed"][name] == pytest.approx(value, rel=1e-12)
    text = run(path, *args)
    assert "2 of 32 rows left out for a missing value" in text
    assert any(line.startswith("time:intake") for line in text.splitlines())


def test_log1p_time_transform(tmp_path: Path) -> None:
    path, truth = growth_csv(tmp_path)
    args = ["--id", "client", "--time", "week", "--score", "phq9", "--time-transform", "log1p"]
    data = run_json(path, *args, "--ml")
    expected = fit_growth(truth["client"], np.log1p(truth["week"]), truth["score"], method="ML")
    assert data["fixed"]["time"] == pytest.approx(expected.coef[1], rel=1e-12)
    assert data["criterion"] == pytest.approx(expected.criterion, abs=1e-9)
    assert "phq9 over log1p(week), ML" in run(path, *args, "--ml")
    bad = write(tmp_path, "id,t,y\n1,-1,3\n1,0,4\n", "negative.csv")
    with pytest.raises(CommandError, match="log1p needs every t above -1"):
        run(bad, "--id", "id", "--time", "t", "--score", "y", "--time-transform", "log1p")


def test_json_has_null_for_an_undefined_correlation() -> None:
    from rapport.analysis.growth import payload

    fit = fit_growth(*sleepstudy_arrays())
    data = payload(dataclasses.replace(fit, corr=math.nan), 0.0)  # as when an SD is 0
    assert data["random"]["corr"] is None
    assert json.loads(json.dumps(data, allow_nan=False))["random"]["corr"] is None


def sleepstudy_arrays() -> tuple[list[str], list[float], list[float]]:
    lines = reference_file("sleepstudy.csv").read_text().splitlines()[1:]
    rows = [line.split(",") for line in lines]
    return [r[3] for r in rows], [float(r[2]) for r in rows], [float(r[1]) for r in rows]


@pytest.mark.parametrize(
    ("text", "args", "message"),
    [
        (None, SLEEP, "no such file"),
        (
            "Subject,Days,Reaction\n",
            ["--id", "Subject", "--time", "Day", "--score", "Reaction"],
            "unknown column 'Day' in scores.csv; available columns: Subject, Days, Reaction",
        ),
        ("Subject,Days,Reaction\n1,0,fast\n", SLEEP, "row 2: Reaction is 'fast', not a number"),
        ("Subject,Days,Reaction\n,0,1\n", SLEEP, "row 2: Subject is empty"),
        ("Subject,Days,Reaction\n1,0,1\n1,1,2\n2,0,1\n2,1,3\n", SLEEP, "at least 3 groups"),
        ("Subject,Days,Reaction\n1,0,1\n1,0,2\n2,0,1\n3,0,3\n", SLEEP, "time is constant"),
        ("Subject,Days,Reaction\n1,0,1\n", [*SLEEP, "--covariate", "Days"], "more than one role"),
    ],
)
def test_bad_input_is_a_one_line_command_error(
    tmp_path: Path, text: str | None, args: list[str], message: str
) -> None:
    path = str(tmp_path / "missing.csv") if text is None else write(tmp_path, text)
    with pytest.raises(CommandError, match=message) as caught:
        run(path, *args)
    assert "\n" not in str(caught.value)


def console(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(RAPPORT), *args], capture_output=True, text=True, cwd=ROOT, timeout=60, check=False
    )


def test_the_console_script_prints_json_and_exits_zero_or_fails_on_one_line(tmp_path: Path) -> None:
    sleep = str(reference_file("sleepstudy.csv"))
    done = console("growth", sleep, *SLEEP, "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["criterion"] == pytest.approx(1743.6283, abs=1e-3)
    failed = console("growth", sleep, "--id", "Subject", "--time", "Day", "--score", "Reaction")
    assert failed.returncode != 0
    assert failed.stdout == ""
    assert failed.stderr.strip().splitlines() == [
        "CommandError: unknown column 'Day' in sleepstudy.csv; available columns: rownames, "
        "Reaction, Days, Subject"
    ]
