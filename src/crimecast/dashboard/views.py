"""Figures and exports of the dashboard: frames in, Plotly figures / bytes / GeoJSON out.

Maps are drawn on plain longitude/latitude axes (division outlines or centre points on a blank
background), so they need no tile server and work offline and in a headless browser.
Colours: Okabe-Ito and cividis, readable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402

from crimecast.forecast.plots import add_forecast  # noqa: E402

BLUE, ORANGE, GREEN, VERMILLION = "#0072B2", "#E69F00", "#009E73", "#D55E00"
UNIT = {"D": "day", "W": "week", "MS": "month"}
HOT_COLOURS = {"hot": VERMILLION, "cold": BLUE}


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
    unit = UNIT[freq]
    title = f"Reported incidents per {unit}{label}"
    if df.empty:
        return empty_figure(title, "No incidents match these filters")
    fig = go.Figure()
    fig.add_trace(
        # plain lists: Plotly would ship int64 arrays as binary that plotly.js cannot read
        go.Scatter(
            x=df["ds"].tolist(),
            y=df["y"].tolist(),
            mode="lines",
            name="Reported",
            line={"color": BLUE},
        )
    )
    if flagged:
        marks = df[df["ds"].isin(pd.to_datetime(flagged))]
        if len(marks):
            fig.add_trace(
                go.Scatter(
                    x=marks["ds"],
                    y=marks["y"],
                    mode="markers",
                    name="Incomplete month (lag / NIBRS break)",
                    marker={"color": VERMILLION, "symbol": "x", "size": 8},
                )
            )
    if forecast is not None and len(forecast):
        add_forecast(fig, forecast)
    return _layout(fig, title, "Date the crime occurred", f"Incidents per {unit}")


def series_png(df: pd.DataFrame, freq: str, simulated: bool) -> bytes:
    """The time series as a PNG (server-side, for the download button)."""
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=100)
    ax.plot(df["ds"], df["y"], color=BLUE)
    unit = UNIT[freq]
    ax.set_title(f"Reported incidents per {unit}" + (" (SIMULATED data)" if simulated else ""))
    ax.set_xlabel("Date the crime occurred")
    ax.set_ylabel(f"Incidents per {unit}")
    ax.grid(alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


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
            colorbar={"title": "Incidents"},
            hovertemplate="%{y} %{x}: %{z} incidents<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    note = "LAPD records many unknown times as 12:00, so the noon column runs high"
    fig = _layout(fig, f"{title}<br><sup>{note}</sup>", "Hour of day", "")
    fig.update_layout(margin={"t": 65})
    return fig


def _outline_traces(divisions: pd.DataFrame, values: dict, vmax: float):
    """One filled outline per division, coloured by its rate (plain x/y: no map tiles)."""
    import plotly.colors as pc

    traces = []
    for rec in divisions.itertuples():
        geom = rec.geometry
        polys = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
        val = values.get(int(rec.area_id), 0.0)
        colour = pc.sample_colorscale("Cividis", [min(val / vmax, 1.0) if vmax else 0.0])[0]
        for poly in polys:
            x, y = poly.exterior.xy
            traces.append(
                go.Scatter(
                    x=list(x),
                    y=list(y),
                    fill="toself",
                    fillcolor=colour,
                    line={"color": "#444", "width": 0.7},
                    mode="lines",
                    name=str(rec.name),
                    hovertemplate=f"{rec.name}: {val:,.0f} per 100,000<extra></extra>",
                    showlegend=False,
                )
            )
    return traces


def _geo_axes(fig: go.Figure) -> None:
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.2)


def area_map(by_area: pd.DataFrame, divisions: pd.DataFrame | None = None) -> go.Figure:
    """Incidents per 100,000 residents per LAPD division."""
    title = "Incidents per 100,000 residents by LAPD division"
    if by_area.empty:
        return empty_figure(title, "No incidents match these filters")
    fig = go.Figure()
    rates = dict(zip(by_area["area_id"].astype(int), by_area["per_100k"], strict=True))
    vmax = max(rates.values()) if rates else 0
    if divisions is not None and len(divisions):
        for t in _outline_traces(divisions, rates, vmax):
            fig.add_trace(t)
        cent = divisions.assign(
            x=[g.representative_point().x for g in divisions["geometry"]],
            y=[g.representative_point().y for g in divisions["geometry"]],
        )
        fig.add_trace(
            go.Scatter(
                x=cent["x"],
                y=cent["y"],
                mode="text",
                text=cent["name"],
                showlegend=False,
                textfont={"size": 9, "color": "#fff"},
                hoverinfo="skip",
            )
        )
    else:  # no boundary file: each division at the median location of its incidents
        pts = by_area.dropna(subset=["lat", "lon"])
        fig.add_trace(
            go.Scatter(
                x=pts["lon"],
                y=pts["lat"],
                mode="markers+text",
                text=pts["area_name"],
                textposition="top center",
                textfont={"size": 9},
                marker={
                    "size": 12 + 30 * pts["per_100k"] / (vmax or 1),
                    "color": pts["per_100k"],
                    "colorscale": "Cividis",
                    "showscale": True,
                    "colorbar": {"title": "per 100k"},
                    "line": {"color": "#333", "width": 0.5},
                },
                customdata=pts[["incidents", "per_100k"]],
                hovertemplate="%{text}: %{customdata[0]:,} incidents, "
                "%{customdata[1]:,.0f} per 100,000<extra></extra>",
                showlegend=False,
            )
        )
    _geo_axes(fig)
    return _layout(fig, title, "", "", height=420)


def hotspot_map(
    points: pd.DataFrame, hotspots: dict | None = None, divisions: pd.DataFrame | None = None
) -> go.Figure:
    """Density of the selected incidents, with the Gi* hot and cold cells of the last run."""
    title = "Where the selected incidents concentrate"
    if points.empty:
        return empty_figure(title, "No geocoded incidents match these filters")
    fig = go.Figure(
        go.Histogram2dContour(
            x=points["lon"],
            y=points["lat"],
            colorscale="Cividis",
            ncontours=12,
            contours={"coloring": "fill", "showlines": False},
            colorbar={"title": "Incidents"},
            hoverinfo="skip",
            name="Density",
        )
    )
    if divisions is not None and len(divisions):
        xs, ys = [], []
        for geom in divisions["geometry"]:
            for poly in list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]:
                x, y = poly.exterior.xy
                xs += [*x, None]
                ys += [*y, None]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": "#bbb", "width": 0.6},
                name="LAPD divisions",
                hoverinfo="skip",
            )
        )
    for label, colour in HOT_COLOURS.items():
        xs, ys = [], []
        for feat in (hotspots or {}).get("features", []):
            props = feat.get("properties") or {}
            cls = str(props.get("class") or props.get("hotspot") or props.get("label") or "")
            if not cls.lower().startswith(label):
                continue
            geom = feat.get("geometry") or {}
            if geom.get("type") == "Polygon":
                ring = geom["coordinates"][0]
                xs += [p[0] for p in ring] + [None]
                ys += [p[1] for p in ring] + [None]
        if xs:
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    mode="lines",
                    line={"color": colour, "width": 0.7},
                    name=f"Gi* {label} spot (last run)",
                )
            )
    _geo_axes(fig)
    return _layout(fig, title, "", "", height=420)


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
    history: pd.DataFrame, fc: pd.DataFrame, backtest: pd.DataFrame, sid: str, model: str
) -> go.Figure:
    """A series' history, its forecast with intervals, and the backtest forecasts per cutoff."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=history["ds"], y=history["y"], name="Reported", line={"color": BLUE})
    )
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
    return _layout(fig, f"{sid}: forecast by {model}", "Month", "Incidents per month", 380)
