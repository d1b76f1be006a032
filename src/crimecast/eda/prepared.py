"""The incidents frame inside a private in-memory DuckDB database, plus a few small "cubes".

A cube is one GROUP BY over the incidents whose result is small (thousands of rows, not a
million) and from which several tables follow by summing in pandas: e.g. counts per month x
division x crime type (with arrests and weapons) give the monthly series, the per-division and
per-type totals, arrest shares and weapon shares. Scanning the incidents four times instead of
thirty is what makes all tables for a million incidents take about a second. Cubes are computed
on first use and kept on the `Prepared` object, so calling single table functions stays cheap.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from crimecast import schema

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
NOT_RECORDED = "not recorded"
_TYPES = {name: typ for name, typ, _ in schema.INCIDENT_SCHEMA}


def _label(col: str) -> str:
    return f"coalesce(CAST({col} AS VARCHAR), '{NOT_RECORDED}') AS {col}"


CUBES: dict[str, str] = {
    # month x division x crime type: series, place, types, arrests, weapons
    "month": "SELECT CAST(date_trunc('month', occurred_date) AS TIMESTAMP) AS month, "
    f"CAST(area_id AS INTEGER) AS area_id, {_label('area_name')}, {_label('crime_category')}, "
    f"{_label('crime_class')}, count(*) AS incidents, "
    "count(*) FILTER (WHERE arrest) AS arrests, count(weapon_code) AS with_weapon, "
    "count(*) FILTER (WHERE weapon_code BETWEEN 101 AND 122) AS with_firearm "
    "FROM inc GROUP BY ALL",
    # day x hour: daily/weekly series, weekday, hour, the 12:00 default
    "time": "SELECT CAST(occurred_date AS TIMESTAMP) AS date, CAST(hour AS INTEGER) AS hour, "
    "count(*) AS incidents, count(*) FILTER (WHERE time_is_noon_default) AS noon_default "
    "FROM inc GROUP BY ALL",
    # crime type x victim age x sex x descent (descriptive victim tables)
    "victim": f"SELECT {_label('crime_category')}, CAST(victim_age AS INTEGER) AS victim_age, "
    f"{_label('victim_sex')}, {_label('victim_descent')}, count(*) AS incidents "
    "FROM inc GROUP BY ALL",
    # crime type x reporting delay in days
    "delay": f"SELECT {_label('crime_category')}, "
    "CAST(date_diff('day', occurred_date, date_reported) AS INTEGER) AS days, "
    "count(*) AS incidents FROM inc GROUP BY ALL",
}


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
                "Store.incidents(filters, columns=eda.COLUMNS)"
            )
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        self.con.register("_src", incidents)
        kind = "VIEW" if _arrow_backed(incidents) else "TABLE"
        exprs = []
        for col in COLUMNS:
            typ = _TYPES[col]
            src = col if col in incidents.columns else "NULL"
            exprs.append(f"CAST({src} AS {typ}) AS {col}")
        self.con.execute(f"CREATE {kind} inc AS SELECT {', '.join(exprs)} FROM _src")
        if kind == "TABLE":
            self.con.unregister("_src")
        self._cubes: dict[str, pd.DataFrame] = {}
        self.n = int(self.cube("time")["incidents"].sum())

    def q(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def cube(self, name: str) -> pd.DataFrame:
        """The cube `name` of CUBES, computed once."""
        if name not in self._cubes:
            self._cubes[name] = self.q(CUBES[name])
        return self._cubes[name]

    def close(self) -> None:
        self.con.close()


def prepare(incidents: pd.DataFrame | Prepared) -> Prepared:
    return incidents if isinstance(incidents, Prepared) else Prepared(incidents)


def weighted_quantile(values, counts, q: float) -> float:
    """The same number as DuckDB's quantile_cont (linear interpolation between order statistics)
    for data given as distinct values with counts."""
    v = np.asarray(values, dtype=float)
    c = np.asarray(counts, dtype=float)
    ok = ~np.isnan(v) & (c > 0)
    v, c = v[ok], c[ok]
    if not len(v):
        return float("nan")
    order = np.argsort(v)
    v, cum = v[order], np.cumsum(c[order])
    h = (cum[-1] - 1) * q
    lo, hi = int(np.floor(h)), int(np.ceil(h))
    vlo = v[np.searchsorted(cum, lo, side="right")]
    vhi = v[np.searchsorted(cum, hi, side="right")]
    return float(vlo + (h - lo) * (vhi - vlo))
