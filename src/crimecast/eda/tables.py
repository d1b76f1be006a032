"""Exploratory tables: pure summaries of a frame of canonical incidents.

Every function takes the incidents (a pandas frame as returned by `Store.incidents(filters,
columns=COLUMNS)`, or a `Prepared` copy of one) and returns a tidy frame with plain column names.
The counting is done by DuckDB in a private in-memory database (`eda.prepared`): four small
"cubes" (month x division x crime type, day x hour, crime type x victim, crime type x delay) are
counted in one scan each, most tables are sums over a cube, and the few that need raw detail
(districts, codes, premises, weapons) are one SQL query each. Nothing here opens the store.

Conventions: `incidents` is always the count column; `share` is a fraction of the selection (or of
the group named in the table); breakdowns keep an explicit "not recorded" row so that every
breakdown sums to the number of incidents selected.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast import schema
from crimecast.eda.prepared import COLUMNS, NOT_RECORDED, Prepared, prepare, weighted_quantile
from crimecast.filters import AGE_BANDS

__all__ = ["COLUMNS", "NOT_RECORDED", "Prepared", "prepare", "all_tables"]
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
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


def _sum(frame: pd.DataFrame, by: list[str], cols=("incidents",)) -> pd.DataFrame:
    """Sum count columns of a cube by `by` (missing keys kept as a group)."""
    if frame.empty:
        return pd.DataFrame(
            {
                **{b: pd.Series(dtype="float64") for b in by},
                **{c: pd.Series(dtype="int64") for c in cols},
            }
        )
    out = frame.groupby(by, dropna=False, sort=True)[list(cols)].sum().reset_index()
    for c in cols:
        out[c] = out[c].astype("int64")
    return out


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
    t = prepare(incidents).cube("time")
    out = _sum(t.assign(year=t["date"].dt.year.astype("Int64")), ["year"])
    out["year"] = out["year"].astype("int64")
    return out


def by_weekday(incidents) -> pd.DataFrame:
    """Incidents per day of the week (Monday first)."""
    t = prepare(incidents).cube("time")
    got = _sum(t.assign(weekday=t["date"].dt.dayofweek + 1), ["weekday"])
    out = pd.DataFrame({"weekday": range(1, 8), "weekday_name": WEEKDAYS})
    out = out.merge(got, on="weekday", how="left").fillna({"incidents": 0})
    out["incidents"] = out["incidents"].astype("int64")
    return _with_share(out)


def by_hour(incidents) -> pd.DataFrame:
    """Incidents per hour of occurrence, with the TIME OCC 1200 default counted separately.

    `noon_default` counts reports whose time was exactly 12:00, LAPD's frequent placeholder; the
    spike at hour 12 is mostly that artefact. Reports without a time are a 'not recorded' row."""
    got = _sum(prepare(incidents).cube("time"), ["hour"], ("incidents", "noon_default"))
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
    t = prepare(incidents).cube("time")
    t = t[t["hour"].notna()].assign(weekday=lambda d: d["date"].dt.dayofweek + 1)
    got = _sum(t, ["weekday", "hour"], ("incidents", "noon_default"))
    if len(got):
        got["hour"] = got["hour"].astype("int64")
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
    t = db.cube("time")
    freq = {"day": "D", "week": "W-MON", "month": "MS"}[unit]
    if t.empty:
        return pd.DataFrame({"period": pd.to_datetime([]), "incidents": [], "moving_avg": []})
    d = t["date"]
    if unit == "week":
        period = d - pd.to_timedelta(d.dt.dayofweek, unit="D")
    elif unit == "month":
        period = d.dt.to_period("M").dt.to_timestamp()
    else:
        period = d
    got = _sum(t.assign(period=period), ["period"])
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
    unknown = set(cols) - set(COLUMNS)
    if unknown:  # names reach SQL below: only known incident columns
        raise ValueError(f"unknown incident columns {sorted(unknown)}; choose from {COLUMNS}")
    cube = db.cube("month")
    if set(cols) <= {"area_name", "crime_category", "crime_class"}:
        got = _sum(cube, ["month", *cols])
    else:  # a column the cube does not hold: count it directly
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
    d = db.cube("time")["date"]
    if d.empty:
        return float("nan")
    return ((d.max() - d.min()).days + 1) / 365.25


def by_area(incidents, population: dict[int, int] | None = None) -> pd.DataFrame:
    """Incidents and rates per 100,000 residents by LAPD division.

    `population` maps area number to residents (default `schema.AREA_POPULATION`, ABC7's 2020
    division estimates). `rate_per_100k` covers the whole selected period; `annual_rate_per_100k`
    divides it by the years the selection spans. Incidents without an area are a separate row."""
    db = prepare(incidents)
    pop = population or schema.AREA_POPULATION
    got = _sum(db.cube("month"), ["area_id"])
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
    out["area_name"] = [
        schema.AREAS.get(int(a), NOT_RECORDED) if pd.notna(a) else NOT_RECORDED
        for a in out["area_id"]
    ]
    return _with_share(out)


def area_category(incidents, population: dict[int, int] | None = None) -> pd.DataFrame:
    """Incidents per division x crime category, with rates per 100,000 residents."""
    db = prepare(incidents)
    pop = population or schema.AREA_POPULATION
    cube = db.cube("month")
    out = _sum(cube[cube["area_id"].notna()], ["area_id", "crime_category"])
    out["area_id"] = out["area_id"].astype("int64")
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
    got = _sum(prepare(incidents).cube("month"), ["crime_category"])
    out = pd.DataFrame({"crime_category": list(schema.CATEGORIES)})
    out = out.merge(got, on="crime_category", how="outer").fillna({"incidents": 0})
    out["crime_category"] = out["crime_category"].fillna(NOT_RECORDED)
    out["crime_class"] = out["crime_category"].map(schema.CATEGORY_CLASS).fillna(NOT_RECORDED)
    out["incidents"] = out["incidents"].astype("int64")
    out = _category_order(out).drop(columns="_o").reset_index(drop=True)
    return _with_share(out)[["crime_category", "crime_class", "incidents", "share"]]


def by_class(incidents) -> pd.DataFrame:
    """Violent vs property vs other incidents."""
    out = _sum(prepare(incidents).cube("month"), ["crime_class"])
    return _with_share(out.sort_values("incidents", ascending=False).reset_index(drop=True))


def top_codes(incidents, n: int = 20) -> pd.DataFrame:
    """The `n` most frequent crimes, with description, category and share: LAPD crime codes, and
    for NIBRS incidents (no LAPD code) their offense description."""
    db = prepare(incidents)
    out = db.q(
        "SELECT CAST(crime_code AS INTEGER) AS crime_code, any_value(crime_desc) AS crime_desc, "
        "any_value(crime_category) AS crime_category, count(*) AS incidents FROM inc "
        "GROUP BY crime_code, CASE WHEN crime_code IS NULL THEN crime_desc END "
        "ORDER BY incidents DESC, crime_code, crime_desc LIMIT ?",
        [n],
    )
    out["share"] = out["incidents"] / db.n if db.n else np.nan
    out.insert(0, "rank", range(1, len(out) + 1))
    return out


# --- victims (descriptive only) ---------------------------------------------------------------------
def _age_bands(ages: pd.Series) -> np.ndarray:
    v = pd.to_numeric(ages, errors="coerce").to_numpy(dtype=float)
    out = np.full(len(v), NOT_RECORDED, dtype=object)
    for band, (lo, hi) in AGE_BANDS.items():
        out[(v >= lo) & (v <= hi)] = band
    return out


def victim_age(incidents) -> pd.DataFrame:
    """Victim age bands per crime category; placeholders (0, negative) and blanks are counted in a
    'not recorded' band rather than dropped, and `share` is of the recorded ages only."""
    v = prepare(incidents).cube("victim")
    out = _sum(v.assign(age_band=_age_bands(v["victim_age"])), ["crime_category", "age_band"])
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
    v = prepare(incidents).cube("victim")
    rows = []
    for cat, g in v.groupby("crime_category", sort=False):
        aged = g[g["victim_age"].notna()]
        n, recorded = int(g["incidents"].sum()), int(aged["incidents"].sum())
        rows.append(
            {
                "crime_category": cat,
                "incidents": n,
                "age_recorded": recorded,
                "age_not_recorded": n - recorded,
                "median_age": weighted_quantile(aged["victim_age"], aged["incidents"], 0.5),
            }
        )
    cols = ["crime_category", "incidents", "age_recorded", "age_not_recorded", "median_age"]
    out = pd.DataFrame(rows, columns=cols)
    return _category_order(out).drop(columns="_o").reset_index(drop=True)


def _by_category_and(db: Prepared, column: str) -> pd.DataFrame:
    out = _sum(db.cube("victim"), ["crime_category", column])
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
    cols = ("incidents", "with_weapon", "with_firearm")
    got = _sum(prepare(incidents).cube("month"), ["month"], cols)
    if not got.empty:
        full = pd.DataFrame(
            {"month": pd.date_range(got["month"].min(), got["month"].max(), freq="MS")}
        )
        got = full.merge(got, on="month", how="left").fillna(0)
        for c in cols:
            got[c] = got[c].astype("int64")
    got["weapon_share"] = got["with_weapon"] / got["incidents"].where(got["incidents"] > 0)
    got["firearm_share"] = got["with_firearm"] / got["incidents"].where(got["incidents"] > 0)
    return _flag_months(got, completeness)


# --- status --------------------------------------------------------------------------------------------
_ARREST_BY = ("crime_category", "crime_class", "area_name")


def _check_by(by: str) -> None:
    if by not in _ARREST_BY:
        raise ValueError(f"arrest shares are by one of {_ARREST_BY}, not {by!r}")


def arrests(incidents, by: str = "crime_category") -> pd.DataFrame:
    """Arrest share (adult or juvenile arrest, statuses AA/JA) per `by` (crime_category,
    crime_class or area_name) and year."""
    _check_by(by)
    cube = prepare(incidents).cube("month")
    out = _sum(cube.assign(year=cube["month"].dt.year), [by, "year"], ("incidents", "arrests"))
    out["arrest_share"] = out["arrests"] / out["incidents"]
    return out


def arrest_summary(incidents, by: str = "crime_category") -> pd.DataFrame:
    """Arrest share per `by` (crime_category, crime_class or area_name) over the selection."""
    _check_by(by)
    out = _sum(prepare(incidents).cube("month"), [by], ("incidents", "arrests"))
    out = out.sort_values("incidents", ascending=False, kind="stable").reset_index(drop=True)
    out["arrest_share"] = out["arrests"] / out["incidents"]
    return out


# --- reporting delay -------------------------------------------------------------------------------------
def reporting_delay(incidents) -> pd.DataFrame:
    """Days from occurrence to report per crime category: median, 90th and 99th percentile, and
    the share reported after 30 days and after a year (reports with a report date)."""
    d = prepare(incidents).cube("delay")
    d = d[d["days"].notna()]
    rows = []
    for cat, g in d.groupby("crime_category", sort=False):
        w, days = g["incidents"].to_numpy(dtype=float), g["days"].to_numpy(dtype=float)
        n = w.sum()
        rows.append(
            {
                "crime_category": cat,
                "incidents": int(n),
                "median_days": weighted_quantile(days, w, 0.5),
                "p90_days": weighted_quantile(days, w, 0.9),
                "p99_days": weighted_quantile(days, w, 0.99),
                "mean_days": float((days * w).sum() / n),
                "share_same_day": float(w[days == 0].sum() / n),
                "share_after_30_days": float(w[days > 30].sum() / n),
                "share_after_a_year": float(w[days > 365].sum() / n),
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return pd.DataFrame(columns=["crime_category", "incidents", "median_days", "mean_days"])
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
    """One row: incidents selected, first and last occurred date, divisions, share of reports
    with a 12:00 default time."""
    db = prepare(incidents)
    t, m = db.cube("time"), db.cube("month")
    n = int(t["incidents"].sum())
    return pd.DataFrame(
        {
            "incidents": [n],
            "first_date": [t["date"].min() if n else pd.NaT],
            "last_date": [t["date"].max() if n else pd.NaT],
            "areas": [int(m.loc[m["area_id"].notna(), "area_id"].nunique())],
            "share_time_1200": [t["noon_default"].sum() / n if n else np.nan],
        }
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
