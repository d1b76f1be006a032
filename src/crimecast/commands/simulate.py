"""`crimecast simulate`: write (and optionally ingest) a clearly labelled simulated city."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from crimecast import config
from crimecast.commands.common import StoreOpt, console, progress
from crimecast.commands.common import complete_through_text as _through
from crimecast.ingest import simulate as sim
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
    ingest: Annotated[
        bool, typer.Option("--ingest", help="also load the file into the store (as simulated)")
    ] = False,
) -> None:
    """Write a simulated Los Angeles in the portal's 2020+ CSV export layout (labelled simulated:
    DR_NO in the reserved YY9NNNNNN range, file named *.simulated.csv)."""
    seed = config.get_int("seed") if seed is None else seed
    path = out or Path(sim.default_name(rows, seed))
    sim.check_args(rows, start, end)
    sim.check_writable(path)
    t0 = time.perf_counter()
    with progress() as bar:
        task = bar.add_task("simulating", total=2)
        table = sim.simulate_table(rows, seed=seed, start=start, end=end, nibrs_break=nibrs_break)
        bar.advance(task)
        bar.update(task, description=f"writing {path.name}")
        sim.write_csv(table, path)
        bar.advance(task)
    console.print(
        f"wrote {table.num_rows:,} simulated incidents to {path} "
        f"in {time.perf_counter() - t0:.1f}s (seed {seed})",
        highlight=False,
    )
    if ingest:
        source = path.name if "simulated" in path.name else f"simulated:{path.name}"
        with Store(store) as st:
            (report,) = st.ingest_files([path], source=source, simulated=True)
            info = st.info()
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


def register(app: typer.Typer) -> None:
    app.command("simulate")(simulate_command)
