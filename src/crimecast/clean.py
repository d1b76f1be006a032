"""Raw rows -> canonical incidents, plus quarantined rows with their reasons.

The cleaning rules are written once, as SQL over a raw table whose columns are the file's own
(see `ingest/files.py`), so that a million rows clean in DuckDB's vectorised engine. `clean_frame`
runs the same rules on a pandas frame in a private in-memory database: a pure function, used by
tests and by callers that already hold a frame.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from crimecast import schema
from crimecast.codes import CRIME_CODES, PREMISES, WEAPONS

# Reasons a row is quarantined, in the order they are checked.
REASONS = (
    "blank record id",
    "unparseable occurred date",
    "occurred date before 1900",
    "occurred in the future",
    "reported in the future",
    "occurred after reported",
    "code not a whole number",
    "code out of range",
    "unknown area",
    "no area and no coordinates",
    "no crime code or description",
)


def install_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """Code tables as temp tables, joined by the cleaning SQL."""
    tables = {
        "_lk_area": pd.DataFrame(
            {"key": list(schema.AREA_NAME_TO_ID), "area_id": list(schema.AREA_NAME_TO_ID.values())}
        ),
        "_lk_area_name": pd.DataFrame(
            {"area_id": list(schema.AREAS), "area_name": list(schema.AREAS.values())}
        ),
        "_lk_crime": pd.DataFrame(
            {
                "code": list(CRIME_CODES),
                "desc": [d for d, _ in CRIME_CODES.values()],
                "part": [p for _, p in CRIME_CODES.values()],
                "category": [schema.crime_category(c) for c in CRIME_CODES],
            }
        ),
        "_lk_desc": pd.DataFrame(
            {"key": list(schema.DESC_TO_CODE), "code": list(schema.DESC_TO_CODE.values())}
        ),
        "_lk_class": pd.DataFrame(
            {"category": list(schema.CATEGORY_CLASS), "class": list(schema.CATEGORY_CLASS.values())}
        ),
        "_lk_descent": pd.DataFrame(
            {
                "key": list(schema.DESCENT) + list(schema.DESCENT_WORDS),
                "label": list(schema.DESCENT.values())
                + [schema.DESCENT[c] for c in schema.DESCENT_WORDS.values()],
            }
        ),
        "_lk_status": pd.DataFrame(
            {"code": list(schema.STATUS), "label": list(schema.STATUS.values())}
        ),
        "_lk_premise": pd.DataFrame({"code": list(PREMISES), "desc": list(PREMISES.values())}),
        "_lk_weapon": pd.DataFrame({"code": list(WEAPONS), "desc": list(WEAPONS.values())}),
    }
    for name, frame in tables.items():
        con.register(f"{name}_df", frame)
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {name}_df")
        con.unregister(f"{name}_df")


def _raw(mapping: dict[str, str], raw_field: str) -> str:
    """The file's column for a raw field as it is, or NULL if the file lacks it."""
    col = mapping.get(raw_field)
    if col is None:
        return "CAST(NULL AS VARCHAR)"
    return '"' + col.replace('"', '""') + '"'


def _col(mapping: dict[str, str], raw_field: str) -> str:
    """A trimmed, null-if-blank text expression for a raw field, or NULL if the file lacks it.
    Only values with an edge space are trimmed: trimming every value of every column cost more
    than the rest of the cleaning."""
    q = _raw(mapping, raw_field)
    if raw_field not in mapping:
        return q
    blank = "IN ('', 'NA', 'null')"
    return (
        f"CASE WHEN {q} {blank} THEN NULL WHEN {q} LIKE ' %' OR {q} LIKE '% ' THEN "
        f"CASE WHEN trim({q}) {blank} THEN NULL ELSE trim({q}) END ELSE {q} END"
    )


def _date_expr(text: str, dayfirst: bool = False) -> str:
    """Dates as the exports and the API write them: 03/01/2020 12:00:00 AM, 3/1/2020 0:00,
    1/1/13, 2020-03-01T00:00:00.000, 2020-03-01, 20200301 00:00:00.000. Slashed dates are
    month-first unless the file shows it is day-first (see `probe_dates`). The time part is
    dropped: the time of day comes from TIME OCC."""
    d = f"split_part(split_part({text}, ' ', 1), 'T', 1)"
    md = "%d/%m" if dayfirst else "%m/%d"
    # The portal exports' own format first, whole: cutting the time off every value first
    # costs more than parsing it.
    return f"""CAST(coalesce(try_strptime({text}, '{md}/%Y %I:%M:%S %p'), CASE
      WHEN {d} LIKE '%/%/____' THEN try_strptime({d}, '{md}/%Y')
      WHEN {d} LIKE '%/%/__' THEN try_strptime({d}, '{md}/%y')
      WHEN {d} LIKE '____-%-%' THEN try_strptime({d}, '%Y-%m-%d')
      WHEN {d} LIKE '________' THEN try_strptime({d}, '%Y%m%d')
    END) AS DATE)"""


def probe_dates(con: duckdb.DuckDBPyConnection, raw_table: str, mapping: dict[str, str]):
    """(dayfirst, share of non-blank occurred dates that parse, a few values that don't).

    A file is day-first when some slashed date has a first part over 12 and none has a second
    part over 12 (real copies re-saved in day-first locales exist)."""
    occ = _col(mapping, "date_occ")
    first, second = (
        f"try_cast(regexp_extract({occ}, '^(\\d{{1,2}})/(\\d{{1,2}})/', {i}) AS INTEGER)"
        for i in (1, 2)
    )
    # A sample is enough to tell the style; the cleaning itself checks every row.
    col = mapping.get("date_occ")
    quoted = '"' + col.replace('"', '""') + '"' if col else "NULL"
    sample = f"(SELECT {quoted} FROM {raw_table} LIMIT 50000)"
    n1, n2 = con.execute(
        f"SELECT count(*) FILTER ({first} > 12), count(*) FILTER ({second} > 12) FROM {sample}"
    ).fetchall()[0]
    dayfirst = n1 > 0 and n2 == 0
    total, ok = con.execute(
        f"SELECT count({occ}), count({_date_expr(occ, dayfirst)}) FROM {sample}"
    ).fetchall()[0]
    bad = (
        con.execute(
            f"SELECT DISTINCT {occ} FROM {sample} WHERE {occ} IS NOT NULL "
            f"AND {_date_expr(occ, dayfirst)} IS NULL LIMIT 3"
        ).fetchall()
        if ok < total
        else []
    )
    return dayfirst, (ok / total if total else 0.0), [b[0] for b in bad]


def _int_expr(text: str) -> str:
    """Integers as text, tolerating padding ('03', ' 3 '), floats ('123.0') and blanks."""
    return f"coalesce(try_cast({text} AS INTEGER), try_cast(try_cast({text} AS DOUBLE) AS INTEGER))"


def clean_sql(
    mapping: dict[str, str],
    raw_table: str,
    source: str,
    has_ids: bool,
    simulated: bool = False,
    today: dt.date | None = None,
    dayfirst: bool = False,
) -> str:
    """SELECT producing canonical columns plus `_reason` (null if clean) and `_raw_json` (the
    row's raw values, only for rows with a reason), in the raw relation's row order."""
    today = today or dt.date.today()
    c = {f: _col(mapping, f) for f in schema.RAW_FIELDS}
    # Numbers and coordinates are cast straight from the raw text: the casts ignore edge spaces
    # and give NULL for blanks, so they need no trimming.
    n = {f: _raw(mapping, f) for f in schema.RAW_FIELDS}
    has_area_cols = "area" in mapping or "area_name" in mapping
    src = "'" + source.replace("'", "''") + "'"
    if has_ids:
        record_id = f"coalesce(nullif(ltrim({_int_text(c['dr_no'])}, '0'), ''), {c['dr_no']})"
    else:
        # No ids: derive one from the row's content, so re-ingesting the file stays idempotent.
        parts = ", ".join(_col(mapping, f) for f in schema.RAW_FIELDS if f in mapping)
        record_id = f"'h:' || substr(md5(concat_ws('|', {parts})), 1, 20)"
    time_int = _int_expr(f"replace({n['time_occ']}, ':', '')")
    point_lat = f"try_cast(regexp_extract({c['location_point']}, '\\(\\s*([-0-9.]+)', 1) AS DOUBLE)"
    point_lon = f"try_cast(regexp_extract({c['location_point']}, ',\\s*([-0-9.]+)', 1) AS DOUBLE)"
    bbox = schema.LA_BBOX
    code_checks = _code_checks(mapping)
    return f"""
SELECT * EXCLUDE (_rawrow),
  -- JSON only for the quarantined rows: turning every row into JSON would cost more than all
  -- the cleaning.
  CASE WHEN _reason IS NOT NULL THEN to_json(_rawrow) END AS _raw_json
FROM (
WITH r AS (
  SELECT raw AS _rawrow,
    {record_id} AS record_id,
    {c["dr_no"]} AS raw_id,
    {code_checks} AS code_reason,
    {_date_expr(c["date_rptd"], dayfirst)} AS date_reported,
    {c["date_occ"]} AS date_occ_text,
    {_date_expr(c["date_occ"], dayfirst)} AS occurred_date,
    {time_int} AS t,
    {c["area"]} AS area_text,
    {_int_expr(n["area"])} AS area_num,
    -- names are looked up only where the number is missing or unknown (regexes are costly)
    CASE WHEN coalesce({_int_expr(n["area"])}, 0) NOT BETWEEN 1 AND 21 THEN
      lower(regexp_replace({c["area_name"]}, '[^A-Za-z0-9]', '', 'g')) END AS area_key,
    -- for the AREA / AREA NAME agreement check: spaces are all most names need removing
    lower(replace({c["area_name"]}, ' ', '')) AS area_name_key,
    {_int_expr(n["rpt_dist_no"])} AS rpt_dist,
    {_int_expr(n["part_1_2"])} AS part_raw,
    {_int_expr(n["crm_cd"])} AS code_raw,
    {c["crm_cd_desc"]} AS desc_raw,
    CASE WHEN {_int_expr(n["crm_cd"])} IS NULL THEN
      regexp_replace(upper({c["crm_cd_desc"]}), '[^A-Z0-9]', '', 'g') END AS desc_key,
    {c["mocodes"]} AS mocodes,
    {_int_expr(n["vict_age"])} AS age_raw,
    upper({c["vict_sex"]}) AS sex_raw,
    {c["vict_descent"]} AS descent_raw,
    {_int_expr(n["premis_cd"])} AS premise_code,
    {c["premis_desc"]} AS premise_desc_raw,
    {_int_expr(n["weapon_used_cd"])} AS weapon_code_raw,
    {c["weapon_desc"]} AS weapon_desc_raw,
    upper({c["status"]}) AS status_raw,
    {c["status_desc"]} AS status_desc_raw,
    {_squeeze(c["location"])} AS location,
    {_squeeze(c["cross_street"])} AS cross_street,
    coalesce(try_cast({n["lat"]} AS DOUBLE), {point_lat}) AS lat_raw,
    coalesce(try_cast({n["lon"]} AS DOUBLE), {point_lon}) AS lon_raw
  FROM {raw_table} AS raw
), k AS (
  SELECT r.*,
    coalesce(CASE WHEN area_num BETWEEN 1 AND 21 THEN area_num END, la.area_id) AS area_id,
    area_num BETWEEN 1 AND 21 AND lan2.area_id IS NOT NULL AND lan2.area_id <> area_num
      AS area_disagrees,
    coalesce(code_raw, ld.code) AS crime_code,
    CASE WHEN t BETWEEN 0 AND 2359 AND t % 100 < 60 THEN t END AS time_ok,
    CASE WHEN lat_raw BETWEEN {bbox["lat_min"]} AND {bbox["lat_max"]}
          AND lon_raw BETWEEN {bbox["lon_min"]} AND {bbox["lon_max"]} THEN lat_raw END AS lat,
    CASE WHEN lat_raw BETWEEN {bbox["lat_min"]} AND {bbox["lat_max"]}
          AND lon_raw BETWEEN {bbox["lon_min"]} AND {bbox["lon_max"]} THEN lon_raw END AS lon
  FROM r
  LEFT JOIN _lk_area la ON la.key = r.area_key
  LEFT JOIN _lk_area lan2 ON lan2.key = r.area_name_key
  LEFT JOIN _lk_desc ld ON ld.key = r.desc_key
)
SELECT
  k._rawrow,
  CASE
    WHEN {"raw_id IS NULL" if has_ids else "false"} THEN 'blank record id'
    WHEN occurred_date IS NULL THEN 'unparseable occurred date'
      || coalesce(' (' || left(date_occ_text, 40) || ')', ' (blank)')
    WHEN occurred_date < DATE '1900-01-01' THEN 'occurred date before 1900'
    WHEN occurred_date > DATE '{today.isoformat()}' THEN 'occurred in the future'
    WHEN date_reported > DATE '{today.isoformat()}' THEN 'reported in the future'
    WHEN date_reported < occurred_date THEN 'occurred after reported'
    WHEN code_reason IS NOT NULL THEN code_reason
    WHEN k.area_id IS NULL AND {"true" if has_area_cols else "false"}
         AND (area_text IS NOT NULL OR area_key IS NOT NULL)
      THEN 'unknown area' || coalesce(' (' || left(coalesce(area_text, area_key), 40) || ')', '')
    WHEN k.area_id IS NULL AND (k.lat IS NULL OR k.lon IS NULL) THEN 'no area and no coordinates'
    WHEN crime_code IS NULL AND desc_raw IS NULL THEN 'no crime code or description'
  END AS _reason,
  record_id,
  date_reported,
  occurred_date + coalesce(to_minutes(CAST((time_ok // 100) * 60 + time_ok % 100 AS BIGINT)),
                           INTERVAL 0 MINUTE) AS occurred_at,
  occurred_date,
  CAST(time_ok // 100 AS TINYINT) AS hour,
  coalesce(time_ok = 1200, false) AS time_is_noon_default,
  CAST(k.area_id AS TINYINT) AS area_id,
  lan.area_name,
  TRY_CAST(rpt_dist AS SMALLINT) AS rpt_dist,
  CAST(coalesce(CASE WHEN part_raw IN (1, 2) THEN part_raw END, lc.part) AS TINYINT) AS part,
  TRY_CAST(crime_code AS SMALLINT) AS crime_code,
  coalesce(desc_raw, lc.desc) AS crime_desc,
  coalesce(lc.category, 'other') AS crime_category,
  coalesce(lcl.class, 'other') AS crime_class,
  mocodes,
  CAST(CASE WHEN age_raw BETWEEN 1 AND 120 THEN age_raw END AS TINYINT) AS victim_age,
  CASE WHEN sex_raw IN ('M', 'MALE') THEN 'Male' WHEN sex_raw IN ('F', 'FEMALE') THEN 'Female'
       ELSE 'Unknown' END AS victim_sex,
  coalesce(lds.label, 'Unknown') AS victim_descent,
  TRY_CAST(premise_code AS SMALLINT) AS premise_code,
  coalesce(premise_desc_raw, lp.desc) AS premise_desc,
  TRY_CAST(CASE WHEN weapon_code_raw > 0 THEN weapon_code_raw END AS SMALLINT) AS weapon_code,
  coalesce(weapon_desc_raw, lw.desc) AS weapon_desc,
  coalesce(CASE WHEN status_raw IN (SELECT code FROM _lk_status) THEN status_raw END,
           lsr.code) AS status,
  coalesce(status_desc_raw, ls.label) AS status_desc,
  coalesce(status_raw IN ('AA', 'JA') OR lower(status_desc_raw) LIKE '%arrest%', false) AS arrest,
  location,
  cross_street,
  k.lat,
  k.lon,
  {src} AS source,
  {"true" if simulated else "false"} AS simulated,
  CAST(year(occurred_date) AS SMALLINT) AS year,
  'legacy' AS record_system,
  CAST(TRY_CAST(crime_code AS SMALLINT) AS VARCHAR) AS offense_code,
  CAST(1 AS SMALLINT) AS offenses,
  -- values given but unusable, set to blank: 1 time of day, 2 victim age, 4 coordinates;
  -- 8: AREA and AREA NAME name different areas (the number is kept)
  CAST((CASE WHEN k.t IS NOT NULL AND k.time_ok IS NULL THEN 1 ELSE 0 END)
     + (CASE WHEN k.age_raw IS NOT NULL AND NOT k.age_raw BETWEEN 1 AND 120 THEN 2 ELSE 0 END)
     + (CASE WHEN (k.lat_raw IS NOT NULL OR k.lon_raw IS NOT NULL) AND k.lat IS NULL THEN 4
        ELSE 0 END)
     + (CASE WHEN k.area_disagrees THEN 8 ELSE 0 END) AS TINYINT) AS _nulled
FROM k
LEFT JOIN _lk_area_name lan ON lan.area_id = k.area_id
LEFT JOIN _lk_crime lc ON lc.code = k.crime_code
LEFT JOIN _lk_class lcl ON lcl.category = coalesce(lc.category, 'other')
LEFT JOIN _lk_descent lds ON lds.key = CASE
    WHEN length(descent_raw) = 1 THEN upper(descent_raw)
    ELSE lower(regexp_replace(descent_raw, '[^A-Za-z]', '', 'g')) END
LEFT JOIN _lk_status ls ON ls.code = status_raw
LEFT JOIN _lk_status lsr ON lower(lsr.label) = lower(status_desc_raw)
LEFT JOIN _lk_premise lp ON lp.code = k.premise_code
LEFT JOIN _lk_weapon lw ON lw.code = k.weapon_code_raw
)
"""


def stage(
    con: duckdb.DuckDBPyConnection, sql: str, table: str = "_clean", temp: bool = True
) -> None:
    """Run a `clean_sql` SELECT into a (temp) table whose rowids keep the raw rows' order.

    DuckDB cannot estimate a CSV scan's size and would build hash tables on the million raw
    rows instead of on the code tables, which both costs time and gives up the row order; so
    its build-side swap is off for this statement."""
    (previous,) = con.execute("SELECT current_setting('disabled_optimizers')").fetchall()[0]
    off = ",".join(filter(None, [previous, "build_side_probe_side"]))
    con.execute(f"SET disabled_optimizers = '{off}'")
    try:
        con.execute(f"CREATE OR REPLACE {'TEMP ' if temp else ''}TABLE {table} AS {sql}")
    except duckdb.Error:
        try:  # an aborted transaction refuses the reset too: the real error is the first one
            con.execute(f"SET disabled_optimizers = '{previous}'")
        except duckdb.Error:
            pass
        raise
    con.execute(f"SET disabled_optimizers = '{previous}'")


def quarantine_sql(clean_table: str, rejected_rows: str | None = None) -> str:
    """The quarantined rows of a staged table: (row_number, record_id, reason, raw), where
    row_number is the data row in the file. Rows the CSV reader rejected as malformed
    (`rejected_rows`, a table of their data-row numbers `r`) never reach the staged table, so
    they are counted back in: parsed row k lies after the i-th rejected row when r_i - i < k."""
    k = f"(c.rowid - (SELECT min(rowid) FROM {clean_table}) + 1)"
    shift = (
        f" + (SELECT count(*) FROM (SELECT r - row_number() OVER (ORDER BY r) AS before "
        f"FROM {rejected_rows}) rj WHERE rj.before < {k})"
        if rejected_rows
        else ""
    )
    return (
        f"SELECT {k}{shift} AS row_number, c.record_id, c._reason AS reason, "
        f"c._raw_json AS raw FROM {clean_table} c WHERE c._reason IS NOT NULL ORDER BY c.rowid"
    )


# Code fields as the store keeps them (SMALLINT): a value that is fractional, negative or too
# large for its column quarantines its row instead of being rounded or refusing the file.
CODE_FIELDS = {
    "area": "area",
    "crm_cd": "crime code",
    "premis_cd": "premise code",
    "weapon_used_cd": "weapon code",
    "rpt_dist_no": "reporting district",
}
CODE_MAX = 32767


def _code_checks(mapping: dict[str, str]) -> str:
    """A CASE naming the first code field that holds no usable whole number (else NULL)."""
    out = []
    for field, label in CODE_FIELDS.items():
        if field not in mapping:
            continue
        raw = _raw(mapping, field)
        num = f"try_cast({raw} AS DOUBLE)"
        shown = f"left(trim({raw}), 20)"
        out.append(
            f"    WHEN {num} < 0 OR {num} <> floor({num}) THEN "
            f"'code not a whole number: {label} ' || {shown}\n"
            f"    WHEN {num} > {CODE_MAX} THEN '{label} ' || {shown} || ' out of range'\n"
        )
    return f"CASE\n{''.join(out)}    END" if out else "CAST(NULL AS VARCHAR)"


def _int_text(text: str) -> str:
    """An id as text without a float tail ('190101086.0' -> '190101086'); the regex runs only
    on values with a dot."""
    return (
        f"CASE WHEN contains({text}, '.') THEN regexp_replace({text}, '\\.0+$', '') ELSE {text} END"
    )


def _squeeze(text: str) -> str:
    """Runs of spaces as one (LAPD pads addresses); the regex runs only where there are runs."""
    return f"CASE WHEN contains({text}, '  ') THEN regexp_replace({text}, '  +', ' ', 'g') ELSE {text} END"


@dataclass
class CleanResult:
    incidents: pd.DataFrame
    quarantine: pd.DataFrame


def clean_frame(
    raw: pd.DataFrame, source: str = "frame", simulated: bool = False, today: dt.date | None = None
) -> CleanResult:
    """Clean a raw frame (any supported layout, values as text) with the same rules as ingest."""
    from crimecast.ingest.files import load_frame

    con = duckdb.connect()
    try:
        install_lookups(con)
        layout = load_frame(con, raw, source, "_raw")
        dayfirst, _, _ = probe_dates(con, layout.sample, layout.mapping)
        sql = clean_sql(layout.mapping, "_raw", source, layout.has_ids, simulated, today, dayfirst)
        stage(con, sql)
        cols = ", ".join(schema.INCIDENT_COLUMNS)
        incidents = con.execute(
            f"SELECT {cols} FROM _clean WHERE _reason IS NULL ORDER BY rowid"
        ).df()
        quarantine = con.execute(quarantine_sql("_clean")).df()
    finally:
        con.close()
    quarantine.insert(0, "source", source)
    return CleanResult(incidents, quarantine)
