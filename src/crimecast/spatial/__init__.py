"""Where crime concentrates, whether that is statistically real, how it is changing and where it
is likely next. Pure functions over frames (the CLI command does the I/O):

- `boundaries`: LAPD division polygons (read / download-and-cache / validate), point-in-polygon
  joins by area number, per-division counts and rates;
- `grid`: usable-coordinate checks, H3 cells, counts `count_cells(incidents, resolution) ->
  DataFrame[h3, n, lat, lon]`, the study area and neighbourhoods;
- `kde`: binned Gaussian kernel density;
- `hotspots`: `gi_star(cells, permutations, seed, fdr) -> DataFrame[..., z, p, p_sim, p_fdr,
  gi_bin, class]`;
- `emerging`: per-slice Gi* + Mann-Kendall -> emerging hot spot patterns;
- `forecast` / `evaluate`: next-period hotspot forecasts by eight methods (`etas`, `lagged`
  hold the point-process and lagged-count models), rolling backtest ->
  DataFrame[method, coverage, period, hit_rate, pai, pei, rri, ...];
- `maps`: Plotly figures (offline) and matplotlib PNGs.

`analyse(incidents, divisions, ...)` runs all of it and returns a `SpatialAnalysis`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crimecast.errors import ConfigError
from crimecast.spatial import (
    boundaries,
    by_category,
    change,
    emerging,
    forecast,
    grid,
    hotspots,
    kde,
    near_repeat,
)

__all__ = ["SpatialAnalysis", "analyse"]


@dataclass
class SpatialAnalysis:
    resolution: int
    period: str
    coordinates: grid.CoordinateReport
    cells: pd.DataFrame  # the study grid: h3, n, lat, lon, area_km2
    gi: pd.DataFrame
    divisions: pd.DataFrame | None  # the boundary frame used (geometry included)
    division_table: pd.DataFrame
    division_join: boundaries.DivisionJoin | None
    kde_surface: pd.DataFrame
    bandwidth_m: float
    periods: list = field(default_factory=list)
    emerging: pd.DataFrame | None = None
    backtest: pd.DataFrame | None = None
    backtest_summary: pd.DataFrame | None = None
    forecast: pd.DataFrame | None = None
    forecast_fits: pd.DataFrame | None = None  # parameters each method fitted, per period
    flag_changes: pd.DataFrame | None = None  # next period: cells flagged unlike long_term
    best_method: str | None = None
    near_repeat: pd.DataFrame | None = None  # Knox table per crime category
    change: pd.DataFrame | None = None  # per cell: density before/after, rose/fell/steady
    change_periods: dict = field(default_factory=dict)
    dual_rate: pd.DataFrame | None = None  # per cell: incidents per 1,000 residents
    category_forecasts: pd.DataFrame | None = None  # next period per crime category + score
    near_repeat_words: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict:
        out = {
            "resolution": self.resolution,
            "period": self.period,
            "coordinates": self.coordinates.as_dict(),
            "cells": int(len(self.cells)),
            "occupied_cells": int((self.cells["n"] > 0).sum()),
            "gi_star": hotspots.summary(self.gi),
            "periods": [str(p) for p in self.periods],
            "notes": self.notes,
            "timings_s": {k: round(v, 3) for k, v in self.timings.items()},
        }
        if self.emerging is not None:
            out["emerging"] = self.emerging["pattern"].value_counts().to_dict()
        if self.division_join is not None:
            j = self.division_join
            out["division_join"] = {
                "inside": j.inside,
                "snapped": j.snapped,
                "outside": j.outside,
                "on_border": j.on_border,
            }
        if self.backtest_summary is not None:
            out["forecast_backtest"] = self.backtest_summary.to_dict("records")
            out["forecast_best_method"] = self.best_method
        if self.change_periods:
            out["change"] = self.change_periods
        if self.near_repeat_words:
            out["near_repeat"] = self.near_repeat_words
        return out


def _forecast_notes(result: SpatialAnalysis) -> list[str]:
    """What a reader should know about the forecast scores."""
    out = []
    fits = result.forecast_fits
    if fits is not None and "theta" in fits and (fits["method"] == "self_exciting").any():
        se = fits[fits["method"] == "self_exciting"]
        flat = int((se["theta"] == 0).sum())
        if flat:
            out.append(
                f"self_exciting found no excitation in the counts (theta = 0) in {flat} of "
                f"{len(se)} backtest periods; there it is the long-term map exactly"
            )
    s = result.backtest_summary
    if result.best_method and s is not None and len(s):
        one = s[s["coverage"] == s["coverage"].min()].set_index("method")
        if "long_term" in one.index:
            ratio = one.at[result.best_method, "pai_vs_long_term"]
            out.append(
                f"best hotspot forecast by mean PAI at {one['coverage'].iat[0]:.0%} of the area: "
                f"{result.best_method}, {ratio:.2f}x the long-term map's PAI"
            )
    return out


def analyse(
    incidents: pd.DataFrame,
    divisions: pd.DataFrame | None = None,
    resolution: int = grid.DEFAULT_RESOLUTION,
    period: str = "quarter",
    permutations: int = 999,
    seed: int = 42,
    bandwidth_m: float = kde.DEFAULT_BANDWIDTH_M,
    through: pd.Timestamp | None = None,
    with_emerging: bool = True,
    with_forecast: bool = True,
    with_near_repeat: bool = True,
    backtest_periods: int = forecast.BACKTEST_PERIODS,
    methods=forecast.METHODS,
) -> SpatialAnalysis:
    """Everything the hotspot command, report and dashboard show, from a frame of incidents
    (`lat`, `lon`, `occurred_date`, `area_id`) and optional division boundaries.

    `backtest_periods`: how many of the last periods the forecasts are backtested on.
    `through`: last complete month (`Store.complete_through()`); time slices after it are left
    out of the emerging-hotspot and forecast steps, which compare periods.
    """
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    res = grid.check_resolution(resolution)
    if len(incidents) == 0:
        raise ConfigError(
            "no incidents match the selection", hint="widen the dates, areas or categories"
        )
    ok, coords = grid.usable_mask(incidents)  # positional mask, any index
    pts, _ = grid.split_geocoded(incidents)  # the same rows, coordinates as float64
    if coords.geocoded == 0:
        raise ConfigError(
            f"none of the {coords.total:,} selected incidents has usable coordinates "
            f"({coords.no_coordinates:,} missing, {coords.outside_la:,} outside Los Angeles)",
            hint="hotspot maps need the LAT/LON columns of the LAPD export; ingest a file "
            "that has them",
        )
    notes = [] if not coords.unusable else [coords.message()]
    ids = grid.cell_ids(pts["lat"].to_numpy(), pts["lon"].to_numpy(), res)
    pts = pts.assign(h3=ids)
    counts = grid.counts_of(ids)
    timings["grid"] = time.perf_counter() - t0

    t = time.perf_counter()
    join = None
    polygon_area = np.zeros(len(pts), dtype=np.int64)
    if divisions is not None:
        join = boundaries.join_divisions(pts["lat"].to_numpy(), pts["lon"].to_numpy(), divisions)
        polygon_area = join.area_id
        notes.extend(join.notes)
    div_table = (
        boundaries.division_counts(incidents, polygon_area, ok, divisions)
        if "area_id" in incidents
        else pd.DataFrame()
    )
    timings["divisions"] = time.perf_counter() - t

    t = time.perf_counter()
    cells = grid.study_cells(counts["h3"], res, divisions)
    n = counts.set_index("h3")["n"].reindex(cells, fill_value=0).to_numpy()
    table = grid.cell_table(cells, n)
    table["area_km2"] = grid.cell_areas_km2(cells)
    gi = hotspots.gi_star(table, permutations, seed)
    timings["gi_star"] = time.perf_counter() - t

    t = time.perf_counter()
    raster = kde.raster_for(pts["lat"], pts["lon"], step_m=200.0)
    dens = kde.density(raster, pts["lat"], pts["lon"], bandwidth_m)
    surface = kde.surface_frame(raster, dens, min_share=0.01)
    timings["kde"] = time.perf_counter() - t

    result = SpatialAnalysis(
        resolution=res,
        period=period,
        coordinates=coords,
        cells=table,
        gi=gi,
        divisions=divisions,
        division_table=div_table,
        division_join=join,
        kde_surface=surface,
        bandwidth_m=bandwidth_m,
        notes=notes,
        timings=timings,
    )
    result.dual_rate = change.dual_rate(table, divisions)
    if "occurred_date" in pts:
        t = time.perf_counter()
        last = pts["occurred_date"].max()
        split = None
        if through is not None:  # compare complete months only: the year to the last of them
            end = (pd.Period(through, "M") + 1).start_time
            last = min(last, end - pd.Timedelta(days=1))
            split = end - pd.DateOffset(months=12)
        span_days = (last - pts["occurred_date"].min()).days
        if span_days >= 2 * 365 - 1:
            result.change, result.change_periods = change.hotspot_change(
                pts, cells, raster, kde.bin_cells(raster, cells, res), bandwidth_m, split=split
            )
        else:
            notes.append(
                "change map skipped: it compares the last 12 months with the 12 before, and "
                f"the selection spans {span_days} days"
            )
        timings["change"] = time.perf_counter() - t
    if with_near_repeat and "occurred_date" in pts:
        t = time.perf_counter()
        result.near_repeat = near_repeat.by_category(
            pts, permutations=near_repeat.PERMUTATIONS, seed=seed
        )
        result.near_repeat_words = near_repeat.sentences(result.near_repeat)
        timings["near_repeat"] = time.perf_counter() - t
    if not (with_emerging or with_forecast) or "occurred_date" not in pts:
        return result

    t = time.perf_counter()
    y, periods = emerging.slice_counts(pts, cells, period, through)
    y, periods, dropped = emerging.trim_sparse_start(y, periods)
    if dropped:
        notes.append(
            f"the first {dropped} {period}(s) hold under 10% of a typical {period}'s incidents "
            f"and are left out of the time slices, which start at {periods[0]}"
        )
    newest = emerging.period_index(pts["occurred_date"], period).max()
    if len(periods) and periods[-1] < newest:
        notes.append(
            f"time slices end at {periods[-1]}: the months after it are not yet completely "
            "reported (reporting lag or the NIBRS break), so comparing them would mislead"
        )
    result.periods = periods
    if with_emerging:
        if y.shape[1] >= 2:
            result.emerging = emerging.emerging_hotspots(y, cells, periods, permutations, seed)
        else:
            notes.append(
                f"emerging hot spots skipped: the selection spans {y.shape[1]} complete "
                f"{period}(s); at least 2 are needed"
            )
    timings["emerging"] = time.perf_counter() - t

    if with_forecast:
        t = time.perf_counter()
        if y.shape[1] >= 3:
            per = emerging.period_index(pts["occurred_date"], period)
            pts = pts.assign(period_pos=per.asi8 - periods[0].ordinal)
            pts = pts[pts["period_pos"] >= 0]  # periods trimmed from the start stay out
            fine = kde.raster_for(pts["lat"], pts["lon"], step_m=100.0)
            inputs = forecast.Inputs(
                y=y,
                periods=periods,
                areas=table["area_km2"].to_numpy(),
                points=pts[["lat", "lon", "occurred_date", "period_pos"]],
                raster=fine,
                mapping=kde.bin_cells(fine, cells, res),
                bandwidth_m=bandwidth_m,
                neighbours=grid.neighbour_lists(cells),
            )
            min_train = max(2, min(4, y.shape[1] - 1))
            bt = forecast.backtest(inputs, methods, min_train=min_train, max_folds=backtest_periods)
            result.backtest = bt
            result.forecast_fits = bt.attrs.get("fits")
            result.backtest_summary = forecast.summarise(bt)
            result.best_method = forecast.best_method(result.backtest_summary)
            result.forecast = forecast.forecast_next(inputs, cells, methods)
            result.flag_changes = forecast.flag_differences(result.forecast)
            if "crime_category" in pts and pts["crime_category"].nunique() > 1:
                result.category_forecasts = by_category.category_forecasts(
                    pts, cells, inputs, period, through, backtest_periods, methods=methods
                )
            notes.extend(_forecast_notes(result))
        else:
            notes.append(
                f"hotspot forecasts skipped: {y.shape[1]} complete {period}(s); at least 3 are "
                "needed to train and test"
            )
        timings["forecast"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return result
