"""Maps: interactive Plotly figures that render with no internet, and static matplotlib PNGs.

Every map is drawn from *layers* (label, colour, polygons) in plain longitude/latitude axes on a
blank background with the LAPD division outlines, so it needs no tile server and no map CDN
(`go.Choropleth` would fetch its base map). `basemap=True` draws the same layers on an
OpenStreetMap tile basemap instead, for use when online. Palettes are ColorBrewer schemes marked
colour-blind safe (RdBu for hot/cold, YlOrRd for counts and rates).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import shapely.geometry
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, PathPatch
from matplotlib.path import Path

from crimecast.spatial import grid, hotspots
from crimecast.spatial.boundaries import M_PER_DEG_LAT, M_PER_DEG_LON

GI_COLOURS = {
    3: "#b2182b",
    2: "#ef8a62",
    1: "#fddbc7",
    -1: "#d1e5f0",
    -2: "#67a9cf",
    -3: "#2166ac",
}
SEQUENTIAL = ["#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026"]
PATTERN_COLOURS = {
    "intensifying hot spot": "#67000d",
    "persistent hot spot": "#a50f15",
    "consecutive hot spot": "#d7301f",
    "new hot spot": "#ef6548",
    "sporadic hot spot": "#fc8d59",
    "oscillating hot spot": "#fdbb84",
    "diminishing hot spot": "#fdd49e",
    "historical hot spot": "#fee8c8",
}
COLD_PATTERN = "#4393c3"
ASPECT = M_PER_DEG_LAT / M_PER_DEG_LON  # y units per x unit so that a km looks like a km


def _polygons(geom) -> list[list[np.ndarray]]:
    """Each polygon as [exterior, *holes], the exterior counter-clockwise and the holes
    clockwise, so that both SVG and matplotlib (non-zero winding) leave the holes empty
    (cities such as Culver City inside the Pacific division)."""
    polys = geom.geoms if geom.geom_type == "MultiPolygon" else [geom]
    out = []
    for p in polys:
        p = shapely.geometry.polygon.orient(p, 1.0)
        out.append([np.asarray(p.exterior.coords)] + [np.asarray(r.coords) for r in p.interiors])
    return out


def _rings(geom) -> list[np.ndarray]:
    return [r for poly in _polygons(geom) for r in poly]


def _hexes(cells) -> list[np.ndarray]:
    return [np.asarray(r) for r in grid.cell_rings(cells)]


def _flat(elements) -> list[np.ndarray]:
    """Layer elements (a ring, or a polygon given as [exterior, *holes]) as a list of rings."""
    out = []
    for e in elements:
        out.extend([np.asarray(e)] if isinstance(e, np.ndarray) and e.ndim == 2 else e)
    return out


def division_rings(divisions: pd.DataFrame | None) -> list[np.ndarray]:
    if divisions is None:
        return []
    return [r for g in divisions["geometry"] for r in _rings(g)]


def _xy(rings) -> tuple[np.ndarray, np.ndarray]:
    """Rings joined into one coordinate array with NaN breaks (one trace draws them all; plotly
    writes NaN as null, a gap). Arrays, not lists: plotly validates them without a Python loop.
    5 decimals of a degree is about 1 m: plenty for a map, and it halves the HTML."""
    if not len(rings):
        return np.zeros(0), np.zeros(0)
    gap = np.full((1, 2), np.nan)
    xy = np.round(np.concatenate([part for r in rings for part in (np.asarray(r), gap)]), 5)
    return xy[:, 0], xy[:, 1]


def quantile_classes(values, k: int = 6) -> tuple[np.ndarray, list[str]]:
    """Class index (0..k-1) of each value by quantile breaks, and a label per class."""
    v = np.asarray(values, dtype=float)
    if len(v) == 0:
        return np.zeros(0, dtype=int), []
    edges = np.unique(np.quantile(v, np.linspace(0, 1, k + 1)))
    if len(edges) < 2:
        edges = np.array([v.min(), v.max() + 1e-9])
    idx = np.clip(np.searchsorted(edges, v, side="right") - 1, 0, len(edges) - 2)
    fmt = (lambda x: f"{x:,.0f}") if edges.max() >= 10 else (lambda x: f"{x:,.2f}")
    labels = [f"{fmt(edges[i])} - {fmt(edges[i + 1])}" for i in range(len(edges) - 1)]
    return idx, labels


def _layers_from_classes(rings, idx, labels, colours) -> list[tuple[str, str, list]]:
    pal = colours if len(colours) >= len(labels) else SEQUENTIAL
    step = max(1, len(pal) // max(1, len(labels)))
    out = []
    for i, lab in enumerate(labels):
        sel = [r for r, k in zip(rings, idx, strict=True) if k == i]
        if sel:
            out.append((lab, pal[min(len(pal) - 1, i * step)], sel))
    return out


def layer_figure(
    layers,
    title: str,
    divisions: pd.DataFrame | None = None,
    hover: pd.DataFrame | None = None,
    basemap: bool = False,
    legend_title: str = "",
) -> go.Figure:
    """A map of filled polygon layers [(label, colour, rings)] over the division outlines.

    `hover`: DataFrame[lat, lon, text] shown on mouse-over (one point per polygon)."""
    fig = go.Figure()
    for label, colour, rings in layers:
        xs, ys = _xy(_flat(rings))
        kw = dict(
            mode="lines",
            fill="toself",
            fillcolor=colour,
            line=dict(color=colour, width=0.5),
            name=label,
            hoverinfo="skip",
        )
        fig.add_trace(
            go.Scattermap(lon=xs, lat=ys, **kw) if basemap else go.Scatter(x=xs, y=ys, **kw)
        )
    ox, oy = _xy(division_rings(divisions))
    if len(ox):
        kw = dict(
            mode="lines",
            line=dict(color="#333333", width=1),
            name="LAPD divisions",
            hoverinfo="skip",
        )
        fig.add_trace(
            go.Scattermap(lon=ox, lat=oy, **kw) if basemap else go.Scatter(x=ox, y=oy, **kw)
        )
    if hover is not None and len(hover):
        kw = dict(
            mode="markers",
            marker=dict(size=6, opacity=0),
            hovertext=hover["text"],
            hoverinfo="text",
            showlegend=False,
        )
        fig.add_trace(
            go.Scattermap(lon=hover["lon"], lat=hover["lat"], **kw)
            if basemap
            else go.Scatter(x=hover["lon"], y=hover["lat"], **kw)
        )
    fig.update_layout(
        title=title,
        legend_title_text=legend_title,
        plot_bgcolor="white",
        paper_bgcolor="white",
        margin=dict(l=10, r=10, t=50, b=10),
        height=700,
    )
    if basemap:
        fig.update_layout(
            map=dict(style="open-street-map", center=dict(lat=34.05, lon=-118.4), zoom=9)
        )
    else:
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=ASPECT)
    return fig


def _hover_cells(table: pd.DataFrame, fmt) -> pd.DataFrame:
    return pd.DataFrame(
        {"lat": table["lat"], "lon": table["lon"], "text": [fmt(r) for r in table.itertuples()]}
    )


def count_layers(cells: pd.DataFrame):
    occ = cells[cells["n"] > 0]
    idx, labels = quantile_classes(occ["n"])
    return _layers_from_classes(_hexes(occ["h3"]), idx, labels, SEQUENTIAL)


def count_map(cells, divisions=None, basemap=False, title="Incidents per hexagon") -> go.Figure:
    occ = cells[cells["n"] > 0]
    hover = _hover_cells(occ, lambda r: f"{r.n:,} incidents")
    return layer_figure(count_layers(cells), title, divisions, hover, basemap, "incidents")


def gi_layers(gi: pd.DataFrame):
    out = []
    for b in (3, 2, 1, -1, -2, -3):
        sel = gi[gi["gi_bin"] == b]
        if len(sel):
            out.append((hotspots.CLASS_LABELS[b], GI_COLOURS[b], _hexes(sel["h3"])))
    return out


def gi_map(gi, divisions=None, basemap=False, title=None) -> go.Figure:
    sig = gi[gi["gi_bin"] != 0]
    hover = _hover_cells(sig, lambda r: f"{r.n:,} incidents, z = {r.z:.2f}, FDR p = {r.p_fdr:.3g}")
    title = title or "Hot and cold spots (Getis-Ord Gi*, FDR-corrected)"
    return layer_figure(gi_layers(gi), title, divisions, hover, basemap, "Gi* class")


def pattern_layers(emerging: pd.DataFrame):
    out = []
    for label, colour in PATTERN_COLOURS.items():
        sel = emerging[emerging["pattern"] == label]
        if len(sel):
            out.append((label, colour, _hexes(sel["h3"])))
    cold = emerging[emerging["pattern"].str.endswith("cold spot")]
    if len(cold):
        out.append(("cold spot (any pattern)", COLD_PATTERN, _hexes(cold["h3"])))
    return out


def emerging_map(emerging, divisions=None, basemap=False) -> go.Figure:
    sig = emerging[emerging["pattern"] != "no pattern"]
    hover = _hover_cells(sig, lambda r: f"{r.pattern}: hot in {r.hot_slices} of {r.slices} periods")
    title = (
        f"Emerging hot spots, {emerging['first_period'].iat[0]} to {emerging['last_period'].iat[0]}"
    )
    return layer_figure(pattern_layers(emerging), title, divisions, hover, basemap, "pattern")


def forecast_layers(fc: pd.DataFrame, method: str):
    sel = fc[fc["method"] == method]
    out = []
    five = sel[sel["flagged_5pct"] & ~sel["flagged_1pct"]]
    one = sel[sel["flagged_1pct"]]
    if len(five):
        out.append(("top 5% of the area", "#fd8d3c", _hexes(five["h3"])))
    if len(one):
        out.append(("top 1% of the area", "#bd0026", _hexes(one["h3"])))
    return out


def forecast_map(fc, cells, method, divisions=None, basemap=False, period="next period"):
    sel = fc[(fc["method"] == method) & fc["flagged_5pct"]].merge(cells[["h3", "lat", "lon"]])
    hover = _hover_cells(sel, lambda r: f"rank {r.rank}, score {r.score:.2f}")
    title = f"Forecast highest-risk cells for {period} ({method.replace('_', ' ')})"
    return layer_figure(forecast_layers(fc, method), title, divisions, hover, basemap, "flagged")


def division_layers(table: pd.DataFrame, divisions: pd.DataFrame, value: str):
    merged = divisions.merge(table[["area_id", value]], on="area_id", how="left")
    idx, labels = quantile_classes(merged[value].fillna(0), k=5)
    polys, pidx = [], []
    for g, k in zip(merged["geometry"], idx, strict=True):
        for poly in _polygons(g):
            polys.append(poly)
            pidx.append(k)
    return _layers_from_classes(polys, np.array(pidx), labels, SEQUENTIAL[1:])


def division_map(table, divisions, value="rate_per_100k", basemap=False) -> go.Figure:
    """Choropleth of a per-division column (`incidents` or `rate_per_100k`)."""
    label = "incidents per 100,000 residents" if value == "rate_per_100k" else "incidents"
    cent = divisions.assign(
        lat=[g.representative_point().y for g in divisions["geometry"]],
        lon=[g.representative_point().x for g in divisions["geometry"]],
    ).merge(table, on=["area_id"], how="left", suffixes=("", "_t"))
    hover = _hover_cells(
        cent,
        lambda r: f"{r.name}: {r.incidents:,.0f} incidents, {r.rate_per_100k:,.0f} per 100k",
    )
    return layer_figure(
        division_layers(table, divisions, value),
        f"LAPD divisions: {label}",
        divisions,
        hover,
        basemap,
        label,
    )


def kde_map(surface: pd.DataFrame, divisions=None, bandwidth_m: float = 400.0) -> go.Figure:
    """Kernel density surface (DataFrame[lat, lon, density] on a regular raster) as a heatmap."""
    fig = go.Figure()
    if len(surface):
        piv = surface.pivot_table(index="lat", columns="lon", values="density")
        fig.add_trace(
            go.Heatmap(
                x=np.round(piv.columns.to_numpy(), 5),
                y=np.round(piv.index.to_numpy(), 5),
                z=np.round(piv.to_numpy(), 2),
                colorscale="YlOrRd",
                colorbar=dict(title="incidents per km²"),
                hovertemplate="%{z:.1f} incidents per km²<extra></extra>",
            )
        )
    ox, oy = _xy(division_rings(divisions))
    if len(ox):
        fig.add_trace(
            go.Scatter(x=ox, y=oy, mode="lines", line=dict(color="#333", width=1), name="divisions")
        )
    fig.update_layout(
        title=f"Kernel density of incidents (Gaussian kernel, bandwidth {bandwidth_m:.0f} m)",
        plot_bgcolor="white",
        height=700,
        margin=dict(l=10, r=10, t=50, b=10),
        showlegend=False,
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=ASPECT)
    return fig


def static_map(layers, title: str, divisions=None, legend_title: str = "") -> Figure:
    """The same layers as a matplotlib Figure (save with fig.savefig(path, dpi=...))."""
    fig = Figure(figsize=(8, 8.5))
    ax = fig.add_subplot(1, 1, 1)
    handles = []
    for label, colour, elements in layers:
        paths = []
        for e in elements:
            rings = [np.asarray(e)] if isinstance(e, np.ndarray) and e.ndim == 2 else e
            paths.append(Path.make_compound_path(*[Path(r, closed=True) for r in rings]))
        ax.add_collection(
            PatchCollection(
                [PathPatch(p) for p in paths], facecolor=colour, edgecolor=colour, linewidth=0.2
            )
        )
        handles.append(Patch(facecolor=colour, edgecolor="none", label=label))
    for r in division_rings(divisions):
        ax.plot(r[:, 0], r[:, 1], color="#333333", linewidth=0.6)
    ax.autoscale_view()
    ax.set_aspect(ASPECT)
    ax.set_axis_off()
    ax.set_title(title)
    if handles:
        ax.legend(handles=handles, title=legend_title or None, loc="lower left", fontsize=8)
    return fig


def static_kde(surface: pd.DataFrame, divisions=None, bandwidth_m: float = 400.0) -> Figure:
    fig = Figure(figsize=(8, 8.5))
    ax = fig.add_subplot(1, 1, 1)
    if len(surface):
        piv = surface.pivot_table(index="lat", columns="lon", values="density")
        mesh = ax.pcolormesh(piv.columns, piv.index, piv.to_numpy(), cmap="YlOrRd", shading="auto")
        fig.colorbar(mesh, ax=ax, shrink=0.6, label="incidents per km²")
    for r in division_rings(divisions):
        ax.plot(r[:, 0], r[:, 1], color="#333333", linewidth=0.6)
    ax.set_aspect(ASPECT)
    ax.set_axis_off()
    ax.set_title(f"Kernel density of incidents (bandwidth {bandwidth_m:.0f} m)")
    return fig


CHANGE_COLOURS = {"rose": "#b2182b", "fell": "#2166ac"}


def change_layers(change: pd.DataFrame):
    """The cells whose counts rose or fell beyond the city's trend (FDR-corrected)."""
    out = []
    for label, colour in CHANGE_COLOURS.items():
        sel = change[change["direction"] == label]
        if len(sel):
            out.append((f"{label} ({len(sel):,} cells)", colour, _hexes(sel["h3"])))
    return out


def change_title(periods: dict) -> str:
    return (
        f"Where crime rose or fell beyond the city's trend: {periods.get('after', '')} "
        f"against {periods.get('before', '')}"
    )


def category_panels(table: pd.DataFrame, divisions=None, max_panels: int = 6) -> Figure:
    """Small multiples of the next period's flagged cells (top 1% of the area), one panel per
    mapped crime category, each titled with its method and backtest PAI."""
    rows = table[table["mapped"].astype(bool)].sort_values("incidents", ascending=False)
    rows = rows.head(max_panels)
    ncol = min(3, max(1, len(rows)))
    nrow = max(1, -(-len(rows) // ncol))
    fig = Figure(figsize=(4.2 * ncol, 4.6 * nrow))
    outline = division_rings(divisions)
    for k, r in enumerate(rows.itertuples()):
        ax = fig.add_subplot(nrow, ncol, k + 1)
        for ring in outline:
            ax.plot(ring[:, 0], ring[:, 1], color="#9aa3ae", linewidth=0.4)
        cells = str(r.flagged_h3).split()
        paths = [Path(h, closed=True) for h in _hexes(cells)]
        ax.add_collection(
            PatchCollection(
                [PathPatch(p) for p in paths], facecolor="#bd0026", edgecolor="#bd0026", lw=0.6
            )
        )
        ax.autoscale_view()
        ax.set_aspect(ASPECT)
        ax.set_axis_off()
        ax.set_title(
            f"{r.category} ({r.incidents:,} incidents)\n{r.method.replace('_', ' ')}: PAI "
            f"{r.pai_1pct:.1f}, {r.pai_vs_long_term:.2f}x long-term\n({r.backtest_periods} "
            f"periods backtested; {r.cells_flagged} cells)",
            fontsize=9,
        )
    if len(rows):
        fig.suptitle(f"Forecast top 1% of the area for {rows['period'].iat[0]}, by crime type")
    fig.tight_layout()
    return fig
