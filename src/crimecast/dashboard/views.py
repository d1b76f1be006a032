"""Figures and exports of the dashboard: frames in, Plotly figures / GeoJSON out (the PNG
download is drawn in png.py).

Time series draw the months kept out of model training (reporting lag, the NIBRS break) as a
separate grey dotted line. The two maps are in maps.py.
Colours: Okabe-Ito and cividis, readable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from crimecast.forecast.plots import add_forecast
from crimecast.panel import PERIOD_UNITS

BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"


GREY = "#7f8793"
FLAGGED_NAME = "Reported, not used for training (incomplete month: reporting lag / NIBRS break)"


def _flag_mask(ds: pd.Series, flagged) -> pd.Series:
    """True for the points whose month is flagged (any time step: a day, week or month)."""
    months = {pd.Timestamp(m).to_period("M") for m in flagged or ()}
    if not months:
        return pd.Series(False, index=ds.index)
    return pd.to_datetime(ds).dt.to_period("M").isin(months)


def reported_traces(df: pd.DataFrame, flagged=None, name: str = "Reported") -> list[go.Scatter]:
    """The reported counts as a solid line over the months the models train on, and the flagged
    months (incomplete: reporting lag, the NIBRS break) as a separate grey dotted line with
    markers. The dotted line runs on to the solid points either side so the two join."""
    # plain lists: Plotly would ship int64 arrays as binary that plotly.js cannot read
    ds = pd.to_datetime(df["ds"]).reset_index(drop=True)
    y = df["y"].reset_index(drop=True)
    flag = _flag_mask(ds, flagged)
    used_y = [None if f else int(v) for v, f in zip(y, flag, strict=True)]
    traces = [go.Scatter(x=ds.tolist(), y=used_y, mode="lines", name=name, line={"color": BLUE})]
    if flag.any():
        # the flagged runs, each joined to the solid points on either side
        keep = flag | flag.shift(-1, fill_value=False) | flag.shift(1, fill_value=False)
        traces.append(
            go.Scatter(
                x=ds.tolist(),
                y=[int(v) if k else None for v, k in zip(y, keep, strict=True)],
                text=["not used for training" if f else "used for training" for f in flag],
                mode="lines+markers",
                name=FLAGGED_NAME,
                line={"color": GREY, "dash": "dot", "width": 1.5},
                marker={"color": GREY, "size": 6, "symbol": "circle-open"},
                hovertemplate="%{x|%Y-%m-%d}: %{y:,} reported (%{text})<extra></extra>",
                connectgaps=False,
            )
        )
    return traces


def series_label(uid: str) -> str:
    """A forecast series as an analyst reads it: 'Central (area)', 'Burglary (crime category)'."""
    if uid == "city":
        return "Whole city"
    parts = []
    for part in uid.split("|"):
        kind, _, value = part.partition(":")
        kind = {"area": "area", "category": "crime category"}.get(kind, kind)
        parts.append(f"{value[:1].upper()}{value[1:]} ({kind})" if value else kind)
    return ", ".join(parts)


def _count_axis(fig: go.Figure, top: float) -> None:
    """Counts from zero, in whole incidents when they are few."""
    fig.update_yaxes(rangemode="tozero", **({"dtick": 1} if top <= 5 else {}))


def _layout(fig: go.Figure, title: str, x: str, y: str, height: int = 360) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 15}},
        xaxis_title=x,
        yaxis_title=y,
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 15, "t": 50, "b": 45},
        legend={"orientation": "h", "y": -0.18},
    )
    return fig


def empty_figure(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14}, x=0.5, y=0.5)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _layout(fig, title, "", "")


def series_figure(
    df: pd.DataFrame,
    freq: str,
    forecast: pd.DataFrame | None = None,
    flagged: list | None = None,
    label: str = "",
) -> go.Figure:
    """Incidents per day/week/month, with a forecast and its 80% / 95% intervals when given."""
    unit = PERIOD_UNITS[freq]
    title = f"Reported incidents per {unit}{label}"
    if df.empty:
        return empty_figure(title, "No incidents match these filters")
    fig = go.Figure()
    for trace in reported_traces(df, flagged):
        fig.add_trace(trace)
    if forecast is not None and len(forecast):
        add_forecast(fig, forecast)
    _count_axis(fig, float(df["y"].max()))
    return _layout(fig, title, "Date the crime occurred", f"Incidents per {unit}")


def heatmap_figure(grid: pd.DataFrame) -> go.Figure:
    title = "When crimes occur: weekday by hour"
    if int(grid.values.sum()) == 0:
        return empty_figure(title, "No incidents with a known time match these filters")
    fig = go.Figure(
        go.Heatmap(
            z=grid.values.tolist(),
            x=[f"{h:02d}:00" for h in grid.columns],
            y=list(grid.index),
            colorscale="Cividis",
            colorbar={"title": "Incidents", **({"dtick": 1} if grid.values.max() <= 5 else {})},
            hovertemplate="%{y} %{x}: %{z:,} incidents<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    note = "LAPD records many unknown times as 12:00, so the noon column runs high"
    fig = _layout(fig, f"{title}<br><sup>{note}</sup>", "Hour of day", "")
    fig.update_layout(margin={"t": 65})
    return fig


def areas_geojson(by_area: pd.DataFrame, divisions: pd.DataFrame | None = None) -> dict:
    """The area table as GeoJSON: division polygons when known, else centre points."""
    feats = []
    shapes = {}
    if divisions is not None and len(divisions):
        import shapely.geometry

        shapes = {
            int(r.area_id): shapely.geometry.mapping(r.geometry) for r in divisions.itertuples()
        }
    for rec in by_area.to_dict("records"):
        aid = int(rec["area_id"])
        geom = shapes.get(aid) or (
            {"type": "Point", "coordinates": [rec["lon"], rec["lat"]]}
            if pd.notna(rec.get("lat"))
            else None
        )
        props = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in rec.items()}
        props.pop("lat", None)
        props.pop("lon", None)
        feats.append({"type": "Feature", "properties": props, "geometry": geom})
    return {"type": "FeatureCollection", "features": feats}


def forecast_figure(
    history: pd.DataFrame,
    fc: pd.DataFrame,
    backtest: pd.DataFrame,
    sid: str,
    model: str,
    flagged: list | None = None,
) -> go.Figure:
    """A series' history, its forecast with intervals, and the backtest forecasts per cutoff."""
    fig = go.Figure()
    for trace in reported_traces(history, flagged):
        fig.add_trace(trace)
    if len(backtest):
        for i, (cut, grp) in enumerate(backtest.groupby("cutoff")):
            fig.add_trace(
                go.Scatter(
                    x=grp["ds"],
                    y=grp["yhat"],
                    mode="lines",
                    line={"color": GREEN, "width": 1},
                    name="Backtest forecasts" if i == 0 else f"cutoff {cut:%Y-%m}",
                    showlegend=i == 0,
                    legendgroup="bt",
                )
            )
    if len(fc):
        add_forecast(fig, fc, name=f"Forecast ({model})")
    _count_axis(fig, float(history["y"].max()) if len(history) else 0.0)
    return _layout(
        fig, f"{series_label(sid)}: forecast by {model}", "Month", "Incidents per month", 380
    )
