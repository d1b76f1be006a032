"""The dashboard's two maps: incident rates per LAPD division, and where the selected incidents
concentrate (a density of ~1 km cells with the last run's Gi* hot and cold spots on top).

Both are drawn on plain longitude/latitude axes (division outlines or centre points on a blank
background), so they need no tile server and work offline and in a headless browser.
Colours: cividis, readable with the common colour-vision deficiencies.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.colors as pc
import plotly.graph_objects as go

from crimecast.dashboard.views import BLUE, VERMILLION, _layout, empty_figure

HOT_COLOURS = {"hot": VERMILLION, "cold": BLUE}
NOT_SELECTED = "#e6e9ee"  # divisions outside the selection
KM_PER_DEG_LAT = 111.32
CELL_SIDES_KM = (1.0, 0.5, 0.25, 0.1)  # sides of the density cells, coarsest first
MAP_HEIGHT = 460
Y_SCALE = 1.2  # a degree of latitude drawn 1.2 times as long as one of longitude (34 deg N)
LABEL_PX = 9


def rate_range(values) -> tuple[float, float]:
    """The colour range of the rate map: the data's own range, or 0 to the top value when the
    values are one (a single division) or nearly equal, so the scale never spans a sliver."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not vals:
        return 0.0, 1.0
    lo, hi = min(vals), max(vals)
    if hi <= 0:
        return 0.0, 1.0
    if hi - lo < 0.05 * hi:
        return 0.0, hi
    return lo, hi


def _rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 20 else f"{value:,.1f}"


def _coloraxis(cmin: float, cmax: float, title: str) -> dict:
    return {
        "cmin": cmin,
        "cmax": cmax,
        "colorscale": "Cividis",
        "colorbar": {
            "title": {"text": title},
            "tickformat": ",.0f" if cmax >= 20 else ",.2~f",
            "thickness": 14,
        },
    }


def _polys(geom):
    return list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]


def _text_colour(fill: str) -> str:
    """Dark labels on light fills, white on dark ones."""
    r, g, b = pc.unlabel_rgb(fill) if fill.startswith("rgb") else pc.hex_to_rgb(fill)
    return "#1d2430" if 0.299 * r + 0.587 * g + 0.114 * b > 140 else "#ffffff"


def _outline_traces(divisions: pd.DataFrame, values: dict, cmin: float, cmax: float):
    """One filled outline per division, coloured by its rate; divisions outside the selection in
    light grey. Also returns each division's label colour."""
    traces, label_colours = [], []
    for rec in divisions.itertuples():
        val = values.get(int(rec.area_id))
        if val is None:
            colour, hover = NOT_SELECTED, f"{rec.name}: not in the selection"
        else:
            pos = (val - cmin) / (cmax - cmin) if cmax > cmin else 1.0
            colour = pc.sample_colorscale("Cividis", [min(max(pos, 0.0), 1.0)])[0]
            hover = f"{rec.name}: {_rate(val)} per 100,000 residents"
        label_colours.append(_text_colour(colour) if val is not None else "#5b6573")
        for poly in _polys(rec.geometry):
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
                    hovertemplate=hover + "<extra></extra>",
                    hoveron="fills",
                    showlegend=False,
                )
            )
    return traces, label_colours


def _labels_that_fit(divisions: pd.DataFrame, points: list, rank: list[float]) -> list[bool]:
    """Which division names to print: highest `rank` first (the selected divisions by rate),
    each only where its label does not overlap one already placed (the others are named on
    hover)."""
    bounds = np.array([g.bounds for g in divisions["geometry"]])
    miny, maxy = bounds[:, 1].min(), bounds[:, 3].max()
    deg_y = (maxy - miny) / (MAP_HEIGHT - 110)  # degrees of latitude per pixel, roughly
    deg_x = deg_y * Y_SCALE
    boxes: list[tuple[float, float, float, float]] = []
    shown = [False] * len(divisions)
    order = sorted(
        range(len(divisions)), key=lambda i: (-rank[i], -divisions["geometry"].iloc[i].area)
    )
    for i in order:
        half_w = len(str(divisions["name"].iloc[i])) * LABEL_PX * 0.3 * deg_x
        half_h = LABEL_PX * 0.7 * deg_y
        p = points[i]
        box = (p.x - half_w, p.y - half_h, p.x + half_w, p.y + half_h)
        if all(box[2] < b[0] or box[0] > b[2] or box[3] < b[1] or box[1] > b[3] for b in boxes):
            boxes.append(box)
            shown[i] = True
    return shown


def _geo_axes(fig: go.Figure) -> None:
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=Y_SCALE)


def _map_layout(fig: go.Figure, title: str) -> go.Figure:
    _geo_axes(fig)
    fig = _layout(fig, title, "", "", height=MAP_HEIGHT)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 45, "b": 10})
    return fig


def area_map(by_area: pd.DataFrame, divisions: pd.DataFrame | None = None) -> go.Figure:
    """Incidents per 100,000 residents per LAPD division."""
    title = "Incidents per 100,000 residents by LAPD division"
    if by_area.empty:
        return empty_figure(title, "No incidents match these filters")
    fig = go.Figure()
    rates = dict(zip(by_area["area_id"].astype(int), by_area["per_100k"], strict=True))
    cmin, cmax = rate_range(rates.values())
    if divisions is not None and len(divisions):
        traces, label_colours = _outline_traces(divisions, rates, cmin, cmax)
        for t in traces:
            fig.add_trace(t)
        points = [g.representative_point() for g in divisions["geometry"]]
        # the selected divisions are named first, the highest rates before the others
        rank = [rates.get(int(a), -1.0) for a in divisions["area_id"]]
        shown = _labels_that_fit(divisions, points, rank)
        for dark in (True, False):
            keep = [
                ok and (colour != "#ffffff") == dark
                for ok, colour in zip(shown, label_colours, strict=True)
            ]
            if not any(keep):
                continue
            fig.add_trace(
                go.Scatter(
                    x=[p.x for p, k in zip(points, keep, strict=True) if k],
                    y=[p.y for p, k in zip(points, keep, strict=True) if k],
                    mode="text",
                    text=[n for n, k in zip(divisions["name"], keep, strict=True) if k],
                    showlegend=False,
                    textfont={
                        "size": LABEL_PX,
                        "color": [c for c, k in zip(label_colours, keep, strict=True) if k],
                        # a halo keeps a name readable where it runs past its division's fill
                        "shadow": "0 0 2px #ffffff" if dark else "0 0 2px #000000",
                    },
                    hoverinfo="skip",
                    name="division names",
                )
            )
        # the colour bar: an invisible marker carrying the colour axis of the fills above
        fig.add_trace(
            go.Scatter(
                x=[points[0].x],
                y=[points[0].y],
                mode="markers",
                marker={"color": [cmax], "coloraxis": "coloraxis", "opacity": 0, "size": 1},
                showlegend=False,
                hoverinfo="skip",
                name="colour scale",
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
                    "size": 12 + 30 * pts["per_100k"] / (cmax or 1),
                    "color": pts["per_100k"].tolist(),
                    "coloraxis": "coloraxis",
                    "line": {"color": "#333", "width": 0.5},
                },
                customdata=pts[["incidents", "per_100k"]],
                hovertemplate="%{text}: %{customdata[0]:,} incidents, "
                "%{customdata[1]:,.1f} per 100,000<extra></extra>",
                showlegend=False,
            )
        )
    fig = _map_layout(fig, title)
    fig.update_layout(coloraxis=_coloraxis(cmin, cmax, "per 100,000"))
    return fig


def density_grid(points: pd.DataFrame, scale: float = 1.0) -> tuple[list, list, list, float]:
    """Incidents per square cell: (cell-centre longitudes, latitudes, counts, cell side in km).
    Cells are 1 km across for a city-wide selection and finer (500, 250 or 100 m) for a small
    one, at least ~40 across; a cell without incidents is None so that nothing is drawn there.
    `scale` turns a sample's counts into estimated incidents."""
    lat0 = float(points["lat"].mean())
    km_per_deg_lon = KM_PER_DEG_LAT * max(math.cos(math.radians(lat0)), 0.1)
    span_km = max(
        (points["lon"].max() - points["lon"].min()) * km_per_deg_lon,
        (points["lat"].max() - points["lat"].min()) * KM_PER_DEG_LAT,
    )
    side = next((km for km in CELL_SIDES_KM if km <= span_km / 40), CELL_SIDES_KM[-1])
    dy, dx = side / KM_PER_DEG_LAT, side / km_per_deg_lon
    x0 = math.floor(points["lon"].min() / dx) * dx
    y0 = math.floor(points["lat"].min() / dy) * dy
    nx = int((points["lon"].max() - x0) // dx) + 1
    ny = int((points["lat"].max() - y0) // dy) + 1
    ix = ((points["lon"] - x0) // dx).astype(int).clip(0, nx - 1)
    iy = ((points["lat"] - y0) // dy).astype(int).clip(0, ny - 1)
    counts = np.zeros((ny, nx))
    np.add.at(counts, (iy.to_numpy(), ix.to_numpy()), 1)
    z = [[round(float(c) * scale, 1) if c else None for c in row] for row in counts]
    xs = [round(x0 + (i + 0.5) * dx, 5) for i in range(nx)]
    ys = [round(y0 + (j + 0.5) * dy, 5) for j in range(ny)]
    return xs, ys, z, side


def _division_lines(divisions: pd.DataFrame) -> go.Scatter:
    xs, ys = [], []
    for geom in divisions["geometry"]:
        for poly in _polys(geom):
            x, y = poly.exterior.xy
            xs += [*x, None]
            ys += [*y, None]
    return go.Scatter(
        x=xs,
        y=ys,
        mode="lines",
        line={"color": "#9aa3ae", "width": 0.6},
        name="LAPD divisions",
        hoverinfo="skip",
    )


def _spot_class(props: dict) -> str:
    return str(props.get("class") or props.get("hotspot") or props.get("label") or "").lower()


def hotspot_map(
    points: pd.DataFrame,
    hotspots: dict | None = None,
    divisions: pd.DataFrame | None = None,
    total: int | None = None,
) -> go.Figure:
    """Density of the selected incidents, with the Gi* hot and cold cells of the last run.

    `points` may be a sample of the selection; `total` (the selection's size) scales the
    sample's counts back to incidents."""
    title = "Where the selected incidents concentrate"
    if points.empty:
        return empty_figure(title, "No geocoded incidents match these filters")
    sampled = total is not None and total > len(points)
    scale = total / len(points) if sampled else 1.0
    xs, ys, z, side = density_grid(points, scale)
    cell = "1 km" if side >= 1 else f"{side * 1000:.0f} m"
    top = max((v for row in z for v in row if v is not None), default=1)
    est = " (estimated from a sample)" if sampled else ""
    fig = go.Figure(
        go.Heatmap(
            x=xs,
            y=ys,
            z=z,
            colorscale="Cividis",
            reversescale=True,  # light for few incidents, dark for many: empty ground stays white
            zmin=0,
            zmax=top,  # from 0, so that a few equal cells do not span a sliver of a scale
            hoverongaps=False,
            colorbar={
                "title": {"text": f"incidents<br>per {cell} cell"},
                "thickness": 14,
                "tickformat": ",.0f" if top >= 3 else ",.1~f",
                **({"dtick": 1} if top <= 5 and not sampled else {}),  # whole incidents
            },
            hovertemplate="%{z:,.0f} incidents" + est + f" in this {cell} cell<extra></extra>",
            name=f"Incident density ({cell} cells)",
        )
    )
    if divisions is not None and len(divisions):
        fig.add_trace(_division_lines(divisions))
    for label, colour in HOT_COLOURS.items():
        hx, hy = [], []
        for feat in (hotspots or {}).get("features", []):
            if not _spot_class(feat.get("properties") or {}).startswith(label):
                continue
            geom = feat.get("geometry") or {}
            if geom.get("type") == "Polygon":
                ring = geom["coordinates"][0]
                hx += [p[0] for p in ring] + [None]
                hy += [p[1] for p in ring] + [None]
        if hx:
            fig.add_trace(
                go.Scatter(
                    x=hx,
                    y=hy,
                    mode="lines",
                    line={"color": colour, "width": 1},
                    opacity=0.85,
                    name=f"Gi* {label} spot (last run, whole city)",
                    hoverinfo="skip",
                )
            )
    fig = _map_layout(fig, title)
    # the selection fills the map; outlines and citywide hot spots around it are cut off
    pad_x = max((xs[-1] - xs[0]) * 0.12, 0.01)
    pad_y = max((ys[-1] - ys[0]) * 0.12, 0.01)
    fig.update_xaxes(range=[xs[0] - pad_x, xs[-1] + pad_x])
    fig.update_yaxes(range=[ys[0] - pad_y, ys[-1] + pad_y])
    fig.update_layout(legend={"y": 0, "yanchor": "top"})
    return fig
