"""Incidents -> the long frame `[unique_id, ds, y]` that every forecast reads.

The long frame is the only contract between aggregation and forecasting (DESIGN.md, convention 1).
One row per series and period, zero-filled (a period with no incident is a 0, never a missing
row), sorted by (unique_id, ds), with (unique_id, ds) unique.

Series names (`unique_id`):

    city                                   every selected incident
    area:<area name>                       e.g. area:Central, area:77th Street
    category:<crime category>              e.g. category:burglary
    area:<area name>|category:<category>   e.g. area:Central|category:burglary

Frequencies: `D` (calendar days), `W` (weeks starting Monday, labelled by their Monday; pandas
`W-MON` anchoring with ds on the Monday), `MS` (months, labelled by their first day) and `YS`
(years, labelled by 1 January; for yearly tables such as the published area totals).

Training periods stop at the store's last complete month (`Store.complete_through()`): the months
after it are under-counted (reporting lag) or broken (the 2024 NIBRS switch), so they are returned
separately, with the store's reason, for reports to show; no model ever trains on them.
"""

from __future__ import annotations

import pandas as pd

from crimecast import completeness, regime
from crimecast.errors import ConfigError, StoreError
from crimecast.filters import Filters

LEVELS = ("city", "area", "category", "area_category")
FREQS = ("D", "W", "MS", "YS")
PANEL_COLUMNS = ["unique_id", "ds", "y"]
EXCLUDED_COLUMNS = ["unique_id", "ds", "y", "reason"]

# The one frequency map: a pandas frequency -> the period it counts (as DuckDB's and Spark's
# date_trunc name it; both start a week on Monday, ISO).
PERIOD_UNITS = {
    "D": "day",
    "W": "week",
    "MS": "month",
    "YS": "year",
}
# Each level's series id, as SQL over the incidents (DuckDB and Spark SQL alike).
SERIES_ID_SQL = {
    "city": "'city'",
    "area": "'area:' || area_name",
    "category": "'category:' || crime_category",
    "area_category": "'area:' || area_name || '|category:' || crime_category",
}


def check_level_freq(level: str, freq: str) -> None:
    if level not in LEVELS:
        raise ConfigError(f"unknown level {level!r}", hint=f"choose from: {', '.join(LEVELS)}")
    if freq not in FREQS:
        raise ConfigError(
            f"unknown frequency {freq!r}", hint="choose D (day), W (week), MS (month)"
        )


def period_start(dates: pd.Series, freq: str) -> pd.Series:
    """The period each date falls in, labelled as in the panel (day, Monday, first of month)."""
    d = pd.to_datetime(dates).dt.normalize()
    if freq == "D":
        return d
    if freq == "W":
        return d - pd.to_timedelta(d.dt.weekday, unit="D")
    if freq == "YS":
        return d.dt.to_period("Y").dt.to_timestamp()
    return d.dt.to_period("M").dt.to_timestamp()


def pandas_freq(freq: str, first: pd.Timestamp | None = None) -> str:
    """The pandas offset alias for a panel frequency (weeks anchored on the first date's weekday)."""
    if freq == "W":
        day = pd.Timestamp(first).day_name()[:3].upper() if first is not None else "MON"
        return f"W-{day}"
    return freq


def period_end(ds: pd.Series, freq: str) -> pd.Series:
    """The last day covered by each period."""
    ds = pd.to_datetime(ds)
    if freq == "D":
        return ds
    if freq == "W":
        return ds + pd.Timedelta(days=6)
    if freq == "YS":
        return ds + pd.offsets.YearEnd(0)
    return ds + pd.offsets.MonthEnd(0)


def uid_of(frame: pd.DataFrame, level: str) -> pd.Series:
    """Series names for incident rows (see the module docstring)."""
    if level == "city":
        return pd.Series("city", index=frame.index)
    area = "area:" + frame["area_name"].astype(str)
    cat = "category:" + frame["crime_category"].astype(str)
    if level == "area":
        return area
    if level == "category":
        return cat
    return area + "|" + cat


def zero_fill(counts: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Every series on the common range of periods, 0 where nothing happened."""
    if counts.empty:
        return pd.DataFrame({"unique_id": [], "ds": pd.to_datetime([]), "y": []}).astype(
            {"y": "int64", "unique_id": "object"}
        )
    ds = pd.to_datetime(counts["ds"])
    rng = pd.date_range(ds.min(), ds.max(), freq=pandas_freq(freq, ds.min()))
    uids = sorted(counts["unique_id"].unique())
    full = pd.MultiIndex.from_product([uids, rng], names=["unique_id", "ds"])
    agg = counts.assign(ds=ds).groupby(["unique_id", "ds"])["y"].sum()
    out = agg.reindex(full, fill_value=0).reset_index()
    out["y"] = out["y"].astype("int64")
    return out[PANEL_COLUMNS]


def from_incidents(df: pd.DataFrame, level: str, freq: str) -> pd.DataFrame:
    """The zero-filled panel from a frame of canonical incidents (pure; no exclusion)."""
    check_level_freq(level, freq)
    if df.empty:
        return zero_fill(pd.DataFrame(columns=PANEL_COLUMNS), freq)
    counts = pd.DataFrame(
        {"unique_id": uid_of(df, level), "ds": period_start(df["occurred_date"], freq)}
    )
    counts = counts.groupby(["unique_id", "ds"]).size().rename("y").reset_index()
    return zero_fill(counts, freq)


def split_complete(
    panel: pd.DataFrame,
    freq: str,
    complete_through: pd.Timestamp | None,
    flags: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(training panel, excluded periods with their reason).

    A period is excluded when any day of it falls after the last complete month; its reason is the
    store's reason for the month it ends in ('reporting lag', 'NIBRS break', ...).
    """
    if complete_through is None:
        raise StoreError(
            "no month in the store is complete enough to train a model",
            hint="ingest more data (crimecast info shows per-month completeness)",
        )
    limit = pd.Timestamp(complete_through) + pd.offsets.MonthEnd(0)
    ends = period_end(panel["ds"], freq)
    keep = ends <= limit
    excluded = panel[~keep].copy()
    reasons = {}
    if flags is not None and len(flags):
        f = flags.assign(month=pd.to_datetime(flags["month"]).dt.to_period("M").dt.to_timestamp())
        reasons = dict(zip(f["month"], f["reason"], strict=False))
    months = period_end(excluded["ds"], freq).dt.to_period("M").dt.to_timestamp()
    excluded["reason"] = [reasons.get(m) or "after the last complete month" for m in months]
    train = panel[keep].reset_index(drop=True)
    transition = completeness.transition_months(flags) if flags is not None else []
    if transition:
        train, changed = _across_the_switch(train, freq, transition)
        excluded = pd.concat([changed, excluded], ignore_index=True)
    return train, excluded[EXCLUDED_COLUMNS].reset_index(drop=True)


def _across_the_switch(train: pd.DataFrame, freq: str, transition) -> tuple[pd.DataFrame, ...]:
    """The training panel across the change of recording system (crimecast.regime): monthly
    series are joined on the NIBRS scale; finer ones start at the NIBRS regime (or, before it
    has begun, stop at the switch)."""
    if freq == "MS":
        joined, changed, _ = regime.join(train, transition)
        return joined, changed
    start = max(transition) + pd.offsets.MonthBegin(1)
    keep, reason = train["ds"] >= start, "before the NIBRS regime (not comparable)"
    if not keep.any():
        keep, reason = period_end(train["ds"], freq) < regime.SWITCH, completeness.TRANSITION
    return train[keep].reset_index(drop=True), train[~keep].assign(reason=reason)


def build(
    store, level: str, freq: str, filters: Filters | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(panel, excluded) from the store, aggregated in SQL.

    `panel` holds the training periods (up to the last complete month), `excluded` the periods
    after it with the reason they are not trusted.
    """
    counts = recorded(store, level, freq, filters)
    if counts.empty:
        raise StoreError(
            "no incidents match this selection, so there is nothing to forecast",
            hint="widen the filters or ingest data (crimecast info shows what the store holds)",
        )
    panel = zero_fill(counts, freq)
    return split_complete(panel, freq, store.complete_through(), store.completeness())


def recorded(store, level: str, freq: str, filters: Filters | None = None) -> pd.DataFrame:
    """Incidents per series and period as recorded (no zero fill, no regime join): what charts
    draw as data."""
    check_level_freq(level, freq)
    where, params = (filters or Filters()).to_sql()
    sql = (
        f"SELECT {SERIES_ID_SQL[level]} AS unique_id, "
        f"CAST(date_trunc('{PERIOD_UNITS[freq]}', occurred_date) AS TIMESTAMP) AS ds, "
        f"count(*) AS y FROM incidents WHERE {where} AND occurred_date IS NOT NULL "
        "GROUP BY ALL"
    )
    return store.query(sql, params)


def weekday_hour_counts(store, filters: Filters | None = None) -> pd.DataFrame:
    """Incidents per area, weekday (0 = Monday) and hour, from the store. Incidents with an
    unknown hour or LAPD's 12:00 default time are left out (their hour is not known)."""
    where, params = (filters or Filters()).to_sql()
    return store.query(
        "SELECT area_name, CAST(isodow(occurred_date) - 1 AS INTEGER) AS weekday, "
        "CAST(hour AS INTEGER) AS hour, count(*) AS incidents FROM incidents "
        f"WHERE {where} AND hour IS NOT NULL AND NOT coalesce(time_is_noon_default, false) "
        "AND area_name IS NOT NULL GROUP BY ALL ORDER BY 1, 2, 3",
        params,
    )
