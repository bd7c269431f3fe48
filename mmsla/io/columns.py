"""Load a tabular file (CSV, JSON Lines, Parquet) into raw columns and parse them exactly.

Decimal columns become int64 scaled by a power of ten (`value = ints / 10**scale`),
never float64; timestamps become UTC int64 nanoseconds (ISO-8601 with an offset,
or integer epoch ns). Every malformed cell raises `InputError` with the 1-based
line in the file (CSV header = line 1; Parquet: row number). Knows nothing of
what the columns mean: the readers in `mmsla.io.tables` do that.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from mmsla.errors import InputError

I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

MAX_SCALE = 18
_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)$"
_EPOCH = r"^[+-]?[0-9]+$"
_ISO_WITH_OFFSET = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})$"
_INT64_MAX = (1 << 63) - 1


@dataclass(frozen=True)
class RawTable:
    """Columns of one file as Arrow arrays, with the file line of every row."""

    path: str
    columns: Mapping[str, pa.Array]
    lines: I64

    def __len__(self) -> int:
        return int(self.lines.shape[0])

    def has(self, name: str) -> bool:
        return name in self.columns

    def line(self, row: int) -> int:
        return int(self.lines[row])


def read_raw(path: str | Path, required: tuple[str, ...]) -> RawTable:
    """Read `path` by extension (.csv, .jsonl/.ndjson/.json, .parquet/.pq); check columns."""
    name = str(path)
    lower = name.lower()
    if not Path(name).is_file():
        raise InputError(name, "file not found")
    try:
        if lower.endswith((".parquet", ".pq")):
            table = _read_parquet(name)
        elif lower.endswith((".jsonl", ".ndjson", ".json")):
            table = _read_jsonl(name)
        elif lower.endswith((".csv", ".txt")):
            table = _read_csv(name)
        else:
            raise InputError(name, "unknown file type: use .csv, .jsonl or .parquet")
    except (pa.ArrowInvalid, OSError, UnicodeDecodeError) as e:
        raise InputError(name, f"cannot read file: {str(e).splitlines()[0]}") from e
    missing = [c for c in required if c not in table.columns]
    if missing:
        raise InputError(name, f"missing column(s): {', '.join(missing)}", line=1)
    return table


def _read_csv(path: str) -> RawTable:
    with open(path, encoding="utf-8", newline="") as f:
        header = next(csv.reader(f), None)
    if not header:
        raise InputError(path, "empty file: expected a header row", line=1)
    names = [h.strip() for h in header]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True
            ),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
        )
    except pa.ArrowInvalid as e:
        _locate_bad_csv_row(path, len(names))
        raise InputError(path, f"cannot read file: {str(e).splitlines()[0]}") from e
    columns = {nm: table.column(nm).combine_chunks() for nm in names}
    lines = np.arange(2, table.num_rows + 2, dtype=np.int64)
    blank = np.ones(table.num_rows, bool)  # blank lines read as all-null rows: dropped
    for arr in columns.values():
        blank &= ~np.asarray(pc.is_valid(arr))
    if blank.any():
        keep = pa.array(~blank)
        columns = {nm: pc.filter(arr, keep) for nm, arr in columns.items()}
        lines = lines[~blank]
    return RawTable(path, columns, lines)


def _locate_bad_csv_row(path: str, width: int) -> None:
    """Raise an InputError naming the first line whose field count differs from the header."""
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        next(reader, None)
        for row in reader:
            if row and len(row) != width:
                raise InputError(
                    path, f"expected {width} fields, found {len(row)}", line=reader.line_num
                )


def _read_jsonl(path: str) -> RawTable:
    rows: list[dict[str, object]] = []
    lines: list[int] = []
    with open(path, encoding="utf-8") as f:
        for lineno, text in enumerate(f, start=1):
            if not text.strip():
                continue
            try:
                obj = json.loads(text, parse_float=str, parse_int=str)
            except json.JSONDecodeError as e:
                raise InputError(path, f"invalid JSON: {e.msg}", line=lineno) from e
            if not isinstance(obj, dict):
                raise InputError(path, "each line must be a JSON object", line=lineno)
            rows.append(obj)
            lines.append(lineno)
    names: dict[str, None] = {}
    for obj in rows:
        names.update(dict.fromkeys(obj))
    columns = {
        nm: pa.array(
            [None if (v := obj.get(nm)) is None else str(v) for obj in rows], type=pa.string()
        )
        for nm in names
    }
    return RawTable(path, columns, np.asarray(lines, dtype=np.int64))


class _ParquetColumns(Mapping[str, pa.Array]):
    """Columns of a Parquet file read one at a time on access (keeps peak memory low)."""

    def __init__(self, path: str) -> None:
        self._file = pq.ParquetFile(path)
        self._names = list(self._file.schema_arrow.names)

    def __getitem__(self, name: str) -> pa.Array:
        if name not in self._names:
            raise KeyError(name)
        return self._file.read(columns=[name]).column(0).combine_chunks()

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _read_parquet(path: str) -> RawTable:
    columns = _ParquetColumns(path)
    n = columns._file.metadata.num_rows
    return RawTable(path, columns, np.arange(1, n + 1, dtype=np.int64))


def _fail(raw: RawTable, column: str, bad: Bools, message: str) -> None:
    row = int(np.flatnonzero(bad)[0])
    value = raw.columns[column][row].as_py()
    raise InputError(raw.path, f"{message}: {value!r}", line=raw.line(row), column=column)


def _as_strings(arr: pa.Array) -> pa.Array:
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    stripped = pc.utf8_trim_whitespace(arr)
    return pc.if_else(pc.equal(stripped, ""), pa.scalar(None, pa.string()), stripped)


def decimal_column(raw: RawTable, column: str) -> tuple[I64, Bools, int]:
    """Parse a decimal column exactly: (scaled ints with 0 where null, present mask, scale)."""
    arr = raw.columns[column]
    if pa.types.is_integer(arr.type):
        present = np.asarray(pc.is_valid(arr))
        return np.asarray(pc.fill_null(arr, 0).cast(pa.int64())), present, 0
    if pa.types.is_decimal(arr.type):
        return _from_decimal(raw, column, arr)
    strings = _as_strings(arr)
    present = np.asarray(pc.is_valid(strings))
    ok = np.asarray(pc.fill_null(pc.match_substring_regex(strings, _NUMBER), True))
    if not ok.all():
        _fail(raw, column, ~ok, "not a decimal number")
    dot = np.asarray(pc.fill_null(pc.find_substring(strings, "."), -1))
    length = np.asarray(pc.fill_null(pc.utf8_length(strings), 0))
    frac = np.where(dot >= 0, length - dot - 1, 0)
    scale = int(frac.max()) if frac.size else 0
    if scale > MAX_SCALE:
        _fail(raw, column, frac > MAX_SCALE, f"more than {MAX_SCALE} decimal places")
    return _from_decimal(raw, column, pc.cast(strings, pa.decimal128(38, scale)))


def _from_decimal(raw: RawTable, column: str, arr: pa.Array) -> tuple[I64, Bools, int]:
    scale = int(arr.type.scale)
    if not pa.types.is_decimal128(arr.type):
        arr = pc.cast(arr, pa.decimal128(38, scale))
    present = np.asarray(pc.is_valid(arr))
    words = np.frombuffer(arr.buffers()[1], dtype=np.int64)[
        2 * arr.offset : 2 * (arr.offset + len(arr))
    ]
    low, high = words[0::2].copy(), words[1::2]
    fits = (high == (low >> 63)) | ~present
    if not fits.all():
        _fail(raw, column, ~fits, "number too large")
    low[~present] = 0
    return low, present, scale


def rescale(values: I64, scale: int, target: int, *, what: str = "value") -> I64:
    """`values` at `scale` expressed at `target >= scale`; raises on int64 overflow."""
    if target == scale:
        return values
    factor = 10 ** (target - scale)
    if values.size and int(np.abs(values).max()) > _INT64_MAX // factor:
        raise InputError("<input>", f"{what} too large at {target} decimal places")
    return values * np.int64(factor)


def timestamp_column(raw: RawTable, column: str) -> I64:
    """UTC ns from integer epoch ns, an Arrow timestamp, or ISO-8601 text with an offset."""
    arr = raw.columns[column]
    if pa.types.is_integer(arr.type):
        if arr.null_count:
            _fail(raw, column, ~np.asarray(pc.is_valid(arr)), "missing timestamp")
        return np.asarray(arr.cast(pa.int64()))
    if pa.types.is_timestamp(arr.type):
        if arr.null_count:
            _fail(raw, column, ~np.asarray(pc.is_valid(arr)), "missing timestamp")
        utc = arr.cast(pa.timestamp("ns", tz=arr.type.tz)) if arr.type.unit != "ns" else arr
        return np.asarray(utc.cast(pa.int64()))
    strings = _as_strings(arr)
    missing = ~np.asarray(pc.is_valid(strings))
    if missing.any():
        _fail(raw, column, missing, "missing timestamp")
    epoch = np.asarray(pc.match_substring_regex(strings, _EPOCH))
    out = np.zeros(len(strings), dtype=np.int64)
    if epoch.any():
        ints = pc.cast(pc.filter(strings, pa.array(epoch)), pa.int64())
        out[epoch] = np.asarray(ints)
    if not epoch.all():
        iso_ok = np.asarray(pc.match_substring_regex(strings, _ISO_WITH_OFFSET))
        bad = ~epoch & ~iso_ok
        if bad.any():
            _fail(raw, column, bad, "not an ISO-8601 time with offset or epoch ns")
        import pandas as pd

        text = np.asarray(pc.filter(strings, pa.array(~epoch)).to_pylist(), dtype=object)
        parsed = pd.to_datetime(pd.Series(text), utc=True, format="ISO8601", errors="coerce")
        nat = parsed.isna().to_numpy()
        if nat.any():
            idx = np.flatnonzero(~epoch)[np.flatnonzero(nat)[0]]
            flag = np.zeros(len(strings), dtype=bool)
            flag[idx] = True
            _fail(raw, column, flag, "not a valid time")
        out[~epoch] = parsed.to_numpy(dtype="datetime64[ns]").view(np.int64)
    return out


def text_column(raw: RawTable, column: str) -> pa.Array:
    """A text column, trimmed, with empty cells as null."""
    return _as_strings(raw.columns[column])


def dictionary_codes(arr: pa.Array) -> tuple[list[str | None], npt.NDArray[np.int32]]:
    """Dictionary-encode a text column: (distinct values, int32 code per row)."""
    encoded = pc.dictionary_encode(arr, null_encoding="encode")
    values = encoded.dictionary.to_pylist()
    return values, np.asarray(encoded.indices.cast(pa.int32()))
