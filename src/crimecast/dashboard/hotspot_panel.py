"""The dashboard's hotspot forecasts by crime type: for the crime type picked, the cells the last
run flags for the next period (the top 1% of the area by the method that crime type's own
backtest scored best), with that backtest score beside the map. It reads the run's
`tables/hotspot_by_category_cells.csv`; sensitive offenses are listed with their score but never
mapped (the run writes no cells for them)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from dash import Input, Output, dcc, html

from crimecast.dashboard.maps import _division_lines, _map_layout
from crimecast.dashboard.run_outputs import RunOutputs
from crimecast.dashboard.views import VERMILLION, empty_figure

TITLE = "Hotspot forecasts by crime type"
FILE = "tables/hotspot_by_category_cells.csv"


def table(outputs: RunOutputs) -> pd.DataFrame | None:
    def read(path):
        df = pd.read_csv(path, dtype={"flagged_h3": str}, keep_default_na=False)
        df["mapped"] = df["mapped"].astype(str).str.lower().isin(("true", "1", "yes"))
        return df

    return outputs._load(FILE, read)


def score_text(row) -> str:
    text = (
        f"{row['category']}: {str(row['method']).replace('_', ' ')}, PAI at 1% of the area "
        f"{float(row['pai_1pct']):.1f} ({float(row['pai_vs_long_term']):.2f}x the long-term "
        f"map's), hit rate {float(row['hit_rate_1pct']):.0%}, over {int(row['backtest_periods'])} "
        f"backtest periods; forecast for {row['period']}."
    )
    if not row["mapped"]:
        text += " Sensitive offense: not mapped below the division."
    return text


def category_map(row, divisions: pd.DataFrame | None = None) -> go.Figure:
    """The flagged hexagons of one crime type over the division outlines."""
    import h3

    title = f"{row['category']}: top 1% of the area for {row['period']}"
    if not row["mapped"]:
        return empty_figure(title, "A sensitive offense: not mapped below the division")
    cells = str(row["flagged_h3"]).split()
    if not cells:
        return empty_figure(title, "No cells flagged")
    fig = go.Figure()
    if divisions is not None and len(divisions):
        fig.add_trace(_division_lines(divisions))
    xs, ys = [], []
    for c in cells:
        ring = h3.cell_to_boundary(c)  # (lat, lon) pairs
        xs += [p[1] for p in ring] + [ring[0][1], None]
        ys += [p[0] for p in ring] + [ring[0][0], None]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            fill="toself",
            fillcolor=VERMILLION,
            line={"color": VERMILLION, "width": 1},
            name=f"flagged cells ({len(cells)})",
            hoverinfo="skip",
        )
    )
    return _map_layout(fig, title)


def card(outputs: RunOutputs) -> html.Div:
    t = table(outputs)
    cats = [] if t is None else list(t["category"])
    # the largest crime type first: the one most users look for
    first = None if t is None or t.empty else str(t.sort_values("incidents").iloc[-1]["category"])
    return html.Div(
        [
            html.H3(TITLE, style={"margin": "4px 0"}),
            dcc.Dropdown(
                id="hx-category",
                options=[{"label": c, "value": c} for c in cats],
                value=first,
                clearable=False,
                style={"width": "340px"},
            ),
            html.Div(id="hx-score", className="note"),
            dcc.Graph(id="g-cat-hotspots", config={"displaylogo": False}),
        ],
        className="card",
        id="hotspot-by-category",
    )


def register(app, outputs: RunOutputs) -> None:
    @app.callback(
        Output("g-cat-hotspots", "figure"),
        Output("hx-score", "children"),
        Input("hx-category", "value"),
    )
    def show(category):
        t = table(outputs)
        if t is None or t.empty:
            msg = (
                "No hotspot forecasts yet: run `crimecast run` and start the dashboard with --out."
            )
            return empty_figure(TITLE, msg), msg
        sel = t[t["category"] == category]
        if sel.empty:
            return empty_figure(TITLE, "Pick a crime type"), ""
        row = sel.iloc[0]
        return category_map(row, outputs.divisions), score_text(row)
