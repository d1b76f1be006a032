"""CompStat tables: the last 28 days, the year to date and the last 12 months, each against the
same period a year earlier, by division or by crime type, with the change and whether it is
significant.

Significance uses the exact conditional test of year-over-year change in `eda.trends`
(`count_change_test`, with the ratio of the two periods' lengths as exposure, so a leap day is
accounted for), and Benjamini-Hochberg q < 0.05 over the groups of one period, so among 21
divisions a single small jump is not called a crime wave. A change against zero incidents has no
percent: it reads "new" (something where there was nothing) or stays blank (nothing both times).

    from crimecast.eda import compstat
    periods = compstat.periods(pd.Timestamp("2025-06-30"))
    table = compstat.compstat(incidents, pd.Timestamp("2025-06-30"), by="division")
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from crimecast import schema
from crimecast.eda.trends import ALPHA, bh_qvalues, count_change_test

CITYWIDE = "Citywide"
BY_COLUMN = {"division": "division", "category": "crime_category"}


@dataclass(frozen=True)
class Period:
    key: str  # column prefix: d28, ytd, m12
    label: str  # "Last 28 days"
    start: pd.Timestamp
    end: pd.Timestamp
    prev_start: pd.Timestamp
    prev_end: pd.Timestamp

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def prev_days(self) -> int:
        return (self.prev_end - self.prev_start).days + 1

    def describe(self) -> str:
        return (
            f"{self.label}: {self.start:%d %b %Y} to {self.end:%d %b %Y} against "
            f"{self.prev_start:%d %b %Y} to {self.prev_end:%d %b %Y}"
        )


def _year_earlier(day: pd.Timestamp) -> pd.Timestamp:
    return day - pd.DateOffset(years=1)  # 29 Feb -> 28 Feb


def periods(as_of: pd.Timestamp) -> list[Period]:
    """The three CompStat windows ending on `as_of` (inclusive), each with the same window a year
    earlier."""
    end = pd.Timestamp(as_of).normalize()
    prev_end = _year_earlier(end)
    d28 = end - pd.Timedelta(days=27)
    ytd = pd.Timestamp(year=end.year, month=1, day=1)
    m12 = end - pd.DateOffset(years=1) + pd.Timedelta(days=1)
    return [
        Period("d28", "Last 28 days", d28, end, prev_end - pd.Timedelta(days=27), prev_end),
        Period("ytd", "Year to date", ytd, end, _year_earlier(ytd), prev_end),
        Period("m12", "Last 12 months", m12, end, _year_earlier(m12), prev_end),
    ]


def _groups(incidents: pd.DataFrame, by: str) -> pd.Series:
    if by == "division":
        if "area_name" in incidents.columns:
            return incidents["area_name"].astype(object).fillna("not recorded").astype(str)
        ids = pd.to_numeric(incidents["area_id"], errors="coerce")
        return ids.map(lambda a: schema.AREAS.get(int(a), "not recorded") if pd.notna(a) else
                       "not recorded").astype(str)  # fmt: skip
    if by == "category":
        return incidents["crime_category"].astype(object).fillna("not recorded").astype(str)
    raise ValueError(f"CompStat tables are by 'division' or 'category', not {by!r}")


def pct_text(previous: int, current: int) -> object:
    """Percent change rounded to 0.1, "new" against zero, None when both are zero."""
    if previous == 0:
        return "new" if current > 0 else None
    return round(100.0 * (current - previous) / previous, 1)


def compstat(
    incidents: pd.DataFrame, as_of, by: str = "division", not_comparable=()
) -> pd.DataFrame:
    """One row per division (by="division") or crime type (by="category"), the citywide total
    first; for each period P in d28, ytd, m12 the columns P_current, P_year_before, P_change,
    P_pct_change ("new" against zero) and P_significant (BH q < 0.05 over the groups).

    `incidents` needs occurred_date and area_id (or area_name) / crime_category; `as_of` is the
    last complete date of the data. Incidents after `as_of` are not counted. A period whose
    year-earlier window starts before the data do, or whose windows touch a month in
    `not_comparable` (the NIBRS transition), has no comparison (blank, not "new")."""
    mixed = [pd.Timestamp(m) for m in not_comparable]
    as_of = pd.Timestamp(as_of).normalize()
    days = pd.to_datetime(incidents["occurred_date"].astype("datetime64[ns]")).dt.normalize()
    group = _groups(incidents, by)
    label = BY_COLUMN[by]
    names = sorted(set(group))
    out = pd.DataFrame({label: [CITYWIDE, *names]})
    for p in periods(as_of):
        cur_mask = (days >= p.start) & (days <= p.end)
        prev_mask = (days >= p.prev_start) & (days <= p.prev_end)
        cur = group[cur_mask.to_numpy()].value_counts()
        prev = group[prev_mask.to_numpy()].value_counts()
        current = [int(cur_mask.sum()), *(int(cur.get(g, 0)) for g in names)]
        before = [int(prev_mask.sum()), *(int(prev.get(g, 0)) for g in names)]
        touches = any(p.prev_start <= m + pd.offsets.MonthEnd(0) and m <= p.end for m in mixed)
        if touches or (len(days) and p.prev_start < days.min() - pd.Timedelta(days=7)):
            # the data do not reach back to the year-earlier period (a week's grace for sparse
            # data whose first incident falls a few days in): no comparison, not "new"
            out[f"{p.key}_current"] = current
            out[f"{p.key}_year_before"] = pd.Series([None] * len(current), dtype="Int64")
            out[f"{p.key}_change"] = pd.Series([None] * len(current), dtype="Int64")
            out[f"{p.key}_pct_change"] = pd.Series([None] * len(current), dtype=object)
            out[f"{p.key}_significant"] = False
            continue
        ratio = p.days / p.prev_days
        tests = [count_change_test(b, a, ratio) for b, a in zip(before, current, strict=True)]
        pvals = np.array([t["p_value"] for t in tests], dtype=float)
        q = np.concatenate([[pvals[0]], bh_qvalues(pvals[1:])])
        out[f"{p.key}_current"] = current
        out[f"{p.key}_year_before"] = before
        out[f"{p.key}_change"] = np.subtract(current, before)
        out[f"{p.key}_pct_change"] = pd.Series(
            [pct_text(b, a) for b, a in zip(before, current, strict=True)], dtype=object
        )
        out[f"{p.key}_significant"] = (q < ALPHA) & (np.subtract(current, before) != 0)
    rest = out.iloc[1:].sort_values(["m12_current", label], ascending=[False, True])
    return pd.concat([out.iloc[:1], rest], ignore_index=True)


def as_of_date(complete_through) -> pd.Timestamp | None:
    """The last complete date: the last day of the last complete month ("2025-06" -> 30 Jun)."""
    if not complete_through:
        return None
    return pd.Timestamp(str(complete_through)[:7] + "-01") + pd.offsets.MonthEnd(0)


def verdict(change: int, significant: bool) -> str:
    if not significant:
        return "no clear change"
    return "up (significant)" if change > 0 else "down (significant)"
