"""Read the files analysts hold (CSV, gzip, JSON, Parquet, SQLite) as a raw DuckDB relation.

Layout detection works from the header: BOM, quoting, delimiter, leading index columns, blank and
duplicated column names. A CSV becomes a view over DuckDB's parallel reader, so the cleaning reads
the file once; other formats become a temp table. Either way the rows keep the file's order (the
store numbers quarantined rows by it) and the file's own column names (made unique); `layout`
says which column feeds which raw field of `schema.RAW_FIELDS`.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import sqlite3
import stat
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from crimecast.errors import InputFileError
from crimecast.schema import (
    NIBRS_REQUIRED_GROUPS,
    RAW_ALIASES,
    REQUIRED_GROUPS,
    normalise_header,
    record_system,
)

_DELIMITERS = [",", ";", "\t", "|"]


@dataclass
class Layout:
    """How a file's columns map onto raw fields."""

    columns: list[str]  # the file's column names, made unique, in order
    mapping: dict[str, str]  # raw field -> file column
    kind: str  # csv / json / parquet / sqlite
    has_ids: bool
    warnings: list[str] = field(default_factory=list)
    temp_files: list[Path] = field(default_factory=list)  # removed by `close` after the cleaning
    sample: str = "_raw"  # a relation holding (the first rows of) the raw rows, for probing
    cut_last_line: str | None = None  # the text of a last row the file cuts short

    def close(self) -> None:
        for path in self.temp_files:
            path.unlink(missing_ok=True)

    @property
    def system(self) -> str:
        """'nibrs' for a NIBRS offenses file (one row per offense), else 'legacy'."""
        return record_system(self.mapping)

    def describe(self) -> str:
        if self.system == "nibrs":
            api = self.mapping.get("nibr_code") == "nibr_code"
            return f"{self.kind}: NIBRS offenses ({'API fields' if api else 'portal export'})"
        if "area" in self.mapping and "rpt_dist_no" in self.mapping and "mocodes" in self.mapping:
            name = "full incident export"
        else:
            name = f"partial layout ({len(self.mapping)} known fields)"
        return f"{self.kind}: {name}"


def unique_names(names: list[str]) -> list[str]:
    """Blank names become column_N; repeats get a suffix, so DuckDB can hold them all."""
    seen: dict[str, int] = {}
    out = []
    for i, raw in enumerate(names):
        name = raw.replace("\ufeff", "").strip() or f"column_{i + 1}"
        if name in seen:
            seen[name] += 1
            name = f"{name}__{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def map_columns(columns: list[str]) -> dict[str, str]:
    """raw field -> first file column that names it (later duplicates are ignored)."""
    mapping: dict[str, str] = {}
    for col in columns:
        base = col.split("__")[0]
        raw_field = RAW_ALIASES.get(normalise_header(base))
        if raw_field and raw_field not in mapping:
            mapping[raw_field] = col
    return mapping


POINT_PATTERN = "^\\s*\\(\\s*-?[0-9.]+\\s*,\\s*-?[0-9.]+\\s*\\)\\s*$"


def refine_mapping(con: duckdb.DuckDBPyConnection, table: str, mapping: dict[str, str]) -> None:
    """Old exports hold the "(lat, lon)" point in a column called `Location` (beside an
    `Address`, or as the only place column); tell it by its values, not its name, wherever it
    stands."""
    if "location_point" in mapping:
        return
    mapped = set(mapping.values())
    names = [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]
    candidates = [mapping.get("location"), *(c for c in names if c not in mapped)]
    for col in filter(None, candidates):
        quoted = '"' + col.replace('"', '""') + '"'
        n, points = con.execute(
            f"SELECT count({quoted}), count(*) FILTER (regexp_matches({quoted}, "
            f"'{POINT_PATTERN}')) FROM (SELECT {quoted} FROM {table} LIMIT 1000)"
        ).fetchall()[0]
        if n and points / n > 0.5:
            if mapping.get("location") == col:
                del mapping["location"]
            mapping["location_point"] = col
            return


def check_required(path: Path, mapping: dict[str, str], columns: list[str]) -> None:
    nibrs = record_system(mapping) == "nibrs"
    groups = NIBRS_REQUIRED_GROUPS if nibrs else REQUIRED_GROUPS
    missing = [group for group, fields in groups.items() if not any(f in mapping for f in fields)]
    if missing and nibrs:
        raise InputFileError(
            f"{path}: a NIBRS offenses file, but missing columns for: {'; '.join(missing)}",
            hint="use the LAPD NIBRS Offenses export or API rows (caseno, date_occ, nibr_code, "
            "area); see the README's 'Supported layouts'",
        )
    if missing:
        shown = ", ".join(columns[:12]) + (" ..." if len(columns) > 12 else "")
        raise InputFileError(
            f"{path}: cannot count crimes from this file; missing columns for: "
            f"{'; '.join(missing)}. Columns found: {shown or '(none)'}",
            hint="supply a file with an occurred date (DATE OCC), the crime (Crm Cd or "
            "Crm Cd Desc) and the area (AREA / AREA NAME) or LAT/LON; see the README's "
            "'Supported layouts'",
        )


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 text without a byte-order mark: every other byte NUL."""
    even, odd = head[0::2], head[1::2]
    return max(even.count(0), odd.count(0)) > 0.4 * min(len(even), len(odd))


def sniff_kind(path: Path) -> tuple[str, bool]:
    """(kind, gzipped) from the file's first bytes, not its name."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if not head:
        raise InputFileError(f"{path}: the file is empty", hint="check the download or export")
    gz = head[:2] == b"\x1f\x8b"
    if gz:
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(16)
        except (OSError, EOFError) as exc:
            raise InputFileError(
                f"{path}: gzip data is damaged ({exc})", hint="download the file again"
            ) from exc
        if not head:
            raise InputFileError(f"{path}: the file is empty", hint="check the download")
    if head.startswith(b"PAR1"):
        return "parquet", gz
    if head.startswith(b"SQLite format 3"):
        return "sqlite", gz
    if head.startswith(b"RDX") or head.startswith(b"RDA"):
        raise InputFileError(
            f"{path}: this is an R data file (.RData), which crimecast does not read",
            hint="in R: load() it and write.csv() the data frame, then ingest the CSV",
        )
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return "json", gz
    return "csv", gz


def _open_text(path: Path, gz: bool, encoding: str):
    raw = gzip.open(path, "rb") if gz else open(path, "rb")
    return io.TextIOWrapper(raw, encoding=encoding, newline="")


def read_ends(path: Path, gz: bool, sample_bytes: int = 4 << 20) -> tuple[str, bytes]:
    """(encoding, the file's last 64 KiB of text bytes), from one read of the head and the tail.
    The encoding is utf-8 when the first MiBs decode as UTF-8, else latin-1 (spreadsheet
    re-saves)."""
    opener = gzip.open if gz else open
    tail = b""
    try:
        with opener(path, "rb") as fh:
            sample = fh.read(sample_bytes)
            if gz:  # read to the end once: a cut gzip stream fails here, not halfway through
                while chunk := fh.read(16 << 20):
                    tail = (tail + chunk)[-(1 << 16) :]
            else:
                fh.seek(max(0, path.stat().st_size - (1 << 16)))
                tail = fh.read()
            tail = tail or sample[-(1 << 16) :]
    except (EOFError, OSError) as exc:
        raise InputFileError(
            f"{path}: gzip data is truncated or damaged ({exc})",
            hint="download or copy the file again",
        ) from exc
    head = sample[:4096]
    if head[:2] in (b"\xff\xfe", b"\xfe\xff") or (b"\x00" in head and _looks_utf16(head)):
        raise InputFileError(
            f"{path}: the text is UTF-16, which crimecast does not read",
            hint="re-save the file as UTF-8 CSV (in Excel: Save As > CSV UTF-8; or iconv -f UTF-16 "
            "-t UTF-8)",
        )
    if head[:4] == b"PK\x03\x04":
        raise InputFileError(
            f"{path}: a zip archive, not a table",
            hint="unzip it first (unzip FILE) and ingest the CSV inside",
        )
    if b"\x00" in head:
        raise InputFileError(
            f"{path}: binary data, not a text table (NUL bytes in the first 4 KiB)",
            hint="ingest a CSV, JSON, Parquet or SQLite export of the LAPD data",
        )
    try:
        sample.decode("utf-8")
        return "utf-8", tail
    except UnicodeDecodeError as exc:
        if exc.start > len(sample) - 4:  # a multi-byte character cut by the sample's end
            return "utf-8", tail
        return "latin-1", tail


def truncated_last_line(tail: bytes, encoding: str, delim: str, width: int) -> str | None:
    """The last line's text when the file stops in the middle of a row: no final newline and
    fewer fields than the header (a cut download). DuckDB would pad such a row with nulls."""
    if not tail or tail.endswith((b"\n", b"\r")):
        return None
    last = tail.rsplit(b"\n", 1)[-1].decode(encoding, errors="replace")
    try:
        fields = next(csv.reader([last], delimiter=delim, quotechar='"'), [])
    except csv.Error:
        return None
    return last if len(fields) < width else None


def read_header(path: Path, gz: bool, encoding: str) -> tuple[list[str], str]:
    """The header's column names and the delimiter."""
    with _open_text(path, gz, encoding) as fh:
        first = fh.readline()
        sample = first + "".join(fh.readline() for _ in range(5))
    first = first.lstrip("\ufeff")
    if first.lstrip().lower().startswith(("<!doctype html", "<html")):
        raise InputFileError(
            f"{path}: the file is a web page (HTML), not a data export",
            hint="the download saved the portal's page instead of its data: download the CSV "
            "export again (on the dataset's page: Export, CSV), or use crimecast fetch",
        )
    if not first.strip():
        raise InputFileError(
            f"{path}: the first line is blank; expected a header row",
            hint="check the export: the first line must name the columns (DR_NO, DATE OCC, ...)",
        )
    counts = {d: first.count(d) for d in _DELIMITERS}
    delim = max(counts, key=lambda d: counts[d])
    if counts[delim] == 0:
        delim = ","
    header = next(csv.reader([first.rstrip("\r\n")], delimiter=delim))
    if len(sample.splitlines()) < 2:
        raise InputFileError(
            f"{path}: the file has a header but no data rows", hint="check the export"
        )
    return header, delim


def load_head(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    gz: bool,
    encoding: str,
    delim: str,
    columns: list[str],
    table: str,
    max_chars: int = 2 << 20,
) -> bool:
    """The file's first rows (about 2 MB) as a temp table of text, for the layout and date
    probes; parsed here because starting DuckDB's parallel reader for a sample costs more than
    the parse. False when no whole row fits (e.g. a huge field): probe the full scan instead."""
    with _open_text(path, gz, encoding) as fh:
        text = fh.read(max_chars)
        if fh.read(1):
            text = text[: text.rfind("\n") + 1]
    try:
        rows = list(csv.reader(io.StringIO(text), delimiter=delim, quotechar='"'))[1:]
    except csv.Error:
        return False
    width = len(columns)
    rows = [[v or None for v in r[:width]] + [None] * (width - len(r)) for r in rows if r]
    if not rows:
        return False
    con.register("_head_df", pd.DataFrame(rows, columns=columns, dtype=object))
    cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {cols} FROM _head_df")
    con.unregister("_head_df")
    return True


def load_csv(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> Layout:
    kind, gz = sniff_kind(path)
    if kind != "csv":
        return _load_other(con, path, table, kind, gz)
    encoding, tail = read_ends(path, gz)
    header, delim = read_header(path, gz, encoding)
    columns = unique_names(header)
    mapping = map_columns(columns)
    if len(columns) == 1 and not mapping:
        raise InputFileError(
            f"{path}: the header has a single column ({header[0][:60]!r}); the delimiter is "
            "not one of , ; tab |",
            hint="export the table as comma-separated values",
        )
    check_required(path, mapping, columns)
    warnings = []
    if encoding != "utf-8":
        warnings.append(f"{path.name}: not UTF-8; read as latin-1")
    col_types = {c: "VARCHAR" for c in columns}
    source = str(path)
    # Spreadsheets save non-UTF-8 files; DuckDB reads UTF-8 only, so transcode once to a temp file.
    tmp = None
    if encoding != "utf-8":
        tmp = tempfile.NamedTemporaryFile(suffix=".csv", delete=False)
        with _open_text(path, gz, encoding) as src, open(tmp.name, "w", encoding="utf-8") as dst:
            for chunk in iter(lambda: src.read(1 << 20), ""):
                dst.write(chunk)
        source, gz = tmp.name, False
    # Rejected lines (wrong field count, bad quoting) are kept for the quarantine; DuckDB fills
    # the rejects table while the cleaning scans the view (see `read_rejects`).
    con.execute("DROP TABLE IF EXISTS _rejects")
    con.execute("DROP TABLE IF EXISTS _rejects_scan")
    try:
        rel = con.read_csv(
            source,
            header=False,
            skiprows=1,
            delimiter=delim,
            quotechar='"',
            escapechar='"',
            columns=col_types,
            null_padding=False,
            compression="gzip" if gz else "none",
            store_rejects=True,
            rejects_table="_rejects",
            rejects_scan="_rejects_scan",
            strict_mode=True,
            auto_detect=False,
            max_line_size=16 << 20,
        )
        # A view, not a table: the cleaning reads the file once, straight from the CSV scan.
        rel.create_view(table, replace=True)
        sample = (
            "_sample" if load_head(con, path, gz, encoding, delim, columns, "_sample") else table
        )
        with csv_errors(path):
            refine_mapping(con, sample, mapping)
    except BaseException:
        if tmp is not None:
            Path(tmp.name).unlink(missing_ok=True)
        raise
    has_ids = "dr_no" in mapping or "caseno" in mapping
    layout = Layout(columns, mapping, "csv", has_ids, warnings, sample=sample)
    layout.cut_last_line = truncated_last_line(tail, encoding, delim, len(columns))
    if tmp is not None:
        layout.temp_files.append(Path(tmp.name))
    return layout


@contextmanager
def csv_errors(path: Path):
    """DuckDB's errors while scanning a CSV, as the user's error naming the file."""
    try:
        yield
    except duckdb.Error as exc:
        raise InputFileError(
            f"{path}: cannot be read as CSV: {str(exc).splitlines()[0]}",
            hint="check that the file is a complete comma-separated export",
        ) from exc


def read_rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str, str]]:
    """(data row, error type, message, the line's text) for each line the last CSV scan
    rejected, in file order."""
    rows = con.execute(
        "SELECT line, any_value(error_type), any_value(error_message), any_value(csv_line) "
        "FROM _rejects GROUP BY line ORDER BY line"
    ).fetchall()
    return [(int(line) - 1, etype, msg, text) for line, etype, msg, text in rows]


def reject_reason(etype: str, msg: str, last: bool, cut_last_line: bool) -> str:
    """Why the CSV reader rejected a line, in the user's words."""
    if last and cut_last_line:
        return "truncated last line: the file ends in the middle of this row"
    found = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", msg)
    if found and etype in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        want, got = found.groups()
        if etype == "MISSING COLUMNS":
            return f"short row ({got} of {want} fields)"
        return f"long row (more than {want} fields)"  # the reader stops counting at the first extra
    return f"malformed CSV line ({etype}): {msg.splitlines()[0][:200]}"


def _frame_to_table(
    con: duckdb.DuckDBPyConnection, df: pd.DataFrame, path: Path, table: str, kind: str
) -> Layout:
    columns = unique_names([str(c) for c in df.columns])
    df = df.copy()
    df.columns = columns
    # Everything as text, as a CSV would give it, so the same cleaning applies; null stays null.
    for col in columns:
        values = df[col]
        missing = values.isna().to_numpy()
        text = values.astype(str).astype(object)
        text[missing] = None
        df[col] = text
    if len(df) == 0:
        raise InputFileError(
            f"{path}: the file holds no records (an empty list)",
            hint="check the export or the API query: it returned no rows",
        )
    mapping = map_columns(columns)
    check_required(path, mapping, columns)
    con.register("_frame", df)
    cols = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in columns)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {cols} FROM _frame")
    con.unregister("_frame")
    refine_mapping(con, table, mapping)
    return Layout(columns, mapping, kind, "dr_no" in mapping or "caseno" in mapping)


def _load_other(
    con: duckdb.DuckDBPyConnection, path: Path, table: str, kind: str, gz: bool
) -> Layout:
    opener = gzip.open if gz else open
    try:
        if kind == "json":
            with opener(path, "rt", encoding="utf-8-sig") as fh:
                data = json.load(fh)
            if isinstance(data, dict):  # {"data": [...]} or a single record
                lists = [v for v in data.values() if isinstance(v, list)]
                data = lists[0] if lists else [data]
            if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
                raise InputFileError(
                    f"{path}: JSON must be a list of records (objects)",
                    hint="export the records as a JSON array, as the portal's API returns them",
                )
            df = pd.DataFrame.from_records(data)
        elif kind == "parquet":
            df = pd.read_parquet(path if not gz else io.BytesIO(opener(path, "rb").read()))
        else:
            df = _read_sqlite(path, gz)
    except InputFileError:
        raise
    except (ValueError, OSError, EOFError, sqlite3.Error) as exc:
        raise InputFileError(
            f"{path}: cannot be read as {kind}: {exc}", hint="check that the file is complete"
        ) from exc
    return _frame_to_table(con, df, path, table, kind)


def _read_sqlite(path: Path, gz: bool) -> pd.DataFrame:
    """The table of a SQLite file that looks most like incidents."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.sqlite"
        db.write_bytes((gzip.open if gz else open)(path, "rb").read())
        with sqlite3.connect(db) as conn:
            tables = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            ]
            best, best_score = None, -1
            for t in tables:
                cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')]
                score = len(map_columns(unique_names(cols)))
                if score > best_score:
                    best, best_score = t, score
            if best is None:
                raise InputFileError(
                    f"{path}: the SQLite file has no tables",
                    hint="check that this is the database holding the incidents table",
                )
            return pd.read_sql_query(f'SELECT * FROM "{best}"', conn)


def load_frame(con: duckdb.DuckDBPyConnection, df: pd.DataFrame, name: str, table: str) -> Layout:
    """A frame already in memory (e.g. a portal page) loaded like a file."""
    return _frame_to_table(con, df, Path(name), table, "frame")


def check_path(path: Path) -> None:
    try:
        mode = path.stat().st_mode
    except RuntimeError as exc:  # a symlink loop
        raise InputFileError(
            f"{path}: a symbolic link that points back to itself", hint="name the real file"
        ) from exc
    except FileNotFoundError:
        if path.is_symlink():
            raise InputFileError(
                f"{path}: a symbolic link to a file that does not exist", hint="name the real file"
            ) from None
        raise InputFileError(f"{path}: no such file", hint="check the path") from None
    except OSError as exc:
        if exc.errno == 40:  # ELOOP
            raise InputFileError(
                f"{path}: a symbolic link that points back to itself", hint="name the real file"
            ) from exc
        raise
    if stat.S_ISDIR(mode):
        raise InputFileError(f"{path}: is a directory", hint="name the files inside it")
    if not stat.S_ISREG(mode):
        # a pipe or a device would never end (or never start): refuse it at once
        raise InputFileError(
            f"{path}: not a regular file (a pipe, socket or device)",
            hint="save the data to a file first, then ingest that file",
        )


def load_file(con: duckdb.DuckDBPyConnection, path: Path, table: str) -> Layout:
    path = Path(path)
    check_path(path)
    return load_csv(con, path, table)
