"""`crimecast hotspots`: density maps, Gi* hot/cold spots, emerging hot spots, division rates and
hotspot forecasts, written as CSV, GeoJSON, PNG and an offline HTML page of maps."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.table import Table

from crimecast import config, spatial, storage
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
)
from crimecast.errors import ConfigError
from crimecast.spatial import boundaries, grid, maps, near_repeat
from crimecast.store import Store

COLUMNS = ("record_id", "occurred_date", "area_id", "lat", "lon", "crime_category")


def load_divisions(path: Path | None, store: Path):
    """Divisions from --boundaries, else the store's cache, else the GeoHub, else built in."""
    return boundaries.resolve_divisions(
        path,
        store,
        config.get("boundaries_url"),
        timeout=min(config.get_float("http_timeout"), 20.0),
    )


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, pd.Timestamp | pd.Period):
        return str(value)
    return value


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(_jsonable(data), indent=1))


def write_outputs(result: spatial.SpatialAnalysis, out: Path, basemap: bool = False) -> list[Path]:
    """Write every table, GeoJSON layer, PNG and the HTML page; return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    div = result.divisions

    def csv(name: str, frame: pd.DataFrame) -> None:
        frame.to_csv(out / name, index=False)
        written.append(out / name)

    def geojson(name: str, data: dict) -> None:
        # compact, and numpy scalars converted only where they occur (layers are large)
        text = json.dumps(data, separators=(",", ":"), default=_jsonable)
        (out / name).write_text(text)
        written.append(out / name)

    csv("cells.csv", result.cells)
    csv("gi_star.csv", result.gi)
    geojson("gi_star.geojson", grid.cells_geojson(result.gi))
    if len(result.division_table):
        csv("divisions.csv", result.division_table)
        if div is not None:
            geojson("divisions.geojson", boundaries.divisions_geojson(div, result.division_table))
    if result.emerging is not None:
        csv("emerging.csv", result.emerging)
        geojson("emerging.geojson", grid.cells_geojson(result.emerging))
    best = None
    if result.forecast is not None:
        csv("forecast_backtest.csv", result.backtest)
        csv("forecast_summary.csv", result.backtest_summary)
        if result.forecast_fits is not None:
            csv("forecast_fits.csv", result.forecast_fits)
        if result.category_forecasts is not None:
            csv("forecast_by_category.csv", result.category_forecasts)
        if result.flag_changes is not None:
            csv("forecast_vs_long_term.csv", result.flag_changes)
        fc = result.forecast.merge(result.cells[["h3", "lat", "lon"]], on="h3")
        csv("forecast_next.csv", fc)
        flagged = fc[fc["flagged_5pct"]]
        geojson("forecast_next.geojson", grid.cells_geojson(flagged))
        best = result.best_method

    figures = [
        ("counts", maps.count_map(result.cells, div, basemap), maps.count_layers(result.cells)),
        ("gi_star", maps.gi_map(result.gi, div, basemap), maps.gi_layers(result.gi)),
    ]
    if result.emerging is not None:
        figures.append(
            (
                "emerging",
                maps.emerging_map(result.emerging, div, basemap),
                maps.pattern_layers(result.emerging),
            )
        )
    if div is not None and len(result.division_table):
        figures.append(
            (
                "divisions_rate",
                maps.division_map(result.division_table, div, "rate_per_100k", basemap),
                maps.division_layers(result.division_table, div, "rate_per_100k"),
            )
        )
    if best is not None:
        next_label = str(result.forecast["period"].iat[0])
        figures.append(
            (
                "forecast",
                maps.forecast_map(result.forecast, result.cells, best, div, basemap, next_label),
                maps.forecast_layers(result.forecast, best),
            )
        )
    kde_fig = maps.kde_map(result.kde_surface, div, result.bandwidth_m)
    if result.change is not None:
        csv("change.csv", result.change)
    if result.dual_rate is not None:
        csv("cell_rates.csv", result.dual_rate)
    near_figs = []
    if result.near_repeat is not None and len(result.near_repeat):
        csv("near_repeat.csv", result.near_repeat)
        near_figs = [
            near_repeat.heatmap(result.near_repeat, c)
            for c in result.near_repeat["category"].unique()
        ]
    for name, fig, layers in figures:
        png = maps.static_map(layers, fig.layout.title.text, div)
        png.savefig(out / f"{name}.png", dpi=110, bbox_inches="tight")
        written.append(out / f"{name}.png")
    maps.static_kde(result.kde_surface, div, result.bandwidth_m).savefig(
        out / "kde.png", dpi=110, bbox_inches="tight"
    )
    written.append(out / "kde.png")
    all_figs = [f for _, f, _ in figures] + [kde_fig] + near_figs
    body = "\n".join(
        f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(all_figs)
    )
    notes = "".join(f"<li>{n}</li>" for n in result.notes + result.near_repeat_words)
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><title>crimecast hotspots</title>"
        "</head><body style='font-family:sans-serif'><h1>crimecast hotspots</h1>"
        f"<p>H3 resolution {result.resolution}, {len(result.cells):,} cells; "
        f"{result.coordinates.geocoded:,} of {result.coordinates.total:,} incidents mapped.</p>"
        f"<ul>{notes}</ul>{body}</body></html>"
    )
    (out / "hotspots.html").write_text(html, encoding="utf-8")
    written.append(out / "hotspots.html")
    _write_json(out / "summary.json", result.summary())
    written.append(out / "summary.json")
    return written


def hotspots(
    store: StoreOpt,
    out: OutOpt,
    date_from: DateFromOpt = None,
    date_to: DateToOpt = None,
    area: AreaOpt = None,
    category: CategoryOpt = None,
    klass: ClassOpt = None,
    resolution: Annotated[
        int | None,
        typer.Option(help="H3 resolution, 5-10 (default CRIMECAST_H3_RESOLUTION = 8)"),
    ] = None,
    period: Annotated[
        str, typer.Option(help="time slice for emerging hot spots and forecasts: quarter|month")
    ] = "quarter",
    boundaries_file: Annotated[
        Path | None,
        typer.Option(
            "--boundaries",
            help="GeoJSON of the LAPD divisions (default: downloaded once from the GeoHub)",
        ),
    ] = None,
    permutations: Annotated[
        int | None, typer.Option(help="Gi* permutations (default CRIMECAST_GI_PERMUTATIONS)")
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="permutation seed (default CRIMECAST_SEED)")
    ] = None,
    backtest_periods: Annotated[
        int,
        typer.Option(help="how many of the last periods the hotspot forecasts are backtested on"),
    ] = spatial.forecast.BACKTEST_PERIODS,
    basemap: Annotated[
        bool, typer.Option(help="draw the HTML maps on OpenStreetMap tiles (needs internet)")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Hot spots: H3 density, Gi* with FDR, emerging hot spots, division rates and forecasts."""
    if period not in ("quarter", "month"):
        raise ConfigError(f"--period {period!r} is not supported", hint="use quarter or month")
    res = grid.check_resolution(resolution or config.get_int("h3_resolution"))
    perms = config.get_int("gi_permutations") if permutations is None else permutations
    if perms < 0:
        raise ConfigError("--permutations must be 0 or more", hint="999 is the usual choice")
    if backtest_periods < 1:
        raise ConfigError(
            f"--backtest-periods must be 1 or more, got {backtest_periods}",
            hint="12 (a year of months) is the default; 24 gives steadier scores",
        )
    filters = build_filters(date_from, date_to, area, category, klass)
    with storage.open_store(store) as where, Store(where, read_only=True) as st:
        incidents = st.incidents(filters, columns=COLUMNS)
        through = st.complete_through()
    if incidents.empty:
        raise ConfigError(
            "no incidents match the selection",
            hint="widen --from/--to, --area, --category or --class (crimecast info shows the "
            "store's date range)",
        )
    divisions, warns, origin = load_divisions(boundaries_file, where)
    with console.status(f"hotspot analysis of {len(incidents):,} incidents"):
        result = spatial.analyse(
            incidents,
            divisions,
            resolution=res,
            period=period,
            permutations=perms,
            seed=config.get_int("seed") if seed is None else seed,
            bandwidth_m=config.get_float("kde_bandwidth"),
            through=pd.Timestamp(through) if through is not None else None,
            backtest_periods=backtest_periods,
        )
    result.notes[:0] = [f"division boundaries: {origin}", *warns]
    with storage.open_out(out) as local_out:  # an S3 --out is published when complete
        target = Path(local_out) / "hotspots"
        written = write_outputs(result, target, basemap)
    summary = result.summary()
    if as_json:
        print(json.dumps(_jsonable(summary), indent=1))
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}", highlight=False)
    gi = summary["gi_star"]
    t = Table(title=f"Gi* over {gi['cells']:,} H3 cells (resolution {res})")
    t.add_column("class")
    t.add_column("cells", justify="right")
    for label, n in gi["by_class"].items():
        t.add_row(label, f"{n:,}")
    console.print(t)
    if result.backtest_summary is not None and len(result.backtest_summary):
        t = Table(title="hotspot forecast backtest (mean over periods)")
        for c in ("method", "coverage", "hit rate", "PAI", "x long-term", "PEI", "RRI", "periods"):
            t.add_column(c)
        for r in result.backtest_summary.itertuples():
            t.add_row(
                r.method,
                f"{r.coverage:.0%}",
                f"{r.hit_rate:.1%}",
                f"{r.pai:.2f}",
                f"{r.pai_vs_long_term:.2f}",
                f"{r.pei:.2f}",
                f"{r.rri:.2f}",
                str(r.periods),
            )
        console.print(t)
    for line in result.near_repeat_words:
        console.print(f"near repeats: {line}", highlight=False)
    console.print(f"wrote {len(written)} files to {target}")


def register(app: typer.Typer) -> None:
    app.command()(hotspots)
