"""Dash callbacks: one for the linked views (every filter change redraws all of them from the
same validated selection) and one for the forecast explorer."""

from __future__ import annotations

import math
from urllib.parse import urlencode

import dash
import pandas as pd
from dash import Input, Output

from crimecast import schema
from crimecast.dashboard import maps, views
from crimecast.dashboard.queries import Cube
from crimecast.dashboard.run_outputs import RunOutputs
from crimecast.errors import CrimecastError
from crimecast.filters import Filters

# the backtest score columns the explorer shows: header and display format (d3-format)
SCORE_COLUMNS = {
    "model": ("Model", None),
    "mae": ("MAE (incidents)", ",.1f"),
    "mase": ("MASE", ".2f"),
    "wape": ("WAPE", ".1%"),
    "coverage_80": ("80% interval coverage", ".0%"),
    "coverage_95": ("95% interval coverage", ".0%"),
    "skill": ("Skill vs better baseline", "+.0%"),
    "beats_baselines": ("Beats baselines", None),
}


def score_table(scores: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """The explorer's backtest table: (rows, columns), numbers rounded for display by the
    columns' formats, yes/no for booleans, blanks (not 'nan') for missing values."""
    shown = [c for c in SCORE_COLUMNS if c in scores.columns]
    cols = []
    for c in shown:
        name, spec = SCORE_COLUMNS[c]
        if c == "skill" and "baseline" in scores.columns and scores["baseline"].nunique() == 1:
            name = f"Skill vs {str(scores['baseline'].iloc[0]).replace('_', ' ')}"
        col = {"name": name, "id": c}
        if spec:
            col |= {"type": "numeric", "format": {"specifier": spec, "nully": "–"}}
        cols.append(col)
    if not len(scores):
        return [], cols
    table = scores[shown].copy()
    if "beats_baselines" in table.columns:
        table["beats_baselines"] = table["beats_baselines"].map(_yes_no)
    table = table.astype(object).where(table.notna(), None)
    rows = [
        {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in r.items()}
        for r in table.to_dict("records")
    ]
    return rows, cols


def _yes_no(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, str):
        return "yes" if value.strip().lower() in ("true", "yes", "1") else "no"
    return "yes" if bool(value) else "no"


FILTER_INPUTS = [
    Input("f-dates", "start_date"),
    Input("f-dates", "end_date"),
    Input("f-area", "value"),
    Input("f-category", "value"),
    Input("f-sex", "value"),
    Input("f-age", "value"),
    Input("f-descent", "value"),
    Input("f-premise", "value"),
    Input("f-weapon", "value"),
    Input("f-freq", "value"),
]


def query_params(start, end, area, category, sex, age, descent, premise, weapon) -> list:
    """The selection as /api/ query parameters (what the download links carry)."""
    pairs = [("from", start), ("to", end)]
    for name, values in (
        ("area", area),
        ("category", category),
        ("sex", sex),
        ("age_band", age),
        ("descent", descent),
        ("premise", premise),
        ("weapon", weapon),
    ):
        pairs += [(name, v) for v in values or ()]
    return [(k, str(v)[:10] if k in ("from", "to") else v) for k, v in pairs if v]


def selection(start, end, area, category, sex, age, descent, premise, weapon) -> Filters:
    """The validated selection of the filter panel (CrimecastError when a value is bad)."""
    return Filters.build(
        date_from=start,
        date_to=end,
        areas=area or (),
        categories=category or (),
        victim_sex=sex or (),
        age_bands=age or (),
        victim_descent=descent or (),
        premises=premise or (),
        weapons=weapon or (),
    )


def uid_for(f: Filters) -> str | None:
    """The forecast series that matches a selection, if any (city, one area or one category)."""
    only_dates = Filters(date_from=f.date_from, date_to=f.date_to)
    if f == only_dates:
        return "city"
    if f == Filters(date_from=f.date_from, date_to=f.date_to, areas=f.areas) and len(f.areas) == 1:
        return f"area:{schema.AREAS[f.areas[0]]}"
    if (
        f == Filters(date_from=f.date_from, date_to=f.date_to, categories=f.categories)
        and len(f.categories) == 1
    ):
        return f"category:{f.categories[0]}"
    return None


def filters_for_uid(uid: str) -> Filters:
    areas, cats = [], []
    for part in uid.split("|"):
        kind, _, value = part.partition(":")
        if kind == "area":
            areas.append(value)
        elif kind == "category":
            cats.append(value)
    return Filters.build(areas=areas, categories=cats)


def register(app, cube: Cube, outputs: RunOutputs) -> None:
    flagged = [
        m
        for m, ok in zip(cube.completeness["month"], cube.completeness["complete"], strict=True)
        if not ok
    ]
    label = " (SIMULATED)" if cube.info["simulated"] else ""

    @app.callback(
        Output("g-series", "figure"),
        Output("g-areas", "figure"),
        Output("g-hotspots", "figure"),
        Output("g-heatmap", "figure"),
        Output("t-crime", "data"),
        Output("t-premise", "data"),
        Output("t-weapon", "data"),
        Output("selection-summary", "children"),
        Output("dl-csv", "href"),
        Output("dl-geojson", "href"),
        Output("dl-png", "href"),
        *FILTER_INPUTS,
    )
    def update(start, end, area, category, sex, age, descent, premise, weapon, freq):
        params = query_params(start, end, area, category, sex, age, descent, premise, weapon)
        try:
            f = selection(start, end, area, category, sex, age, descent, premise, weapon)
        except CrimecastError as exc:
            msg = f"{exc.message} ({exc.hint})" if exc.hint else exc.message
            blank = views.empty_figure("", msg)
            return (blank, blank, blank, blank, [], [], [], msg, "#", "#", "#")
        freq = freq or "MS"
        series = cube.series(f, freq)
        sid = uid_for(f)
        fc = None
        if sid and freq == "MS" and outputs.available() and sid in outputs.series_ids():
            fc = outputs.forecast(sid, outputs.default_model(sid))
        by_area = cube.by_area(f)
        total = int(series["y"].sum())
        summary = (
            f"{total:,} incidents selected{label}"
            + (
                f"; forecast shown for {views.series_label(sid)} ({outputs.default_model(sid)})"
                if fc is not None
                else ""
            )
            + "."
        )
        qs = urlencode(params)
        freq_qs = urlencode([*params, ("freq", freq)])
        return (
            views.series_figure(series, freq, fc, flagged, label),
            maps.area_map(by_area, outputs.divisions),
            maps.hotspot_map(cube.points(f), outputs.hotspots(), outputs.divisions, total),
            views.heatmap_figure(cube.weekday_hour(f)),
            cube.top(f, "crime").to_dict("records"),
            cube.top(f, "premise").to_dict("records"),
            cube.top(f, "weapon").to_dict("records"),
            summary,
            f"/api/download/series.csv?{freq_qs}",
            f"/api/download/areas.geojson?{qs}",
            f"/api/download/series.png?{freq_qs}",
        )

    @app.callback(Output("fx-series", "value"), *FILTER_INPUTS, prevent_initial_call=True)
    def follow_selection(start, end, area, category, sex, age, descent, premise, weapon, freq):
        """The explorer follows the filters when they select a forecast series (an area, a
        category or the whole city); otherwise it keeps the series picked in it."""
        try:
            f = selection(start, end, area, category, sex, age, descent, premise, weapon)
        except CrimecastError:
            return dash.no_update
        sid = uid_for(f)
        return sid if sid and sid in outputs.series_ids() else dash.no_update

    @app.callback(
        Output("fx-model", "options"),
        Output("fx-model", "value"),
        Input("fx-series", "value"),
    )
    def models_of(sid):
        if not sid:
            return [], None
        return outputs.models(sid), outputs.default_model(sid)

    @app.callback(
        Output("g-forecast", "figure"),
        Output("t-scores", "data"),
        Output("t-scores", "columns"),
        Output("fx-note", "children"),
        Input("fx-series", "value"),
        Input("fx-model", "value"),
    )
    def explore(sid, model):
        if not outputs.available():
            msg = "No forecasts yet: run `crimecast run` and start the dashboard with --out DIR."
            return views.empty_figure("Forecast explorer", msg), [], [], msg
        if not sid or not model or model not in outputs.models(sid):
            return views.empty_figure("Forecast explorer", "Pick a series and a model"), [], [], ""
        history = cube.series(filters_for_uid(sid), "MS")
        fc = outputs.forecast(sid, model)
        bt = outputs.backtest_of(sid, model)
        scores = outputs.scores(sid)
        data, cols = score_table(scores)
        note = (
            f"Backtest: {bt['cutoff'].nunique()} cutoff(s). MASE scales each model's backtest "
            "error by the in-sample error of last year's value: it can exceed 1 even for the "
            "seasonal naive forecast itself, so compare models by skill against the better "
            "baseline's own backtest (the skill column)."
            if len(bt)
            else "No backtest for this series and model."
        )
        mine = scores[scores["model"] == model] if len(scores) else scores
        if (
            len(mine)
            and "warnings" in mine.columns
            and str(mine["warnings"].iloc[0]) not in ("", "nan")
        ):
            note += f" Reliability: {mine['warnings'].iloc[0]}."
        if len(mine) and "gates" in mine.columns:  # Ashby's reliability gates
            failed = str(mine["gates"].iloc[0])
            note += (
                f" Ashby's reliability gates: fails {failed}."
                if failed not in ("", "nan")
                else " Ashby's reliability gates: all pass."
            )
        fig = views.forecast_figure(history, fc, bt, sid, model, flagged)
        return fig, data, cols, note
