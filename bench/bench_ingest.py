"""Ingest benchmark: crimecast ingest (parse + clean + validate + store) of a simulated 1M-row
portal export, against the floor (a bare DuckDB read_csv + count(*) of the same file) and the
usual notebook way (pandas read_csv + to_datetime + drop/clean). Also timed: DuckDB loading the
file with no cleaning (into a table, into Parquet), the least a DuckDB-backed store can cost.
Each runs in its own process so peak memory (max RSS) is measured per contender."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FLOOR = """
import duckdb, sys
# timed
con = duckdb.connect()
print(con.execute("SELECT count(*) FROM read_csv(?, all_varchar=true)", [sys.argv[1]]).fetchall()[0][0])
"""

# What DuckDB itself needs just to load the file with no cleaning at all, into a database table
# or into Parquet: the least any DuckDB-backed store can cost. Printed so the ratio to the
# floor can be read against what is reachable at all on this machine.
BARE_TABLE = """
import duckdb, sys
# timed
con = duckdb.connect(sys.argv[2] + ".duckdb")
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
print(con.execute("SELECT count(*) FROM t").fetchall()[0][0])
con.close()
"""

BARE_PARQUET = """
import duckdb, sys
# timed
con = duckdb.connect()
con.execute(f"COPY (SELECT * FROM read_csv('{sys.argv[1]}')) TO '{sys.argv[2]}.parquet'")
print(con.execute(f"SELECT count(*) FROM '{sys.argv[2]}.parquet'").fetchall()[0][0])
"""

CRIMECAST = """
import sys
from crimecast.store import Store
# timed
with Store(sys.argv[2]) as st:
    rep = st.ingest_files([sys.argv[1]], simulated=True)[0]
    assert rep.reconciles
    print(rep.stored)
"""

# A small refresh (re-sent records, all in one year) into the 1M-row store, against rewriting
# the whole Parquet mirror: the refresh rewrites only the partitions it touched.
REFRESH = """
import sys
from crimecast.store import Store
# timed
with Store(sys.argv[2]) as st:
    rep = st.ingest_files([sys.argv[1]], simulated=True)[0]
    assert rep.reconciles
    print(rep.stored + rep.duplicates_merged)
"""

FULL_MIRROR = """
import sys
from crimecast.store import Store
# timed
with Store(sys.argv[2]) as st:
    st.export_parquet()
    print(st.count())
"""

PANDAS = """
import sys
import pandas as pd
# timed
df = pd.read_csv(sys.argv[1], dtype={"DR_NO": str})
df["Date Rptd"] = pd.to_datetime(df["Date Rptd"], format="%m/%d/%Y %I:%M:%S %p")
df["DATE OCC"] = pd.to_datetime(df["DATE OCC"], format="%m/%d/%Y %I:%M:%S %p")
df = df.drop(columns=["Crm Cd 1", "Crm Cd 2", "Crm Cd 3", "Crm Cd 4", "Mocodes"])
df = df.dropna(subset=["DATE OCC", "AREA", "Crm Cd"])
df.loc[df["Vict Age"] <= 0, "Vict Age"] = None
df.loc[(df["LAT"] == 0) | (df["LON"] == 0), ["LAT", "LON"]] = None
df["hour"] = df["TIME OCC"] // 100
df = df.drop_duplicates("DR_NO", keep="last")
df.to_parquet(sys.argv[2] + ".parquet")
print(len(df))
"""


REFRESH_ROWS = 2_000


def timed(code: str, *args: str) -> dict:
    """Run `code` in a fresh interpreter; wall seconds after the imports, and peak RSS."""
    imports, body = code.split("# timed\n")
    wrapper = (
        imports + "import time\nt0 = time.perf_counter()\n" + body + "\nimport sys as _s\n"
        "print('SECONDS', time.perf_counter() - t0, file=_s.stderr)\n"
        # VmHWM is this process's own peak (ru_maxrss would carry the parent's over exec).
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]\n"
        "print('MAXRSS_KB', hwm, file=_s.stderr)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", wrapper, *args], capture_output=True, text=True, check=True
    )
    lines = dict(line.split(" ", 1) for line in res.stderr.splitlines() if " " in line)
    return {
        "seconds": round(float(lines["SECONDS"]), 2),
        "peak_mb": round(int(lines["MAXRSS_KB"]) / 1024),
        "rows_out": int(res.stdout.strip().splitlines()[-1]),
    }


def run(rows: int) -> dict:
    from crimecast.ingest.simulate import simulate, write_csv

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.simulated.csv"
        t0 = time.perf_counter()
        write_csv(simulate(rows, seed=1), path)
        gen = time.perf_counter() - t0
        size_mb = path.stat().st_size / 1e6
        floor = timed(FLOOR, str(path))
        ours = timed(CRIMECAST, str(path), str(Path(tmp) / "store"))
        small = Path(tmp) / "refresh.simulated.csv"
        with open(path) as src, open(small, "w") as dst:
            dst.writelines(line for _, line in zip(range(REFRESH_ROWS + 1), src, strict=False))
        refresh = timed(REFRESH, str(small), str(Path(tmp) / "store"))
        full_mirror = timed(FULL_MIRROR, str(path), str(Path(tmp) / "store"))
        notebook = timed(PANDAS, str(path), str(Path(tmp) / "pandas"))
        bare_table = timed(BARE_TABLE, str(path), str(Path(tmp) / "bare"))
        bare_parquet = timed(BARE_PARQUET, str(path), str(Path(tmp) / "bare"))
    return {
        "file_rows": rows,
        "file_mb": round(size_mb, 1),
        "simulate_seconds": round(gen, 2),
        "duckdb_read_csv_count_floor": floor,
        "crimecast_ingest": ours,
        "pandas_notebook": notebook,
        "duckdb_load_without_cleaning_table": bare_table,
        "duckdb_load_without_cleaning_parquet": bare_parquet,
        "refresh_rows_into_the_store": REFRESH_ROWS,
        "crimecast_small_refresh": refresh,
        "full_parquet_mirror_rewrite": full_mirror,
        "ratio_vs_floor": round(ours["seconds"] / floor["seconds"], 2),
        "bare_table_load_ratio_vs_floor": round(bare_table["seconds"] / floor["seconds"], 2),
        "bare_parquet_load_ratio_vs_floor": round(bare_parquet["seconds"] / floor["seconds"], 2),
        "ratio_vs_bare_table_load": round(ours["seconds"] / bare_table["seconds"], 2),
        "speedup_vs_pandas": round(notebook["seconds"] / ours["seconds"], 2),
        "targets": "ratio_vs_floor <= 4, speedup_vs_pandas >= 5, crimecast peak_mb <= 2048",
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
