"""`crimecast run`: data -> completeness -> EDA -> hotspots -> forecasts with backtests -> report.

The orchestration only: every analysis is the public function of its own part (crimecast.eda,
crimecast.spatial, crimecast.panel / crimecast.forecast); this module reads one snapshot of the
store, calls them, writes their outputs into the run directory and remembers what it computed.

Caching: each step's result is pickled under `OUT/.cache/` with a key made of the store's ingest
ledger (what data is in the store), the options that step depends on, the crimecast version and
a digest of crimecast's own code. Re-running with nothing new loads every step from the cache
("reused").
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import pickle
import platform
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from crimecast import config
from crimecast.errors import CrimecastError, StoreError
from crimecast.report import analyses, fitness_step, hindsight_step
from crimecast.report import brief as report_brief
from crimecast.report import build as report_build
from crimecast.report import compstat as report_compstat
from crimecast.report import steps as report_steps
from crimecast.report.build import __version__
from crimecast.storage import file_sha256
from crimecast.store import DB_NAME, Store

STEPS = ("data", "completeness", "fitness", "eda", "hotspots", "forecast", "hindsight", "report")
STEP_LABELS = {
    "data": "ingest",
    "completeness": "completeness check",
    "fitness": "data fitness",
    "eda": "exploratory analysis",
    "hotspots": "hotspots",
    "forecast": "forecasts + backtests",
    "hindsight": "forecast vs actual",
    "report": "report",
}
CACHE_VERSION = 1
STEP_FUNCTIONS = {
    "completeness": report_steps.step_completeness,
    "fitness": fitness_step.step_fitness,
    "eda": analyses.step_eda,
    "hotspots": analyses.step_hotspots,
    "forecast": report_steps.step_forecast,
    "hindsight": hindsight_step.step_hindsight,
}
LIBS = ("duckdb", "pandas", "numpy", "statsmodels", "prophet", "statsforecast", "plotly", "esda")


@dataclass(frozen=True)
class RunOptions:
    out: Path
    store: Path
    sources: tuple[Path, ...] = ()
    demo: bool = False
    demo_rows: int = 30_000
    demo_start: str = "2016-01-01"
    demo_end: str | None = None  # the present month
    backend: str = "local"
    seed: int = 42
    horizon: int = 24
    windows: int = 3
    full: bool = False  # also area x category series (slower)
    models: tuple[str, ...] = ()  # forecast models; () = the default set (plus naive for --demo)
    boundaries: Path | None = None  # division GeoJSON; default: cached or downloaded GeoHub layer


@dataclass
class StepRecord:
    name: str
    status: str = "pending"  # computed | reused | skipped | not available | failed
    seconds: float = 0.0
    note: str = ""


@dataclass
class RunResult:
    out: Path
    store: Path
    steps: list[StepRecord] = field(default_factory=list)
    run_json: dict = field(default_factory=dict)

    @property
    def report(self) -> Path:
        return self.out / "report.html"


Callback = Callable[[str, str, StepRecord], None]


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


def ledger_key(store: Store) -> str:
    """What data is in the store: the ingest ledger (one row per ingested file or page)."""
    led = store.query(
        "SELECT sha256, source, stored, quarantined, duplicates_merged FROM ingests "
        "ORDER BY ingested_at, ingest_id"
    )
    n = store.count()
    return _digest([led.astype(str).values.tolist(), n])


@functools.cache
def code_digest() -> str:
    """A digest of crimecast's own code and templates: a cached result made by other code (an
    upgrade, a part that landed since) is never reused. Taken once per process: the code a
    process runs is the code it imported."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.j2")]):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


class Cache:
    """Pickled step results under OUT/.cache, valid while their key matches."""

    def __init__(self, out: Path):
        self.dir = out / ".cache"

    def load(self, step: str, key: str) -> dict | None:
        path = self.dir / f"{step}.pkl"
        if not path.exists():
            return None
        try:
            with open(path, "rb") as fh:
                saved = pickle.load(fh)
        except Exception:  # a cache from another version or a killed run: recompute
            return None
        if saved.get("key") != key or saved.get("version") != CACHE_VERSION:
            return None
        # outputs the step wrote must still be there (a user may have deleted the out dir files)
        if not all((self.dir.parent / f).exists() for f in saved["data"].get("files", ())):
            return None
        return saved["data"]

    def save(self, step: str, key: str, data: dict) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.dir / f".{step}.pkl.tmp"
        with open(tmp, "wb") as fh:
            pickle.dump({"key": key, "version": CACHE_VERSION, "data": data}, fh)
        tmp.replace(self.dir / f"{step}.pkl")


# -- the data step ---------------------------------------------------------------------------------
def _simulate_demo(options: RunOptions, workdir: Path) -> list[Path]:
    """Write the small simulated city for --demo (deterministic by seed and dates, so re-runs
    skip it): legacy reports until the 2024 switch, then the tapering legacy feed and the NIBRS
    offenses feed, through the present month, so the demo shows the switch and the joined
    series."""
    from crimecast.ingest import simulate_nibrs

    end = options.demo_end or dt.date.today().isoformat()
    return simulate_nibrs.write_demo_files(
        options.demo_rows, options.seed, options.demo_start, end, workdir, layout="both"
    )


def _demo_reports(options: RunOptions) -> list:
    """Simulate the demo city into its own store. A store holding real incidents is refused
    (simulated rows never mix silently into real data); a store of an older simulation (another
    seed, size, month or simulator version) is rebuilt."""
    store_dir = Path(options.store)
    with tempfile.TemporaryDirectory() as tmp:
        paths = _simulate_demo(options, Path(tmp))
        digests = {file_sha256(p) for p in paths}
        if (store_dir / DB_NAME).exists():
            with Store(store_dir, read_only=True) as st:
                n, sim = st.query(
                    "SELECT count(*) AS n, count(*) FILTER (WHERE simulated) AS s FROM incidents"
                ).iloc[0]
                shas = set(st.query("SELECT sha256 FROM ingests")["sha256"])
            if n > sim:
                raise StoreError(
                    f"the store at {store_dir} holds {n - sim:,} real incidents; --demo would "
                    "mix simulated ones into them",
                    hint="leave out --store (the demo uses OUT/demo-store) or give an empty "
                    "directory",
                )
            if shas and shas != digests:
                shutil.rmtree(store_dir)
        with Store(store_dir) as st:
            return [st.ingest_files([p], source=p.name, simulated=True)[0] for p in paths]


def step_data(options: RunOptions) -> dict:
    """Ingest what the user asked for; the store skips files it has seen (idempotent)."""
    reports = []
    if options.demo:
        reports = _demo_reports(options)
    elif options.sources:
        missing = [str(p) for p in options.sources if not Path(p).exists()]
        if missing:
            raise CrimecastError(
                f"source file(s) not found: {', '.join(missing)}",
                hint="check the paths given to --source",
            )
        with Store(options.store) as st:
            reports = st.ingest_files(options.sources)
    if not (Path(options.store) / DB_NAME).exists():
        raise StoreError(
            f"no store at {options.store}",
            hint="crimecast run --source FILE... (LAPD files you hold), crimecast fetch (the "
            "city's portal), or crimecast run --demo (a simulated city, no network)",
        )
    new = [r for r in reports if not r.skipped]
    return {
        "ingested": [
            {
                "file": Path(r.path).name,
                "rows_read": r.rows_read,
                "stored": r.stored,
                "quarantined": r.quarantined,
                "duplicates_merged": r.duplicates_merged,
                "skipped": r.skipped,
                "warnings": r.warnings,
            }
            for r in reports
        ],
        "new_files": len(new),
    }


# -- the run ---------------------------------------------------------------------------------------
def _versions() -> dict:
    out = {"crimecast": __version__, "python": platform.python_version()}
    from importlib.metadata import PackageNotFoundError, version

    for lib in LIBS:
        try:
            out[lib] = version(lib)
        except PackageNotFoundError:
            out[lib] = None
    return out


def run(options: RunOptions, on_event: Callback | None = None) -> RunResult:
    """Run every step; `on_event(step, phase, record)` reports 'start' and 'end' of each step."""
    out = Path(options.out)
    for sub in ("figures", "tables"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    result = RunResult(out=out, store=Path(options.store))
    records = {s: StepRecord(s) for s in STEPS}
    result.steps = list(records.values())
    emit = on_event or (lambda *_: None)
    cache = Cache(out)
    started = time.perf_counter()

    def timed(name: str, fn: Callable[[], tuple[str, str]]):
        rec = records[name]
        emit(name, "start", rec)
        t0 = time.perf_counter()
        try:
            rec.status, rec.note = fn()
        except BaseException:
            rec.status = "failed"
            rec.seconds = time.perf_counter() - t0
            emit(name, "end", rec)
            raise
        rec.seconds = time.perf_counter() - t0
        emit(name, "end", rec)

    data: dict = {}

    def do_data():
        data.update(step_data(options))
        if options.demo or options.sources:
            if data["new_files"]:
                return "computed", f"{data['new_files']} new file(s) ingested"
            return "reused", "files already in the store"
        return "reused", "store as it is"

    timed("data", do_data)
    # Every step reads this one snapshot: the store's file is released at once, so an ingest
    # that starts mid-run neither waits for the run nor changes what it sees.
    snapshot = Store.snapshot(result.store)
    try:
        return _analyse(options, result, snapshot, cache, records, timed, data, started)
    finally:
        snapshot.close()


def _analyse(options, result, snapshot, cache, records, timed, data, started) -> RunResult:
    out = result.out
    if snapshot.count() == 0:
        raise StoreError(
            f"the store at {options.store} holds no incidents",
            hint="crimecast run --source FILE..., crimecast fetch, or crimecast run --demo",
        )
    ledger = ledger_key(snapshot)
    info = snapshot.info()
    completeness = snapshot.completeness()
    ctx = report_steps.Context(
        out=out,
        store=result.store,
        info=info,
        completeness=completeness,
        options=asdict(options),
        snapshot=snapshot,
    )
    results: dict[str, dict] = {"data": data}
    base = {"ledger": ledger, "crimecast": __version__, "code": code_digest()}
    step_opts = {
        "completeness": {},
        "fitness": {},
        "eda": {"seed": options.seed},
        "hotspots": {
            "seed": options.seed,
            "boundaries": str(options.boundaries or ""),
            "settings": [
                config.get(k) for k in ("h3_resolution", "gi_permutations", "kde_bandwidth")
            ],
        },
        "forecast": {
            "seed": options.seed,
            "horizon": options.horizon,
            "windows": options.windows,
            "full": options.full,
            "backend": options.backend,
            "models": list(options.models),
            "demo": options.demo,
        },
        "hindsight": {"seed": options.seed, "backend": options.backend},
    }
    keys = {}
    for name in STEPS[1:-1]:
        key = keys[name] = _digest({**base, "step": name, **step_opts[name]})

        def do_step(name=name, key=key):
            cached = cache.load(name, key)
            if cached is not None:
                results[name] = cached
                return "reused", cached.get("note", "")
            res = STEP_FUNCTIONS[name](ctx, results)
            results[name] = res
            if res.get("status") != "not available":
                cache.save(name, key, res)
            return res.get("status", "computed"), res.get("note", "")

        timed(name, do_step)

    # the report is reused only when every analysis came from the cache and it still exists
    report_key = _digest({**base, "step": "report", "keys": keys})

    def do_report():
        reused_all = all(records[s].status in ("reused", "not available") for s in STEPS[1:-1])
        brief = out / "report-brief.pdf"
        if reused_all and cache.load("report", report_key) is not None and brief.exists():
            return "reused", "nothing new since the last run"
        records["report"].status, records["report"].note = "computed", "this report"
        results["compstat"] = report_compstat.step_compstat(ctx, results)
        run_json = build_run_json(options, result, info, results, records, started)
        report_build.write_report(ctx, results, run_json)
        report_brief.write_brief(ctx, results, run_json)
        cache.save("report", report_key, {"files": ["report.html", "report-brief.pdf"]})
        return "computed", "report.html, report-brief.pdf"

    timed("report", do_report)
    result.run_json = build_run_json(options, result, info, results, records, started)
    (out / "run.json").write_text(json.dumps(result.run_json, indent=2, default=str))
    return result


def _outputs(out: Path, store: Path) -> list[str]:
    """The files this run wrote (not its cache, nor a demo store kept inside OUT)."""
    return sorted(
        str(p.relative_to(out))
        for p in out.rglob("*")
        if p.is_file() and ".cache" not in p.parts and store.resolve() not in p.resolve().parents
    )


def build_run_json(options, result, info, results, records, started) -> dict:
    """run.json: what was run on what, and how long each step took."""
    fc = results.get("forecast", {})
    return {
        "crimecast_version": __version__,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "simulated": bool(info["simulated"]),
        "data_label": "SIMULATED" if info["simulated"] else "LAPD open data",
        "store": str(result.store),
        "out": str(result.out),
        "options": {
            k: (list(map(str, v)) if isinstance(v, tuple) else str(v) if isinstance(v, Path) else v)
            for k, v in asdict(options).items()
        },
        "seed": options.seed,
        "data": {
            "date_min": info["date_min"],
            "date_max": info["date_max"],
            "incidents": info["incidents"],
            "rows_read": info["rows_read"],
            "quarantined": info["quarantined"],
            "duplicates_merged": info["duplicates_merged"],
            "simulated_incidents": info["simulated"],
            "per_source": info["per_source"],
            "complete_through": info["complete_through"],
            "months_excluded_from_models": [
                m["month"] for m in info["months"] if not m["complete"]
            ],
            "warnings": info["warnings"],
        },
        "ingested": results.get("data", {}).get("ingested", []),
        "steps": {
            s: {"status": r.status, "seconds": round(r.seconds, 3), "note": r.note}
            for s, r in records.items()
        },
        "total_seconds": round(time.perf_counter() - started, 3),
        "parts": {
            s: results.get(s, {}).get("status", records[s].status)
            for s in ("eda", "hotspots", "forecast")
        },
        "forecast": fc.get("summary", {}),
        "outputs": _outputs(result.out, Path(result.store)),
        "versions": _versions(),
    }
