"""`crimecast eda`: every exploratory table as CSV and every figure as Plotly HTML + JSON + PNG.

The I/O edge of `crimecast.eda`: opens the store read-only, loads only the columns the tables use
for the filtered selection, calls the pure functions, and writes under --out:

    tables/<name>.csv
    figures/<name>.html   Plotly fragment (include_plotlyjs=False: the page supplies plotly.js)
    figures/<name>.json   the Plotly figure as JSON (for the dashboard and report)
    figures/<name>.png    static Matplotlib rendering of the same figure
    eda.json              what was written, the selection, and notes
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from crimecast import config, eda, schema, storage
from crimecast.commands.common import (
    AreaOpt,
    CategoryOpt,
    ClassOpt,
    DateFromOpt,
    DateToOpt,
    OutOpt,
    StoreOpt,
    build_filters,
    console,
    progress,
)
from crimecast.errors import ConfigError, InputFileError
from crimecast.filters import Filters
from crimecast.store import Store


def load_incidents(st: Store, filters: Filters, columns) -> pd.DataFrame:
    """The filtered incidents as an Arrow-backed frame (only `columns`).

    Same rows as `Store.incidents(filters, columns)`, fetched as Arrow: a million rows arrive in
    a fraction of a second instead of seconds of building Python strings, and `eda.tables` scans
    Arrow-backed frames in place."""
    return st.incidents_arrow(filters, columns).to_pandas(types_mapper=pd.ArrowDtype)


def read_population(path: Path) -> dict[int, int]:
    """Residents per division from a CSV with columns `area` (number 1-21 or name) and
    `population`; errors name the file, row and field."""
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the population file ({exc.strerror})") from exc
    with fh:
        reader = csv.DictReader(fh)
        fields = {f.strip().lower(): f for f in reader.fieldnames or []}
        if "area" not in fields or "population" not in fields:
            raise InputFileError(
                f"{path}: needs the columns 'area' and 'population' (found: "
                f"{', '.join(reader.fieldnames or []) or 'none'})",
                hint="write a header line: area,population",
            )
        out: dict[int, int] = {}
        for row_no, row in enumerate(reader, start=2):
            raw_area = (row[fields["area"]] or "").strip()
            aid = (
                int(raw_area)
                if raw_area.isascii() and raw_area.isdigit()
                else schema.area_id_for_name(raw_area)
            )
            if aid not in schema.AREAS:
                raise InputFileError(
                    f"{path}, row {row_no}, field 'area': {raw_area!r} is not an LAPD division",
                    hint="use a number 1-21 or a division name such as Central or 77th Street",
                )
            raw_pop = (row[fields["population"]] or "").replace(",", "").strip()
            if not (raw_pop.isascii() and raw_pop.isdigit()) or int(raw_pop) <= 0:
                raise InputFileError(
                    f"{path}, row {row_no}, field 'population': {raw_pop!r} is not a positive "
                    "whole number",
                    hint="write residents as a number, e.g. 187100",
                )
            out[aid] = int(raw_pop)
    missing = sorted(set(schema.AREAS) - set(out))
    if missing:
        console.print(
            f"[yellow]warning:[/] {path}: no population for area(s) {missing}; the built-in "
            "figures are used for them",
            highlight=False,
        )
    return {**schema.AREA_POPULATION, **out}


def write_outputs(result: eda.Result, out: Path, png: bool = True, on_step=None) -> dict:
    """Write every table and figure of `result` under `out`; returns the manifest."""
    from crimecast.eda import figures, static

    tdir, fdir = out / "tables", out / "figures"
    tdir.mkdir(parents=True, exist_ok=True)
    fdir.mkdir(parents=True, exist_ok=True)
    for name, frame in result.tables.items():
        frame.to_csv(tdir / f"{name}.csv", index=False)
    written = []
    for spec in result.specs:
        fig = figures.render(spec)
        (fdir / f"{spec.name}.html").write_text(
            fig.to_html(include_plotlyjs=False, full_html=False), encoding="utf-8"
        )
        (fdir / f"{spec.name}.json").write_text(fig.to_json(), encoding="utf-8")
        if png:
            static.render(spec, fdir / f"{spec.name}.png")
        written.append({"name": spec.name, "title": spec.title, "empty": spec.empty})
        if on_step:
            on_step()
    manifest = {
        "incidents": result.incidents,
        "tables": sorted(result.tables),
        "figures": written,
        "notes": list(result.tables["notes"]["note"]),
    }
    (out / "eda.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return manifest


def _cannot_write(out, exc: OSError) -> ConfigError:
    return ConfigError(
        f"cannot write the EDA output to {out}: {exc.strerror or exc}",
        hint="choose a directory you can write to with --out (or CRIMECAST_OUT)",
    )


def _writable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise ConfigError(
            f"--out {out} is a file, not a directory",
            hint="give a directory for the tables and figures (it is created if missing)",
        )
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".crimecast-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise _cannot_write(out, exc) from exc


def eda_command(
    store: StoreOpt,
    out: OutOpt,
    date_from: DateFromOpt = None,
    date_to: DateToOpt = None,
    area: AreaOpt = None,
    category: CategoryOpt = None,
    klass: ClassOpt = None,
    population: Annotated[
        Path | None,
        typer.Option(help="CSV of area,population to use for rates instead of the built-in table"),
    ] = None,
    png: Annotated[bool, typer.Option("--png/--no-png", help="also write static PNGs")] = True,
    profiles: Annotated[
        bool, typer.Option("--profiles/--no-profiles", help="one-hot + PCA crime-mix profiles")
    ] = True,
) -> None:
    """Exploratory analysis: time, trend and season, place, crime types, victims, premises,
    weapons, arrests, reporting delay and crime-mix profiles, as CSV tables and figures."""
    filters = build_filters(date_from, date_to, area, category, klass)
    pop = read_population(population) if population else None
    if not storage.parse(out).is_s3:
        _writable(Path(out))  # fail before minutes of work, not after
    with storage.open_out(out) as local_out:  # the path itself, or a copy published to S3
        with progress() as bar:
            task = bar.add_task("loading incidents", total=None)
            with storage.open_store(store) as where, Store(where, read_only=True) as st:
                incidents = load_incidents(st, filters, eda.COLUMNS)
                completeness = st.completeness()
            bar.update(task, description=f"analysing {len(incidents):,} incidents")
            result = eda.build(
                incidents,
                completeness,
                population=pop,
                with_profiles=profiles,
                seed=config.get_int("seed"),
            )
            bar.update(task, description="writing figures", total=len(result.specs), completed=0)
            try:
                manifest = write_outputs(result, local_out, png, lambda: bar.advance(task))
            except OSError as exc:
                raise _cannot_write(out, exc) from exc
        for msg in result.messages:
            console.print(f"[yellow]note:[/] {msg}", highlight=False)
        console.print(
            f"{result.incidents:,} incidents: {len(manifest['tables'])} tables in {out}/tables, "
            f"{len(manifest['figures'])} figures in {out}/figures",
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.command("eda")(eda_command)
