"""`crimecast simulate`: write (and optionally ingest) a clearly labelled simulated city."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from crimecast import config
from crimecast.commands.common import StoreOpt, console, progress
from crimecast.commands.common import complete_through_text as _through
from crimecast.errors import ConfigError
from crimecast.ingest import simulate as sim
from crimecast.ingest import simulate_nibrs as era_sim
from crimecast.store import Store


def simulate_command(
    store: StoreOpt,
    rows: Annotated[int, typer.Option("--rows", help="number of incidents to write")] = 100_000,
    seed: Annotated[
        int | None, typer.Option("--seed", help="random seed (env CRIMECAST_SEED)")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="CSV file to write (default: lapd-<rows>-seed<seed>.simulated.csv)"
        ),
    ] = None,
    start: Annotated[str, typer.Option(help="first occurred date, YYYY-MM-DD")] = sim.DEFAULT_START,
    end: Annotated[
        str | None, typer.Option(help=f"snapshot date, YYYY-MM-DD (default {sim.DEFAULT_END})")
    ] = None,
    nibrs_break: Annotated[
        bool,
        typer.Option(
            "--nibrs-break", help="keep only ~15% of reports after 2024-03-07, like the legacy feed"
        ),
    ] = False,
    layout: Annotated[
        str,
        typer.Option(
            "--layout",
            help="legacy: the 2020+ export, every report (default); nibrs: the NIBRS offenses "
            "from 2024-03-07 on; both: the legacy feed tapering after the switch and the NIBRS "
            "feed ramping up bureau by bureau, some cases in both",
        ),
    ] = "legacy",
    nibrs_out: Annotated[
        Path | None,
        typer.Option(
            "--nibrs-out",
            help="NIBRS CSV to write with --layout nibrs/both "
            "(default: lapd-nibrs-<rows>-seed<seed>.simulated.csv)",
        ),
    ] = None,
    ingest: Annotated[
        bool, typer.Option("--ingest", help="also load the file(s) into the store (as simulated)")
    ] = False,
) -> None:
    """Write a simulated Los Angeles in the portal's 2020+ CSV export layout, or across the 2024
    switch to NIBRS (--layout): labelled simulated (DR_NO and caseno in the reserved YY9NNNNNN
    range, files named *.simulated.csv)."""
    seed = config.get_int("seed") if seed is None else seed
    era_sim.check_layout(layout)
    if nibrs_break and layout != "legacy":
        raise ConfigError(
            f"--nibrs-break thins the legacy export only; --layout {layout} simulates the "
            "switch itself",
            hint="leave out --nibrs-break, or use --layout legacy",
        )
    path = out or Path(sim.default_name(rows, seed))
    nibrs_path = nibrs_out or Path(era_sim.nibrs_name(rows, seed))
    sim.check_args(rows, start, end)
    if layout != "nibrs":
        sim.check_writable(path)
    if layout != "legacy":
        sim.check_writable(nibrs_path)
    t0 = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("simulating", total=2)
        if layout == "legacy":
            table = sim.simulate_table(
                rows, seed=seed, start=start, end=end, nibrs_break=nibrs_break
            )
            era = era_sim.Era(table, None)
        else:
            era = era_sim.simulate_era(rows, seed=seed, start=start, end=end, layout=layout)
        bar.advance(task)
        bar.update(task, description="writing")
        written = era_sim.write_files(era, path, nibrs_path)
        bar.advance(task)
    took = f"in {time.perf_counter() - t0:.1f}s (seed {seed})"
    if era.legacy is not None:
        console.print(
            f"wrote {era.legacy.num_rows:,} simulated incidents to {path} {took}", highlight=False
        )
    if era.nibrs is not None:
        cases = len(era.nibrs.column("caseno").unique())
        console.print(
            f"wrote {era.nibrs.num_rows:,} simulated NIBRS offenses ({cases:,} cases) to "
            f"{nibrs_path} {took}"
            + (f"; {era.cases_in_both:,} cases are in both feeds" if era.legacy else ""),
            highlight=False,
        )
    if ingest:
        with Store(store) as st:
            reports = [
                st.ingest_files([p], source=_source_name(p), simulated=True)[0] for p in written
            ]
            info = st.info()
        for report in reports:
            console.print(
                f"{report.rows_read:,} read = {report.stored:,} stored + {report.quarantined:,} "
                f"quarantined + {report.duplicates_merged:,} duplicates merged"
                + (" (already ingested, skipped)" if report.skipped else ""),
                highlight=False,
            )
        console.print(
            f"store {info['store']}: {info['incidents']:,} incidents "
            f"({info['simulated']:,} simulated), {_through(info)}",
            highlight=False,
        )


def _source_name(path: Path) -> str:
    return path.name if "simulated" in path.name else f"simulated:{path.name}"


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
