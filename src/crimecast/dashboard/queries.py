"""The dashboard's data: a compact, typed in-memory copy of the columns it uses.

At startup the columns the dashboard filters on or shows are read, DuckDB to DuckDB with no pandas
frame in between, from the store's Parquet mirror (or, if the mirror is not current, from the
store's database attached read-only and detached at once, so `crimecast run` can keep writing)
into an in-memory table sorted by date. Text columns become ENUMs (one byte per incident for a few
hundred values), coordinates 4-byte floats, so 3.5 million incidents take a few hundred MB, not
GB. The views of the unfiltered city are computed once. Every interaction is then a parameterised
query over that table (the WHERE clause comes from `Filters.to_sql()`; values never reach SQL as
text) plus a small LRU cache of recent answers. bench/bench_dashboard.py measures start-up, peak
memory and latency.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

import duckdb
import pandas as pd

from crimecast import panel, schema
from crimecast.errors import StoreError
from crimecast.filters import AGE_BANDS, Filters
from crimecast.store import DB_NAME, Store

FREQS = {f: panel.PERIOD_UNITS[f] for f in ("D", "W", "MS")}  # what the dashboard offers
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TOP_COLUMNS = {"crime": "crime_desc", "premise": "premise_desc", "weapon": "weapon_desc"}
# the columns copied, as the SQL that types them; ENUM columns are filled in at load time
COLUMNS = {
    "occurred_date": "occurred_date::DATE",
    "hour": "hour::TINYINT",
    "area_id": "area_id::TINYINT",
    "crime_code": "crime_code::SMALLINT",
    "crime_desc": None,
    "crime_category": None,
    "crime_class": None,
    "victim_age": "victim_age::TINYINT",
    "victim_sex": None,
    "victim_descent": None,
    "premise_desc": None,
    "weapon_desc": None,
    "lat": "lat::FLOAT",
    "lon": "lon::FLOAT",
    "simulated": "simulated::BOOLEAN",
}
ENUMS = [c for c, sql in COLUMNS.items() if sql is None]


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _load(con: duckdb.DuckDBPyConnection, source: str, ordered: bool) -> dict[str, list[str]]:
    """Copy the dashboard's columns from `source` (a table expression) into the table `inc`;
    returns each text column's values, most frequent first. `ordered`: the source already comes
    in date order (the mirror's year partitions, read in year order), so it is not sorted again."""
    values = {}
    for i, col in enumerate(ENUMS):
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _v AS SELECT {col}::VARCHAR AS v, count(*) AS n "
            f"FROM {source} WHERE {col} IS NOT NULL GROUP BY 1"
        )
        values[col] = [r[0] for r in con.execute("SELECT v FROM _v ORDER BY n DESC, v").fetchall()]
        con.execute(f"DROP TYPE IF EXISTS e{i}")
        con.execute(f"CREATE TYPE e{i} AS ENUM (SELECT v FROM _v ORDER BY v)")
    con.execute("DROP TABLE IF EXISTS _v")
    cols = ", ".join(
        f"{sql} AS {c}" if sql else f"{c}::e{ENUMS.index(c)} AS {c}" for c, sql in COLUMNS.items()
    )
    # weekday 0 = Monday, as in WEEKDAYS
    con.execute(
        f"CREATE TABLE inc AS SELECT {cols}, (isodow(occurred_date) - 1)::TINYINT AS weekday "
        f"FROM {source}" + ("" if ordered else " ORDER BY occurred_date")
    )
    return values


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
            mirror = st.parquet_dir if st.mirror_is_current() else None
            # year=YYYY partitions sort in date order
            files = sorted(mirror.glob("year=*/*.parquet")) if mirror and mirror.exists() else []
        self._con = duckdb.connect()
        self._con.execute("SET threads = 2")
        if files:
            # file names come from the store's own directory listing, quoted as SQL text
            listed = "[" + ", ".join(_sql_text(str(f)) for f in files) + "]"
            values = _load(self._con, f"read_parquet({listed}, hive_partitioning = true)", True)
        else:  # no mirror yet (or an empty store): the database itself, attached read-only
            self._con.execute(f"ATTACH {_sql_text(str(self.store / DB_NAME))} AS st (READ_ONLY)")
            try:
                values = _load(self._con, "st.incidents", False)
            finally:
                self._con.execute("DETACH st")
        self._local = threading.local()
        self._lock = threading.Lock()
        self._cache: OrderedDict = OrderedDict()
        self._cache_size = cache_size
        self.options = self._options(values)
        self.rows = self.info["incidents"]
        # the landing view (no filters) is computed once, off the start-up path: the server
        # answers at once, and a request that comes first computes (and caches) what it needs
        self.warmed = threading.Thread(target=self._warm, name="cube-warm-up", daemon=True)
        self.warmed.start()

    def _warm(self) -> None:
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

    def _options(self, values: dict[str, list[str]]) -> dict:
        dmin, dmax = self.info["date_min"], self.info["date_max"]
        present = set(
            self.query("SELECT DISTINCT area_id FROM inc WHERE area_id IS NOT NULL")["area_id"]
        )
        categories = set(values["crime_category"])
        return {
            "areas": [{"id": a, "name": n} for a, n in schema.AREAS.items() if a in present],
            "categories": [c for c in schema.CATEGORIES if c in categories],
            "victim_sex": ["Female", "Male", "Unknown"],
            "age_bands": list(AGE_BANDS),
            "victim_descent": values["victim_descent"],
            "premises": values["premise_desc"],
            "weapons": values["weapon_desc"],
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
                f"SELECT {col}::VARCHAR AS {by}, count(*) AS incidents FROM inc "
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
