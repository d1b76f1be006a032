"""The dashboard's data: the store's incidents copied once into an in-memory DuckDB table.

At startup the columns the dashboard filters on or shows are copied from the store (opened
read-only and let go at once, so `crimecast run` can keep writing to it) into an in-memory table
sorted by date, and the views of the unfiltered city are computed once. Every interaction is then a
parameterised query over that table (the WHERE clause comes from `Filters.to_sql()`; values never
reach SQL as text) plus a small LRU cache of recent answers. bench/bench_dashboard.py measures
this against the pandas way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import duckdb
import pandas as pd

from crimecast import schema
from crimecast.errors import StoreError
from crimecast.filters import AGE_BANDS, Filters
from crimecast.store import DB_NAME, Store

FREQS = {"D": "day", "W": "week", "MS": "month"}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TOP_COLUMNS = {"crime": "crime_desc", "premise": "premise_desc", "weapon": "weapon_desc"}
COLUMNS = (
    "occurred_date",
    "hour",
    "area_id",
    "area_name",
    "crime_code",
    "crime_desc",
    "crime_category",
    "crime_class",
    "victim_age",
    "victim_sex",
    "victim_descent",
    "premise_desc",
    "weapon_desc",
    "lat",
    "lon",
    "simulated",
)


def _age_band_case() -> str:
    parts = " ".join(
        f"WHEN victim_age BETWEEN {lo} AND {hi} THEN '{b}'" for b, (lo, hi) in AGE_BANDS.items()
    )
    return f"CASE {parts} ELSE 'Unknown' END"


class Cube:
    """Read-only, thread-safe query service over a snapshot of the store's incidents."""

    def __init__(self, store: str | Path, cache_size: int = 256):
        self.store = Path(store).expanduser()
        if not (self.store / DB_NAME).exists():
            raise StoreError(
                f"no store at {self.store}",
                hint="load data first: crimecast run --demo, crimecast run --source FILE, "
                "or crimecast ingest FILE",
            )
        with Store(self.store, read_only=True) as st:
            self.info = st.info()
            self.completeness = st.completeness()
            frame = st.query(f"SELECT {', '.join(COLUMNS)} FROM incidents ORDER BY occurred_date")
        self._con = duckdb.connect()
        self._con.execute("SET threads = 2")
        self._con.register("_frame", frame)
        # weekday 0 = Monday, as in WEEKDAYS
        self._con.execute(
            "CREATE TABLE inc AS SELECT *, (isodow(occurred_date) - 1)::TINYINT AS weekday "
            "FROM _frame"
        )
        self._con.unregister("_frame")
        del frame
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self.options = self._options()
        self.rows = self.info["incidents"]
        # the landing view (no filters) computed once
        for freq in FREQS:
            self.series(Filters(), freq)
        self.by_area(Filters())
        self.weekday_hour(Filters())
        for key in TOP_COLUMNS:
            self.top(Filters(), key)

    # -- plumbing -------------------------------------------------------------------------------
    def _cursor(self) -> duckdb.DuckDBPyConnection:
        """One cursor per thread: a DuckDB connection must not be shared between threads."""
        cur = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._local.cur = self._con.cursor()
        return cur

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self._cursor().execute(sql, params or []).df()

    def _cached(self, key, compute):
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key].copy()
        value = compute()
        with self._lock:
            self._cache[key] = value
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return value.copy()

    def _options(self) -> dict:
        def distinct(col: str, by_count: bool = True) -> list[str]:
            order = "count(*) DESC" if by_count else col
            df = self.query(
                f"SELECT {col} AS v FROM inc WHERE {col} IS NOT NULL GROUP BY {col} ORDER BY {order}"
            )
            return [str(v) for v in df["v"]]

        dmin, dmax = self.info["date_min"], self.info["date_max"]
        present = set(
            self.query("SELECT DISTINCT area_id FROM inc WHERE area_id IS NOT NULL")["area_id"]
        )
        return {
            "areas": [{"id": a, "name": n} for a, n in schema.AREAS.items() if a in present],
            "categories": [c for c in schema.CATEGORIES if c in set(distinct("crime_category"))],
            "victim_sex": ["Female", "Male", "Unknown"],
            "age_bands": list(AGE_BANDS),
            "victim_descent": distinct("victim_descent"),
            "premises": distinct("premise_desc"),
            "weapons": distinct("weapon_desc"),
            "date_min": dmin,
            "date_max": dmax,
        }

    # -- views ----------------------------------------------------------------------------------
    def series(self, f: Filters, freq: str = "MS") -> pd.DataFrame:
        """Incidents per day / week / month for the selection, zero-filled over its date range."""
        if freq not in FREQS:
            raise ValueError(freq)

        def compute():
            where, params = f.to_sql()
            df = self.query(
                f"SELECT date_trunc('{FREQS[freq]}', occurred_date)::DATE AS ds, count(*) AS y "
                f"FROM inc WHERE {where} GROUP BY 1 ORDER BY 1",
                params,
            )
            if df.empty:
                return pd.DataFrame({"ds": pd.to_datetime([]), "y": pd.Series([], dtype="int64")})
            df["ds"] = pd.to_datetime(df["ds"])
            step = {"D": "D", "W": "W-MON", "MS": "MS"}[freq]
            full = pd.date_range(df["ds"].min(), df["ds"].max(), freq=step)
            out = df.set_index("ds").reindex(full, fill_value=0).rename_axis("ds").reset_index()
            out["y"] = out["y"].astype("int64")
            return out

        return self._cached(("series", f, freq), compute)

    def total(self, f: Filters) -> int:
        return int(self.series(f, "MS")["y"].sum())

    def by_area(self, f: Filters) -> pd.DataFrame:
        """Incidents per LAPD area, their rate per 100,000 residents and a centre point."""

        def compute():
            where, params = f.to_sql()
            df = self.query(
                "SELECT area_id, count(*) AS incidents, median(lat) AS lat, median(lon) AS lon "
                f"FROM inc WHERE {where} AND area_id IS NOT NULL GROUP BY 1 ORDER BY 1",
                params,
            )
            df["area_id"] = df["area_id"].astype(int)
            df.insert(1, "area_name", df["area_id"].map(schema.AREAS))
            pop = df["area_id"].map(schema.AREA_POPULATION)
            df["population"] = pop
            df["per_100k"] = (df["incidents"] / pop * 100_000).round(1)
            return df

        return self._cached(("area", f), compute)

    def weekday_hour(self, f: Filters) -> pd.DataFrame:
        """A 7 x 24 grid of incidents (rows Monday..Sunday, columns hours 0..23)."""

        def compute():
            where, params = f.to_sql()
            df = self.query(
                "SELECT weekday, hour, count(*) AS n FROM inc "
                f"WHERE {where} AND hour IS NOT NULL GROUP BY 1, 2",
                params,
            )
            grid = (
                df.pivot(index="weekday", columns="hour", values="n")
                .reindex(index=range(7), columns=range(24))
                .fillna(0)
                .astype("int64")
            )
            grid.index = WEEKDAYS
            return grid

        return self._cached(("wh", f), compute)

    def top(self, f: Filters, by: str, n: int = 10) -> pd.DataFrame:
        """The n most frequent crime types, premises or weapons in the selection, with shares."""
        col = TOP_COLUMNS[by]

        def compute():
            where, params = f.to_sql()
            df = self.query(
                f"SELECT {col} AS {by}, count(*) AS incidents FROM inc "
                f"WHERE {where} AND {col} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?",
                [*params, int(n)],
            )
            total = self.total(f)
            df["share"] = (df["incidents"] / total).round(4) if total else 0.0
            return df

        return self._cached(("top", f, by, n), compute)

    def points(self, f: Filters, limit: int = 20_000, seed: int = 7) -> pd.DataFrame:
        """A reproducible sample of geocoded incidents for density maps."""

        def compute():
            where, params = f.to_sql()
            # sample after filtering (a sample clause on the table itself comes before WHERE)
            return self.query(
                f"SELECT * FROM (SELECT lat, lon FROM inc WHERE {where} AND lat IS NOT NULL) "
                f"USING SAMPLE reservoir({int(limit)} ROWS) REPEATABLE ({int(seed)})",
                params,
            )

        return self._cached(("pts", f, limit), compute)

    def summary(self, f: Filters) -> dict:
        area = self.by_area(f)
        return {
            "incidents": self.total(f),
            "areas": int((area["incidents"] > 0).sum()),
            "simulated": bool(self.info["simulated"]),
        }
