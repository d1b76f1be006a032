"""Bounded load test of the dashboard on loopback: `crimecast serve` in its own process on
127.0.0.1 at a free port, N concurrent clients (default 20) for a fixed time (default 60 s) over
every endpoint (the JSON API, the downloads, the page and its layout) with random valid filters.
Prints per-endpoint requests, errors, p50 and p95 (ms) as JSON; it stops by itself.

    .venv/bin/python bench/bench_dashboard_load.py --store /tmp/dashout/demo-store \\
        --out /tmp/dashout --seconds 60
    .venv/bin/python bench/run.py dashboard_load --rows 100000   # on a simulated store

Target: every endpoint p95 <= 500 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_dashboard import _free_port, build_store, pct, random_query  # noqa: E402

CLIENTS = 20
SECONDS = 60
TARGET_P95_MS = 500
FILTERED = {
    "series": "/api/series",
    "areas": "/api/areas",
    "heatmap": "/api/heatmap",
    "top": "/api/top",
    "series.csv": "/api/download/series.csv",
    "series.png": "/api/download/series.png",
    "areas.csv": "/api/download/areas.csv",
    "areas.geojson": "/api/download/areas.geojson",
}
PLAIN = {"health": "/api/health", "options": "/api/options", "page": "/", "layout": "/_dash-layout"}
WITH_FREQ = {"series", "series.csv", "series.png"}


def _start(store: Path, out: Path | None) -> tuple[subprocess.Popen, str, float]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "crimecast.cli", "serve", "--store", str(store),
           "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    if out:
        cmd += ["--out", str(out)]
    t0 = time.perf_counter()
    # the server's log goes to a file: a pipe nobody reads would fill and stall the server
    log = tempfile.NamedTemporaryFile("w+", prefix="crimecast-serve-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, text=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"crimecast serve exited: {Path(log.name).read_text()[-2000:]}")
        try:
            if requests.get(base + "/api/health", timeout=2).ok:
                return proc, base, time.perf_counter() - t0
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the dashboard did not answer /api/health within 300 s")


def _requests_for(base: str, opts: dict, health: dict) -> list[tuple[str, str, bool]]:
    """(name, url, takes filters) for every endpoint this server has."""
    out = [(k, base + u, True) for k, u in FILTERED.items()]
    out += [(k, base + u, False) for k, u in PLAIN.items()]
    if health.get("forecasts"):
        out += [
            ("forecast", base + "/api/forecast", False),
            ("backtest", base + "/api/backtest", False),
        ]
    return out


def load(
    store: Path, out: Path | None = None, seconds: float = SECONDS, clients: int = CLIENTS
) -> dict:
    proc, base, startup = _start(store, out)
    try:
        opts = requests.get(base + "/api/options", timeout=30).json()
        health = requests.get(base + "/api/health", timeout=30).json()
        endpoints = _requests_for(base, opts, health)
        y_min, y_max = int(opts["date_min"][:4]), int(opts["date_max"][:4])
        lock = threading.Lock()
        lat: dict[str, list[float]] = {name: [] for name, _, _ in endpoints}
        errors: dict[str, list[str]] = {name: [] for name, _, _ in endpoints}
        stop = time.monotonic() + seconds

        def client(i: int) -> None:
            rng = random.Random(1000 + i)
            session = requests.Session()
            while time.monotonic() < stop:
                name, url, filtered = rng.choice(endpoints)
                params = None
                if filtered:
                    q = random_query(rng, opts["premises"], opts["weapons"])
                    y0 = rng.randint(y_min, y_max)
                    q = [p for p in q if p[0] not in ("from", "to")]
                    q += [("from", f"{y0}-{rng.randint(1, 12):02d}-01"),
                          ("to", f"{rng.randint(y0, y_max)}-12-31")]  # fmt: skip
                    params = q if name in WITH_FREQ else [p for p in q if p[0] != "freq"]
                t = time.perf_counter()
                try:
                    r = session.get(url, params=params, timeout=60)
                    err = None if r.status_code == 200 else f"HTTP {r.status_code}: {r.text[:120]}"
                except requests.RequestException as exc:
                    err = type(exc).__name__
                dt = time.perf_counter() - t
                with lock:
                    lat[name].append(dt)
                    if err:
                        errors[name].append(err)

        threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
        t0 = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join(seconds + 120)
        wall = time.perf_counter() - t0
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    per = {
        name: {
            "requests": len(xs),
            "errors": len(errors[name]),
            "p50_ms": pct(xs, 50) if xs else None,
            "p95_ms": pct(xs, 95) if xs else None,
            **({"error_examples": sorted(set(errors[name]))[:3]} if errors[name] else {}),
        }
        for name, xs in sorted(lat.items())
    }
    every = [x for xs in lat.values() for x in xs]
    worst = max((v["p95_ms"] or 0) for v in per.values())
    return {
        "store": str(store),
        "incidents": health["incidents"],
        "startup_s": round(startup, 2),
        "clients": clients,
        "seconds": round(wall, 1),
        "requests": len(every),
        "requests_per_s": round(len(every) / wall, 1),
        "errors": sum(v["errors"] for v in per.values()),
        "p50_ms": pct(every, 50),
        "p95_ms": pct(every, 95),
        "worst_endpoint_p95_ms": worst,
        "target_p95_ms": TARGET_P95_MS,
        "meets_target": worst <= TARGET_P95_MS,
        "endpoints": per,
    }


def run(rows: int) -> dict:
    """For bench/run.py: the load test on a simulated store of `rows` incidents."""
    with tempfile.TemporaryDirectory(prefix="crimecast-bench-load-") as tmp:
        return load(build_store(rows, Path(tmp)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", type=Path, required=True, help="the store to serve")
    parser.add_argument("--out", type=Path, help="a run's output directory (forecast endpoints)")
    parser.add_argument("--seconds", type=float, default=SECONDS, help="how long to load it")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients")
    args = parser.parse_args()
    print(json.dumps(load(args.store, args.out, args.seconds, args.clients), indent=2))


if __name__ == "__main__":
    main()
