"""`crimecast run`: the main job, from data to report, with per-step progress and timings."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from crimecast import config
from crimecast.commands.common import OutOpt, SparkMasterOpt, console, use_spark_master
from crimecast.errors import ConfigError, NetworkError


def run(
    ctx: typer.Context,
    out: OutOpt,
    source: Annotated[
        list[Path] | None,
        typer.Option(
            "--source",
            help="incident file(s) to ingest first: --source A.csv B.csv, or --source repeated",
        ),
    ] = None,
    demo: Annotated[
        bool,
        typer.Option(
            "--demo", help="simulate a small city (labelled SIMULATED) instead of real data"
        ),
    ] = False,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="store directory (env CRIMECAST_STORE; with --demo: OUT/demo-store)",
            show_default=False,
        ),
    ] = None,
    backend: Annotated[
        str, typer.Option("--backend", help="where forecasts run: local or spark")
    ] = "local",
    spark_master: SparkMasterOpt = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="random seed (env CRIMECAST_SEED)")
    ] = None,
    demo_rows: Annotated[
        int, typer.Option("--demo-rows", help="simulated incidents for --demo")
    ] = 30_000,
    horizon: Annotated[int, typer.Option("--horizon", help="months to forecast")] = 24,
    full: Annotated[
        bool, typer.Option("--full", help="also forecast area x category series (slower)")
    ] = False,
    boundaries: Annotated[
        Path | None,
        typer.Option(
            "--boundaries",
            help="LAPD division boundaries (GeoJSON); default: cached, else downloaded once",
        ),
    ] = None,
    models: Annotated[
        str | None,
        typer.Option(
            "--models",
            help="forecast models, comma-separated (default: seasonal_naive, ets, theta, stl, "
            "ensemble, auto; --demo adds naive)",
        ),
    ] = None,
) -> None:
    """The main job: data -> completeness check -> EDA -> hotspots -> forecasts -> report."""
    from crimecast.pipeline import RunOptions

    source = _all_sources(source, ctx.args)
    if demo and source:
        raise ConfigError(
            "--demo and --source both given", hint="use --demo alone, or --source FILE..."
        )
    if backend not in ("local", "spark"):
        raise ConfigError(f"unknown backend {backend!r}", hint="use --backend local or spark")
    use_spark_master(spark_master, backend)
    if not 1 <= horizon <= 120:
        raise ConfigError(f"--horizon {horizon} is out of range", hint="use 1-120 months, e.g. 24")
    if demo_rows < 1000:
        raise ConfigError("--demo-rows must be at least 1000", hint="e.g. --demo-rows 30000")
    if store is None:  # a demo never writes simulated rows into the real store
        store = Path(out) / "demo-store" if demo else Path(config.get("store"))
    # s3:// stores and outputs (crimecast[s3]) are worked on locally and published at the end,
    # only when the run succeeds; local paths are used as they are
    from crimecast import storage

    with (
        storage.open_store(store, write=True) as local_store,
        storage.open_out(out) as local_out,
    ):
        options = RunOptions(
            out=Path(local_out),
            store=Path(local_store).expanduser(),
            sources=tuple(source or ()),
            demo=demo,
            demo_rows=demo_rows,
            backend=backend,
            seed=seed if seed is not None else config.get_int("seed"),
            horizon=horizon,
            full=full,
            models=_parse_models(models),
            boundaries=boundaries,
        )
        result = _run_with_progress(options, demo, source)
    total = result.run_json.get("total_seconds", 0)
    console.print(f"report: {Path(str(out)) / 'report.html'}")
    console.print(f"outputs in {out} (run.json, tables/, figures/); {total:.1f}s in all")
    for w in result.run_json.get("data", {}).get("warnings", []):
        console.print(f"[yellow]warning:[/] {w}", highlight=False)


def _run_with_progress(options, demo: bool, source):
    from crimecast.pipeline import STEP_LABELS
    from crimecast.pipeline import run as run_pipeline

    if demo:
        console.print("[bold yellow]--demo: SIMULATED data, not real LAPD incidents[/]")
    elif not source and _store_is_empty(options.store):
        _fetch(options.store)
    # a spinner with the running time for the step in progress; one line per finished step
    bar = Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console
    )
    with bar:
        tasks = {}

        def on_event(step, phase, rec):
            if phase == "start":
                tasks[step] = bar.add_task(STEP_LABELS[step], total=None)
                return
            bar.remove_task(tasks[step])
            colour = {"computed": "green", "reused": "cyan", "failed": "red"}.get(
                rec.status, "yellow"
            )
            bar.console.print(
                f"  {STEP_LABELS[step]:<24} [{colour}]{rec.status:<14}[/] {rec.seconds:7.2f}s"
                + (f"  {rec.note}" if rec.note else ""),
                highlight=False,
            )

        return run_pipeline(options, on_event=on_event)


def _store_is_empty(path: Path) -> bool:
    from crimecast.store import DB_NAME, Store

    if not (path / DB_NAME).exists():
        return True
    with Store(path, read_only=True) as st:
        return st.count() == 0


def _fetch(store: Path) -> None:
    """Empty store, no --source: download from the city's portal (crimecast fetch) first.
    Offline, fetch fails fast with a NetworkError; the hint says what to do instead."""
    try:
        from crimecast.commands import fetch as fetch_cmd
    except ImportError as exc:
        raise ConfigError(
            f"the store at {store} is empty and the portal fetcher is not installed",
            hint="crimecast run --source FILE... or crimecast run --demo",
        ) from exc
    console.print(f"the store at {store} is empty: fetching the LAPD data from the portal")
    try:
        fetch_cmd.fetch(store=store, dataset=None, full=False, page_size=None, as_json=False)
    except NetworkError as exc:
        exc.hint = (
            "offline? run crimecast run --source FILE... with LAPD CSV exports you hold, or "
            "crimecast run --demo to try crimecast on a simulated city"
        )
        raise


def _all_sources(given: list[Path] | None, extra: list[str]) -> list[Path]:
    """Files after one --source (`--source A.csv B.csv`) arrive as extra arguments; the command
    takes no other positional argument, so any extra is a source, and only after --source."""
    stray = [a for a in extra if a.startswith("-")]
    if stray:
        raise ConfigError(f"unknown option(s): {' '.join(stray)}", hint="see crimecast run --help")
    if extra and not given:
        raise ConfigError(
            f"unexpected argument(s): {' '.join(extra)}",
            hint="name incident files with --source, e.g. crimecast run --source A.csv B.csv",
        )
    return [*(given or ()), *(Path(a) for a in extra)]


def _parse_models(text: str | None) -> tuple[str, ...]:
    if not text:
        return ()
    try:
        from crimecast.forecast.models import ALL_MODELS
    except ImportError:  # forecasting not installed: the step says so in the report
        return tuple(m.strip() for m in text.split(",") if m.strip())
    names = tuple(m.strip() for m in text.split(",") if m.strip())
    unknown = [m for m in names if m not in ALL_MODELS]
    if unknown:
        raise ConfigError(
            f"unknown model(s): {', '.join(unknown)}", hint=f"choose from {', '.join(ALL_MODELS)}"
        )
    return names


def register(app: typer.Typer) -> None:
    app.command(context_settings={"allow_extra_args": True})(run)
