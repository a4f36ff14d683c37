"""Reading researchers' CSV and Parquet exports for the analysis commands, as columns.

Files come from R, SPSS, pandas and spreadsheets, so the reader is forgiving about form and strict
about content: a UTF-8 byte-order mark, a semicolon or tab delimiter, integers written as `1.0`
and blank lines are all fine; empty cells and `NA` (R's marker) are missing values; anything else
that is not a number where a number is needed is an error that names the row. Rows are numbered
as a spreadsheet shows them, the header being row 1. A Parquet file (by its `.parquet` name or its
magic bytes) follows the same rules, its nulls being empty cells.

The table is parsed by Arrow a block at a time, each block's column kept as its distinct cells and
an index into them, and checked column by column, each distinct cell once; the row an error names
is looked up only once a check has failed. A file Arrow's parser reads differently
from Python's csv module (a row with more or fewer cells than the header, a blank header line,
binary data) is read again by the csv module, so that every message stays as exact as it was.

A Parquet file is read a batch of rows at a time, and only the columns the command names: text
and integer columns are kept as each batch's distinct values and an index into them, as a CSV
block's are, and floating-point ones go straight into one NumPy array each, which `numbers` then
hands out without a copy. The arrays a command ends with are the floor of its memory: for a
million rows of ids, times and scores, 24 MB, over five times a compressed Parquet file of them.

Every problem is a `CsvInputError` whose message is one line, ready to show as it is.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
from numpy.typing import NDArray

MISSING = frozenset({"", "NA"})
DELIMITERS = (",", ";", "\t")
# Plain decimal notation only: float() would also take "nan", "inf" and "1_000", which in a
# score column are typos rather than numbers.
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WHOLE_WITH_ZEROS = re.compile(r"(-?\d+)\.0+")
# The same patterns for Arrow (RE2); a cell RE2 turns down is asked of Python's re again, whose
# \d also takes other scripts' digits.
_ARROW_NUMBER = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_ARROW_WHOLE_WITH_ZEROS = r"^(-?\d+)\.0+$"
PARQUET_MAGIC = b"PAR1"
# Arrow allocates with the C library's allocator, the one NumPy's arrays come from, once a file is
# read (the commands are one process each): memory a parsed block gives back can then hold the
# arrays made from the columns, where Arrow's own allocator would keep it for Arrow, and a large
# file would count nearly twice in the peak.
_POOL = pa.system_memory_pool()
STDIN = "-"

FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]


class CsvInputError(ValueError):
    pass


@dataclass(frozen=True)
class CsvTable:
    """The data rows of a file, column by column; rows with only empty cells are left out."""

    path: Path
    columns: tuple[str, ...]
    # Per column, one value per data row: text, or for Parquet the column's own type.
    cells: dict[str, pa.ChunkedArray]
    n_rows: int
    # Each data row's number as a spreadsheet shows it (header: 1); None while no row was left
    # out, when they run on from 2 and an array of them would be one more column in memory.
    row_numbers: NDArray[np.int64] | None = None
    stripped: bool = False  # no cell has surrounding spaces to strip

    @property
    def numbers(self) -> NDArray[np.int64]:
        if self.row_numbers is None:
            return np.arange(2, self.n_rows + 2, dtype=np.int64)
        return self.row_numbers

    def require(self, *names: str) -> None:
        """Fail on the first column that is not in the header, listing those that are."""
        for name in names:
            if name not in self.columns:
                available = ", ".join(self.columns)
                raise CsvInputError(
                    f"unknown column {name!r} in {display_name(self.path)}; "
                    f"available columns: {available}"
                )

    def text(self, name: str) -> pa.Array:
        """The column's cells as text, stripped of surrounding spaces; missing cells are ""."""
        return _text(self.cells[name], strip=not self.stripped)

    def row(self, index: int) -> int:
        if self.row_numbers is None:
            return index + 2
        return int(self.row_numbers[index])


def display_name(path: Path) -> str:
    return "standard input" if str(path) == STDIN else path.name


def read_csv(path: str | Path, columns: Collection[str] | None = None) -> CsvTable:
    """The table in the file, or in standard input when the path is `-`.

    `columns`, when given, names the only columns the caller will look at: a Parquet file's others
    are then not read. They are still in the header, and a row is still left out only when they
    are blank as well."""
    path = Path(path)
    pa.set_memory_pool(_POOL)
    if str(path) == STDIN:
        try:
            raw = sys.stdin.buffer.read()
        except OSError as error:
            raise CsvInputError(f"cannot read {path}: {error.strerror}") from None
        if raw[:4] == PARQUET_MAGIC:
            return _read_parquet(path, pa.BufferReader(raw), columns)
        return _read_arrow(path, _Scan.of([raw]), lambda: pa.BufferReader(raw)) or _read_python(
            path, raw
        )
    if not path.exists():
        raise CsvInputError(f"no such file: {path}")
    if not path.is_file():
        raise CsvInputError(f"{path} is not a file")
    try:
        # A file is scanned and then parsed a block at a time, never held whole: its bytes and
        # its columns together would be twice the memory.
        with path.open("rb") as file:
            head = file.read(4)
            parquet = path.suffix.lower() == ".parquet" or head == PARQUET_MAGIC
            if not parquet:
                file.seek(0)
                scan = _Scan.of(iter(partial(file.read, 1 << 20), b""))
        if parquet:
            return _read_parquet(path, str(path), columns)
        table = _read_arrow(path, scan, lambda: pa.OSFile(str(path)))
        return table or _read_python(path, path.read_bytes())
    except OSError as error:
        raise CsvInputError(f"cannot read {path}: {error.strerror}") from None


# Rows per batch read from a Parquet file: each batch's columns are made compact before the next
# batch is decoded, so that no column is ever held twice at full length.
PARQUET_BATCH = 1 << 16


def _read_parquet(path: Path, source: Any, wanted: Collection[str] | None) -> CsvTable:
    import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415 -- Parquet support loads only when a Parquet file is read

    name = display_name(path)
    try:
        file = pq.ParquetFile(source)
        names = list(file.schema_arrow.names)
        header = [column.strip() for column in names]
        if not header:
            raise CsvInputError(f"{name} is empty; expected a header row naming the columns")
        _check_header(name, header)
        read = [i for i, column in enumerate(header) if wanted is None or column in wanted]
        read = read or [0]  # none asked for is in the file: one is read for the rows' count
        n = file.metadata.num_rows
        kept = {i: _ParquetColumn(file.schema_arrow.field(i).type, n) for i in read}
        for batch in _batches(file, [names[i] for i in read]):
            for i in read:
                kept[i].add(batch.column(names[i]))
            del batch
            release_unused()
        # Parquet's typed columns are kept: numbers need no parsing.
        cells = {header[i]: kept.pop(i).cells() for i in read}
        unread = [names[i] for i in range(len(names)) if i not in read]
        elsewhere = partial(_blank_in_parquet, file, unread) if unread else None
        return _without_blank_rows(path, tuple(header), cells, elsewhere=elsewhere)
    except (pa.ArrowException, OSError) as error:
        raise CsvInputError(f"{name} is not a readable Parquet file: {error}") from None


def _batches(file: Any, names: list[str]) -> Iterable[pa.RecordBatch]:
    batches: Iterable[pa.RecordBatch] = file.iter_batches(
        batch_size=PARQUET_BATCH, columns=names, use_threads=False
    )
    return batches


def _compact_type(kind: pa.DataType) -> pa.DataType:
    """A Parquet column's type as kept: text and integers (ids, time points) repeat, and are kept
    as each batch's distinct values and an index into them, as a CSV block's cells are."""
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_integer(kind):
        return pa.dictionary(pa.int32(), kind)
    return kind


class _ParquetColumn:
    """A column of a Parquet file as it is kept, filled a batch at a time."""

    def __init__(self, kind: pa.DataType, n: int) -> None:
        self.kind = _compact_type(kind)
        self.chunks: list[pa.Array] = []
        # Floating-point values go into one array for the column, which numbers() hands out as
        # it is (see _typed_numbers) rather than copying it; nulls are NaN there, and masked.
        self.values: NDArray[Any] | None = None
        if pa.types.is_floating(kind):
            self.values = np.empty(n, dtype=kind.to_pandas_dtype())
        self.nulls: list[tuple[int, BoolArray]] = []
        self.size = 0

    def add(self, values: pa.Array) -> None:
        if self.values is None:
            # A null becomes an entry of the dictionary, so that every row has an index.
            compact = values
            if self.kind != values.type:
                compact = pc.dictionary_encode(values, null_encoding="encode")
            self.chunks.append(compact)
        else:
            end = self.size + len(values)
            self.values[self.size : end] = values.to_numpy(zero_copy_only=False)
            if values.null_count:
                self.nulls.append((self.size, np.asarray(values.is_null())))
        self.size += len(values)

    def cells(self) -> pa.ChunkedArray:
        if self.values is None:
            return pa.chunked_array(self.chunks, self.kind)
        mask = None
        if self.nulls:
            mask = np.zeros(self.size, dtype=bool)
            for start, nulls in self.nulls:
                mask[start : start + len(nulls)] = nulls
        return pa.chunked_array([pa.array(self.values[: self.size], mask=mask)])


def _blank_in_parquet(file: Any, names: list[str], candidates: NDArray[np.int64]) -> BoolArray:
    """Which of the rows (indices in order) are blank in the named columns of the file too."""
    blank = np.ones(len(candidates), dtype=bool)
    start = 0
    for batch in _batches(file, names):
        low, high = np.searchsorted(candidates, [start, start + batch.num_rows])
        rows = pa.array(candidates[low:high] - start)
        for column in batch.columns:
            blank[low:high] &= _blank(column.take(rows), strip=True)
        start += batch.num_rows
    return blank


@dataclass(frozen=True)
class _Scan:
    """What the parser's options depend on, found going through the bytes once."""

    first_line: bytes
    nul: bool  # binary data, which only the csv module's reading reports as it should
    quote: bool
    strip_bytes: frozenset[int]  # those of _MAY_NEED_STRIP that occur

    @classmethod
    def of(cls, blocks: Iterable[bytes]) -> _Scan:
        first: bytes | None = None
        head = b""
        nul = quote = False
        found: set[int] = set()
        for block in blocks:
            if first is None:
                head += block
                end = head.find(b"\n")
                if end >= 0:
                    first = head[:end]
                    head = b""
            nul = nul or b"\x00" in block
            quote = quote or b'"' in block
            # One byte at a time: bytes.find runs at memchr's speed.
            found.update(b for b in _MAY_NEED_STRIP if b not in found and block.find(b) >= 0)
        return cls(
            first_line=head if first is None else first,
            nul=nul,
            quote=quote,
            strip_bytes=frozenset(found),
        )

    def may_need_strip(self, delimiter: str) -> bool:
        return any(not (delimiter == "\t" == chr(byte)) for byte in self.strip_bytes)


def _read_arrow(path: Path, scan: _Scan, source: Callable[[], Any]) -> CsvTable | None:
    """The table parsed by Arrow, or None when only the csv module can read it as it always has."""
    if scan.nul:
        return None
    try:
        header_text = scan.first_line.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    delimiter = max(DELIMITERS, key=header_text.count)
    header = next(csv.reader([header_text.rstrip("\r")], delimiter=delimiter), [])
    header = [cell.strip() for cell in header]
    if len(header) < 2 or "" in header or len(set(header)) < len(header):
        return None
    names = [f"f{i}" for i in range(len(header))]
    chunks: list[list[pa.Array]] = [[] for _ in header]
    first: list[str] | None = None
    try:
        # One thread, a block at a time: each block's columns are made compact before the next
        # is parsed, so the file's text is never all in memory at once.
        reader = pacsv.open_csv(
            source(),
            read_options=pacsv.ReadOptions(
                column_names=names, block_size=1 << 20, use_threads=False
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                # A quoted cell can hold a line break only where a cell is quoted at all; without
                # quotes Arrow can cut the file into blocks anywhere, which is faster.
                newlines_in_values=scan.quote,
                # A blank line becomes a row of empty cells, counted and then left out, as the
                # csv module's empty record is.
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            if first is None and batch.num_rows:
                first = [str(column[0].as_py()).strip() for column in batch.columns]
                batch = batch.slice(1)
            for i, column in enumerate(batch.columns):
                # Cells repeat (ids, scores, time points): each block's column is kept as its
                # distinct values and an index into them.
                chunks[i].append(pc.dictionary_encode(column))
            del batch, column
            release_unused()
    except pa.ArrowInvalid:  # a row of the wrong length, or text that is not UTF-8
        return None
    del reader
    release_unused()  # the parser's buffers, and each block's text, now held only as indices
    if first != header:  # the header holds a quoted line break
        return None
    kind = pa.dictionary(pa.int32(), pa.string())
    cells = {column: pa.chunked_array(chunks[i], type=kind) for i, column in enumerate(header)}
    stripped = not scan.may_need_strip(delimiter)
    return _without_blank_rows(path, tuple(header), cells, stripped=stripped)


def _read_python(path: Path, raw: bytes) -> CsvTable:
    """The csv module's reading, row by row: slow, exact, and the source of every form error."""
    name = display_name(path)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CsvInputError(f"{name} is not a CSV file (it is not UTF-8 text)") from None
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
    _check_header(name, header)
    for number, cells in body:
        if len(cells) != len(header):
            raise CsvInputError(
                f"row {number} of {name} has {len(cells)} cells; the header has {len(header)}"
            )
    columns = {
        column: pa.chunked_array([pa.array([cells[j] for _, cells in body], type=pa.string())])
        for j, column in enumerate(header)
    }
    return CsvTable(
        path=path,
        columns=tuple(header),
        cells=columns,
        n_rows=len(body),
        row_numbers=np.array([number for number, _ in body], dtype=np.int64),
        stripped=True,
    )


def _check_header(name: str, header: list[str]) -> None:
    if "" in header:
        raise CsvInputError(f"{name} has a column without a name in its header")
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        raise CsvInputError(f"{name} names a column more than once: {', '.join(duplicates)}")


def _without_blank_rows(
    path: Path,
    header: tuple[str, ...],
    cells: dict[str, pa.ChunkedArray],
    *,
    stripped: bool = False,
    elsewhere: Callable[[NDArray[np.int64]], BoolArray] | None = None,
) -> CsvTable:
    """The table without the rows blank in every column: those of `cells`, and those `elsewhere`
    says of the rows blank in all of these (when some columns were not read)."""
    first, *others = cells
    n = len(cells[first])
    numbers = None
    # Rows blank in the first column are few; only those are looked at in the others.
    candidates = np.flatnonzero(_blank(cells[first], strip=not stripped))
    for column in others:
        if not candidates.size:
            break
        candidates = candidates[_blank(_take(cells[column], candidates), strip=True)]
    if candidates.size and elsewhere is not None:
        candidates = candidates[elsewhere(candidates)]
    if candidates.size:
        keep = np.ones(n, dtype=bool)
        keep[candidates] = False
        mask = pa.array(keep)
        cells = {column: values.filter(mask) for column, values in cells.items()}
        numbers = np.flatnonzero(keep) + 2
        n -= candidates.size
    return CsvTable(
        path=path, columns=header, cells=cells, n_rows=n, row_numbers=numbers, stripped=stripped
    )


def _take(values: pa.ChunkedArray, rows: NDArray[np.int64]) -> pa.ChunkedArray:
    """values.take(rows) for rows in order, a chunk at a time: Arrow's own take would merge the
    chunks' dictionaries, which it cannot do when one holds a null (as a Parquet batch's may)."""
    parts, start = [], 0
    for chunk in values.chunks:
        low, high = np.searchsorted(rows, [start, start + len(chunk)])
        parts.append(chunk.take(pa.array(rows[low:high] - start, type=pa.int64())))
        start += len(chunk)
    return pa.chunked_array(parts, values.type)


def release_unused() -> None:
    """Give back to the system the memory freed since: the peak is what counts."""
    _POOL.release_unused()


def _text(values: pa.Array, *, strip: bool = True) -> pa.Array:
    if pa.types.is_dictionary(values.type):
        values = pc.cast(values, values.type.value_type)
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        values = pc.cast(values, pa.string())
    if values.null_count:
        values = values.fill_null("")
    return pc.utf8_trim_whitespace(values) if strip else values


def _blank(values: pa.Array, *, strip: bool) -> BoolArray:
    if pa.types.is_dictionary(values.type):  # each distinct cell looked at once
        chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
        parts = [_blank(c.dictionary, strip=strip)[np.asarray(c.indices)] for c in chunks]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)
    if not pa.types.is_string(values.type) and not pa.types.is_large_string(values.type):
        return np.asarray(values.is_null())
    return np.asarray(pc.equal(pc.binary_length(_text(values, strip=strip)), 0))


# Bytes that are, or begin, whitespace to str.strip() in UTF-8, and the quote (a quoted cell may
# hold a line break). A continuation byte can match too: then the cells are stripped for nothing,
# never wrongly left as they are.
_MAY_NEED_STRIP = b' \t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\xe1\xe2\xe3"'


# Checks over whole columns. Each returns values and a mask of bad rows rather than raising, so
# that a command can raise for the first row in the file with any problem (see first_problem).


def numbers(table: CsvTable, column: str) -> tuple[FloatArray, BoolArray, BoolArray]:
    """The column's cells as numbers (NaN when missing or bad), which are missing, and which are not
    numbers (a typo such as "nan", "inf" or "1_000")."""
    values = table.cells[column]
    if _is_number(values.type):
        return _typed_numbers(values)
    if pa.types.is_dictionary(values.type) and values.num_chunks:
        # Each block's distinct cells are parsed once, and its rows take their value by index.
        if _is_number(values.type.value_type):
            result, missing, bad = _typed_numbers(_dictionaries(values))
        else:
            result, missing, bad = _numbers(_text(_dictionaries(values), strip=not table.stripped))
        per_row = _per_row(values, result), _per_row(values, missing), _per_row(values, bad)
        release_unused()
        return per_row
    return _numbers(table.text(column))


def _is_number(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind))


def _typed_numbers(values: pa.ChunkedArray) -> tuple[FloatArray, BoolArray, BoolArray]:
    """numbers for a numeric column (Parquet's): nulls are missing, NaN and infinity bad."""
    if values.type == pa.float64() and values.num_chunks == 1 and not values.null_count:
        # One array already (a Parquet column, see _ParquetColumn): used as it is, read-only,
        # so that the column is not in memory twice.
        result = values.chunk(0).to_numpy()
    else:
        result = _floats(pc.cast(values, pa.float64()))
    missing = np.asarray(values.is_null())
    bad = ~missing & ~np.isfinite(result)
    if bad.any():
        result = result if result.flags.writeable else result.copy()
        result[bad] = np.nan
    return result, missing, bad


def _numbers(text: pa.Array) -> tuple[FloatArray, BoolArray, BoolArray]:
    missing = np.asarray(pc.or_(pc.equal(text, ""), pc.equal(text, "NA")))
    try:
        # Arrow's parser takes all that the plain notation does, and beyond it only "nan", "inf"
        # and their kind, which come out as non-finite: those few cells are checked one by one.
        filled = pc.if_else(pa.array(missing), "0", text) if missing.any() else text
        result = _floats(pc.cast(filled, pa.float64()))
        suspect = ~np.isfinite(result) & ~missing
        bad = np.zeros(len(text), dtype=bool)
    except pa.ArrowInvalid:  # some cell is no number to Arrow: find which by the pattern
        well_formed = np.asarray(pc.match_substring_regex(text, _ARROW_NUMBER))
        result = np.full(len(text), np.nan)
        ok = pa.array(well_formed & ~missing)
        result[np.asarray(ok)] = pc.cast(text.filter(ok), pa.float64()).to_numpy()
        # Only a cell beyond ASCII can be a number to Python's re and not to RE2 (other digits).
        ascii_only = np.asarray(pc.string_is_ascii(text))
        bad = ~well_formed & ~missing & ascii_only
        suspect = ~well_formed & ~missing & ~ascii_only
    for i in np.flatnonzero(suspect):
        cell = str(text[int(i)].as_py())
        if _NUMBER.fullmatch(cell):
            result[i] = float(cell)
        else:
            bad[i] = True
    result[missing | bad] = np.nan
    return result, missing, bad


def _dictionaries(values: pa.ChunkedArray) -> pa.ChunkedArray:
    """The dictionaries of a dictionary column's chunks, one after another."""
    return pa.chunked_array([chunk.dictionary for chunk in values.chunks], values.type.value_type)


def _per_row(values: pa.ChunkedArray, per_entry: NDArray[Any]) -> NDArray[Any]:
    """Each row's item of per_entry, which has one for each entry of _dictionaries(values)."""
    rows = np.empty(len(values), dtype=per_entry.dtype)
    start = offset = 0
    for chunk in values.chunks:
        rows[start : start + len(chunk)] = per_entry[offset + np.asarray(chunk.indices)]
        start += len(chunk)
        offset += len(chunk.dictionary)
    return rows


def _floats(values: pa.ChunkedArray) -> FloatArray:
    """A writable NumPy copy (Arrow's own buffers are read-only), nulls as NaN; one copy, not
    the two of joining the chunks and then copying."""
    if not values.num_chunks:
        return np.zeros(0)
    parts = [chunk.to_numpy(zero_copy_only=False) for chunk in values.chunks]
    floats: FloatArray = np.concatenate(parts).astype(np.float64, copy=False)
    return floats


def not_a_number(table: CsvTable, column: str) -> Callable[[int], str]:
    """The message for a cell of the column that is not a number, by row index."""

    def message(i: int) -> str:
        cell = _text(table.cells[column].slice(i, 1), strip=True)[0].as_py()
        return f"row {table.row(i)}: {column} is {cell!r}, not a number"

    return message


def ids(table: CsvTable, column: str) -> tuple[pa.Array, BoolArray]:
    """The column's client ids, a float export's ".0" dropped (see normalise_id), and which are
    empty (an error: see empty_id)."""
    values = table.cells[column]
    if pa.types.is_dictionary(values.type) and values.num_chunks:
        # Normalised once per block's distinct cell; the rows keep their indices (see factorise).
        text = _text(_dictionaries(values), strip=not table.stripped)
        empty = _per_row(values, np.asarray(pc.equal(text, "")))
        normalised = _normalised_ids(text)
        start, chunks = 0, []
        for chunk in values.chunks:
            size = len(chunk.dictionary)
            dictionary = pa.concat_arrays(normalised.slice(start, size).chunks)
            chunks.append(pa.DictionaryArray.from_arrays(chunk.indices, dictionary))
            start += size
        return pa.chunked_array(chunks), empty
    text = table.text(column)
    return _normalised_ids(text), np.asarray(pc.equal(text, ""))


def _normalised_ids(text: pa.Array) -> pa.Array:
    if pc.any(pc.match_substring(text, ".")).as_py():
        return pc.replace_substring_regex(text, _ARROW_WHOLE_WITH_ZEROS, r"\1")
    return text


def empty_id(table: CsvTable, column: str) -> Callable[[int], str]:
    return lambda i: f"row {table.row(i)}: {column} is empty"


def factorise(values: pa.ChunkedArray) -> tuple[list[str], NDArray[np.int64]]:
    """Distinct values in order of first appearance, and each row's index into them; by hashing,
    so text ids cost what integers do."""
    if pa.types.is_dictionary(values.type) and values.num_chunks:
        return _factorise_dictionary(values)
    chunks = pc.dictionary_encode(values).chunks
    if not chunks:
        return [], np.zeros(0, dtype=np.int64)
    # The chunks share one growing dictionary: the last chunk's holds every value.
    codes = np.empty(len(values), dtype=np.int64)
    start = 0
    for chunk in chunks:  # into one array, not each chunk widened and then all joined
        codes[start : start + len(chunk)] = np.asarray(chunk.indices)
        start += len(chunk)
    return chunks[-1].dictionary.to_pylist(), codes


def _factorise_dictionary(values: pa.ChunkedArray) -> tuple[list[str], NDArray[np.int64]]:
    """factorise for a dictionary column: its blocks' dictionaries are factorised, and then only
    the values some row has are kept, in order of the row first having each."""
    distinct, of_entry = factorise(_dictionaries(values))
    codes = _per_row(values, of_entry)
    first = np.full(len(distinct), len(codes), dtype=np.int64)
    # With repeated indices the last assignment wins, so assigning in reverse keeps the first row;
    # a block at a time, so that no second array as long as the column is made.
    block = 1 << 16
    for start in range((len(codes) - 1) // block * block, -1, -block):
        part = codes[start : start + block]
        first[part[::-1]] = np.arange(start + len(part) - 1, start - 1, -1)
    release_unused()
    if first.size and bool(np.all(first[1:] > first[:-1])) and first[-1] < len(codes):
        return distinct, codes  # the usual case: the dictionary is in order of first appearance
    order = np.argsort(first, kind="stable")[: int((first < len(codes)).sum())]
    renumber = np.empty(len(distinct), dtype=np.int64)
    renumber[order] = np.arange(len(order))
    return [distinct[i] for i in order], renumber[codes]


def first_in_group(codes: NDArray[np.int64], n_groups: int, where: BoolArray) -> NDArray[np.int64]:
    """Per group, the index of its first row where `where` holds; -1 when there is none."""
    first = np.full(n_groups, -1, dtype=np.int64)
    rows = np.flatnonzero(where)
    # With repeated indices the last assignment wins, so assigning in reverse keeps the first row.
    first[codes[rows][::-1]] = rows[::-1]
    return first


def first_problem(checks: Sequence[tuple[BoolArray, Callable[[int], str]]]) -> None:
    """Raise for the first row with a problem, and for a row with several, the first check's:
    what a reader going row by row and check by check would have stopped at."""
    found: tuple[int, Callable[[int], str]] | None = None
    for mask, message in checks:
        if mask.any():
            index = int(np.argmax(mask))
            if found is None or index < found[0]:
                found = (index, message)
    if found is not None:
        raise CsvInputError(found[1](found[0]))


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


def same_values(text: pa.Array, as_numbers: FloatArray, value: str) -> BoolArray:
    """same_value for every cell of a column (given as text and as numbers) against one value."""
    value = value.strip()
    match = np.asarray(pc.equal(text, value))
    if _NUMBER.fullmatch(value):
        match |= as_numbers == float(value)
    return match


def normalise_id(text: str) -> str:
    """Drop a float export's ".0" from whole-number ids; "007" or "A12" stay as written."""
    text = text.strip()
    match = _WHOLE_WITH_ZEROS.fullmatch(text)
    return match.group(1) if match else text
