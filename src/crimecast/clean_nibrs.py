"""NIBRS offense rows -> canonical offenses, plus quarantined rows with their reasons.

LAPD's NIBRS feed has one row per offense: a case (`caseno`, the legacy DR_NO) has 1-10 offenses,
each with its own `uniquenibrno`. The rules are SQL over the file's raw relation, like the legacy
cleaning in `clean.py` (whose expression helpers they share); categories come from the crosswalk
(`codes.lookup("nibrs", code)`).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

from crimecast import codes, schema
from crimecast.clean import (
    _code_checks,
    _col,
    _date_expr,
    _int_expr,
    _int_text,
    _raw,
    _squeeze,
)

# (column, DuckDB type, meaning) of the `offenses` table: one row per NIBRS offense.
OFFENSE_SCHEMA: tuple[tuple[str, str, str], ...] = (
    ("offense_id", "VARCHAR", "uniquenibrno (case number + NIBRS code + offense sequence)"),
    ("case_id", "VARCHAR", "caseno without leading zeros: the legacy DR_NO of the same case"),
    ("date_reported", "DATE", "date_rptd"),
    ("occurred_at", "TIMESTAMP", "date_occ + time_occ"),
    ("occurred_date", "DATE", "the date part of occurred_at"),
    ("hour", "TINYINT", "hour of time_occ, null when unknown"),
    ("time_is_noon_default", "BOOLEAN", "time_occ was exactly 1200"),
    ("area_id", "TINYINT", "LAPD geographic area 1-21"),
    ("area_name", "VARCHAR", "canonical area name"),
    ("rpt_dist", "SMALLINT", "reporting district"),
    ("nibrs_code", "VARCHAR", "nibr_code, e.g. 13A"),
    ("nibrs_desc", "VARCHAR", "nibr_description"),
    ("nibrs_group", "VARCHAR", "NIBRS group A or B"),
    ("crime_against", "VARCHAR", "Person / Property / Society (several: comma-separated)"),
    ("crime_category", "VARCHAR", "crimecast category, from the crosswalk"),
    ("crime_class", "VARCHAR", "violent / property / other"),
    ("fbi_part1", "VARCHAR", "FBI Part I offense, null for Part II and Group B"),
    ("part", "TINYINT", "1 for an FBI Part I offense, else 2"),
    ("rank", "TINYINT", "seriousness in the UCR hierarchy (1 = homicide)"),
    ("premise_code", "SMALLINT", "premis_cd"),
    ("premise_desc", "VARCHAR", "premis_desc"),
    ("weapon_code", "SMALLINT", "weapon_used_cd"),
    ("weapon_desc", "VARCHAR", "weapon_desc"),
    ("status", "VARCHAR", "status code"),
    ("status_desc", "VARCHAR", "status label"),
    ("arrest", "BOOLEAN", "an adult or juvenile arrest was made"),
    ("total_offenses", "SMALLINT", "totaloffensecount as the feed states it"),
    ("total_victims", "SMALLINT", "totalvictimcount"),
    ("victim_shot", "BOOLEAN", "aggregated only, never exported per row"),
    ("domestic_violence", "BOOLEAN", "aggregated only"),
    ("hate_crime", "BOOLEAN", "aggregated only"),
    ("gang_related", "BOOLEAN", "aggregated only"),
    ("transit_related", "BOOLEAN", "aggregated only"),
    ("homeless_victim", "BOOLEAN", "aggregated only"),
    ("homeless_suspect", "BOOLEAN", "aggregated only"),
    ("homeless_arrestee", "BOOLEAN", "aggregated only"),
    ("location", "VARCHAR", "hndrdth_loc_chk: the address rounded to the hundred block"),
    ("lat", "DOUBLE", "hndrdth_lat; null for 0, empty or outside Los Angeles"),
    ("lon", "DOUBLE", "hndrdth_lon; null for 0, empty or outside Los Angeles"),
    ("source", "VARCHAR", "source dataset"),
    ("simulated", "BOOLEAN", "the row came from crimecast's simulator"),
    ("year", "SMALLINT", "year of occurred_date"),
)
OFFENSE_COLUMNS: tuple[str, ...] = tuple(c for c, _, _ in OFFENSE_SCHEMA)

# The feed's placeholder dates (1800-01-01 and others) and dates before the legacy data begin.
EARLIEST = dt.date(2010, 1, 1)

# Values given but unusable, or worth counting (the `_flags` bits of a staged row).
FLAG_TIME, FLAG_ZERO_XY, FLAG_NO_XY, FLAG_AGAINST_LIST = 1, 4, 32, 16

_FLAGS = {
    "victim_shot": "victim_shot",
    "domestic_violence": "domestic_violence_crime",
    "hate_crime": "hate_crime",
    "gang_related": "gang_related_crime",
    "transit_related": "transit_related_crime",
    "homeless_victim": "homeless_victim_crime",
    "homeless_suspect": "homeless_suspect_crime",
    "homeless_arrestee": "homeless_arrestee_crime",
}


def install_lookups(con: duckdb.DuckDBPyConnection) -> None:
    """The NIBRS half of the crosswalk as a temp table joined by the cleaning SQL."""
    rows = [e for e in codes.crosswalk().values() if e.system == "nibrs"]
    frame = pd.DataFrame(
        {
            "code": [e.code for e in rows],
            "desc": [e.description for e in rows],
            "grp": [e.nibrs_group for e in rows],
            "category": [e.category for e in rows],
            "class": [schema.CATEGORY_CLASS[e.category] for e in rows],
            "fbi_part1": [e.fbi_part1 for e in rows],
            "rank": [e.rank for e in rows],
        }
    )
    con.register("_lk_nibrs_df", frame)
    con.execute("CREATE OR REPLACE TEMP TABLE _lk_nibrs AS SELECT * FROM _lk_nibrs_df")
    con.unregister("_lk_nibrs_df")


def _bool(text: str) -> str:
    """Y / N flags (and yes / no, true / false, 1 / 0); anything else is unknown. The feed's own
    Y and N are tested first: a million rows of eight flags add up."""
    yes = "'y', 'yes', 'true', 't', '1'"
    no = "'n', 'no', 'false', 'f', '0'"
    return (
        f"CASE WHEN {text} = 'N' THEN false WHEN {text} = 'Y' THEN true "
        f"WHEN lower({text}) IN ({yes}) THEN true WHEN lower({text}) IN ({no}) THEN false END"
    )


def _case_id(text: str) -> str:
    """The case number as the legacy DR_NO is kept: no leading zeros, no float tail."""
    return f"coalesce(nullif(ltrim({_int_text(text)}, '0'), ''), {text})"


def clean_sql(
    mapping: dict[str, str],
    raw_table: str,
    source: str,
    simulated: bool = False,
    today: dt.date | None = None,
    dayfirst: bool = False,
) -> str:
    """SELECT producing the offense columns plus `_reason`, `_raw_json` and `_flags`, in the raw
    relation's row order."""
    today = today or dt.date.today()
    c = {f: _col(mapping, f) for f in schema.RAW_FIELDS}
    n = {f: _raw(mapping, f) for f in schema.RAW_FIELDS}
    src = "'" + source.replace("'", "''") + "'"
    has_uid = "uniquenibrno" in mapping
    parts = ", ".join(_col(mapping, f) for f in schema.RAW_FIELDS if f in mapping)
    offense_id = (
        c["uniquenibrno"]
        if has_uid  # without the column: the case, the code and the row's content
        else f"{_case_id(c['caseno'])} || ':' || {c['nibr_code']} || ':' || "
        f"substr(md5(concat_ws('|', {parts})), 1, 12)"
    )
    lat = f"coalesce(try_cast({n['hndrdth_lat']} AS DOUBLE), try_cast({n['lat']} AS DOUBLE))"
    lon = f"coalesce(try_cast({n['hndrdth_lon']} AS DOUBLE), try_cast({n['lon']} AS DOUBLE))"
    box = schema.LA_BBOX
    inside = (
        f"lat_raw BETWEEN {box['lat_min']} AND {box['lat_max']} "
        f"AND lon_raw BETWEEN {box['lon_min']} AND {box['lon_max']}"
    )
    flags = ",\n    ".join(f"{_bool(c[raw])} AS {col}" for col, raw in _FLAGS.items())
    has_area_cols = "area" in mapping or "area_name" in mapping
    return f"""
SELECT * EXCLUDE (_rawrow),
  CASE WHEN _reason IS NOT NULL THEN to_json(_rawrow) END AS _raw_json
FROM (
WITH r AS (
  SELECT raw AS _rawrow,
    {c["caseno"]} AS case_text,
    {_case_id(c["caseno"])} AS case_id,
    {offense_id} AS offense_id,
    {_code_checks(mapping)} AS code_reason,
    {_date_expr(c["date_rptd"], dayfirst)} AS date_reported,
    {c["date_occ"]} AS date_occ_text,
    {_date_expr(c["date_occ"], dayfirst)} AS occurred_date,
    {_int_expr(f"replace({n['time_occ']}, ':', '')")} AS t,
    {c["area"]} AS area_text,
    {_int_expr(n["area"])} AS area_num,
    CASE WHEN coalesce({_int_expr(n["area"])}, 0) NOT BETWEEN 1 AND 21 THEN
      lower(regexp_replace({c["area_name"]}, '[^A-Za-z0-9]', '', 'g')) END AS area_key,
    {_int_expr(n["rpt_dist_no"])} AS rpt_dist,
    upper({c["nibr_code"]}) AS code_raw,
    {c["nibr_description"]} AS desc_raw,
    upper({c["nibr_group"]}) AS group_raw,
    CASE WHEN contains({c["crime_against"]}, ',') THEN
      regexp_replace({c["crime_against"]}, '\\s*,\\s*', ', ', 'g')
      ELSE {c["crime_against"]} END AS crime_against,
    {_int_expr(n["premis_cd"])} AS premise_code,
    {c["premis_desc"]} AS premise_desc,
    {_int_expr(n["weapon_used_cd"])} AS weapon_code_raw,
    {c["weapon_desc"]} AS weapon_desc,
    upper({c["status"]}) AS status_raw,
    {c["status_desc"]} AS status_desc_raw,
    {_int_expr(n["totaloffensecount"])} AS total_offenses,
    {_int_expr(n["totalvictimcount"])} AS total_victims,
    {flags},
    {_squeeze(c["hndrdth_loc_chk"] if "hndrdth_loc_chk" in mapping else c["location"])}
      AS location,
    {lat} AS lat_raw,
    {lon} AS lon_raw
  FROM {raw_table} AS raw
), k AS (
  SELECT r.*,
    coalesce(CASE WHEN area_num BETWEEN 1 AND 21 THEN area_num END, la.area_id) AS area_id,
    CASE WHEN t BETWEEN 0 AND 2359 AND t % 100 < 60 THEN t END AS time_ok,
    CASE WHEN {inside} THEN lat_raw END AS lat,
    CASE WHEN {inside} THEN lon_raw END AS lon,
    ln.code AS known_code, ln.desc AS lk_desc, ln.grp AS lk_grp, ln.category AS lk_category,
    ln.class AS lk_class, ln.fbi_part1 AS lk_part1, ln.rank AS lk_rank
  FROM r
  LEFT JOIN _lk_area la ON la.key = r.area_key
  LEFT JOIN _lk_nibrs ln ON ln.code = r.code_raw
)
SELECT
  k._rawrow,
  CASE
    WHEN case_text IS NULL THEN 'blank case number (caseno)'
    WHEN offense_id IS NULL THEN 'blank offense id (uniquenibrno)'
    WHEN occurred_date IS NULL THEN 'unparseable occurred date'
      || coalesce(' (' || left(date_occ_text, 40) || ')', ' (blank)')
    WHEN occurred_date < DATE '1900-01-01' THEN 'placeholder occurred date ('
      || CAST(occurred_date AS VARCHAR) || ')'
    WHEN occurred_date < DATE '{EARLIEST.isoformat()}' THEN 'occurred date before '
      || '{EARLIEST.year} (' || CAST(occurred_date AS VARCHAR) || '), a placeholder or a typo'
    WHEN occurred_date > DATE '{today.isoformat()}' THEN 'occurred in the future'
    WHEN date_reported > DATE '{today.isoformat()}' THEN 'reported in the future'
    WHEN date_reported < occurred_date THEN 'occurred after reported'
    WHEN code_reason IS NOT NULL THEN code_reason
    WHEN code_raw IS NULL THEN 'no NIBRS offense code (nibr_code)'
    WHEN known_code IS NULL THEN 'unknown NIBRS offense code (' || left(code_raw, 20)
      || '): not in the crosswalk'
    WHEN k.area_id IS NULL AND {"true" if has_area_cols else "false"}
         AND (area_text IS NOT NULL OR area_key IS NOT NULL)
      THEN 'unknown area' || coalesce(' (' || left(coalesce(area_text, area_key), 40) || ')', '')
    WHEN k.area_id IS NULL AND (k.lat IS NULL OR k.lon IS NULL) THEN 'no area and no coordinates'
  END AS _reason,
  offense_id,
  case_id,
  date_reported,
  occurred_date + coalesce(to_minutes(CAST((time_ok // 100) * 60 + time_ok % 100 AS BIGINT)),
                           INTERVAL 0 MINUTE) AS occurred_at,
  occurred_date,
  CAST(time_ok // 100 AS TINYINT) AS hour,
  coalesce(time_ok = 1200, false) AS time_is_noon_default,
  CAST(k.area_id AS TINYINT) AS area_id,
  lan.area_name,
  TRY_CAST(rpt_dist AS SMALLINT) AS rpt_dist,
  code_raw AS nibrs_code,
  coalesce(desc_raw, lk_desc) AS nibrs_desc,
  coalesce(CASE WHEN group_raw IN ('A', 'B') THEN group_raw END, lk_grp) AS nibrs_group,
  crime_against,
  coalesce(lk_category, 'other') AS crime_category,
  coalesce(lk_class, 'other') AS crime_class,
  lk_part1 AS fbi_part1,
  CAST(CASE WHEN lk_part1 IS NOT NULL THEN 1 ELSE 2 END AS TINYINT) AS part,
  CAST(coalesce(lk_rank, {len(codes.HIERARCHY)}) AS TINYINT) AS rank,
  TRY_CAST(premise_code AS SMALLINT) AS premise_code,
  coalesce(premise_desc, lp.desc) AS premise_desc,
  TRY_CAST(CASE WHEN weapon_code_raw > 0 THEN weapon_code_raw END AS SMALLINT) AS weapon_code,
  coalesce(weapon_desc, lw.desc) AS weapon_desc,
  coalesce(CASE WHEN status_raw IN (SELECT code FROM _lk_status) THEN status_raw END,
           lsr.code) AS status,
  coalesce(status_desc_raw, ls.label) AS status_desc,
  coalesce(status_raw IN ('AA', 'JA') OR lower(status_desc_raw) LIKE '%arrest%', false) AS arrest,
  TRY_CAST(total_offenses AS SMALLINT) AS total_offenses,
  TRY_CAST(total_victims AS SMALLINT) AS total_victims,
  {", ".join(_FLAGS)},
  location,
  k.lat,
  k.lon,
  {src} AS source,
  {"true" if simulated else "false"} AS simulated,
  CAST(year(occurred_date) AS SMALLINT) AS year,
  CAST((CASE WHEN k.t IS NOT NULL AND k.time_ok IS NULL THEN {FLAG_TIME} ELSE 0 END)
     + (CASE WHEN coalesce(k.lat_raw, 0) = 0 AND coalesce(k.lon_raw, 0) = 0
             AND (k.lat_raw IS NOT NULL OR k.lon_raw IS NOT NULL) THEN {FLAG_ZERO_XY}
             WHEN k.lat_raw IS NULL OR k.lon_raw IS NULL THEN {FLAG_NO_XY}
             WHEN k.lat IS NULL THEN {FLAG_ZERO_XY} ELSE 0 END)
     + (CASE WHEN contains(k.crime_against, ',') THEN {FLAG_AGAINST_LIST} ELSE 0 END)
     AS TINYINT) AS _flags
FROM k
LEFT JOIN _lk_area_name lan ON lan.area_id = k.area_id
LEFT JOIN _lk_status ls ON ls.code = status_raw
LEFT JOIN _lk_status lsr ON lower(lsr.label) = lower(status_desc_raw)
LEFT JOIN _lk_premise lp ON lp.code = k.premise_code
LEFT JOIN _lk_weapon lw ON lw.code = k.weapon_code_raw
)
"""


# The incident of a case: its most serious offense by the UCR hierarchy (`rank`, then the NIBRS
# code and the offense id, so that ties resolve the same way every time), counting its offenses.
# One aggregation over the offenses picks each case's row; a join on rowid fetches it.
INCIDENT_FROM_OFFENSES = """
SELECT
  case_id AS record_id, date_reported, occurred_at, occurred_date, hour, time_is_noon_default,
  area_id, area_name, rpt_dist, part, CAST(NULL AS SMALLINT) AS crime_code,
  nibrs_desc AS crime_desc, crime_category, crime_class, CAST(NULL AS VARCHAR) AS mocodes,
  CAST(NULL AS TINYINT) AS victim_age, 'Unknown' AS victim_sex, 'Unknown' AS victim_descent,
  premise_code, premise_desc, weapon_code, weapon_desc, status, status_desc, any_arrest AS arrest,
  location, CAST(NULL AS VARCHAR) AS cross_street, lat, lon, source, simulated, year,
  'nibrs' AS record_system, nibrs_code AS offense_code, CAST(n AS SMALLINT) AS offenses
FROM offenses o JOIN (
  SELECT arg_min(rowid, (rank, nibrs_code, offense_id)) AS rid, count(*) AS n,
    bool_or(arrest) AS any_arrest
  FROM offenses {where} GROUP BY case_id
) b ON o.rowid = b.rid
"""
