"""Benchmark runner: runs every bench/bench_*.py module's `run(rows)` and prints one JSON object.

    .venv/bin/python bench/run.py                 # all benchmarks, default sizes
    .venv/bin/python bench/run.py ingest eda      # only these
    .venv/bin/python bench/run.py --rows 100000   # smaller inputs for a quick look

Each benchmark measures crimecast against a baseline in the same run and reports ratios.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="simulated incidents")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))
    modules = sorted(HERE.glob("bench_*.py"))
    chosen = [m for m in modules if not args.names or m.stem.removeprefix("bench_") in args.names]
    results: dict[str, object] = {"rows": args.rows}
    for path in chosen:
        spec = importlib.util.spec_from_file_location(path.stem, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        t0 = time.perf_counter()
        results[path.stem.removeprefix("bench_")] = module.run(args.rows)
        print(f"{path.stem}: {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
