"""The store's offenses and incidents: NIBRS offense rows, one incident per case, and the cases
present in both feeds.

Tables (beside `incidents`, `quarantine` and the ledger in `store.py`):

    offenses         one row per NIBRS offense (`offense_id` = uniquenibrno); a legacy report is
                     one offense, kept only in `incidents`
    incidents        one row per case: a legacy report, or a NIBRS case carrying its most serious
                     offense by the UCR hierarchy (`codes.HIERARCHY`) and its offense count
    legacy_matched   legacy reports whose DR_NO is also a NIBRS case number: the case counts once,
                     as its NIBRS incident, and the legacy copy is kept here

Counts of incidents are comparable with the legacy reports; `offenses` counts NIBRS offenses (and
legacy reports as one offense each). A changed NIBRS offense (same uniquenibrno) replaces the stored
one, and its case's incident is derived again.
"""

from __future__ import annotations

import contextlib
import json

import duckdb

from crimecast import clean, clean_nibrs, schema
from crimecast.errors import InputFileError, StoreError
from crimecast.ingest import files

SUPERSEDED = "duplicate uniquenibrno with different content: a later row of the file replaces it"


def create(con: duckdb.DuckDBPyConnection) -> None:
    """The offense tables, and the incident columns added for NIBRS in stores made before."""
    cols = ", ".join(f"{n} {t}" for n, t, _ in clean_nibrs.OFFENSE_SCHEMA)
    con.execute(f"CREATE TABLE IF NOT EXISTS offenses ({cols})")
    have = {r[0] for r in con.execute("DESCRIBE incidents").fetchall()}
    for name, typ, default in schema.INCIDENT_ADDED:
        if name not in have:
            con.execute(f"ALTER TABLE incidents ADD COLUMN {name} {typ}")
            con.execute(f"UPDATE incidents SET {name} = {default}")
    con.execute("CREATE TABLE IF NOT EXISTS legacy_matched AS FROM incidents LIMIT 0")


def _count(con, sql: str, params=None) -> int:
    return int(con.execute(sql, params or []).fetchall()[0][0])


def ingest(store, path, layout, src, simulated, today, digest, report) -> None:
    """One NIBRS file (already loaded as `_raw`) into `offenses` and `incidents`, in the caller's
    transaction; fills `report` so that rows read = stored + quarantined + merged."""
    con = store.con
    clean_nibrs.install_lookups(con)
    report.layout = layout.describe()
    report.system = "nibrs"
    report.warnings = list(layout.warnings)
    is_csv = layout.kind == "csv"
    errors = files.csv_errors(path) if is_csv else contextlib.nullcontext()
    with errors:
        dayfirst, share, bad_dates = clean.probe_dates(con, layout.sample, layout.mapping)
    if share == 0:
        raise InputFileError(
            f"{path}: column {layout.mapping['date_occ']!r} holds no usable dates (values like "
            f"{', '.join(repr(b) for b in bad_dates) or 'blanks'})",
            hint="use an export whose date_occ column has full dates",
        )
    sql = clean_nibrs.clean_sql(layout.mapping, "_raw", src, simulated, today, dayfirst)
    # Into an empty offenses table the staged rows become the table itself (written once).
    bulk = not _count(con, "SELECT count(*) FROM (SELECT 1 FROM offenses LIMIT 1)")
    staged = "_nbatch" if bulk else "_nclean"
    with files.csv_errors(path) if is_csv else contextlib.nullcontext():
        clean.stage(con, sql, staged, temp=not bulk)
    rejects = files.read_rejects(con) if is_csv else []
    parsed, bad, distinct, cases = con.execute(
        f"SELECT count(*), count(_reason), count(DISTINCT offense_id) FILTER "
        f"(WHERE _reason IS NULL), count(DISTINCT case_id) FILTER (WHERE _reason IS NULL) "
        f"FROM {staged}"
    ).fetchall()[0]
    superseded = _supersede_duplicates(con, staged) if parsed - bad > distinct else 0
    report.rows_read = parsed + len(rejects)
    for line, etype, msg, text in rejects:
        reason = files.reject_reason(etype, msg, line == report.rows_read, False)
        con.execute(
            "INSERT INTO quarantine VALUES (?, ?, NULL, ?, ?)",
            [src, line, reason, json.dumps({"line": text})],
        )
    if bad or superseded:
        rejected = None
        if rejects:
            rejected = "_rejected_rows"
            con.execute(f"CREATE OR REPLACE TEMP TABLE {rejected} (r BIGINT)")
            con.executemany(f"INSERT INTO {rejected} VALUES (?)", [[r[0]] for r in rejects])
        quarantined = clean.quarantine_sql(staged, rejected).replace(
            "c.record_id", "coalesce(c.offense_id, c.case_id)"
        )
        con.execute(f"INSERT INTO quarantine SELECT ?, * FROM ({quarantined})", [src])
    report.quarantined = bad + superseded + len(rejects)
    good = parsed - bad - superseded
    report.warnings += _flag_warnings(con, staged, path.name, good)
    store._note_years(f"SELECT DISTINCT year FROM {staged} WHERE _reason IS NULL")
    if bulk:
        replaced = 0
        _bulk_offenses(con, staged, in_file_dups=good - distinct)
        staged = "offenses"
    else:
        replaced = _merge_offenses(con, staged, in_file_dups=good - distinct)
    report.stored = distinct - replaced
    report.duplicates_merged = good - distinct + replaced
    matched = _derive_incidents(store, staged, bulk)
    report.offenses, report.incidents, report.matched_cases = good, cases, matched
    if matched:
        report.warnings.append(
            f"{path.name}: {matched:,} case(s) are also in the legacy feed (case number = DR_NO); "
            "each counts once, as its NIBRS incident"
        )
    report.warnings += _count_mismatches(con, path.name, bulk)
    store.record_ingest(src, path, digest, report)
    con.execute("DROP TABLE IF EXISTS _nclean")


def _supersede_duplicates(con, staged: str) -> int:
    """A uniquenibrno repeated in the file with different content: the last row wins and the
    earlier ones are quarantined with the reason; identical repeats are merged."""
    content = ", ".join(c for c in clean_nibrs.OFFENSE_COLUMNS if c != "source")
    con.execute(
        f"""UPDATE {staged} SET _reason = '{SUPERSEDED}', _raw_json = d.j
        FROM (
          SELECT rid, j FROM (
            SELECT s.rowid AS rid, to_json(s) AS j, hash({content}) AS h,
              last_value(hash({content})) OVER w AS last_h,
              row_number() OVER w AS k, count(*) OVER w AS n
            FROM {staged} s WHERE _reason IS NULL
            WINDOW w AS (PARTITION BY offense_id ORDER BY s.rowid
                         ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
          ) WHERE k < n AND h <> last_h
        ) d WHERE {staged}.rowid = d.rid"""
    )
    return _count(con, f"SELECT count(*) FROM {staged} WHERE _reason = '{SUPERSEDED}'")


def _merge_offenses(con, staged: str, in_file_dups: int) -> int:
    """Good staged rows into `offenses`, the newest per uniquenibrno; returns how many stored
    offenses they replaced."""
    cols = ", ".join(clean_nibrs.OFFENSE_COLUMNS)
    newest = f"SELECT {cols} FROM {staged} WHERE _reason IS NULL" + (
        " QUALIFY row_number() OVER (PARTITION BY offense_id ORDER BY rowid DESC) = 1"
        if in_file_dups
        else ""
    )
    replaced = 0
    if _count(con, "SELECT count(*) FROM (SELECT 1 FROM offenses LIMIT 1)"):
        ids = f"SELECT offense_id FROM {staged} WHERE _reason IS NULL"
        replaced = _count(con, f"SELECT count(*) FROM offenses WHERE offense_id IN ({ids})")
        if replaced:
            con.execute(f"DELETE FROM offenses WHERE offense_id IN ({ids})")
    con.execute(f"INSERT INTO offenses {newest}")
    return replaced


def _bulk_offenses(con, staged: str, in_file_dups: int) -> None:
    """Turn the staged table into `offenses` (which is empty): drop the quarantined rows, the
    older rows of repeated ids and the working columns, then swap names."""
    con.execute(f"DELETE FROM {staged} WHERE _reason IS NOT NULL")
    if in_file_dups:
        con.execute(
            f"DELETE FROM {staged} WHERE rowid IN (SELECT rowid FROM {staged} QUALIFY "
            "row_number() OVER (PARTITION BY offense_id ORDER BY rowid DESC) > 1)"
        )
    for col in ("_reason", "_raw_json", "_flags"):
        con.execute(f"ALTER TABLE {staged} DROP COLUMN {col}")
    got = [r[:2] for r in con.execute(f"DESCRIBE {staged}").fetchall()]
    want = [(n, t) for n, t, _ in clean_nibrs.OFFENSE_SCHEMA]
    if got != want:  # the cleaning SQL and the schema disagree: a bug, never the user's
        raise StoreError(f"staged columns {got} differ from the offense schema {want}")
    con.execute("DROP TABLE offenses")
    con.execute(f"ALTER TABLE {staged} RENAME TO offenses")


def _derive_incidents(store, staged: str, bulk: bool) -> int:
    """The incidents of the cases the file touched, derived again from all their stored
    offenses; a legacy report of the same case moves to `legacy_matched`. Returns how many of
    the cases were also in the legacy feed."""
    con = store.con
    where = ""
    matched = 0
    if not bulk or _count(con, "SELECT count(*) FROM (SELECT 1 FROM incidents LIMIT 1)"):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _cases AS SELECT DISTINCT case_id FROM {staged}"
            + ("" if bulk else " WHERE _reason IS NULL")
        )
        where = "" if bulk else "WHERE case_id IN (SELECT case_id FROM _cases)"
        touched = "record_id IN (SELECT case_id FROM _cases)"
        legacy = f"record_system = 'legacy' AND {touched}"
        matched = _count(con, f"SELECT count(*) FROM incidents WHERE {legacy}")
        if matched:
            con.execute(f"DELETE FROM legacy_matched WHERE {touched}")
            con.execute(f"INSERT INTO legacy_matched SELECT * FROM incidents WHERE {legacy}")
        store._note_years(f"SELECT DISTINCT year FROM incidents WHERE {touched}")
        con.execute(f"DELETE FROM incidents WHERE {touched}")
    cols = ", ".join(schema.INCIDENT_COLUMNS)
    derived = clean_nibrs.INCIDENT_FROM_OFFENSES.format(where=where)
    con.execute(f"INSERT INTO incidents ({cols}) {derived}")
    return matched


def divert_legacy(con, staged: str) -> int:
    """Legacy reports of a staged file whose DR_NO is already a NIBRS case: kept in
    `legacy_matched`, not counted again. Returns the staged rows diverted."""
    nibrs = "SELECT record_id FROM incidents WHERE record_system = 'nibrs'"
    if not _count(con, f"SELECT count(*) FROM ({nibrs} LIMIT 1)"):
        return 0
    hit = f"_reason IS NULL AND record_id IN ({nibrs})"
    rows = _count(con, f"SELECT count(*) FROM {staged} WHERE {hit}")
    if rows:
        cols = ", ".join(schema.INCIDENT_COLUMNS)
        ids = f"SELECT record_id FROM {staged} WHERE {hit}"
        con.execute(f"DELETE FROM legacy_matched WHERE record_id IN ({ids})")
        con.execute(
            f"INSERT INTO legacy_matched SELECT {cols} FROM {staged} WHERE {hit} "
            "QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY rowid DESC) = 1"
        )
        con.execute(f"DELETE FROM {staged} WHERE {hit}")
    return rows


def _flag_warnings(con, staged: str, name: str, good: int) -> list[str]:
    """Counts of stored rows with values given but unusable, or worth saying."""
    if not good:
        return []
    f = clean_nibrs
    t, zero, empty, against = con.execute(
        f"SELECT count(*) FILTER (_flags & {f.FLAG_TIME} > 0), "
        f"count(*) FILTER (_flags & {f.FLAG_ZERO_XY} > 0), "
        f"count(*) FILTER (_flags & {f.FLAG_NO_XY} > 0), "
        f"count(*) FILTER (_flags & {f.FLAG_AGAINST_LIST} > 0) FROM {staged} WHERE _reason IS NULL"
    ).fetchall()[0]
    out = []
    if t:
        out.append(f"{name}: {t:,} of {good:,} offenses had a time_occ that is not a clock time")
    if zero or empty:
        out.append(
            f"{name}: no coordinates for {zero + empty:,} of {good:,} offenses ({zero:,} at 0,0 "
            f"or outside Los Angeles, {empty:,} empty or withheld); maps leave them out"
        )
    if against:
        out.append(
            f"{name}: {against:,} offenses list several crimes against (e.g. 'Person, Property'); "
            "stored as listed"
        )
    return out


def _count_mismatches(con, name: str, bulk: bool) -> list[str]:
    """Cases whose stated totaloffensecount disagrees with their stored offense rows."""
    scope = "" if bulk else "WHERE case_id IN (SELECT case_id FROM _cases)"
    n = _count(
        con,
        f"SELECT count(*) FROM (SELECT case_id FROM offenses {scope} GROUP BY case_id "
        "HAVING max(total_offenses) IS NOT NULL AND max(total_offenses) <> count(*))",
    )
    if not n:
        return []
    return [
        f"{name}: {n:,} case(s) state a totaloffensecount that differs from the offense rows "
        "stored for them (rows still to come, or dropped by the feed); their incidents count "
        "the rows stored"
    ]


def info_counts(con) -> dict:
    """`offenses` (NIBRS offense rows plus legacy reports, one offense each), offenses and
    incidents per source in `sources`, and `cases_in_both_feeds`. A store made before NIBRS and
    opened read-only (so not yet given the NIBRS tables) holds legacy reports only."""
    if not _count(
        con,
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'offenses' "
        "AND database_name = current_database()",
    ):
        sources = {
            src: {
                "system": "legacy",
                "offenses": int(n),
                "incidents": int(n),
                "date_min": dmin.isoformat() if dmin else None,
                "date_max": dmax.isoformat() if dmax else None,
                "no_coordinates": int(noxy),
                "matched_to_nibrs": 0,
            }
            for src, n, dmin, dmax, noxy in con.execute(
                "SELECT source, count(*), min(occurred_date), max(occurred_date), "
                "count(*) FILTER (WHERE lat IS NULL) FROM incidents GROUP BY 1"
            ).fetchall()
        }
        both = 0
    else:
        sources = source_counts(con)
        both = _count(con, "SELECT count(*) FROM legacy_matched")
    return {
        "offenses": sum(v.get("offenses", 0) for v in sources.values()),
        "cases_in_both_feeds": both,
        "sources": sources,
    }


def source_counts(con) -> dict[str, dict]:
    """Per source: coding system, offenses, incidents, occurred-date range, offenses without
    coordinates, and legacy reports matched to a NIBRS case."""
    out: dict[str, dict] = {}
    for src, system, inc, dmin, dmax, noxy in con.execute(
        "SELECT source, any_value(record_system), count(*), min(occurred_date), "
        "max(occurred_date), count(*) FILTER (WHERE lat IS NULL) FROM incidents GROUP BY 1"
    ).fetchall():
        out[src] = {
            "system": system,
            "offenses": int(inc) if system == "legacy" else 0,
            "incidents": int(inc),
            "date_min": dmin.isoformat() if dmin else None,
            "date_max": dmax.isoformat() if dmax else None,
            "no_coordinates": int(noxy) if system == "legacy" else 0,
            "matched_to_nibrs": 0,
        }
    for src, n, dmin, dmax, noxy in con.execute(
        "SELECT source, count(*), min(occurred_date), max(occurred_date), "
        "count(*) FILTER (WHERE lat IS NULL) FROM offenses GROUP BY 1"
    ).fetchall():
        row = out.setdefault(src, {"system": "nibrs", "incidents": 0, "matched_to_nibrs": 0})
        row.update(
            system="nibrs",
            offenses=int(n),
            no_coordinates=int(noxy),
            date_min=dmin.isoformat() if dmin else None,
            date_max=dmax.isoformat() if dmax else None,
        )
    for src, n in con.execute("SELECT source, count(*) FROM legacy_matched GROUP BY 1").fetchall():
        out.setdefault(
            src, {"system": "legacy", "offenses": 0, "incidents": 0, "no_coordinates": 0}
        )["matched_to_nibrs"] = int(n)
        out[src]["offenses"] = out[src].get("offenses", 0)
    return out
