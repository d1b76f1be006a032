"""The Dash app: `create_app(store, out=None, boundaries=None, auth=None)` and its layout.

Filters on the left; linked views on the right (time series with the run's forecast, division map,
hotspot map, weekday x hour heatmap, top tables), a forecast explorer, and downloads of what is on
screen. JSON endpoints for the same data live under /api/ on the same server (api.py).

`auth` is the hook for exposing the dashboard beyond localhost: a callable taking the Flask request
and returning None to let it through or a Flask response (e.g. 401) to refuse it; it runs before
every request, pages and /api/ alike.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import dash
import flask
from dash import dash_table, dcc, html

from crimecast.dashboard import api, callbacks, guards, hotspot_panel, views
from crimecast.dashboard.queries import Cube
from crimecast.dashboard.run_outputs import RunOutputs

CSS = """
body { font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; margin: 0;
       color: #1d2430; background: #f4f6f9; }
.banner { background: #D55E00; color: #fff; font-weight: 700; text-align: center; padding: 6px; }
header { background: #fff; border-bottom: 1px solid #d8dde4; padding: 10px 18px; }
header h1 { font-size: 1.35rem; margin: 0; }
header .meta { color: #5b6573; font-size: .88rem; }
.body { display: flex; gap: 14px; padding: 14px; align-items: flex-start; }
aside { width: 270px; flex: none; background: #fff; border: 1px solid #d8dde4; padding: 12px;
        border-radius: 6px; position: sticky; top: 8px; }
aside label { font-weight: 600; font-size: .85rem; display: block; margin: 10px 0 3px; }
main { flex: 1; min-width: 0; }
.card { background: #fff; border: 1px solid #d8dde4; border-radius: 6px; padding: 8px;
        margin-bottom: 14px; }
.row { display: flex; gap: 14px; } .row > .card { flex: 1; min-width: 0; }
.summary { font-size: 1rem; margin: 0 0 10px; }
.downloads a { margin-right: 12px; font-size: .9rem; }
.note { color: #5b6573; font-size: .85rem; }
.error { color: #D55E00; font-weight: 600; }
"""


def _dropdown(id_: str, options, placeholder: str) -> dcc.Dropdown:
    return dcc.Dropdown(
        id=id_, options=options, multi=True, placeholder=placeholder, persistence=False
    )


def _table(id_: str, first: str) -> dash_table.DataTable:
    return dash_table.DataTable(
        id=id_,
        columns=[
            {"name": first, "id": first.lower().split()[0]},
            {
                "name": "Incidents",
                "id": "incidents",
                "type": "numeric",
                "format": {"specifier": ","},
            },
            {"name": "Share", "id": "share", "type": "numeric", "format": {"specifier": ".1%"}},
        ],
        data=[],
        page_size=10,
        style_cell={
            "fontFamily": "inherit",
            "fontSize": 13,
            "textAlign": "left",
            "maxWidth": 320,
            "whiteSpace": "normal",
        },
        style_header={"fontWeight": 600, "backgroundColor": "#f4f6f9"},
    )


def layout(cube: Cube, outputs: RunOutputs) -> html.Div:
    o = cube.options
    info = cube.info
    simulated = bool(info["simulated"])
    meta = (
        f"{info['incidents']:,} incidents occurred {info['date_min']} to {info['date_max']}; "
        f"counts complete through {info['complete_through'] or 'no month'}."
        + (" SIMULATED data." if simulated else " Source: LAPD open data.")
    )
    filters = html.Aside(
        [
            html.Label("Date range", htmlFor="f-dates"),
            dcc.DatePickerRange(
                id="f-dates",
                min_date_allowed=o["date_min"],
                max_date_allowed=o["date_max"],
                display_format="YYYY-MM-DD",
                clearable=True,
            ),
            html.Label("Areas (LAPD divisions)"),
            _dropdown(
                "f-area", [{"label": a["name"], "value": a["id"]} for a in o["areas"]], "All areas"
            ),
            html.Label("Crime categories"),
            _dropdown("f-category", o["categories"], "All categories"),
            html.Label("Victim sex"),
            _dropdown("f-sex", o["victim_sex"], "Any"),
            html.Label("Victim age band"),
            _dropdown("f-age", o["age_bands"], "Any"),
            html.Label("Victim descent"),
            _dropdown("f-descent", o["victim_descent"], "Any"),
            html.Label("Premise"),
            _dropdown("f-premise", o["premises"], "Any premise"),
            html.Label("Weapon"),
            _dropdown("f-weapon", o["weapons"], "Any weapon"),
            html.Label("Time step"),
            dcc.RadioItems(
                id="f-freq",
                options=[
                    {"label": " day", "value": "D"},
                    {"label": " week", "value": "W"},
                    {"label": " month", "value": "MS"},
                ],
                value="MS",
                inline=True,
            ),
            html.P(
                "Victim fields describe reported victims; they are not predictors of anything.",
                className="note",
            ),
        ]
    )
    fx_ids = outputs.series_ids()
    explorer = html.Div(
        [
            html.H3("Forecast explorer", style={"margin": "4px 0"}),
            html.Div(
                [
                    dcc.Dropdown(
                        id="fx-series",
                        options=[{"label": views.series_label(i), "value": i} for i in fx_ids],
                        value=fx_ids[0] if fx_ids else None,
                        clearable=False,
                        style={"width": "340px"},
                    ),
                    dcc.Dropdown(id="fx-model", clearable=False, style={"width": "220px"}),
                ],
                style={"display": "flex", "gap": "10px"},
            ),
            html.Div(id="fx-note", className="note"),
            dcc.Graph(id="g-forecast", config={"displaylogo": False}),
            dash_table.DataTable(
                id="t-scores",
                data=[],
                columns=[],
                style_table={"overflowX": "auto"},
                style_cell={"fontSize": 13},
                style_cell_conditional=[{"if": {"column_id": "model"}, "textAlign": "left"}],
                style_header={"fontWeight": 600, "backgroundColor": "#f4f6f9"},
            ),
        ],
        className="card",
    )
    graph = lambda id_: dcc.Graph(id=id_, config={"displaylogo": False})  # noqa: E731
    main = html.Main(
        [
            html.Div(
                [
                    html.Span(id="selection-summary", className="summary"),
                    html.Span(
                        [
                            " Download what is on screen: ",
                            html.A("CSV", id="dl-csv", href="#", download="crimecast-series.csv"),
                            html.A(
                                "GeoJSON",
                                id="dl-geojson",
                                href="#",
                                download="crimecast-areas.geojson",
                            ),
                            html.A("PNG", id="dl-png", href="#", download="crimecast-series.png"),
                        ],
                        className="downloads",
                    ),
                ],
                className="card",
            ),
            html.Div(graph("g-series"), className="card"),
            html.Div(
                [
                    html.Div(graph("g-areas"), className="card"),
                    html.Div(graph("g-hotspots"), className="card"),
                ],
                className="row",
            ),
            html.Div(
                [
                    html.Div(graph("g-heatmap"), className="card"),
                    html.Div(
                        dcc.Tabs(
                            [
                                dcc.Tab(_table("t-crime", "Crime type"), label="Crime types"),
                                dcc.Tab(_table("t-premise", "Premise"), label="Premises"),
                                dcc.Tab(_table("t-weapon", "Weapon"), label="Weapons"),
                            ]
                        ),
                        className="card",
                    ),
                ],
                className="row",
            ),
            explorer,
            hotspot_panel.card(outputs),
        ]
    )
    return html.Div(
        [
            html.Div(
                "SIMULATED DATA: a made-up city from crimecast's simulator, not real LAPD incidents",
                className="banner",
                id="simulated-banner",
            )
            if simulated
            else None,
            html.Header(
                [html.H1("crimecast: Los Angeles reported crime"), html.Div(meta, className="meta")]
            ),
            html.Div([filters, main], className="body"),
        ]
    )


def create_app(
    store: str | Path,
    out: str | Path | None = None,
    boundaries: str | Path | None = None,
    auth: Callable[[flask.Request], flask.Response | None] | None = None,
    cube: Cube | None = None,
) -> dash.Dash:
    """The dashboard over a store (read-only snapshot) and, if given, a run's output directory.
    `cube`: the store's snapshot when already loaded (crimecast serve loads it while this module
    is imported)."""
    cube = cube if cube is not None else Cube(store)
    divisions = None
    if boundaries:
        from crimecast.spatial.boundaries import read_divisions

        divisions, _ = read_divisions(boundaries)
    outputs = RunOutputs(out, divisions=divisions)
    server = flask.Flask("crimecast.dashboard")
    if auth is not None:

        @server.before_request
        def _check():
            return auth(flask.request)

    app = dash.Dash(
        "crimecast.dashboard",
        server=server,
        title="crimecast dashboard",
        serve_locally=True,  # Dash's JS comes from the package, never a CDN
        suppress_callback_exceptions=False,
    )
    app.index_string = app.index_string.replace("{%css%}", "{%css%}<style>" + CSS + "</style>")
    app.layout = layout(cube, outputs)
    api.register(server, cube, outputs)
    callbacks.register(app, cube, outputs)
    hotspot_panel.register(app, outputs)
    guards.register(app)
    app.cube, app.outputs = cube, outputs  # for tests and benchmarks
    return app
