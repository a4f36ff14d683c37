"""The analysis commands' columnar input: Parquet as well as CSV, ids numbered by first
appearance, and errors that still name the row a spreadsheet shows after column-wise checks."""

from __future__ import annotations

import json
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import CommandError, call_command

from rapport.analysis import csvinput
from rapport.analysis.csvinput import factorise, ids, read_csv
from rapport.analysis.growth import growth_data

GROWTH = ["--id", "client", "--time", "week", "--score", "score"]


def growth_json(path: Path, *args: str) -> Any:
    out = StringIO()
    call_command("growth", str(path), *GROWTH, *args, "--json", stdout=out)
    data = json.loads(out.getvalue())
    data.pop("fit_seconds")
    return data


def practice_rows() -> dict[str, list[Any]]:
    rng = np.random.default_rng(7)
    rows: dict[str, list[Any]] = {"client": [], "week": [], "score": [], "intake": []}
    for client in range(12):
        intake = float(10 + client % 5)
        for week in range(6):
            rows["client"].append(f"p{client:02d}")
            rows["week"].append(float(week))
            rows["score"].append(round(20 - 0.6 * week + rng.normal(0, 1.5), 2))
            rows["intake"].append(intake)
    return rows


def write_csv(path: Path, rows: dict[str, list[Any]]) -> Path:
    lines = [",".join(rows)]
    lines += [",".join(str(v) for v in values) for values in zip(*rows.values(), strict=True)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_parquet_file_gives_the_same_fit_as_the_csv_of_the_same_data(tmp_path: Path) -> None:
    rows = practice_rows()
    csv_file = write_csv(tmp_path / "practice.csv", rows)
    parquet_file = tmp_path / "practice.parquet"
    pq.write_table(pa.table(rows), parquet_file)
    args = ["--covariate", "intake"]
    assert growth_json(parquet_file, *args) == growth_json(csv_file, *args)


def both_files(tmp_path: Path, rows: dict[str, list[Any]]) -> tuple[Path, Path]:
    """The rows as a Parquet file and as a CSV file, a null being an empty cell."""
    parquet_file = tmp_path / "rows.parquet"
    pq.write_table(pa.table(rows), parquet_file)
    as_text = {name: ["" if v is None else v for v in values] for name, values in rows.items()}
    return parquet_file, write_csv(tmp_path / "rows.csv", as_text)


def rows_with_blanks() -> dict[str, list[Any]]:
    """Integer ids that run on across batches of 7 rows, rows of nulls, a missing score."""
    rows: dict[str, list[Any]] = {"client": [], "week": [], "score": [], "intake": []}
    for i in range(40):
        blank = i in (0, 9, 10, 23)
        rows["client"].append(None if blank else 100 + (i * 3) // 8)
        rows["week"].append(None if blank else i % 5)
        rows["score"].append(None if blank or i == 17 else round(20 - 0.3 * i, 2))
        rows["intake"].append(None if blank else 12.5)
    return rows


@pytest.mark.parametrize("columns", [None, ["client", "week", "score"]])
def test_a_parquet_file_read_in_batches_gives_exactly_the_csv_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, columns: list[str] | None
) -> None:
    monkeypatch.setattr(csvinput, "PARQUET_BATCH", 7)
    parquet_file, csv_file = both_files(tmp_path, rows_with_blanks())
    from_parquet = read_csv(parquet_file, columns)
    from_csv = read_csv(csv_file)
    assert from_parquet.numbers.tolist() == from_csv.numbers.tolist()
    got = growth_data(from_parquet, "client", "week", "score", [])
    expected = growth_data(from_csv, "client", "week", "score", [])
    assert got.ids == expected.ids
    assert got.client.tolist() == expected.client.tolist()
    assert got.time.tolist() == expected.time.tolist()
    assert got.score.tolist() == expected.score.tolist()
    assert (got.n_rows, got.n_missing) == (expected.n_rows, expected.n_missing) == (36, 1)


def test_a_row_blank_only_in_the_columns_read_is_kept_as_the_csv_reading_keeps_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csvinput, "PARQUET_BATCH", 7)
    rows = rows_with_blanks()
    rows["intake"][23] = 11.0  # its other cells are null: the row is not blank, its id is empty
    parquet_file, csv_file = both_files(tmp_path, rows)
    messages = []
    for table in (read_csv(parquet_file, ["client", "week", "score"]), read_csv(csv_file)):
        with pytest.raises(ValueError) as raised:
            growth_data(table, "client", "week", "score", [])
        messages.append(str(raised.value))
    assert messages == ["row 25: client is empty"] * 2


def test_a_parquet_file_s_columns_not_asked_for_are_in_its_header_but_not_read(
    tmp_path: Path,
) -> None:
    parquet_file, _ = both_files(tmp_path, practice_rows())
    table = read_csv(parquet_file, ["client", "score"])
    assert table.columns == ("client", "week", "score", "intake")
    assert set(table.cells) == {"client", "score"}


def test_parquet_is_recognised_by_its_magic_bytes_whatever_its_name(tmp_path: Path) -> None:
    rows = practice_rows()
    disguised = tmp_path / "export.dat"
    pq.write_table(pa.table(rows), disguised)
    assert growth_json(disguised)["n_obs"] == len(rows["client"])


def test_parquet_nulls_are_missing_and_a_nan_is_refused_naming_its_row(tmp_path: Path) -> None:
    rows = practice_rows()
    rows["score"][3] = None
    with_null = tmp_path / "null.parquet"
    pq.write_table(pa.table(rows), with_null)
    assert growth_json(with_null)["n_obs"] == len(rows["client"]) - 1
    rows["score"][3] = float("nan")
    with_nan = tmp_path / "nan.parquet"
    pq.write_table(pa.table(rows), with_nan)
    with pytest.raises(CommandError, match=r"^row 5: score is 'nan', not a number$"):
        growth_json(with_nan)


def test_text_ids_are_numbered_in_order_of_first_appearance_across_blocks(tmp_path: Path) -> None:
    # Over a megabyte: Arrow parses it in several blocks, each with its own chunk of ids.
    names = [f"client-{i % 997:04d}" for i in range(90_000)][::-1]
    path = tmp_path / "ids.csv"
    path.write_text("id,x\n" + "".join(f"{n},1\n" for n in names), encoding="utf-8")
    table = read_csv(path)
    labels, codes = factorise(ids(table, "id")[0])
    assert labels == list(dict.fromkeys(names))
    assert [labels[c] for c in codes] == names


def test_float_exported_ids_lose_their_zeros_before_they_are_numbered(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("id,x\n7.0,1\n007,1\n7,1\nA1.0,1\n", encoding="utf-8")
    labels, codes = factorise(ids(read_csv(path), "id")[0])
    assert labels == ["7", "007", "A1.0"]
    assert codes.tolist() == [0, 1, 0, 2]


def test_ids_of_left_out_blank_rows_are_not_numbered(tmp_path: Path) -> None:
    # The blank row's empty id is the first the file holds, but no row that is kept has it
    # before B does.
    path = tmp_path / "ids.csv"
    path.write_text("id,x\n,\nB,1\nA,1\n,2\nB,3\n", encoding="utf-8")
    labels, codes = factorise(ids(read_csv(path), "id")[0])
    assert labels == ["B", "A", ""]
    assert codes.tolist() == [0, 1, 2, 0]
    path.write_text("id,x\n ,\nB,1\nA,1\n", encoding="utf-8")
    assert factorise(ids(read_csv(path), "id")[0])[0] == ["B", "A"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # The bad score two rows before the empty id is what a row-by-row reader meets first.
        ("client,week,score\nA,0,1\nA,1,x\nB,0,1\n,1,2\n", "row 3: score is 'x', not a number"),
        # In one row, the id is checked before the time and the time before the score.
        ("client,week,score\nA,0,1\n,z,x\n", "row 3: client is empty"),
        ("client,week,score\nA,0,1\nA,z,x\n", "row 3: week is 'z', not a number"),
        # Blank lines count, as a spreadsheet shows them; so do rows of empty cells.
        ("client,week,score\n\nA,0,1\n,,\nA,1,nan\n", "row 5: score is 'nan', not a number"),
        # A row of the wrong length is read again by the csv module, for its exact message.
        ("client,week,score\nA,0,1\nA,1\n", "row 3 of scores.csv has 2 cells; the header has 3"),
    ],
)
def test_errors_name_the_first_row_a_reader_going_row_by_row_would_meet(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as raised:
        growth_json(path)
    assert str(raised.value) == message


def test_a_covariate_is_read_only_until_the_client_has_a_value(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text(
        "client,week,score,intake\nA,0,1,NA\nA,1,2,12\nA,2,3,typo\nB,0,1,oops\n",
        encoding="utf-8",
    )
    table = read_csv(path)
    with pytest.raises(ValueError, match=r"^row 5: intake is 'oops', not a number$"):
        growth_data(table, "client", "week", "score", ["intake"])


def test_numbers_in_other_scripts_are_read_as_python_reads_them(tmp_path: Path) -> None:
    path = tmp_path / "scores.csv"
    path.write_text("client,week,score\nA,٣,1\nA,1,2\n", encoding="utf-8")
    data = growth_data(read_csv(path), "client", "week", "score", [])
    assert data.time.tolist() == [3.0, 1.0]


class Stdin:
    def __init__(self, data: bytes) -> None:
        self.buffer = BytesIO(data)


def test_standard_input_may_be_parquet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rows = practice_rows()
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(rows), sink)
    monkeypatch.setattr("sys.stdin", Stdin(sink.getvalue().to_pybytes()))
    table = read_csv("-")
    assert table.n_rows == len(rows["client"])
    assert table.numbers[:2].tolist() == [2, 3]
