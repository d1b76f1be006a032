"""Dashboard benchmark on a simulated store of `rows` incidents.

(b) /api/series latency with filters: 200 distinct filter combinations (so the answer cache never
    helps) through the Flask app, p50/p95, against the naive pandas way measured in the same run
    (the incidents in a DataFrame, `Filters.apply`, then a groupby by month).
(c) a bounded load test on loopback: `crimecast serve` in its own process, 20 concurrent clients
    for 60 s against the API and the pages: requests served, errors, p50/p95.
(d) the server as users start it: `crimecast serve` in its own process on 127.0.0.1, its start-up
    (until /api/health answers), its peak memory (VmHWM from the server process's
    /proc/<pid>/status) and /api/series p50/p95 over 200 filtered queries over HTTP.
    Targets on 3.5M incidents: start-up <= 5 s, VmHWM <= 1.5 GB, series p95 <= 100 ms.

    .venv/bin/python bench/run.py dashboard --rows 1000000
    .venv/bin/python bench/bench_dashboard.py --serve-only --store /tmp/big/store  # reuse a store
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from crimecast import schema
from crimecast.filters import AGE_BANDS, Filters
from crimecast.ingest.simulate import default_name, simulate_table, write_csv
from crimecast.store import Store

CLIENTS = 20
LOAD_SECONDS = 60
SAMPLES = 200


def build_store(rows: int, root: Path) -> Path:
    csv = write_csv(
        simulate_table(rows, seed=3, start="2015-01-01", end="2023-12-31"),
        root / default_name(rows, 3),
    )
    with Store(root / "store") as st:
        st.ingest_files([csv], simulated=True)
    csv.unlink()
    return root / "store"


def random_query(rng: random.Random, premises: list[str], weapons: list[str]) -> list[tuple]:
    """A plausible dashboard selection: some dates, areas, categories, victim fields."""
    q = [("freq", rng.choice(["MS", "W", "D"]))]
    y0 = rng.randint(2015, 2022)
    q += [("from", f"{y0}-{rng.randint(1, 12):02d}-01"), ("to", f"{rng.randint(y0, 2023)}-12-31")]
    for a in rng.sample(sorted(schema.AREAS), rng.randint(0, 3)):
        q.append(("area", str(a)))
    for c in rng.sample(schema.CATEGORIES, rng.randint(0, 2)):
        q.append(("category", c))
    if rng.random() < 0.4:
        q.append(("sex", rng.choice(["Male", "Female"])))
    if rng.random() < 0.3:
        q.append(("age_band", rng.choice(list(AGE_BANDS))))
    if rng.random() < 0.2:
        q.append(("premise", rng.choice(premises[:20])))
    if rng.random() < 0.2:
        q.append(("weapon", rng.choice(weapons[:10])))
    return q


def to_filters(q: list[tuple]) -> tuple[Filters, str]:
    get = lambda k: [v for key, v in q if key == k]  # noqa: E731
    f = Filters.build(
        date_from=get("from")[0],
        date_to=get("to")[0],
        areas=get("area"),
        categories=get("category"),
        victim_sex=get("sex"),
        age_bands=get("age_band"),
        premises=get("premise"),
        weapons=get("weapon"),
    )
    return f, get("freq")[0]


def pct(xs, p) -> float:
    return round(float(np.percentile(xs, p)) * 1000, 2)


def latency(store: Path) -> dict:
    from crimecast.dashboard.app import create_app

    t0 = time.perf_counter()
    app = create_app(store)
    startup = time.perf_counter() - t0
    client = app.server.test_client()
    rng = random.Random(5)
    opts = app.cube.options
    queries = [random_query(rng, opts["premises"], opts["weapons"]) for _ in range(SAMPLES)]
    ours = []
    for q in queries:
        t = time.perf_counter()
        r = client.get("/api/series", query_string=q)
        ours.append(time.perf_counter() - t)
        assert r.status_code == 200, r.get_data(as_text=True)
    # the naive way: every incident in a pandas frame, filter, group by period
    with Store(store, read_only=True) as st:
        t = time.perf_counter()
        frame = st.incidents(
            columns=[
                "occurred_date", "area_id", "crime_category", "crime_class", "crime_code",
                "victim_sex", "victim_descent", "victim_age", "premise_desc", "weapon_desc",
                "simulated",
            ]
        )  # fmt: skip
        load = time.perf_counter() - t
    frame["occurred_date"] = frame["occurred_date"].astype("datetime64[ns]")
    naive = []
    for q in queries[:50]:
        f, freq = to_filters(q)
        t = time.perf_counter()
        sel = f.apply(frame)
        period = {"MS": "M", "W": "W", "D": "D"}[freq]
        sel.groupby(sel["occurred_date"].dt.to_period(period)).size()
        naive.append(time.perf_counter() - t)
    check_f, check_freq = to_filters(queries[0])
    got = client.get("/api/series", query_string=queries[0]).get_json()["total"]
    assert got == len(check_f.apply(frame)), "the endpoint and the pandas way disagree"
    return {
        "rows": app.cube.rows,
        "startup_s": round(startup, 2),
        "series_p50_ms": pct(ours, 50),
        "series_p95_ms": pct(ours, 95),
        "pandas_p50_ms": pct(naive, 50),
        "pandas_p95_ms": pct(naive, 95),
        "pandas_load_s": round(load, 2),
        "p95_speedup_vs_pandas": round(np.percentile(naive, 95) / np.percentile(ours, 95), 1),
        "target_p95_ms": 100,
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def load_test(store: Path, seconds: int = LOAD_SECONDS, clients: int = CLIENTS) -> dict:
    import requests

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "crimecast.cli", "serve", "--store", str(store),
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 300
        while time.time() < deadline:
            try:
                if requests.get(base + "/api/health", timeout=2).ok:
                    break
            except requests.RequestException:
                time.sleep(0.5)
        else:
            raise RuntimeError("the dashboard did not start")
        opts = requests.get(base + "/api/options", timeout=10).json()
        lock = threading.Lock()
        lat, errors, by_kind = [], [], {}
        stop = time.time() + seconds

        def client(i: int) -> None:
            rng = random.Random(100 + i)
            s = requests.Session()
            while time.time() < stop:
                kind = rng.choices(
                    ["series", "areas", "top", "heatmap", "page", "layout"], [5, 2, 2, 1, 1, 1]
                )[0]
                q = random_query(rng, opts["premises"], opts["weapons"])
                url = {
                    "series": "/api/series",
                    "areas": "/api/areas",
                    "top": "/api/top",
                    "heatmap": "/api/heatmap",
                    "page": "/",
                    "layout": "/_dash-layout",
                }[kind]
                params = q if kind == "series" else [p for p in q if p[0] != "freq"]
                t = time.perf_counter()
                try:
                    r = s.get(base + url, params=params if kind not in ("page", "layout") else None,
                              timeout=30)  # fmt: skip
                    ok = r.status_code == 200
                    err = None if ok else f"{kind} {r.status_code}"
                except requests.RequestException as exc:
                    err = f"{kind} {type(exc).__name__}"
                dt = time.perf_counter() - t
                with lock:
                    lat.append(dt)
                    by_kind.setdefault(kind, []).append(dt)
                    if err:
                        errors.append(err)

        threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(lat),
        "requests_per_s": round(len(lat) / wall, 1),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:5],
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "p95_ms_by_kind": {k: pct(v, 95) for k, v in sorted(by_kind.items())},
    }


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/{pid}/status")


def serve_figures(store: Path, samples: int = SAMPLES) -> dict:
    """Start-up, peak memory and /api/series latency of `crimecast serve` on this store."""
    import requests

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "crimecast.cli", "serve", "--store", str(store),
           "--port", str(port)]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            if proc.poll() is not None or time.perf_counter() - t0 > 600:
                raise RuntimeError("the dashboard did not start")
            try:
                if requests.get(base + "/api/health", timeout=1).ok:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        startup = time.perf_counter() - t0
        hwm_start = _status_kb(proc.pid, "VmHWM")
        s = requests.Session()
        opts = s.get(base + "/api/options", timeout=30).json()
        rng = random.Random(11)
        lat = []
        for _ in range(samples):
            q = random_query(rng, opts["premises"], opts["weapons"])
            t = time.perf_counter()
            r = s.get(base + "/api/series", params=q, timeout=60)
            lat.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text[:300]
        rows = s.get(base + "/api/health", timeout=30).json()["incidents"]
        hwm, rss = _status_kb(proc.pid, "VmHWM"), _status_kb(proc.pid, "VmRSS")
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    return {
        "rows": rows,
        "startup_s": round(startup, 2),
        "vmhwm_after_startup_mb": round(hwm_start / 1024),
        "vmhwm_mb": round(hwm / 1024),
        "vmrss_mb": round(rss / 1024),
        "series_http_p50_ms": pct(lat, 50),
        "series_http_p95_ms": pct(lat, 95),
        "targets": {"startup_s": 5, "vmhwm_mb": 1536, "series_p95_ms": 100},
    }


def run(rows: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="crimecast-bench-dash-") as tmp:
        t = time.perf_counter()
        store = build_store(rows, Path(tmp))
        build = time.perf_counter() - t
        out = {"store_build_s": round(build, 1), "serve": serve_figures(store)}
        out["latency"] = latency(store)
        out["load"] = load_test(store)
    return out


def main() -> None:
    import argparse
    import json

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=100_000, help="simulated incidents")
    parser.add_argument("--store", type=Path, help="an existing store to measure (not rebuilt)")
    parser.add_argument(
        "--serve-only", action="store_true", help="only (d): start-up, VmHWM, series p95"
    )
    args = parser.parse_args()
    if args.store and args.serve_only:
        out = {"serve": serve_figures(args.store)}
    elif args.store:
        out = {"serve": serve_figures(args.store), "latency": latency(args.store)}
    elif args.serve_only:
        with tempfile.TemporaryDirectory(prefix="crimecast-bench-dash-") as tmp:
            out = {"serve": serve_figures(build_store(args.rows, Path(tmp)))}
    else:
        out = run(args.rows)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
