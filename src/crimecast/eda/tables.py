"""Exploratory tables: pure summaries of a frame of canonical incidents.

Every function takes the incidents (a pandas frame as returned by `Store.incidents(filters,
columns=COLUMNS)`, or a `Prepared` copy of one) and returns a tidy frame with plain column names.
The counting is done by DuckDB in a private in-memory database, not by pandas groupbys: the frame
is copied once into a columnar table (`prepare`) and every summary is one SQL query over it, which
is what makes all tables for a million incidents take seconds. Nothing here opens the store.

Conventions: `incidents` is always the count column; `share` is a fraction of the selection (or of
the group named in the table); breakdowns keep an explicit "not recorded" row so that every
breakdown sums to the number of incidents selected.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from crimecast import schema
from crimecast.filters import AGE_BANDS

# The columns the tables read; pass them as `columns=` to Store.incidents to load only these.
COLUMNS: tuple[str, ...] = (
    "date_reported",
    "occurred_date",
    "hour",
    "time_is_noon_default",
    "area_id",
    "area_name",
    "rpt_dist",
    "crime_code",
    "crime_desc",
    "crime_category",
    "crime_class",
    "victim_age",
    "victim_sex",
    "victim_descent",
    "premise_code",
    "premise_desc",
    "weapon_code",
    "weapon_desc",
    "status",
    "arrest",
)
_TYPES = {name: typ for name, typ, _ in schema.INCIDENT_SCHEMA}
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NOT_RECORDED = "not recorded"
# Reporting-delay bins in days (reported minus occurred), with their labels.
DELAY_BINS: tuple[tuple[str, int, int], ...] = (
    ("same day", 0, 0),
    ("1 day", 1, 1),
    ("2-7 days", 2, 7),
    ("8-30 days", 8, 30),
    ("31-90 days", 31, 90),
    ("91-365 days", 91, 365),
    ("over a year", 366, 1_000_000),
)
VICTIM_NOTE = (
    "Victim age, sex and descent describe the victims named in crime reports. They are shown to "
    "describe reported crime, never used to predict anything about individuals; 'not recorded' "
    "counts reports whose age was a placeholder (0 or negative) or blank."
)


def _arrow_backed(frame) -> bool:
    return all(isinstance(t, pd.ArrowDtype) for t in frame.dtypes)


class Prepared:
    """A frame of incidents in a private DuckDB database as the relation `inc` (missing optional
    columns become NULL), so that many summaries can run over it.

    A frame whose columns are Arrow-backed (`pd.ArrowDtype`, e.g. `table.to_pandas(types_mapper=
    pd.ArrowDtype)`) is scanned in place, which DuckDB does at memory speed; a frame of numpy /
    object columns is copied once into a DuckDB table, because re-reading Python string objects
    for every summary would cost more than the copy."""

    def __init__(self, incidents: pd.DataFrame):
        if "occurred_date" not in incidents.columns:
            raise ValueError(
                "the incidents frame has no occurred_date column; load it with "
                "Store.incidents(filters, columns=eda.tables.COLUMNS)"
            )
        self.con = duckdb.connect()
        self.con.register("_src", incidents)
        kind = "VIEW" if _arrow_backed(incidents) else "TABLE"
        exprs = []
        for col in COLUMNS:
            typ = _TYPES[col]
            exprs.append(
                f"CAST({col} AS {typ}) AS {col}"
                if col in incidents.columns
                else f"CAST(NULL AS {typ}) AS {col}"
            )
        self.con.execute(f"CREATE {kind} inc AS SELECT {', '.join(exprs)} FROM _src")
        if kind == "TABLE":
            self.con.unregister("_src")
        self.n = int(self.q("SELECT count(*) AS n FROM inc")["n"].iloc[0])

    def q(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def close(self) -> None:
        self.con.close()


def prepare(incidents: pd.DataFrame | Prepared) -> Prepared:
    return incidents if isinstance(incidents, Prepared) else Prepared(incidents)


def _category_order(frame: pd.DataFrame, col: str = "crime_category") -> pd.DataFrame:
    order = {c: i for i, c in enumerate(schema.CATEGORIES)}
    return frame.assign(_o=frame[col].map(order).fillna(len(order))).sort_values(
        "_o", kind="stable"
    )


def _with_share(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Add `share`: incidents over the total of the frame (or of each `by` group)."""
    total = frame.groupby(by)["incidents"].transform("sum") if by else frame["incidents"].sum()
    out = frame.copy()
    out["share"] = np.where(total > 0, out["incidents"] / np.maximum(total, 1), np.nan)
    return out


# --- time ------------------------------------------------------------------------------------------
def by_year(incidents) -> pd.DataFrame:
    """Incidents per calendar year of occurrence."""
    db = prepare(incidents)
    return db.q(
        "SELECT CAST(year(occurred_date) AS INTEGER) AS year, count(*) AS incidents FROM inc "
        "GROUP BY 1 ORDER BY 1"
    )


def by_weekday(incidents) -> pd.DataFrame:
    """Incidents per day of the week (Monday first)."""
    db = prepare(incidents)
    got = db.q(
        "SELECT CAST(isodow(occurred_date) AS INTEGER) AS weekday, count(*) AS incidents "
        "FROM inc GROUP BY 1"
    )
    out = pd.DataFrame({"weekday": range(1, 8), "weekday_name": WEEKDAYS})
    out = out.merge(got, on="weekday", how="left").fillna({"incidents": 0})
    out["incidents"] = out["incidents"].astype("int64")
    return _with_share(out)


def by_hour(incidents) -> pd.DataFrame:
    """Incidents per hour of occurrence, with the TIME OCC 1200 default counted separately.

    `noon_default` counts reports whose time was exactly 12:00, LAPD's frequent placeholder; the
    spike at hour 12 is mostly that artefact. Reports without a time are a 'not recorded' row."""
    db = prepare(incidents)
    got = db.q(
        "SELECT CAST(hour AS INTEGER) AS hour, count(*) AS incidents, "
        "count(*) FILTER (WHERE time_is_noon_default) AS noon_default FROM inc GROUP BY 1"
    )
    out = pd.DataFrame({"hour": pd.array(range(24), dtype="Int64")})
    got["hour"] = got["hour"].astype("Int64")
    out = out.merge(got[got["hour"].notna()], on="hour", how="left")
    missing = got[got["hour"].isna()]
    if len(missing):
        out = pd.concat([out, missing], ignore_index=True)
    out = out.fillna({"incidents": 0, "noon_default": 0})
    out[["incidents", "noon_default"]] = out[["incidents", "noon_default"]].astype("int64")
    out["hour_label"] = [f"{int(h):02d}:00" if pd.notna(h) else NOT_RECORDED for h in out["hour"]]
    return _with_share(out)[["hour", "hour_label", "incidents", "noon_default", "share"]]


def weekday_hour(incidents) -> pd.DataFrame:
    """Incidents per weekday x hour (all 168 cells), with the 12:00-default reports counted so that
    the heatmap can show them or leave them out. Reports without a time are not in this grid."""
    db = prepare(incidents)
    got = db.q(
        "SELECT CAST(isodow(occurred_date) AS INTEGER) AS weekday, CAST(hour AS INTEGER) AS hour, "
        "count(*) AS incidents, count(*) FILTER (WHERE time_is_noon_default) AS noon_default "
        "FROM inc WHERE hour IS NOT NULL GROUP BY 1, 2"
    )
    grid = pd.MultiIndex.from_product([range(1, 8), range(24)], names=["weekday", "hour"])
    out = grid.to_frame(index=False).merge(got, on=["weekday", "hour"], how="left")
    out = out.fillna({"incidents": 0, "noon_default": 0})
    out[["incidents", "noon_default"]] = out[["incidents", "noon_default"]].astype("int64")
    out["weekday_name"] = [WEEKDAYS[d - 1] for d in out["weekday"]]
    return out[["weekday", "weekday_name", "hour", "incidents", "noon_default"]]


def _flag_months(frame: pd.DataFrame, completeness: pd.DataFrame | None) -> pd.DataFrame:
    """Join the store's per-month completeness flags (month, complete, reason) onto a frame with a
    `month` column; months the store did not assess count as complete."""
    out = frame.copy()
    if completeness is None or completeness.empty:
        out["complete"] = True
        out["reason"] = ""
        return out
    flags = completeness[["month", "complete", "reason"]].copy()
    flags["month"] = pd.to_datetime(flags["month"]).dt.to_period("M").dt.to_timestamp()
    out = out.drop(columns=["complete", "reason"], errors="ignore").merge(
        flags, on="month", how="left"
    )
    out["complete"] = out["complete"].astype("boolean").fillna(True).astype(bool)
    out["reason"] = out["reason"].fillna("").astype(str)
    return out


def _series(db: Prepared, unit: str, window: int) -> pd.DataFrame:
    """Zero-filled counts per day/week/month with a trailing moving average."""
    got = db.q(
        f"SELECT CAST(date_trunc('{unit}', occurred_date) AS TIMESTAMP) AS period, "
        "count(*) AS incidents FROM inc GROUP BY 1 ORDER BY 1"
    )
    freq = {"day": "D", "week": "W-MON", "month": "MS"}[unit]
    if got.empty:
        return pd.DataFrame({"period": pd.to_datetime([]), "incidents": [], "moving_avg": []})
    got["period"] = pd.to_datetime(got["period"])
    full = pd.DataFrame(
        {"period": pd.date_range(got["period"].min(), got["period"].max(), freq=freq)}
    )
    out = full.merge(got, on="period", how="left").fillna({"incidents": 0})
    out["incidents"] = out["incidents"].astype("int64")
    out["moving_avg"] = out["incidents"].rolling(window, min_periods=window).mean()
    return out


def daily(incidents, completeness=None) -> pd.DataFrame:
    """Incidents per day (zero-filled) with a trailing 7-day moving average."""
    out = _series(prepare(incidents), "day", 7).rename(columns={"period": "date"})
    out["month"] = out["date"].dt.to_period("M").dt.to_timestamp()
    return _flag_months(out, completeness).drop(columns="month")


def weekly(incidents, completeness=None) -> pd.DataFrame:
    """Incidents per week starting Monday (zero-filled) with a trailing 4-week moving average."""
    out = _series(prepare(incidents), "week", 4).rename(columns={"period": "week"})
    out["month"] = out["week"].dt.to_period("M").dt.to_timestamp()
    return _flag_months(out, completeness).drop(columns="month")


def monthly(incidents, completeness=None) -> pd.DataFrame:
    """Incidents per month (zero-filled) with a trailing 3-month moving average and the store's
    completeness flags (`complete`, `reason`: reporting lag or NIBRS break)."""
    out = _series(prepare(incidents), "month", 3).rename(columns={"period": "month"})
    return _flag_months(out, completeness)


def monthly_by(incidents, column: str | list[str], completeness=None) -> pd.DataFrame:
    """Zero-filled monthly counts per value of `column` (e.g. crime_category, crime_class,
    area_name, or a list such as [area_name, crime_category]), with completeness flags: the long
    frame behind per-group trend lines and trend tests."""
    db = prepare(incidents)
    cols = [column] if isinstance(column, str) else list(column)
    sel = ", ".join(f"coalesce(CAST({c} AS VARCHAR), '{NOT_RECORDED}') AS {c}" for c in cols)
    got = db.q(
        f"SELECT CAST(date_trunc('month', occurred_date) AS TIMESTAMP) AS month, {sel}, "
        f"count(*) AS incidents FROM inc GROUP BY ALL"
    )
    if got.empty:
        return pd.DataFrame(columns=["month", *cols, "incidents", "complete", "reason"])
    got["month"] = pd.to_datetime(got["month"])
    months = pd.DataFrame(
        {"month": pd.date_range(got["month"].min(), got["month"].max(), freq="MS")}
    )
    grid = months.merge(got[cols].drop_duplicates(), how="cross")
    out = grid.merge(got, on=["month", *cols], how="left").fillna({"incidents": 0})
    out["incidents"] = out["incidents"].astype("int64")
    return _flag_months(out, completeness)


# --- place ------------------------------------------------------------------------------------------
def _years_spanned(db: Prepared) -> float:
    span = db.q("SELECT min(occurred_date) AS a, max(occurred_date) AS b FROM inc")
    a, b = span["a"].iloc[0], span["b"].iloc[0]
    if pd.isna(a):
        return float("nan")
    return ((pd.Timestamp(b) - pd.Timestamp(a)).days + 1) / 365.25


def by_area(incidents, population: dict[int, int] | None = None) -> pd.DataFrame:
    """Incidents and rates per 100,000 residents by LAPD division.

    `population` maps area number to residents (default `schema.AREA_POPULATION`, ABC7's 2020
    division estimates). `rate_per_100k` covers the whole selected period; `annual_rate_per_100k`
    divides it by the years the selection spans. Incidents without an area are a separate row."""
    db = prepare(incidents)
    pop = population or schema.AREA_POPULATION
    got = db.q(
        "SELECT CAST(area_id AS INTEGER) AS area_id, count(*) AS incidents FROM inc GROUP BY 1"
    )
    out = pd.DataFrame({"area_id": list(schema.AREAS), "area_name": list(schema.AREAS.values())})
    out = out.merge(got[got["area_id"].notna()], on="area_id", how="left")
    unknown = got[got["area_id"].isna()]
    if len(unknown):
        out = pd.concat(
            [out, unknown.assign(area_name=NOT_RECORDED, area_id=pd.NA)], ignore_index=True
        )
    out = out.fillna({"incidents": 0})
    out["incidents"] = out["incidents"].astype("int64")
    out["area_id"] = out["area_id"].astype("Int64")
    out["population"] = [pop.get(int(a)) if pd.notna(a) else np.nan for a in out["area_id"]]
    out["population"] = pd.to_numeric(out["population"], errors="coerce")
    out["rate_per_100k"] = out["incidents"] / out["population"] * 1e5
    out["annual_rate_per_100k"] = out["rate_per_100k"] / _years_spanned(db)
    return _with_share(out)


def by_district(incidents) -> pd.DataFrame:
    """Incidents per reporting district (with the division it lies in), busiest first."""
    db = prepare(incidents)
    out = db.q(
        "SELECT CAST(rpt_dist AS INTEGER) AS rpt_dist, CAST(mode(area_id) AS INTEGER) AS area_id, "
        "count(*) AS incidents FROM inc GROUP BY 1 ORDER BY incidents DESC, rpt_dist"
    )
    out["rpt_dist"] = out["rpt_dist"].astype("Int64")
    out["area_id"] = out["area_id"].astype("Int64")
    out["area_name"] = [schema.AREAS.get(int(a), NOT_RECORDED) if pd.notna(a) else NOT_RECORDED
                        for a in out["area_id"]]  # fmt: skip
    return _with_share(out)


def area_category(incidents, population: dict[int, int] | None = None) -> pd.DataFrame:
    """Incidents per division x crime category, with rates per 100,000 residents."""
    db = prepare(incidents)
    pop = population or schema.AREA_POPULATION
    out = db.q(
        "SELECT CAST(area_id AS INTEGER) AS area_id, crime_category, count(*) AS incidents "
        "FROM inc WHERE area_id IS NOT NULL GROUP BY 1, 2 ORDER BY 1, 2"
    )
    out["area_name"] = out["area_id"].map(schema.AREAS)
    out["population"] = pd.to_numeric(out["area_id"].map(pop), errors="coerce")
    out["rate_per_100k"] = out["incidents"] / out["population"] * 1e5
    return out[
        ["area_id", "area_name", "crime_category", "incidents", "population", "rate_per_100k"]
    ]


def top_areas_per_category(incidents, n: int = 5, population=None) -> pd.DataFrame:
    """The `n` divisions with most incidents in each crime category, with their share of it."""
    ac = area_category(incidents, population)
    if ac.empty:
        return ac.assign(rank=[], share_of_category=[])
    ac["share_of_category"] = ac["incidents"] / ac.groupby("crime_category")["incidents"].transform(
        "sum"
    )
    ac = ac.sort_values(["crime_category", "incidents", "area_id"], ascending=[True, False, True])
    ac["rank"] = ac.groupby("crime_category").cumcount() + 1
    out = ac[ac["rank"] <= n]
    return _category_order(out).drop(columns="_o").reset_index(drop=True)


# --- crime types -------------------------------------------------------------------------------------
def by_category(incidents) -> pd.DataFrame:
    """Incidents per crimecast crime category (with its class), in the schema's order."""
    db = prepare(incidents)
    got = db.q("SELECT crime_category, count(*) AS incidents FROM inc GROUP BY 1")
    out = pd.DataFrame({"crime_category": list(schema.CATEGORIES)})
    out = out.merge(got, on="crime_category", how="outer").fillna({"incidents": 0})
    out["crime_category"] = out["crime_category"].fillna(NOT_RECORDED)
    out["crime_class"] = out["crime_category"].map(schema.CATEGORY_CLASS).fillna(NOT_RECORDED)
    out["incidents"] = out["incidents"].astype("int64")
    out = _category_order(out).drop(columns="_o").reset_index(drop=True)
    return _with_share(out)[["crime_category", "crime_class", "incidents", "share"]]


def by_class(incidents) -> pd.DataFrame:
    """Violent vs property vs other incidents."""
    db = prepare(incidents)
    out = db.q(
        f"SELECT coalesce(crime_class, '{NOT_RECORDED}') AS crime_class, count(*) AS incidents "
        "FROM inc GROUP BY 1 ORDER BY incidents DESC"
    )
    return _with_share(out)


def top_codes(incidents, n: int = 20) -> pd.DataFrame:
    """The `n` most frequent LAPD crime codes, with description, category and share."""
    db = prepare(incidents)
    out = db.q(
        "SELECT CAST(crime_code AS INTEGER) AS crime_code, any_value(crime_desc) AS crime_desc, "
        "any_value(crime_category) AS crime_category, count(*) AS incidents FROM inc "
        "GROUP BY 1 ORDER BY incidents DESC, crime_code LIMIT ?",
        [n],
    )
    out["share"] = out["incidents"] / db.n if db.n else np.nan
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


# --- victims (descriptive only) ---------------------------------------------------------------------
def _age_band_sql() -> str:
    parts = [
        f"WHEN victim_age BETWEEN {lo} AND {hi} THEN '{b}'" for b, (lo, hi) in AGE_BANDS.items()
    ]
    return f"CASE {' '.join(parts)} ELSE '{NOT_RECORDED}' END"


def victim_age(incidents) -> pd.DataFrame:
    """Victim age bands per crime category; placeholders (0, negative) and blanks are counted in a
    'not recorded' band rather than dropped, and `share` is of the recorded ages only."""
    db = prepare(incidents)
    out = db.q(
        f"SELECT crime_category, {_age_band_sql()} AS age_band, count(*) AS incidents FROM inc "
        "GROUP BY 1, 2"
    )
    order = {b: i for i, b in enumerate([*AGE_BANDS, NOT_RECORDED])}
    out = out.assign(_b=out["age_band"].map(order))
    out = _category_order(out).sort_values(["_o", "_b"], kind="stable").drop(columns=["_o", "_b"])
    recorded = out["age_band"] != NOT_RECORDED
    totals = out[recorded].groupby("crime_category")["incidents"].sum()
    out["share_of_recorded"] = np.where(
        recorded, out["incidents"] / out["crime_category"].map(totals), np.nan
    )
    return out.reset_index(drop=True)


def victim_age_summary(incidents) -> pd.DataFrame:
    """Per category: reports with a usable victim age, without one, and the median age."""
    db = prepare(incidents)
    out = db.q(
        "SELECT crime_category, count(*) AS incidents, count(victim_age) AS age_recorded, "
        "count(*) - count(victim_age) AS age_not_recorded, median(victim_age) AS median_age "
        "FROM inc GROUP BY 1"
    )
    return _category_order(out).drop(columns="_o").reset_index(drop=True)


def _by_category_and(db: Prepared, column: str) -> pd.DataFrame:
    out = db.q(
        f"SELECT crime_category, coalesce({column}, '{NOT_RECORDED}') AS {column}, "
        "count(*) AS incidents FROM inc GROUP BY 1, 2"
    )
    out = _category_order(out).sort_values(["_o", "incidents"], ascending=[True, False])
    return _with_share(out.drop(columns="_o"), ["crime_category"]).reset_index(drop=True)


def victim_sex(incidents) -> pd.DataFrame:
    """Victim sex per crime category (share within the category)."""
    return _by_category_and(prepare(incidents), "victim_sex")


def victim_descent(incidents) -> pd.DataFrame:
    """Victim descent per crime category (share within the category)."""
    return _by_category_and(prepare(incidents), "victim_descent")


# --- premises and weapons ----------------------------------------------------------------------------
def _top_per_category(db: Prepared, column: str, n: int, where: str = "") -> pd.DataFrame:
    out = db.q(
        f"SELECT crime_category, coalesce({column}, '{NOT_RECORDED}') AS {column}, "
        f"count(*) AS incidents FROM inc {where} GROUP BY 1, 2"
    )
    out = _with_share(out, ["crime_category"])
    out = out.sort_values(["crime_category", "incidents", column], ascending=[True, False, True])
    out["rank"] = out.groupby("crime_category").cumcount() + 1
    out = _category_order(out[out["rank"] <= n]).drop(columns="_o")
    return out[["crime_category", "rank", column, "incidents", "share"]].reset_index(drop=True)


def top_premises(incidents, n: int = 5) -> pd.DataFrame:
    """The `n` most common premises per crime category (share of the category)."""
    return _top_per_category(prepare(incidents), "premise_desc", n)


def top_weapons(incidents, n: int = 5) -> pd.DataFrame:
    """The `n` most common weapons per crime category, among reports that name a weapon."""
    return _top_per_category(prepare(incidents), "weapon_desc", n, "WHERE weapon_code IS NOT NULL")


def weapon_monthly(incidents, completeness=None) -> pd.DataFrame:
    """Per month: incidents, those with a weapon recorded, those with a firearm (codes 101-122),
    and their shares; flagged months as in `monthly`."""
    db = prepare(incidents)
    got = db.q(
        "SELECT CAST(date_trunc('month', occurred_date) AS TIMESTAMP) AS month, "
        "count(*) AS incidents, count(weapon_code) AS with_weapon, "
        "count(*) FILTER (WHERE weapon_code BETWEEN 101 AND 122) AS with_firearm "
        "FROM inc GROUP BY 1 ORDER BY 1"
    )
    if not got.empty:
        got["month"] = pd.to_datetime(got["month"])
        full = pd.DataFrame(
            {"month": pd.date_range(got["month"].min(), got["month"].max(), freq="MS")}
        )
        got = full.merge(got, on="month", how="left").fillna(0)
        for c in ("incidents", "with_weapon", "with_firearm"):
            got[c] = got[c].astype("int64")
    got["weapon_share"] = got["with_weapon"] / got["incidents"].where(got["incidents"] > 0)
    got["firearm_share"] = got["with_firearm"] / got["incidents"].where(got["incidents"] > 0)
    return _flag_months(got, completeness)


# --- status --------------------------------------------------------------------------------------------
def arrests(incidents, by: str = "crime_category") -> pd.DataFrame:
    """Arrest share (adult or juvenile arrest, statuses AA/JA) per `by` (crime_category or
    area_name) and year."""
    db = prepare(incidents)
    out = db.q(
        f"SELECT coalesce(CAST({by} AS VARCHAR), '{NOT_RECORDED}') AS {by}, "
        "CAST(year(occurred_date) AS INTEGER) AS year, count(*) AS incidents, "
        "count(*) FILTER (WHERE arrest) AS arrests FROM inc GROUP BY 1, 2 ORDER BY 1, 2"
    )
    out["arrest_share"] = out["arrests"] / out["incidents"]
    return out


def arrest_summary(incidents, by: str = "crime_category") -> pd.DataFrame:
    """Arrest share per `by` over the whole selection."""
    db = prepare(incidents)
    out = db.q(
        f"SELECT coalesce(CAST({by} AS VARCHAR), '{NOT_RECORDED}') AS {by}, count(*) AS incidents, "
        "count(*) FILTER (WHERE arrest) AS arrests FROM inc GROUP BY 1 ORDER BY incidents DESC"
    )
    out["arrest_share"] = out["arrests"] / out["incidents"]
    return out


# --- reporting delay -------------------------------------------------------------------------------------
def reporting_delay(incidents) -> pd.DataFrame:
    """Days from occurrence to report per crime category: median, 90th and 99th percentile, and
    the share reported after 30 days and after a year."""
    db = prepare(incidents)
    out = db.q(
        "WITH d AS (SELECT crime_category, date_diff('day', occurred_date, date_reported) AS days "
        "FROM inc WHERE date_reported IS NOT NULL) "
        "SELECT crime_category, count(*) AS incidents, median(days) AS median_days, "
        "quantile_cont(days, 0.9) AS p90_days, quantile_cont(days, 0.99) AS p99_days, "
        "avg(days) AS mean_days, avg(CAST(days = 0 AS DOUBLE)) AS share_same_day, "
        "avg(CAST(days > 30 AS DOUBLE)) AS share_after_30_days, "
        "avg(CAST(days > 365 AS DOUBLE)) AS share_after_a_year FROM d GROUP BY 1"
    )
    return out.sort_values("mean_days", ascending=False).reset_index(drop=True)


def delay_distribution(incidents) -> pd.DataFrame:
    """Reporting delay in bins (same day ... over a year) per crime category, with shares;
    reports without a report date are a 'not recorded' bin."""
    db = prepare(incidents)
    cases = " ".join(f"WHEN d BETWEEN {lo} AND {hi} THEN '{label}'" for label, lo, hi in DELAY_BINS)
    out = db.q(
        f"SELECT crime_category, CASE {cases} ELSE '{NOT_RECORDED}' END AS delay, "
        "count(*) AS incidents FROM (SELECT crime_category, "
        "date_diff('day', occurred_date, date_reported) AS d FROM inc) GROUP BY 1, 2"
    )
    order = {label: i for i, (label, _, _) in enumerate(DELAY_BINS)}
    out = out.assign(_d=out["delay"].map(order).fillna(len(order)))
    out = _category_order(out).sort_values(["_o", "_d"], kind="stable").drop(columns=["_o", "_d"])
    return _with_share(out, ["crime_category"]).reset_index(drop=True)


# --- everything ------------------------------------------------------------------------------------------
def summary(incidents) -> pd.DataFrame:
    """One row: incidents selected, first and last occurred date, share with a 12:00 default time."""
    db = prepare(incidents)
    return db.q(
        "SELECT count(*) AS incidents, min(occurred_date) AS first_date, "
        "max(occurred_date) AS last_date, count(DISTINCT area_id) AS areas, "
        "avg(CAST(time_is_noon_default AS DOUBLE)) AS share_time_1200 FROM inc"
    )


def all_tables(
    incidents: pd.DataFrame | Prepared,
    completeness: pd.DataFrame | None = None,
    population: dict[int, int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Every descriptive table, by name (the CSV file names the `eda` command writes)."""
    db = prepare(incidents)
    c = completeness
    return {
        "summary": summary(db),
        "by_year": by_year(db),
        "by_weekday": by_weekday(db),
        "by_hour": by_hour(db),
        "weekday_hour": weekday_hour(db),
        "daily": daily(db, c),
        "weekly": weekly(db, c),
        "monthly": monthly(db, c),
        "monthly_by_category": monthly_by(db, "crime_category", c),
        "monthly_by_class": monthly_by(db, "crime_class", c),
        "monthly_by_area": monthly_by(db, "area_name", c),
        "monthly_by_area_category": monthly_by(db, ["area_name", "crime_category"], c),
        "by_area": by_area(db, population),
        "by_district": by_district(db),
        "area_category": area_category(db, population),
        "top_areas_per_category": top_areas_per_category(db, population=population),
        "by_category": by_category(db),
        "by_class": by_class(db),
        "top_codes": top_codes(db),
        "victim_age": victim_age(db),
        "victim_age_summary": victim_age_summary(db),
        "victim_sex": victim_sex(db),
        "victim_descent": victim_descent(db),
        "top_premises": top_premises(db),
        "top_weapons": top_weapons(db),
        "weapon_monthly": weapon_monthly(db, c),
        "arrests_by_category": arrests(db, "crime_category"),
        "arrests_by_area": arrests(db, "area_name"),
        "arrest_summary_by_category": arrest_summary(db, "crime_category"),
        "arrest_summary_by_area": arrest_summary(db, "area_name"),
        "reporting_delay": reporting_delay(db),
        "delay_distribution": delay_distribution(db),
    }
