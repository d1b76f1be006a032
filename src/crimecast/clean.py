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


def _col(mapping: dict[str, str], raw_field: str) -> str:
    """A trimmed, null-if-blank text expression for a raw field, or NULL if the file lacks it."""
    col = mapping.get(raw_field)
    if col is None:
        return "CAST(NULL AS VARCHAR)"
    quoted = '"' + col.replace('"', '""') + '"'
    return f"nullif(nullif(nullif(trim({quoted}), ''), 'NA'), 'null')"


def _date_expr(text: str, dayfirst: bool = False) -> str:
    """Dates as the exports and the API write them: 03/01/2020 12:00:00 AM, 3/1/2020 0:00,
    1/1/13, 2020-03-01T00:00:00.000, 2020-03-01, 20200301 00:00:00.000. Slashed dates are
    month-first unless the file shows it is day-first (see `probe_dates`). The time part is
    dropped: the time of day comes from TIME OCC."""
    d = f"split_part(split_part({text}, ' ', 1), 'T', 1)"
    md = "%d/%m" if dayfirst else "%m/%d"
    return f"""CAST(CASE
      WHEN {d} LIKE '%/%/____' THEN try_strptime({d}, '{md}/%Y')
      WHEN {d} LIKE '%/%/__' THEN try_strptime({d}, '{md}/%y')
      WHEN {d} LIKE '____-%-%' THEN try_strptime({d}, '%Y-%m-%d')
      WHEN {d} LIKE '________' THEN try_strptime({d}, '%Y%m%d')
    END AS DATE)"""


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
    """Integers as text, tolerating padding ('03'), floats ('123.0') and blanks."""
    return f"try_cast(try_cast({text} AS DOUBLE) AS INTEGER)"


def clean_sql(
    mapping: dict[str, str],
    raw_table: str,
    source: str,
    has_ids: bool,
    simulated: bool = False,
    today: dt.date | None = None,
    dayfirst: bool = False,
) -> str:
    """SELECT producing canonical columns plus `_rn` and `_reason` (null if clean)."""
    today = today or dt.date.today()
    c = {f: _col(mapping, f) for f in schema.RAW_FIELDS}
    has_area_cols = "area" in mapping or "area_name" in mapping
    src = "'" + source.replace("'", "''") + "'"
    raw_cols = [col for col in mapping.values()]
    if has_ids:
        record_id = f"coalesce(nullif(ltrim({_int_text(c['dr_no'])}, '0'), ''), {c['dr_no']})"
    else:
        # No ids: derive one from the row's content, so re-ingesting the file stays idempotent.
        parts = ", ".join(_col(mapping, f) for f in schema.RAW_FIELDS if f in mapping)
        record_id = f"'h:' || substr(md5(concat_ws('|', {parts})), 1, 20)"
    del raw_cols
    time_int = _int_expr(f"replace({c['time_occ']}, ':', '')")
    point_lat = f"try_cast(regexp_extract({c['location_point']}, '\\(\\s*([-0-9.]+)', 1) AS DOUBLE)"
    point_lon = f"try_cast(regexp_extract({c['location_point']}, ',\\s*([-0-9.]+)', 1) AS DOUBLE)"
    bbox = schema.LA_BBOX
    return f"""
WITH r AS (
  SELECT _rn,
    {record_id} AS record_id,
    {c["dr_no"]} AS raw_id,
    {_date_expr(c["date_rptd"], dayfirst)} AS date_reported,
    {c["date_occ"]} AS date_occ_text,
    {_date_expr(c["date_occ"], dayfirst)} AS occurred_date,
    {time_int} AS t,
    {c["area"]} AS area_text,
    {_int_expr(c["area"])} AS area_num,
    -- names are looked up only where the number is missing or unknown (regexes are costly)
    CASE WHEN coalesce({_int_expr(c["area"])}, 0) NOT BETWEEN 1 AND 21 THEN
      lower(regexp_replace({c["area_name"]}, '[^A-Za-z0-9]', '', 'g')) END AS area_key,
    {_int_expr(c["rpt_dist_no"])} AS rpt_dist,
    {_int_expr(c["part_1_2"])} AS part_raw,
    {_int_expr(c["crm_cd"])} AS code_raw,
    {c["crm_cd_desc"]} AS desc_raw,
    CASE WHEN {_int_expr(c["crm_cd"])} IS NULL THEN
      regexp_replace(upper({c["crm_cd_desc"]}), '[^A-Z0-9]', '', 'g') END AS desc_key,
    {c["mocodes"]} AS mocodes,
    {_int_expr(c["vict_age"])} AS age_raw,
    upper({c["vict_sex"]}) AS sex_raw,
    {c["vict_descent"]} AS descent_raw,
    {_int_expr(c["premis_cd"])} AS premise_code,
    {c["premis_desc"]} AS premise_desc_raw,
    {_int_expr(c["weapon_used_cd"])} AS weapon_code_raw,
    {c["weapon_desc"]} AS weapon_desc_raw,
    upper({c["status"]}) AS status_raw,
    {c["status_desc"]} AS status_desc_raw,
    regexp_replace({c["location"]}, '  +', ' ', 'g') AS location,
    regexp_replace({c["cross_street"]}, '  +', ' ', 'g') AS cross_street,
    coalesce(try_cast({c["lat"]} AS DOUBLE), {point_lat}) AS lat_raw,
    coalesce(try_cast({c["lon"]} AS DOUBLE), {point_lon}) AS lon_raw
  FROM {raw_table} AS raw
), k AS (
  SELECT r.*,
    coalesce(CASE WHEN area_num BETWEEN 1 AND 21 THEN area_num END, la.area_id) AS area_id,
    coalesce(code_raw, ld.code) AS crime_code,
    CASE WHEN t BETWEEN 0 AND 2359 AND t % 100 < 60 THEN t END AS time_ok,
    CASE WHEN lat_raw BETWEEN {bbox["lat_min"]} AND {bbox["lat_max"]}
          AND lon_raw BETWEEN {bbox["lon_min"]} AND {bbox["lon_max"]} THEN lat_raw END AS lat,
    CASE WHEN lat_raw BETWEEN {bbox["lat_min"]} AND {bbox["lat_max"]}
          AND lon_raw BETWEEN {bbox["lon_min"]} AND {bbox["lon_max"]} THEN lon_raw END AS lon
  FROM r
  LEFT JOIN _lk_area la ON la.key = r.area_key
  LEFT JOIN _lk_desc ld ON ld.key = r.desc_key
)
SELECT
  k._rn,
  CASE
    WHEN {"raw_id IS NULL" if has_ids else "false"} THEN 'blank record id'
    WHEN occurred_date IS NULL THEN 'unparseable occurred date'
      || coalesce(' (' || left(date_occ_text, 40) || ')', ' (blank)')
    WHEN occurred_date < DATE '1900-01-01' THEN 'occurred date before 1900'
    WHEN occurred_date > DATE '{today.isoformat()}' THEN 'occurred in the future'
    WHEN date_reported > DATE '{today.isoformat()}' THEN 'reported in the future'
    WHEN date_reported < occurred_date THEN 'occurred after reported'
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
  CAST(rpt_dist AS SMALLINT) AS rpt_dist,
  CAST(coalesce(CASE WHEN part_raw IN (1, 2) THEN part_raw END, lc.part) AS TINYINT) AS part,
  CAST(crime_code AS SMALLINT) AS crime_code,
  coalesce(desc_raw, lc.desc) AS crime_desc,
  coalesce(lc.category, 'other') AS crime_category,
  coalesce(lcl.class, 'other') AS crime_class,
  mocodes,
  CAST(CASE WHEN age_raw BETWEEN 1 AND 120 THEN age_raw END AS TINYINT) AS victim_age,
  CASE WHEN sex_raw IN ('M', 'MALE') THEN 'Male' WHEN sex_raw IN ('F', 'FEMALE') THEN 'Female'
       ELSE 'Unknown' END AS victim_sex,
  coalesce(lds.label, 'Unknown') AS victim_descent,
  CAST(premise_code AS SMALLINT) AS premise_code,
  coalesce(premise_desc_raw, lp.desc) AS premise_desc,
  CAST(CASE WHEN weapon_code_raw > 0 THEN weapon_code_raw END AS SMALLINT) AS weapon_code,
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
  CAST(year(occurred_date) AS SMALLINT) AS year
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
"""


def quarantine_sql(clean_table: str, raw_table: str) -> str:
    """The quarantined rows with their raw values as JSON (built only for these rows: turning
    every row into JSON would cost more than all the cleaning)."""
    return (
        f"SELECT c._rn AS row_number, c.record_id, c._reason AS reason, "
        f"to_json(raw) AS raw FROM {clean_table} c JOIN {raw_table} raw ON raw._rn = c._rn "
        f"WHERE c._reason IS NOT NULL ORDER BY c._rn"
    )


def _int_text(text: str) -> str:
    """An id as text without a float tail ('190101086.0' -> '190101086')."""
    return f"regexp_replace({text}, '\\.0+$', '')"


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
        dayfirst, _, _ = probe_dates(con, "_raw", layout.mapping)
        sql = clean_sql(layout.mapping, "_raw", source, layout.has_ids, simulated, today, dayfirst)
        con.execute(f"CREATE TEMP TABLE _clean AS {sql}")
        cols = ", ".join(schema.INCIDENT_COLUMNS)
        incidents = con.execute(
            f"SELECT {cols} FROM _clean WHERE _reason IS NULL ORDER BY _rn"
        ).df()
        quarantine = con.execute(quarantine_sql("_clean", "_raw")).df()
    finally:
        con.close()
    quarantine.insert(0, "source", source)
    return CleanResult(incidents, quarantine)
