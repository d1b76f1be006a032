"""`crimecast ingest` and `crimecast info`: getting files into the store and seeing what is there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from crimecast.commands.common import StoreOpt, console, progress
from crimecast.commands.common import complete_through_text as _through
from crimecast.ingest.simulate import is_simulated_file
from crimecast.storage import open_store
from crimecast.storage import parse as store_location
from crimecast.store import Store, report_dict


def _s3_name(store) -> dict:
    """Show an s3:// store by its URL, not by its local cache directory."""
    loc = store_location(store)
    return {"store": str(loc)} if loc.is_s3 else {}


def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="CSV / JSON / Parquet / SQLite files, gzip ok")
    ],
    store: StoreOpt,
    source: Annotated[
        str | None, typer.Option(help="source name to record (default: the file name)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the reports as JSON")] = False,
) -> None:
    """Load LAPD incident files into the store (idempotent; bad rows are quarantined)."""
    with open_store(store, write=True) as where, Store(where) as st, progress() as bar:
        task = bar.add_task("ingesting", total=len(paths))

        def done(report):
            bar.advance(task)
            bar.console.print(
                f"{Path(report.path).name}: "
                + (
                    "already ingested, skipped"
                    if report.skipped
                    else f"{report.rows_read:,} read = {report.stored:,} stored + "
                    f"{report.quarantined:,} quarantined + {report.duplicates_merged:,} "
                    "duplicates merged"
                    + (
                        f" (NIBRS offenses; {report.incidents:,} cases)"
                        if report.system == "nibrs"
                        else ""
                    )
                ),
                highlight=False,
            )
            for w in report.warnings:
                bar.console.print(f"  [yellow]warning:[/] {w}", highlight=False)

        # Simulator files (*.simulated.csv or reserved DR_NO range) are stored as simulated.
        sim_paths = [p for p in paths if is_simulated_file(p)]
        real_paths = [p for p in paths if p not in sim_paths]
        reports = []
        if real_paths:
            reports += st.ingest_files(real_paths, source=source, on_file=done)
        for p in sim_paths:  # one by one, so that every source name says "simulated"
            name = source or p.name
            name = name if "simulated" in name else f"simulated:{name}"
            reports += st.ingest_files([p], source=name, simulated=True, on_file=done)
        info = st.info() | _s3_name(store)
    if as_json:
        print(json.dumps([report_dict(r) for r in reports], indent=2))
    for w in info["warnings"]:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    console.print(
        f"store {info['store']}: {info['incidents']:,} incidents, "
        f"{info['quarantined']:,} quarantined, {_through(info)}"
    )


def info(
    store: StoreOpt,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object")] = False,
    repair: Annotated[
        bool,
        typer.Option(
            "--repair",
            help="first mend what an interrupted ingest left (rewrite a Parquet mirror that is "
            "behind the database, remove half-written folders)",
        ),
    ] = False,
) -> None:
    """Show what the store holds: offenses and incidents per source, date ranges and per-month
    completeness."""
    with open_store(store, write=repair) as where:
        if repair:  # opening the store for writing repairs it
            Store(where).close()
        with Store(where, read_only=True) as st:
            data = st.info() | _s3_name(store)
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    out = console.__class__()
    out.print(f"[bold]store[/] {data['store']}")
    out.print(
        f"incidents {data['incidents']:,}   quarantined {data['quarantined']:,}   "
        f"duplicates merged {data['duplicates_merged']:,}   rows read {data['rows_read']:,}"
    )
    out.print(f"occurred {data['date_min']} to {data['date_max']}; {_through(data)}")
    out.print(
        f"offenses {data['offenses']:,} (NIBRS offense rows; a legacy report is one offense); "
        f"analyses count incidents (one per case, its most serious offense)"
    )
    if data["cases_in_both_feeds"]:
        out.print(
            f"{data['cases_in_both_feeds']:,} case(s) are in both the legacy and the NIBRS feed "
            "(DR_NO = case number): each counts once, as NIBRS"
        )
    t = Table(title="per source")
    for c in ("source", "system", "offenses", "incidents", "occurred", "no coordinates"):
        t.add_column(
            c, justify="right" if c in ("offenses", "incidents", "no coordinates") else "left"
        )
    for k, v in data["sources"].items():
        span = f"{v.get('date_min') or '-'} to {v.get('date_max') or '-'}"
        t.add_row(
            k,
            v["system"],
            f"{v.get('offenses', 0):,}",
            f"{v['incidents']:,}",
            span,
            f"{v.get('no_coordinates', 0):,}",
        )
    out.print(t)
    flagged = [m for m in data["months"] if not m["complete"]]
    if flagged:
        t = Table(title="months not used for model training")
        for c in ("month", "incidents", "expected share reported", "reason"):
            t.add_column(c)
        for m in flagged:
            t.add_row(m["month"], f"{m['incidents']:,}", f"{m['expected_share']:.0%}", m["reason"])
        out.print(t)
    for w in data["warnings"]:
        out.print(f"[yellow]warning:[/] {w}", highlight=False)


def quarantine(
    store: StoreOpt,
    out: Annotated[Path | None, typer.Option(help="write all quarantined rows to this CSV")] = None,
) -> None:
    """Show why rows were quarantined (counts per reason), or export them with --out."""
    with Store(store, read_only=True) as st:
        q = st.quarantine()
    if out:
        q.to_csv(out, index=False)
        console.print(f"wrote {len(q):,} quarantined rows to {out}")
        return
    t = Table(title=f"{len(q):,} quarantined rows")
    t.add_column("source")
    t.add_column("reason")
    t.add_column("rows", justify="right")
    if len(q):
        reasons = q.assign(reason=q["reason"].str.replace(r" \(.*\)$", "", regex=True))
        for (s, r), n in reasons.groupby(["source", "reason"]).size().items():
            t.add_row(s, r, f"{n:,}")
    console.__class__().print(t)


def register(app: typer.Typer) -> None:
    app.command()(ingest)
    app.command()(info)
    app.command()(quarantine)
