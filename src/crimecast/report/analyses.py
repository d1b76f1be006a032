"""The EDA and hotspot steps of `crimecast run`: call crimecast.eda and crimecast.spatial, write
their tables and figures into the run directory, and pick what the report shows."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd

from crimecast import config, schema
from crimecast.errors import CrimecastError
from crimecast.fitness import MIN_BASE
from crimecast.report.steps import Context, figure, not_available
from crimecast.report.summary import seg

# The EDA figures the report shows (all are written as PNG; these few also interactive).
REPORT_FIGURES = (
    "monthly",
    "stl_citywide",
    "seasonal_profile",
    "trend_tests",
    "yoy_by_division",
    "yoy_by_crime_type",
    "monthly_by_crime_class",
    "by_category",
    "area_rates",
    "weekday_hour",
    "victim_age",
    "victim_sex",
    "victim_descent",
    "top_premises",
    "top_weapons",
    "arrest_share_by_division",
    "reporting_delay",
    "profile_divisions",
)
INTERACTIVE = {"monthly", "monthly_by_crime_class", "stl_citywide"}
SPATIAL_COLUMNS = ("record_id", "occurred_date", "area_id", "lat", "lon", "crime_category")


def fitness_verdicts(results: dict) -> dict[str, str]:
    """unique_id -> '' (the data can carry it) or the reason it cannot, from the fitness step."""
    return results.get("fitness", {}).get("summary", {}).get("verdicts", {})


def load(ctx: Context, columns) -> pd.DataFrame:
    """Incidents as an Arrow-backed frame (a million rows in well under a second)."""
    with ctx.read() as st:
        rel = st.con.sql(f"SELECT {', '.join(columns)} FROM incidents")
        return rel.to_arrow_table().to_pandas(types_mapper=pd.ArrowDtype)


# Figures that state a citywide trend, season or year-over-year change: left out of the report
# when the data cannot carry a citywide trend.
CLAIM_FIGURES = ("stl_citywide", "stl_by_area", "seasonal_profile", "trend_tests",
                 "yoy_by_division", "yoy_by_crime_type")  # fmt: skip
NOT_STATED = "not stated: the data cannot carry it"
SMALL_BASE = f"not stated: under {MIN_BASE} incidents a year before"
YOY_SERIES = {"yoy_citywide": None, "yoy_by_area": "area:", "yoy_by_category": "category:"}


def _yoy_uid(name: str, group) -> str:
    prefix = YOY_SERIES[name]
    return "city" if prefix is None else f"{prefix}{group}"


def obey_fitness(tables: dict, verdicts: dict[str, str]) -> dict:
    """The trend and year-over-year tables with nothing stated that the data cannot carry: a
    series that fails the data-fitness check, or a change against fewer than MIN_BASE incidents,
    gets no percentage and no verdict of change; infinite ratios (against 0) become blanks; a
    trend is rising or falling only with a Sen slope in that direction."""
    out = dict(tables)
    for name in YOY_SERIES:
        t = out.get(name)
        if t is None or t.empty:
            continue
        t = t.copy()
        for col in ("rate_ratio", "ratio_lo", "ratio_hi", "pct_change"):
            t[col] = pd.to_numeric(t[col], errors="coerce").replace([np.inf, -np.inf], np.nan)
        unfit = t["group"].map(lambda g, n=name: bool(verdicts.get(_yoy_uid(n, g))))
        small = t["previous"] < MIN_BASE
        drop = unfit | small
        t.loc[drop, ["pct_change", "rate_ratio", "ratio_lo", "ratio_hi"]] = np.nan
        t["significant"] = t["significant"].astype(bool) & ~drop
        t["verdict"] = t["verdict"].astype(object)
        t.loc[small, "verdict"] = SMALL_BASE
        t.loc[unfit, "verdict"] = NOT_STATED
        out[name] = t
    for name, by in (("trend_tests", True), ("trend_tests_by_category", False)):
        t = out.get(name)
        if t is None or t.empty:
            continue
        t = t.copy()
        t["direction"] = t["direction"].astype(object)
        slope = pd.to_numeric(t["change_per_year"], errors="coerce").fillna(0)
        flat = ((t["direction"] == "rising") & (slope <= 0)) | (
            (t["direction"] == "falling") & (slope >= 0)
        )
        t.loc[flat, "direction"] = "flat"
        if by:
            uids = (
                "area:"
                + t["area_name"].astype(str)
                + "|category:"
                + t["crime_category"].astype(str)
            )
        else:
            uids = "category:" + t["crime_category"].astype(str)
        unfit = uids.map(lambda u: bool(verdicts.get(u))) & (t["direction"] != "too little data")
        t.loc[unfit, "direction"] = NOT_STATED
        out[name] = t
    return out


def changed_most(tables: dict, verdicts: dict[str, str] | None = None) -> list[list]:
    """Bullets on what changed most: the largest significant year-over-year changes, and the
    strongest rising trend (both from crimecast.eda's tests, which correct for many tests), over
    the series the data can carry only."""
    verdicts = verdicts or {}
    tables = obey_fitness(tables, verdicts)
    out = []
    for name, what in (("yoy_by_category", "crime type"), ("yoy_by_area", "division")):
        t = tables.get(name)
        if t is None or t.empty:
            continue
        period = str(t["period"].iloc[0])
        stated = t[t["pct_change"].notna()]
        if stated.empty:
            out.append(
                [
                    f"No year-over-year change by {what} is stated ({period}): none of the "
                    f"{len(t)} can be compared (the data cannot carry them, or the year before "
                    f"holds fewer than {MIN_BASE} incidents)."
                ]
            )
            continue
        sig = stated[stated["significant"].astype(bool)]
        if sig.empty:
            out.append([f"No {what} changed significantly year over year ({period})."])
            continue
        top = sig.reindex(sig["pct_change"].abs().sort_values(ascending=False).index).head(2)
        line = [f"Largest significant change by {what} ({period}): "]
        for i, r in enumerate(top.itertuples()):
            k = f"{name}_{i + 1}"
            line += [
                "; " if i else "",
                seg(f"{k}_group", str(r.group), what),
                " ",
                seg(f"{k}_pct", round(float(r.pct_change) / 100, 4), "change", "{:+.0%}"),
                f" ({int(r.previous):,} to {int(r.current):,})",
            ]
        out.append([*line, "."])
    trend = tables.get("trend_tests")
    if trend is not None and len(trend):
        rising = trend[
            (trend["direction"] == "rising")
            & (trend["q_value"] < 0.05)
            & (pd.to_numeric(trend["change_per_year"], errors="coerce") > 0)
        ]
        if len(rising):
            r = rising.iloc[0]
            out.append(
                [
                    "The strongest rising trend: ",
                    seg("trend_1_series", f"{r['crime_category']} in {r['area_name']}", "series"),
                    ", up ",
                    seg(
                        "trend_1_pct",
                        round(float(r["pct_change_per_year"]) / 100, 4),
                        "change per year",
                        "{:+.0%}",
                    ),
                    " a year (Mann-Kendall, false-discovery corrected).",
                ]
            )
    return out


def step_eda(ctx: Context, results: dict) -> dict:
    from crimecast import eda
    from crimecast.eda import figures, static

    incidents = load(ctx, eda.COLUMNS)
    result = eda.build(incidents, ctx.completeness, seed=ctx.options["seed"])
    del incidents
    verdicts = fitness_verdicts(results)
    result.tables = obey_fitness(result.tables, verdicts)
    result.specs = eda.figure_specs(result.tables, ctx.completeness)  # titles from those tables
    for spec in result.specs:
        spec.no_data = result.incidents == 0
    for name, frame in result.tables.items():
        ctx.table(name, frame)
    city_unfit = verdicts.get("city", "")
    messages = list(result.messages)
    if city_unfit:
        messages.append(
            f"The data cannot carry a citywide trend ({city_unfit}): the trend, seasonality and "
            "year-over-year figures are left out and no change is stated."
        )
    dominated = results.get("fitness", {}).get("summary", {}).get("dominated_areas", [])
    if dominated:
        messages.append(
            f"{', '.join(dominated)}: most incidents come from one file that holds little else, "
            "so rates by division compare files, not places; the division-rate figure is left out."
        )
    figs = []
    for name in REPORT_FIGURES:
        if (city_unfit and name in CLAIM_FIGURES) or (dominated and name == "area_rates"):
            continue
        try:
            spec = result.spec(name)
        except KeyError:
            continue
        if spec.empty:
            continue
        png = f"figures/{name}.png"
        static.render(spec, ctx.out / png)
        ctx.files.append(png)
        fig = figures.render(spec) if name in INTERACTIVE else None
        figs.append(figure(spec.title, spec.note, plotly=fig, png=png, fid=name))
    shown = ("trend_tests", "yoy_by_category", "yoy_by_area", "by_area", "by_category")
    return {
        "status": "computed",
        "note": f"{len(result.tables)} tables, {len(figs)} figures in the report",
        "files": ctx.take_files(),
        "tables": {n: result.tables[n] for n in shown if n in result.tables},
        "figures": figs,
        "summary": {
            "bullets": changed_most(result.tables, verdicts),
            "warnings": messages,
        },
    }


# -- hotspots --------------------------------------------------------------------------------------
def divisions_for(ctx: Context):
    """Division boundaries: --boundaries (kept in the store for later commands), else the
    store's cache, else the GeoHub (cached), else the built-in outlines."""
    from crimecast.spatial import boundaries

    try:
        div, warns, origin = boundaries.resolve_divisions(
            ctx.options.get("boundaries"),
            ctx.store,
            config.get("boundaries_url"),
            timeout=min(config.get_float("http_timeout"), 20.0),
        )
    except CrimecastError as exc:  # an unreadable --boundaries file
        return None, [f"no division boundaries ({exc.message}); hexagon maps only"]
    return div, [*warns, f"division boundaries: {origin}"]


def _jsonable(v):
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_jsonable(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def hotspot_bullets(gi: pd.DataFrame, divisions, summary: dict, bt: pd.DataFrame | None) -> list:
    out = []
    hot = gi[gi["gi_bin"] == 3].sort_values("z", ascending=False)
    share = summary["share_of_incidents_in_hot_cells"]
    out.append(
        [
            seg("hot_cells_99", int(len(hot)), "hot cells at 99%"),
            " hexagons are hot spots at 99% confidence (Gi*, false-discovery corrected); hot "
            "spots of any confidence hold ",
            seg("hot_share", round(share, 4), "share of incidents in hot cells", "{:.0%}"),
            " of geocoded incidents.",
        ]
    )
    if len(hot):
        top = hot.head(3)
        names = [""] * len(top)
        if divisions is not None:
            from crimecast.spatial.boundaries import join_divisions

            ids = join_divisions(top["lat"].to_numpy(), top["lon"].to_numpy(), divisions).area_id
            names = [schema.AREAS.get(int(i), "") for i in ids]
        line = ["The strongest hot spots: "]
        for i, (r, name) in enumerate(zip(top.itertuples(), names, strict=True)):
            where = f"in {name} " if name else ""
            line += [
                "; " if i else "",
                f"{where}at ({r.lat:.4f}, {r.lon:.4f}), ",
                seg(f"hotspot_{i + 1}_n", int(r.n), "incidents in the cell"),
                " incidents (z = ",
                seg(f"hotspot_{i + 1}_z", round(float(r.z), 2), "Gi* z", "{:.1f}"),
                ")",
            ]
        out.append([*line, "."])
    if bt is not None and len(bt):
        one = bt[bt["coverage"] == bt["coverage"].min()].sort_values("pai", ascending=False)
        r = one.iloc[0]
        out.append(
            [
                "Flagging the top 1% of the city's area by the best hotspot forecast (",
                seg("hotspot_fc_method", str(r["method"]), "hotspot forecast method"),
                ") would have captured ",
                seg("hotspot_fc_hit", round(float(r["hit_rate"]), 4), "hit rate", "{:.0%}"),
                " of the next period's crime (PAI ",
                seg("hotspot_fc_pai", round(float(r["pai"]), 2), "PAI", "{:.1f}"),
                ").",
            ]
        )
    return out


def forecast_methods(demo: bool) -> tuple[str, ...]:
    from crimecast.spatial import forecast as spatial_forecast

    return spatial_forecast.QUICK_METHODS if demo else spatial_forecast.METHODS


def step_hotspots(ctx: Context, results: dict) -> dict:
    from crimecast import spatial
    from crimecast.spatial import grid, maps, near_repeat

    incidents = load(ctx, SPATIAL_COLUMNS)
    incidents["occurred_date"] = pd.to_datetime(incidents["occurred_date"].astype("datetime64[ns]"))
    for col in ("lat", "lon"):
        incidents[col] = incidents[col].astype("float64")
    incidents["area_id"] = incidents["area_id"].astype("Int64")
    divisions, notes = divisions_for(ctx)
    through = ctx.info.get("complete_through")
    try:
        res = spatial.analyse(
            incidents,
            divisions,
            resolution=config.get_int("h3_resolution"),
            permutations=config.get_int("gi_permutations"),
            seed=ctx.options["seed"],
            bandwidth_m=config.get_float("kde_bandwidth"),
            through=pd.Timestamp(through) + pd.offsets.MonthEnd(0) if through else None,
            # the demo keeps to the methods that fit in seconds, so it runs in under a minute
            methods=forecast_methods(ctx.options.get("demo", False)),
        )
    except CrimecastError as exc:  # e.g. no geocoded incident: say why, do not fail the run
        return not_available("Hotspot analysis", exc.message)
    notes += res.notes
    # what changes over time (the hotspot forecast's backtest, emerging patterns) is not stated
    # when the data cannot carry a citywide trend; hot spots of files that hold one division
    # mark where a file has rows
    city_unfit = fitness_verdicts(results).get("city", "")
    fit_sentences = results.get("fitness", {}).get("summary", {}).get("sentences", [])
    notes += [x for x in fit_sentences if "not comparable with other divisions" in x]
    dominated = results.get("fitness", {}).get("summary", {}).get("dominated_areas", [])
    if city_unfit:
        notes.append(
            f"The data cannot carry a citywide trend ({city_unfit}): the hotspot forecast "
            "backtest and the emerging hot spot patterns are not stated; hot spots pool months "
            "and files that cover the city unevenly."
        )
        res.emerging = None
        res.backtest_summary = None
        notes = [x for x in notes if not x.startswith("best hotspot forecast")]
    (ctx.out / "hotspots.geojson").write_text(json.dumps(_jsonable(grid.cells_geojson(res.gi))))
    ctx.files.append("hotspots.geojson")
    summary = res.summary()
    tables = {
        "hotspot_cells": res.gi.loc[
            res.gi["gi_bin"] > 0, ["h3", "n", "lat", "lon", "z", "p_fdr", "class"]
        ].sort_values("z", ascending=False),
        "division_rates": res.division_table,
    }
    if res.backtest_summary is not None:
        tables["hotspot_forecast_scores"] = res.backtest_summary
    if res.emerging is not None:
        tables["emerging_patterns"] = (
            res.emerging["pattern"].value_counts().rename_axis("pattern").reset_index(name="cells")
        )
    for name, df in tables.items():
        ctx.table(name, df)
    figs = []
    div = res.divisions
    maps_to_draw = [("gi_star", maps.gi_map(res.gi, div), maps.gi_layers(res.gi), "")]
    if div is not None and len(res.division_table):
        maps_to_draw.append(
            (
                "division_rates",
                maps.division_map(res.division_table, div, "rate_per_100k"),
                maps.division_layers(res.division_table, div, "rate_per_100k"),
                "Incidents per 100,000 residents; divisions joined on their number.",
            )
        )
    if res.emerging is not None:
        maps_to_draw.append(
            (
                "emerging",
                maps.emerging_map(res.emerging, div),
                maps.pattern_layers(res.emerging),
                "Emerging hot spots: how each cell's Gi* changed over the quarters.",
            )
        )
    for name, fig, layers, caption in maps_to_draw:
        png = ctx.png(f"map_{name}", maps.static_map(layers, fig.layout.title.text, div))
        interactive = fig if name == "gi_star" else None
        figs.append(figure(fig.layout.title.text, caption, plotly=interactive, png=png, fid=name))
    more = {"tables": {}, "figures": [], "bullets": []}
    from crimecast.report.hotspot_extras import extras

    if city_unfit:  # the forecast scores are not stated (see above)
        res.category_forecasts = None
    more = extras(ctx, res, maps, near_repeat)
    for name, df in more["tables"].items():
        ctx.table(name, df)
    figs += more["figures"]
    return {
        "status": "computed",
        "note": f"{summary['cells']:,} cells, {summary['gi_star']['hot_cells']:,} hot",
        "files": ctx.take_files(),
        "tables": {
            k: tables[k] for k in ("hotspot_forecast_scores", "division_rates") if k in tables
        }
        | {"hotspot_cells": tables["hotspot_cells"].head(15)}
        | more["tables"],
        "figures": figs,
        "summary": {
            "bullets": hotspot_bullets(res.gi, div, summary["gi_star"], res.backtest_summary)
            + more["bullets"]
            + (
                [
                    [
                        f"Hot spots in {', '.join(dominated)} mark where one file has rows (it "
                        "holds little else), not where crime concentrates against the rest of "
                        "the city."
                    ]
                ]
                if dominated
                else []
            ),
            "warnings": notes,
            "gi_star": summary["gi_star"],
        },
    }
