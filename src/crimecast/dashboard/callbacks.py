"""Dash callbacks: one for the linked views (every filter change redraws all of them from the
same validated selection) and one for the forecast explorer."""

from __future__ import annotations

from urllib.parse import urlencode

from dash import Input, Output

from crimecast import schema
from crimecast.dashboard import views
from crimecast.dashboard.queries import Cube
from crimecast.dashboard.run_outputs import RunOutputs
from crimecast.errors import CrimecastError
from crimecast.filters import Filters

SCORE_COLUMNS = (
    "model",
    "mae",
    "mase",
    "wape",
    "coverage_80",
    "coverage_95",
    "skill",
    "beats_baselines",
)
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
            f = Filters.build(
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
                f"; forecast shown for {sid} ({outputs.default_model(sid)})"
                if fc is not None
                else ""
            )
            + "."
        )
        qs = urlencode(params)
        freq_qs = urlencode([*params, ("freq", freq)])
        return (
            views.series_figure(series, freq, fc, flagged, label),
            views.area_map(by_area, outputs.divisions),
            views.hotspot_map(cube.points(f), outputs.hotspots(), outputs.divisions),
            views.heatmap_figure(cube.weekday_hour(f)),
            cube.top(f, "crime").to_dict("records"),
            cube.top(f, "premise").to_dict("records"),
            cube.top(f, "weapon").to_dict("records"),
            summary,
            f"/api/download/series.csv?{freq_qs}",
            f"/api/download/areas.geojson?{qs}",
            f"/api/download/series.png?{freq_qs}",
        )

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
        shown = [c for c in SCORE_COLUMNS if c in scores.columns]
        cols = [{"name": c.replace("_", " "), "id": c} for c in shown]
        data = scores[shown].round(3).to_dict("records") if len(scores) else []
        note = (
            f"Backtest: {bt['cutoff'].nunique()} cutoff(s); MASE below 1 beats the seasonal naive "
            "forecast."
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
        fig = views.forecast_figure(history, fc, bt, sid, model)
        return fig, data, cols, note
