"""NIBRS ingest benchmark: crimecast ingest of 1M NIBRS offense rows (the API's CSV fields, cases of
1-5 offenses) against the legacy ingest of a 1M-row portal export, in the same run, each into an
empty store in its own process. Target: NIBRS at most 1.3x the legacy time.

Measured (2 shared cores, load average 3.3-3.8): legacy 16.4 s, NIBRS 19.0 s for 1M offense rows
(about 630k cases): 1.16x; peak memory 782 / 776 MB."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

sys.path.insert(0, str(Path(__file__).parent))
from bench_ingest import CRIMECAST, timed  # noqa: E402

# Common NIBRS offense codes with rough shares of LAPD's offenses.
CODES = {
    "13B": 0.17, "23H": 0.12, "290": 0.12, "240": 0.10, "23F": 0.09, "13A": 0.07, "220": 0.07,
    "23C": 0.04, "13C": 0.04, "120": 0.03, "26A": 0.03, "26F": 0.02, "23D": 0.02, "35A": 0.02,
    "90Z": 0.02, "520": 0.01, "11D": 0.01, "11A": 0.005, "200": 0.003, "09A": 0.002,
}  # fmt: skip


def nibrs_table(rows: int, seed: int = 1) -> pa.Table:
    """`rows` offense rows in the SODA API's field names, cases of 1-5 offenses."""
    from crimecast import codes
    from crimecast.schema import AREAS

    rng = np.random.default_rng(seed)
    sizes = rng.choice([1, 2, 3, 4, 5], p=[0.62, 0.24, 0.09, 0.04, 0.01], size=rows)
    sizes = sizes[np.cumsum(sizes) <= rows]
    sizes = np.append(sizes, rows - sizes.sum()) if sizes.sum() < rows else sizes
    n_cases = len(sizes)
    case_of_row = np.repeat(np.arange(n_cases), sizes)
    seq = np.arange(rows) - np.repeat(np.cumsum(sizes) - sizes, sizes) + 1
    keys = list(CODES)
    p = np.array(list(CODES.values()))
    code = np.array(keys)[rng.choice(len(keys), p=p / p.sum(), size=rows)]
    pick = {k: i for i, k in enumerate(keys)}
    idx = np.array([pick[k] for k in code])
    desc = np.array([codes.lookup("nibrs", k).description for k in keys])[idx]
    against = np.array([codes.lookup("nibrs", k).crime_against for k in keys])[idx]
    area = rng.integers(1, 22, size=n_cases)
    start = np.datetime64("2024-03-07")
    days = rng.integers(0, 960, size=n_cases)
    occ = (start + days.astype("timedelta64[D]")).astype(str)
    rptd = (start + (days + rng.integers(0, 30, size=n_cases)).astype("timedelta64[D]")).astype(str)
    caseno = np.char.add(
        np.char.zfill((24 + days // 365).astype(str), 2),
        np.char.zfill((area * 100000 + np.arange(n_cases) % 100000).astype(str), 7),
    )
    caseno = np.char.add(caseno, np.char.zfill((np.arange(n_cases) // 100000).astype(str), 2))
    lat = rng.uniform(33.75, 34.3, size=n_cases).round(4).astype(str)
    lon = rng.uniform(-118.65, -118.18, size=n_cases).round(4).astype(str)
    where = rng.random(n_cases)
    lat[where < 0.02], lon[where < 0.02] = "0", "0"
    lat[where > 0.97], lon[where > 0.97] = "", ""
    c = case_of_row
    flag = rng.choice(["N", "Y"], p=[0.97, 0.03], size=rows)
    cols = {
        "caseno": caseno[c],
        "uniquenibrno": np.char.add(
            np.char.add(caseno[c], code), np.char.zfill(seq.astype(str), 2)
        ),
        "date_rptd": np.char.add(rptd[c], "T00:00:00.000"),
        "date_occ": np.char.add(occ[c], "T00:00:00.000"),
        "time_occ": np.char.zfill(rng.integers(0, 24, size=n_cases).astype(str), 2)[c],
        "area": area[c].astype(str),
        "area_name": np.array(["", *AREAS.values()])[area[c]],
        "rpt_dist_no": (area * 100 + 1)[c].astype(str),
        "totaloffensecount": sizes[c].astype(str),
        "group": np.full(rows, "A"),
        "nibr_code": code,
        "nibr_description": desc,
        "crime_against": against,
        "premis_cd": np.full(rows, "101"),
        "premis_desc": np.full(rows, "STREET"),
        "weapon_used_cd": np.full(rows, ""),
        "weapon_desc": np.full(rows, ""),
        "status": np.full(rows, "IC"),
        "status_desc": np.full(rows, "Invest Cont"),
        "totalvictimcount": np.full(rows, "1"),
        "victim_shot": flag,
        "domestic_violence_crime": flag,
        "hate_crime": np.full(rows, "N"),
        "gang_related_crime": np.full(rows, "N"),
        "transit_related_crime": np.full(rows, "N"),
        "homeless_victim_crime": np.full(rows, "N"),
        "homeless_suspect_crime": np.full(rows, "N"),
        "homeless_arrestee_crime": np.full(rows, "N"),
        "hndrdth_loc_chk": np.full(rows, "100 W 1ST ST"),
        "hndrdth_lat": lat[c],
        "hndrdth_lon": lon[c],
    }
    cols["time_occ"] = np.char.add(cols["time_occ"], "00")
    return pa.table({k: pa.array(v.tolist(), pa.string()) for k, v in cols.items()})


def run(rows: int) -> dict:
    from crimecast.ingest.simulate import simulate, write_csv

    with tempfile.TemporaryDirectory() as tmp:
        legacy = Path(tmp) / "legacy.simulated.csv"
        write_csv(simulate(rows, seed=1), legacy)
        nibrs = Path(tmp) / "nibrs_offenses.csv"
        t0 = time.perf_counter()
        pacsv.write_csv(nibrs_table(rows), nibrs)
        gen = time.perf_counter() - t0
        legacy_t = timed(CRIMECAST, str(legacy), str(Path(tmp) / "legacy_store"))
        nibrs_t = timed(CRIMECAST, str(nibrs), str(Path(tmp) / "nibrs_store"))
        sizes = {p.name: round(p.stat().st_size / 1e6, 1) for p in (legacy, nibrs)}
    return {
        "rows": rows,
        "file_mb": sizes,
        "nibrs_generate_seconds": round(gen, 2),
        "legacy_ingest": legacy_t,
        "nibrs_ingest": nibrs_t,
        "nibrs_vs_legacy": round(nibrs_t["seconds"] / legacy_t["seconds"], 2),
        "target": "nibrs_vs_legacy <= 1.3",
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
