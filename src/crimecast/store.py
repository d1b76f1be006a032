"""The store: an embedded DuckDB database plus a Parquet mirror partitioned by year.

The only module that opens the database or writes the Parquet files. Layout under the store dir:

    crimecast.duckdb                 incidents, quarantine, ingests (ledger), completeness, meta
    parquet/incidents/year=YYYY/     the incidents as Parquet; an ingest rewrites the years it touched
    downloads/                       portal pages kept for resumable fetches

Ingest is idempotent (a file whose bytes were ingested before is skipped; a record already stored
is replaced by the newer version, never duplicated) and atomic (one transaction per ingest: a
killed ingest leaves the previous store as it was). Every ingest reconciles:
rows read = rows stored + rows quarantined + duplicates merged.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from crimecast import clean, completeness, config, schema, store_nibrs
from crimecast.errors import InputFileError, StoreError
from crimecast.filters import Filters
from crimecast.ingest import files
from crimecast.storage import file_sha256

DB_NAME = "crimecast.duckdb"


@dataclass
class IngestReport:
    source: str
    path: str
    rows_read: int = 0
    stored: int = 0
    quarantined: int = 0
    duplicates_merged: int = 0
    skipped: bool = False  # the same bytes were ingested before
    layout: str = ""
    warnings: list[str] = field(default_factory=list)
    system: str = "legacy"  # legacy reports, or NIBRS offenses
    offenses: int = 0  # NIBRS offense rows stored or merged from the file
    incidents: int = 0  # NIBRS cases the file touched
    matched_cases: int = 0  # cases in both feeds (case number = DR_NO), counted once

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.stored + self.quarantined + self.duplicates_merged


def _ddl(table: str, cols: Iterable[tuple[str, str, str]]) -> str:
    body = ", ".join(f"{name} {typ}" for name, typ, _ in cols)
    return f"CREATE TABLE IF NOT EXISTS {table} ({body})"


def _files_not_ingested(failed, reports) -> InputFileError:
    """One error for the files that could not be read, saying what was kept."""
    if len(failed) == 1 and not reports:
        return failed[0][1]
    kept = [r for r in reports if not r.skipped]
    said = "; ".join(f"{exc.message}" for _, exc in failed)
    parts = []
    if kept:
        parts.append(
            f"{len(kept)} other file(s) were stored ({sum(r.stored for r in kept):,} incidents)"
        )
    if len(kept) < len(reports):
        parts.append(f"{len(reports) - len(kept)} other file(s) were already in the store")
    keep = " and ".join(parts) or "nothing was stored"
    hints = "; ".join(dict.fromkeys(exc.hint for _, exc in failed if exc.hint))
    return InputFileError(
        f"{len(failed)} of {len(failed) + len(reports)} file(s) not ingested: {said}; {keep}",
        hint=hints or "fix those files and ingest them again",
    )


def blanked_values(con, staged: str, mapping: dict, name: str, good: int) -> list[str]:
    """Warnings counting the values of stored rows that were given but unusable (and so set
    to blank), and a coordinate column that yields nothing at all."""
    if not good:
        return []
    t, age, xy, lat, area = con.execute(
        f"SELECT count(*) FILTER (_nulled & 1 > 0), count(*) FILTER (_nulled & 2 > 0), "
        f"count(*) FILTER (_nulled & 4 > 0), count(lat), count(*) FILTER (_nulled & 8 > 0) "
        f"FROM {staged} WHERE _reason IS NULL"
    ).fetchall()[0]
    out = []
    for n, what in (
        (t, "times of day that are not a clock time (TIME OCC)"),
        (age, "victim ages of 0 (no person victim or not recorded), negative or over 120"),
        (xy, "coordinates of 0,0 or outside Los Angeles"),
    ):
        if n:
            most = " (most rows)" if n > good / 2 else ""
            out.append(f"{name}: {n:,} of {good:,} rows had {what}, stored blank{most}")
    if area:
        out.append(
            f"{name}: {area:,} stored row(s) have an AREA number that names another area than "
            "their AREA NAME; the number was used (check those rows' areas)"
        )
    coords = [mapping[f] for f in ("lat", "lon", "location_point") if f in mapping]
    if coords and not lat:
        out.append(
            f"{name}: column(s) {', '.join(coords)} gave no usable coordinates for any row; "
            "maps and hotspots will leave these incidents out"
        )
    return out


def _no_store(path: Path) -> StoreError:
    return StoreError(
        f"no store at {path}",
        hint="load data first: crimecast ingest FILE, crimecast fetch, or "
        "crimecast simulate then ingest (see --help)",
    )


def _open_error(path: Path, exc: duckdb.IOException) -> StoreError:
    """The store's file could not be opened: locked by another process, or unreadable."""
    text = str(exc)
    if "lock" not in text.lower():
        return StoreError(
            f"cannot open the store at {path}: {text.splitlines()[0]}",
            hint="check the folder's permissions and free disk space",
        )
    pid = re.search(r"PID (\d+)", text)
    return StoreError(
        f"cannot open the store at {path}: another crimecast process"
        + (f" (PID {pid.group(1)})" if pid else "")
        + " has it open",
        hint="wait for that process to finish (a running crimecast run, ingest or serve "
        "holds the store while it works), then try again",
    )


class Store:
    """Open with `Store(path)`; use as a context manager or call close()."""

    def __init__(self, path: str | Path | None = None, read_only: bool = False):
        self.path = Path(path or config.get("store")).expanduser()
        self.read_only = read_only
        self._touched_years: set[int] | None = None  # Parquet partitions the ingest touches
        db = self.path / DB_NAME
        if read_only and not db.exists():
            raise _no_store(self.path)
        if not read_only:
            self.path.mkdir(parents=True, exist_ok=True)
        try:
            self.con = duckdb.connect(str(db), read_only=read_only)
        except duckdb.IOException as exc:
            raise _open_error(self.path, exc) from exc
        # crimecast draws its own progress; DuckDB's bar would land in stdout (and in JSON output)
        self.con.execute("SET enable_progress_bar = false")
        if not read_only:
            self._create()
            self._repair_mirror()

    @classmethod
    def snapshot(cls, path: str | Path, wait: float = 120.0) -> Store:
        """A read-only Store over an in-memory copy of every table, read in one transaction.
        The database file is released as soon as the copy is made, so an ingest can start while
        a run works on its snapshot, and nothing it commits changes what the run sees. While
        another process holds the file for writing, waits up to `wait` seconds for it."""
        path = Path(path).expanduser()
        if not (path / DB_NAME).exists():
            raise _no_store(path)
        db = str(path / DB_NAME).replace("'", "''")
        deadline = time.monotonic() + wait
        mem = duckdb.connect()
        mem.execute("SET enable_progress_bar = false")
        while True:
            try:
                mem.execute(f"ATTACH '{db}' AS snap_src (READ_ONLY)")
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    mem.close()
                    raise _open_error(path, exc) from exc
                time.sleep(0.5)
        try:
            mem.execute("BEGIN")
            tables = mem.execute(
                "SELECT table_name FROM duckdb_tables() WHERE database_name = 'snap_src'"
            ).fetchall()
            for (name,) in tables:
                mem.execute(f'CREATE TABLE "{name}" AS FROM snap_src."{name}"')
            mem.execute("COMMIT")
        finally:
            mem.execute("DETACH snap_src")
        snap = cls.__new__(cls)
        snap.path, snap.read_only, snap._touched_years, snap.con = path, True, None, mem
        return snap

    # -- lifecycle ------------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def _create(self) -> None:
        self.con.execute(_ddl("incidents", schema.INCIDENT_SCHEMA))
        self.con.execute(_ddl("quarantine", schema.QUARANTINE_SCHEMA))
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS ingests (ingest_id VARCHAR, ingested_at TIMESTAMP, source VARCHAR,"
            " path VARCHAR, sha256 VARCHAR, layout VARCHAR, rows_read BIGINT, stored BIGINT,"
            " quarantined BIGINT, duplicates_merged BIGINT, warnings VARCHAR)"
        )
        self.con.execute(
            "CREATE TABLE IF NOT EXISTS completeness (month DATE, incidents BIGINT,"
            " expected_share DOUBLE, complete BOOLEAN, reason VARCHAR)"
        )
        self.con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR, value VARCHAR)")
        store_nibrs.create(self.con)

    @property
    def parquet_dir(self) -> Path:
        return self.path / "parquet" / "incidents"

    @property
    def downloads_dir(self) -> Path:
        return self.path / "downloads"

    # -- ingest ---------------------------------------------------------------------------------
    def ingest_files(
        self,
        paths: Iterable[str | Path],
        source: str | None = None,
        simulated: bool = False,
        on_file: Callable[[IngestReport], None] | None = None,
        today: dt.date | None = None,
    ) -> list[IngestReport]:
        """Ingest files, each in its own transaction; later files win over earlier ones for the
        same id. Files that cannot be read are named in one error after the others are stored."""
        return self._ingest([(Path(p), None) for p in paths], source, simulated, on_file, today)

    def ingest_frame(
        self,
        df: pd.DataFrame,
        name: str,
        simulated: bool = False,
        today: dt.date | None = None,
    ) -> IngestReport:
        """Ingest an in-memory frame of raw rows (e.g. a portal page)."""
        return self._ingest([(Path(name), df)], name, simulated, None, today)[0]

    def _ingest(self, items, source, simulated, on_file, today) -> list[IngestReport]:
        self._require_writable()
        reports = []
        con = self.con
        clean.install_lookups(con)
        # Partitions this ingest touches are rewritten; the rest of an up-to-date mirror is kept.
        self._touched_years = set() if self._mirror_is_current() else None
        # One transaction per file: a file that cannot be read costs only itself.
        failed: list[tuple[Path, InputFileError]] = []
        try:
            for path, frame in items:
                con.execute("BEGIN TRANSACTION")
                try:
                    report = self._ingest_one(path, frame, source, simulated, today)
                    if not report.skipped:
                        self._refresh_completeness()
                    con.execute("COMMIT")
                except InputFileError as exc:
                    con.execute("ROLLBACK")
                    failed.append((path, exc))
                    continue
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                reports.append(report)
                if on_file:
                    on_file(report)
        finally:  # what was committed is mirrored, even when a later file is interrupted
            if any(not r.skipped and r.stored + r.duplicates_merged for r in reports):
                self.export_parquet(years=self._touched_years)
        if failed:
            raise _files_not_ingested(failed, reports)
        return reports

    def _ingest_one(self, path: Path, frame, source, simulated, today) -> IngestReport:
        con = self.con
        src = source or path.name
        report = IngestReport(source=src, path=str(path))
        if frame is None:
            files.check_path(path)
            digest = file_sha256(path)
            seen = (
                digest
                and con.execute(
                    "SELECT count(*) FROM ingests WHERE sha256 = ?", [digest]
                ).fetchall()[0][0]
            )
            if seen:
                report.skipped = True
                return report
            layout = files.load_file(con, path, "_raw")
        else:
            digest = hashlib.sha256(
                pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes()
            ).hexdigest()
            layout = files.load_frame(con, frame, str(path), "_raw")
        try:
            if layout.system == "nibrs":
                store_nibrs.ingest(self, path, layout, src, simulated, today, digest, report)
            else:
                self._clean_and_store(path, layout, src, simulated, today, digest, report)
        finally:
            layout.close()
            # After a failure the transaction is aborted and its rollback drops these anyway.
            with contextlib.suppress(duckdb.TransactionException):
                con.execute(f"DROP {'VIEW' if layout.kind == 'csv' else 'TABLE'} IF EXISTS _raw")
                for t in ("_sample", "_clean", "_batch", "_rejected_rows", "_nclean", "_cases"):
                    con.execute(f"DROP TABLE IF EXISTS {t}")
        assert report.reconciles, report  # an internal invariant, never the user's fault
        return report

    def _clean_and_store(self, path, layout, src, simulated, today, digest, report) -> None:
        """One scan of the raw rows into a staged table of cleaned rows; then its good rows
        become or join `incidents` (the newest version of a record wins) and the rest go to
        `quarantine`."""
        con = self.con
        report.layout = layout.describe()
        report.warnings = list(layout.warnings)
        if not layout.has_ids:
            report.warnings.append(
                f"{path.name}: no record ids (DR_NO); ids derived from each row's content, so "
                "identical rows count as one incident"
            )
        is_csv = layout.kind == "csv"
        with files.csv_errors(path) if is_csv else contextlib.nullcontext():
            dayfirst, share, bad_dates = clean.probe_dates(con, layout.sample, layout.mapping)
        if share == 0:
            col = layout.mapping["date_occ"]
            raise InputFileError(
                f"{path}: column {col!r} holds no usable dates (values like "
                f"{', '.join(repr(b) for b in bad_dates) or 'blanks'}); a crime count needs the "
                "day, month and year each incident occurred",
                hint="use an export whose occurred-date column has full dates",
            )
        if dayfirst:
            report.warnings.append(f"{path.name}: dates read as day/month/year")
        sql = clean.clean_sql(
            layout.mapping, "_raw", src, layout.has_ids, simulated, today, dayfirst
        )
        # Into an empty store the cleaned rows are staged in a table of the database itself,
        # which then becomes `incidents`: a bulk load writes the rows once instead of twice.
        bulk = not con.execute("SELECT count(*) FROM incidents").fetchall()[0][0]
        staged = "_batch" if bulk else "_clean"
        with files.csv_errors(path) if is_csv else contextlib.nullcontext():
            clean.stage(con, sql, staged, temp=not bulk)
        rejects = files.read_rejects(con) if is_csv else []
        if layout.cut_last_line is not None:
            self._quarantine_cut_last_row(staged, layout.cut_last_line, rejects)
        parsed, bad, distinct = con.execute(
            "SELECT count(*), count(_reason), "
            "count(DISTINCT record_id) FILTER (WHERE _reason IS NULL) FROM " + staged
        ).fetchall()[0]
        good = parsed - bad
        report.rows_read = parsed + len(rejects)
        cut = layout.cut_last_line is not None
        for line, etype, msg, text in rejects:
            reason = files.reject_reason(etype, msg, line == report.rows_read, cut)
            con.execute(
                "INSERT INTO quarantine VALUES (?, ?, NULL, ?, ?)",
                [src, line, reason, json.dumps({"line": text})],
            )
        if bad:
            rejected = None
            if rejects:
                rejected = "_rejected_rows"
                con.execute(f"CREATE OR REPLACE TEMP TABLE {rejected} (r BIGINT)")
                con.executemany(
                    f"INSERT INTO {rejected} VALUES (?)", [[line] for line, *_ in rejects]
                )
            quarantined = clean.quarantine_sql(staged, rejected)
            con.execute(f"INSERT INTO quarantine SELECT ?, * FROM ({quarantined})", [src])
        report.quarantined = bad + len(rejects)
        report.warnings += blanked_values(con, staged, layout.mapping, path.name, good)
        if not bulk and (diverted := store_nibrs.divert_legacy(con, staged)):
            # reports of cases already stored from the NIBRS feed count once, as NIBRS
            good -= diverted
            distinct = con.execute(
                f"SELECT count(DISTINCT record_id) FROM {staged} WHERE _reason IS NULL"
            ).fetchall()[0][0]
            report.matched_cases = diverted
            report.warnings.append(
                f"{path.name}: {diverted:,} report(s) are cases already stored from the NIBRS "
                "feed (DR_NO = case number); each counts once, as its NIBRS incident"
            )
        in_file_dups = good - distinct
        self._note_years(f"SELECT DISTINCT year FROM {staged} WHERE _reason IS NULL")
        if bulk:
            replaced = 0
            self._bulk_load(staged, in_file_dups)
        else:
            lacking = schema.fields_lacking(layout.mapping)
            replaced, kept = self._merge(staged, in_file_dups, lacking)
            if kept:
                report.warnings.append(
                    f"{path.name}: {kept:,} merged record(s) kept stored values for fields this "
                    f"file lacks ({', '.join(lacking)})"
                )
        report.stored = distinct - replaced
        report.duplicates_merged = in_file_dups + replaced + report.matched_cases
        self.record_ingest(src, path, digest, report)

    def record_ingest(self, src: str, path: Path, digest: str, report: IngestReport) -> None:
        """The ingest's line in the ledger."""
        self.con.execute(
            "INSERT INTO ingests VALUES (?, now(), ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                uuid.uuid4().hex[:12],
                src,
                str(path),
                digest,
                report.layout,
                report.rows_read,
                report.stored,
                report.quarantined,
                report.duplicates_merged,
                json.dumps(report.warnings),
            ],
        )

    def _quarantine_cut_last_row(self, staged: str, text: str, rejects: list) -> None:
        """A file that stops mid-row (a cut download): its last row is padded with nulls by the
        reader, so mark it here, unless the reader already rejected that line."""
        con = self.con
        parsed = con.execute(f"SELECT count(*) FROM {staged}").fetchall()[0][0]
        last_row = parsed + len(rejects)
        if not parsed or any(row == last_row for row, *_ in rejects):
            return
        con.execute(
            f"UPDATE {staged} SET _reason = ?, _raw_json = ? "
            f"WHERE rowid = (SELECT max(rowid) FROM {staged})",
            [
                "truncated last line: the file ends in the middle of this row",
                json.dumps({"line": text}),
            ],
        )

    def _merge(self, staged: str, in_file_dups: int, lacking: list[str]) -> tuple[int, int]:
        """The staged good rows into `incidents`, replacing stored versions of the same
        records; the newest row per id wins, except for the columns its file lacks (`lacking`),
        which keep the stored copy's values. Returns (records replaced, of them how many kept
        older values)."""
        con = self.con
        # The window is only paid for when the file repeats ids.
        newest = f"SELECT * FROM {staged} WHERE _reason IS NULL" + (
            " QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY rowid DESC) = 1"
            if in_file_dups
            else ""
        )
        ids = f"SELECT record_id FROM {staged} WHERE _reason IS NULL"
        replaced = con.execute(
            f"SELECT count(*) FROM incidents WHERE record_id IN ({ids})"
        ).fetchall()[0][0]
        kept = 0
        cols = ", ".join(schema.INCIDENT_COLUMNS)
        if replaced and lacking:
            old = " OR ".join(f"o.{c} IS NOT NULL" for c in lacking)
            kept = con.execute(
                f"SELECT count(*) FROM incidents o WHERE o.record_id IN ({ids}) AND ({old})"
            ).fetchall()[0][0]
            pick = ", ".join(
                f"coalesce(o.{c}, n.{c}) AS {c}" if c in lacking else f"n.{c}"
                for c in schema.INCIDENT_COLUMNS
            )
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _merged AS SELECT {pick} FROM ({newest}) n "
                "LEFT JOIN incidents o ON o.record_id = n.record_id"
            )
            newest = f"SELECT {cols} FROM _merged"
        else:
            newest = f"SELECT {cols} FROM ({newest})"
        if replaced:
            self._note_years(f"SELECT DISTINCT year FROM incidents WHERE record_id IN ({ids})")
            con.execute(f"DELETE FROM incidents WHERE record_id IN ({ids})")
        con.execute(f"INSERT INTO incidents {newest}")
        return replaced, kept

    def _note_years(self, sql: str) -> None:
        if self._touched_years is not None:
            self._touched_years.update(y for (y,) in self.con.execute(sql).fetchall())

    def _bulk_load(self, staged: str, in_file_dups: int) -> None:
        """Turn the staged table into `incidents` (which is empty): drop the quarantined rows,
        the older rows of repeated ids and the working columns, then swap names."""
        con = self.con
        con.execute(f"DELETE FROM {staged} WHERE _reason IS NOT NULL")
        if in_file_dups:
            con.execute(
                f"DELETE FROM {staged} WHERE rowid IN (SELECT rowid FROM {staged} QUALIFY "
                "row_number() OVER (PARTITION BY record_id ORDER BY rowid DESC) > 1)"
            )
        con.execute(f"ALTER TABLE {staged} DROP COLUMN _reason")
        con.execute(f"ALTER TABLE {staged} DROP COLUMN _raw_json")
        con.execute(f"ALTER TABLE {staged} DROP COLUMN _nulled")
        got = con.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE table_name = ? AND database_name = current_database() ORDER BY column_index",
            [staged],
        ).fetchall()
        want = [(name, typ) for name, typ, _ in schema.INCIDENT_SCHEMA]
        if got != want:  # the cleaning SQL and the schema disagree: a bug, never the user's
            raise StoreError(f"staged columns {got} differ from the incident schema {want}")
        con.execute("DROP TABLE incidents")
        con.execute(f"ALTER TABLE {staged} RENAME TO incidents")

    def _refresh_completeness(self) -> None:
        cols = {r[0] for r in self.con.execute("DESCRIBE incidents").fetchall()}
        nibrs = (
            ", count(*) FILTER (WHERE record_system = 'nibrs') AS nibrs"
            if "record_system" in cols
            else ""
        )
        monthly = self.con.execute(
            "SELECT date_trunc('month', occurred_date) AS month, count(*) AS incidents"
            f"{nibrs} FROM incidents GROUP BY 1 ORDER BY 1"
        ).df()
        delays = self.con.execute(
            "SELECT date_diff('day', occurred_date, date_reported) AS d FROM incidents "
            "WHERE date_reported IS NOT NULL USING SAMPLE 200000 ROWS (reservoir, 7)"
        ).df()["d"]
        as_of = self.con.execute(
            "SELECT max(coalesce(date_reported, occurred_date)) FROM incidents"
        ).fetchall()[0][0]
        self.con.execute("DELETE FROM completeness")
        if as_of is None:
            return
        flags = completeness.assess(
            monthly, delays, pd.Timestamp(as_of), config.get_float("lag_completeness")
        )
        self.con.register("_flags", flags)
        self.con.execute("INSERT INTO completeness SELECT * FROM _flags")
        self.con.unregister("_flags")

    def export_parquet(self, years: set[int] | None = None) -> Path:
        """Rewrite the Parquet mirror beside the old one, then swap, so readers never see half.

        With `years` (the partitions an ingest touched, the old mirror being up to date) only
        those are written anew; the other partitions' files are hard-linked into the new mirror,
        so a small refresh of a big store costs a small write."""
        target = self.parquet_dir
        tmp = target.parent / f".incidents-{uuid.uuid4().hex[:8]}"
        tmp.parent.mkdir(parents=True, exist_ok=True)
        keep = []
        if years is not None and target.exists():
            keep = [
                d
                for d in target.glob("year=*")
                if d.name.split("=", 1)[1] not in {str(y) for y in years}
            ]
        # Years are integers read from the database, so they are safe to inline in the COPY.
        where = f" WHERE year IN ({', '.join(str(int(y)) for y in sorted(years))})" if keep else ""
        if not keep or years:
            self.con.execute(
                f"COPY (SELECT * FROM incidents{where}) TO '{tmp}' "
                "(FORMAT PARQUET, PARTITION_BY (year))"
            )
        tmp.mkdir(exist_ok=True)  # COPY makes it only when some row was written
        for part in keep:
            (tmp / part.name).mkdir()
            for f in part.iterdir():
                try:
                    os.link(f, tmp / part.name / f.name)
                except OSError:  # a file system without hard links
                    shutil.copy2(f, tmp / part.name / f.name)
        old = target.parent / f".old-{uuid.uuid4().hex[:8]}"
        if target.exists():
            target.rename(old)
        tmp.rename(target)
        shutil.rmtree(old, ignore_errors=True)
        self._set_meta("parquet_version", self._version())
        return target

    def _mirror_is_current(self) -> bool:
        rows = self.con.execute("SELECT value FROM meta WHERE key = 'parquet_version'").fetchall()
        return self.parquet_dir.exists() and bool(rows) and rows[0][0] == self._version()

    def _version(self) -> str:
        """Changes with every ingest that changed something."""
        n, last = self.con.execute(
            "SELECT count(*), max(ingested_at) FROM ingests WHERE stored + duplicates_merged > 0"
        ).fetchall()[0]
        return f"{n}:{last}"

    def _set_meta(self, key: str, value: str) -> None:
        self.con.execute("DELETE FROM meta WHERE key = ?", [key])
        self.con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

    def ensure_parquet(self) -> Path:
        """The Parquet mirror, rewritten first if an interrupted ingest left it missing or stale."""
        if self.mirror_is_current():
            return self.parquet_dir
        if self.read_only:
            raise StoreError(
                f"the Parquet files under {self.parquet_dir} are missing or out of date (an "
                "ingest was interrupted after it stored its rows)",
                hint=f"run crimecast info --repair --store {self.path} to rewrite them",
            )
        return self.export_parquet()

    def mirror_is_current(self) -> bool:
        """Whether the Parquet mirror holds exactly what the database holds (an empty store
        needs none)."""
        if self._mirror_is_current():
            return True
        return not self.con.execute("SELECT count(*) FROM incidents").fetchall()[0][0]

    def _repair_mirror(self) -> None:
        """A writer first clears what an interrupted ingest left behind (half-written mirror
        folders) and rewrites a mirror that is behind the database. DuckDB's lock means no other
        process is using the store meanwhile."""
        for left in self.parquet_dir.parent.glob(".incidents-*"):
            shutil.rmtree(left, ignore_errors=True)
        for left in self.parquet_dir.parent.glob(".old-*"):
            shutil.rmtree(left, ignore_errors=True)
        if not self.mirror_is_current():
            self.export_parquet()

    def _require_writable(self) -> None:
        if self.read_only:
            raise StoreError("the store was opened read-only", hint="open it without read_only")

    # -- reads ----------------------------------------------------------------------------------
    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        """Run a parameterised query and return a frame (values always as parameters)."""
        return self.con.execute(sql, params or []).df()

    def incidents(
        self, filters: Filters | None = None, columns: Iterable[str] | None = None
    ) -> pd.DataFrame:
        cols = list(columns) if columns else list(schema.INCIDENT_COLUMNS)
        unknown = set(cols) - set(schema.INCIDENT_COLUMNS)
        if unknown:
            raise StoreError(f"unknown incident columns: {sorted(unknown)}")
        where, params = (filters or Filters()).to_sql()
        return self.query(f"SELECT {', '.join(cols)} FROM incidents WHERE {where}", params)

    def incidents_arrow(self, filters: Filters | None = None, columns: Iterable[str] | None = None):
        """Like `incidents`, as a pyarrow Table: no Python string objects, several times faster
        for a million rows (the EDA and report read this way)."""
        cols = list(columns) if columns else list(schema.INCIDENT_COLUMNS)
        unknown = set(cols) - set(schema.INCIDENT_COLUMNS)
        if unknown:
            raise StoreError(f"unknown incident columns: {sorted(unknown)}")
        where, params = (filters or Filters()).to_sql()
        return self.con.sql(
            f"SELECT {', '.join(cols)} FROM incidents WHERE {where}", params=params
        ).to_arrow_table()

    def count(self, filters: Filters | None = None) -> int:
        where, params = (filters or Filters()).to_sql()
        return self.con.execute(f"SELECT count(*) FROM incidents WHERE {where}", params).fetchall()[
            0
        ][0]

    def quarantine(self) -> pd.DataFrame:
        return self.query("SELECT * FROM quarantine ORDER BY source, row_number")

    def ingests(self) -> pd.DataFrame:
        return self.query("SELECT * FROM ingests ORDER BY ingested_at")

    def completeness(self) -> pd.DataFrame:
        return self.query("SELECT * FROM completeness ORDER BY month")

    def complete_through(self) -> pd.Timestamp | None:
        return completeness.complete_through(self.completeness())

    def info(self) -> dict:
        """Counts, ranges and completeness; the keys of `crimecast info --json`."""
        q = self.con.execute
        n, dmin, dmax = q(
            "SELECT count(*), min(occurred_date), max(occurred_date) FROM incidents"
        ).fetchall()[0]
        led = q(
            "SELECT coalesce(sum(rows_read),0), coalesce(sum(stored),0), "
            "coalesce(sum(quarantined),0), coalesce(sum(duplicates_merged),0), count(*) FROM ingests"
        ).fetchall()[0]
        per_source = dict(
            q("SELECT source, count(*) FROM incidents GROUP BY 1 ORDER BY 2 DESC").fetchall()
        )
        simulated = q("SELECT count(*) FROM incidents WHERE simulated").fetchall()[0][0]
        flags = self.completeness()
        ct = completeness.complete_through(flags)
        flagged = flags[~flags["complete"].astype(bool)] if len(flags) else flags
        warnings = []
        reason = flagged["reason"] if len(flagged) else pd.Series(dtype=str)
        switch = (
            flagged[reason.str.startswith(completeness.TRANSITION)] if len(flagged) else flagged
        )
        if len(switch):
            warnings.append(
                f"NIBRS transition: {len(switch)} month(s), {switch['month'].min():%Y-%m} to "
                f"{switch['month'].max():%Y-%m}, mix the legacy feed and the NIBRS feed while it "
                "ramped up (LAPD switched to NIBRS on 2024-03-07); they are kept out of model "
                "training, and later months are used on the NIBRS scale"
            )
        nibrs = flagged[reason.str.contains("NIBRS break")] if len(flagged) else flagged
        if len(nibrs):
            warnings.append(
                f"NIBRS break: {len(nibrs)} month(s) from {nibrs['month'].min():%Y-%m} are "
                "missing most records in the legacy feed (LAPD switched to NIBRS on 2024-03-07); "
                "they are kept out of model training"
            )
        lag = flagged[flagged["reason"].str.contains("lag")] if len(flagged) else flagged
        if len(lag):
            warnings.append(
                f"reporting lag: {len(lag)} recent month(s) ({lag['month'].min():%Y-%m} on) are "
                "not yet fully reported; they are shown but not used to train models"
            )
        if simulated:
            warnings.append(f"{simulated} stored incidents are SIMULATED, not real LAPD data")
        mirror_ok = self.mirror_is_current()
        if not mirror_ok:
            warnings.append(
                "the Parquet mirror is behind the database (an ingest was interrupted after it "
                f"stored its rows): run crimecast info --repair --store {self.path}"
            )
        return {
            "store": str(self.path),
            "incidents": int(n),
            "quarantined": int(q("SELECT count(*) FROM quarantine").fetchall()[0][0]),
            "duplicates_merged": int(led[3]),
            "rows_read": int(led[0]),
            "ingests": int(led[4]),
            "simulated": int(simulated),
            "per_source": {k: int(v) for k, v in per_source.items()},
            # offenses (NIBRS rows; a legacy report is one), cases in both feeds, per source
            **store_nibrs.info_counts(self.con),
            "date_min": dmin.isoformat() if dmin else None,
            "date_max": dmax.isoformat() if dmax else None,
            "complete_through": ct.strftime("%Y-%m") if ct is not None else None,
            "months": [
                {**r, "month": r["month"].strftime("%Y-%m")}
                for r in flags.assign(month=pd.to_datetime(flags["month"])).to_dict("records")
            ]
            if len(flags)
            else [],
            "parquet_mirror_current": mirror_ok,
            "warnings": warnings,
        }


def report_dict(report: IngestReport) -> dict:
    return {**asdict(report), "reconciles": report.reconciles}
