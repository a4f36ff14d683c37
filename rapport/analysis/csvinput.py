"""Reading researchers' CSV exports for the analysis commands.

Files come from R, SPSS, pandas and spreadsheets, so the reader is forgiving about form and strict
about content: a UTF-8 byte-order mark, a semicolon or tab delimiter, integers written as `1.0`
and blank lines are all fine; empty cells and `NA` (R's marker) are missing values; anything else
that is not a number where a number is needed is an error that names the row. Rows are numbered
as a spreadsheet shows them, the header being row 1.

Every problem is a `CsvInputError` whose message is one line, ready to show as it is.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

MISSING = frozenset({"", "NA"})
DELIMITERS = (",", ";", "\t")
# Plain decimal notation only: float() would also take "nan", "inf" and "1_000", which in a
# score column are typos rather than numbers.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WHOLE_WITH_ZEROS = re.compile(r"(-?\d+)\.0+")


class CsvInputError(ValueError):
    pass


@dataclass(frozen=True)
class CsvRow:
    number: int  # as a spreadsheet shows it: the header is row 1
    cells: dict[str, str]  # stripped of surrounding spaces


@dataclass(frozen=True)
class CsvTable:
    path: Path
    columns: tuple[str, ...]
    rows: tuple[CsvRow, ...]

    def require(self, *names: str) -> None:
        """Fail on the first column that is not in the header, listing those that are."""
        for name in names:
            if name not in self.columns:
                available = ", ".join(self.columns)
                raise CsvInputError(
                    f"unknown column {name!r} in {display_name(self.path)}; "
                    f"available columns: {available}"
                )


STDIN = "-"


def display_name(path: Path) -> str:
    return "standard input" if str(path) == STDIN else path.name


def read_csv(path: str | Path) -> CsvTable:
    """The table in the file, or in standard input when the path is `-`."""
    path = Path(path)
    if str(path) != STDIN:
        if not path.exists():
            raise CsvInputError(f"no such file: {path}")
        if not path.is_file():
            raise CsvInputError(f"{path} is not a file")
    name = display_name(path)
    try:
        raw = sys.stdin.buffer.read() if str(path) == STDIN else path.read_bytes()
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvInputError(f"{name} is not a CSV file (it is not UTF-8 text)") from None
    except OSError as error:
        raise CsvInputError(f"cannot read {path}: {error.strerror}") from None
    if "\x00" in text:
        raise CsvInputError(f"{name} is not a CSV file (it contains binary data)")

    header_line = text.split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=header_line.count)
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise CsvInputError(f"{name} is not a readable CSV file: {error}") from None

    numbered = [
        (number, [cell.strip() for cell in record])
        for number, record in enumerate(records, start=1)
        if any(cell.strip() for cell in record)
    ]
    if not numbered:
        raise CsvInputError(f"{name} is empty; expected a header row naming the columns")
    (_, header), *body = numbered
    if len(header) < 2:
        raise CsvInputError(
            f"{name} is not a CSV file (the header has one column; "
            "expected comma-, semicolon- or tab-separated columns)"
        )
    if "" in header:
        raise CsvInputError(f"{name} has a column without a name in its header")
    duplicates = sorted({name for name in header if header.count(name) > 1})
    if duplicates:
        raise CsvInputError(f"{name} names a column more than once: {', '.join(duplicates)}")

    rows = []
    for number, cells in body:
        if len(cells) != len(header):
            raise CsvInputError(
                f"row {number} of {name} has {len(cells)} cells; the header has {len(header)}"
            )
        rows.append(CsvRow(number, dict(zip(header, cells, strict=True))))
    return CsvTable(path=path, columns=tuple(header), rows=tuple(rows))


def parse_number(text: str, *, column: str, row: int) -> float | None:
    """The cell as a number; None when it is empty or NA."""
    if text in MISSING:
        return None
    if not _NUMBER.fullmatch(text):
        raise CsvInputError(f"row {row}: {column} is {text!r}, not a number")
    return float(text)


def same_value(a: str, b: str) -> bool:
    """Equal as written, or equal as numbers: a time point "1" matches a cell "1.0"."""
    a, b = a.strip(), b.strip()
    if a == b:
        return True
    return bool(_NUMBER.fullmatch(a) and _NUMBER.fullmatch(b) and float(a) == float(b))


def normalise_id(text: str) -> str:
    """Drop a float export's ".0" from whole-number ids; "007" or "A12" stay as written."""
    text = text.strip()
    match = _WHOLE_WITH_ZEROS.fullmatch(text)
    return match.group(1) if match else text
