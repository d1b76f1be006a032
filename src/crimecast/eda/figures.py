"""Interactive figures (Plotly): each function takes the table(s) it draws and returns a
`plotly.graph_objects.Figure`. The drawing is in `render(spec)`; what is drawn, the titles and
the completeness marks come from `eda.specs`, shared with the static PNGs of `eda.static`.

    from crimecast.eda import figures, tables
    fig = figures.monthly(tables.monthly(incidents, completeness))
    fig.to_html(include_plotlyjs=False, full_html=False)

An empty selection gives an empty figure with its titles and a message, never an exception.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from crimecast.eda import specs
from crimecast.eda.spec import EMPTY_MESSAGE, OKABE_ITO, SEQUENTIAL, Spec, pivot


def _colour(spec: Spec, name: str, i: int) -> str:
    return spec.colors.get(name, OKABE_ITO[i % len(OKABE_ITO)])


def _groups(spec: Spec) -> list[tuple[str, pd.DataFrame, str]]:
    """(trace name, rows, value column) for each trace of a line/bar/scatter spec."""
    d = spec.data
    if spec.color:
        return [
            (str(k), g, spec.y[0] if spec.kind != "hbar" else spec.x)
            for k, g in d.groupby(spec.color, sort=False)
        ]
    if spec.kind == "hbar":
        return [(spec.x_title, d, spec.x)]
    return [(spec.labels.get(c, c), d, c) for c in spec.y]


def _finite(values) -> bool:
    return bool(np.isfinite(pd.to_numeric(pd.Series(values), errors="coerce")).any())


def render(spec: Spec) -> go.Figure:
    fig = go.Figure()
    title = spec.title + (f"<br><sup>{spec.note}</sup>" if spec.note else "")
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        xaxis_title=spec.x_title,
        yaxis_title=spec.y_title,
        legend_title_text=spec.legend_title,
        margin={"t": 90},
        colorway=list(OKABE_ITO),
    )
    if spec.empty:
        fig.add_annotation(
            text=EMPTY_MESSAGE,
            x=0.5,
            y=0.5,
            xref="paper",
            yref="paper",
            showarrow=False,
            font={"size": 14},
        )
        fig.update_xaxes(visible=True, showticklabels=False)
        fig.update_yaxes(visible=True, showticklabels=False)
        return fig
    if spec.kind == "heatmap":
        _heatmap(fig, spec)
    elif spec.kind == "scatter":
        _scatter(fig, spec)
    else:
        _traces(fig, spec)
    _flag_bands(fig, spec)
    _x_range(fig, spec)
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig


def _flag_bands(fig: go.Figure, spec: Spec) -> None:
    """Shade flagged spans; each label sits just left of its band, one row lower than the one
    before, so labels of neighbouring bands never print over each other."""
    flags = spec.flags
    for i, (x0, x1, label) in enumerate(flags):
        fig.add_vrect(x0=x0, x1=x1, fillcolor="#777777", opacity=0.18, line_width=0)
        fig.add_annotation(
            x=x0,
            y=1.0,
            yshift=4 + 18 * (len(flags) - 1 - i),  # above the plot, one row per band
            xref="x",
            yref="paper",
            text=label + " \u2192",
            showarrow=False,
            xanchor="right",
            yanchor="bottom",
            font={"size": 10, "color": "#333333"},
        )
    if flags:
        fig.update_layout(margin={"t": 90 + 18 * len(flags)})


def _x_range(fig: go.Figure, spec: Spec) -> None:
    """A time axis runs from the first to the last period of the data and its flagged spans,
    half a period of margin either side, never to an empty future."""
    if spec.kind != "line" or spec.x not in spec.data.columns:
        return
    x = spec.data[spec.x]
    if not (pd.api.types.is_datetime64_any_dtype(x) or spec.x in ("month", "date", "week")):
        return
    ds = pd.to_datetime(x, errors="coerce").dropna()
    if ds.empty:
        return
    lo, hi = ds.min(), ds.max()
    for x0, x1, _ in spec.flags:  # flagged months past the data (left out of an STL) stay shown
        lo, hi = min(lo, pd.Timestamp(x0)), max(hi, pd.Timestamp(x1) - pd.Timedelta(days=1))
    pad = pd.Timedelta(days=15 if spec.x == "month" else 3)
    fig.update_xaxes(range=[(lo - pad).strftime("%Y-%m-%d"), (hi + pad).strftime("%Y-%m-%d")])


def _traces(fig: go.Figure, spec: Spec) -> None:
    horizontal = spec.kind == "hbar"
    for i, (name, g, col) in enumerate(_groups(spec)):
        values = g[col]
        if not _finite(values):
            continue  # an all-NaN trace (e.g. a moving average longer than the series)
        colour = _colour(spec, name, i)
        if spec.kind == "line":
            fig.add_trace(
                go.Scatter(
                    x=g[spec.x],
                    y=values,
                    name=name,
                    mode="lines" if len(g) > 1 else "markers",
                    line={
                        "color": colour,
                        "dash": "dash" if col in spec.dashed else "solid",
                        "width": 1.4 if col in spec.dashed else 2,
                    },
                )
            )
            continue
        err = None
        if spec.lo and spec.hi:
            err = {
                "type": "data",
                "symmetric": False,
                "color": "#444444",
                "array": (g[spec.hi] - values).clip(lower=0).fillna(0),
                "arrayminus": (values - g[spec.lo]).clip(lower=0).fillna(0),
            }
        if horizontal:
            fig.add_trace(
                go.Bar(
                    x=values,
                    y=g[spec.y[0]].astype(str),
                    orientation="h",
                    name=name,
                    marker_color=colour,
                    error_x=err,
                )
            )
        else:
            fig.add_trace(
                go.Bar(x=g[spec.x], y=values, name=name, marker_color=colour, error_y=err)
            )
    fig.update_layout(
        barmode="stack" if spec.stacked or _one_trace_per_label(spec) else "group",
        showlegend=bool(spec.color) or len(fig.data) > 1,
    )
    axis = fig.update_xaxes if horizontal else fig.update_yaxes
    if spec.percent:
        axis(tickformat=".0%")
    if horizontal:
        order = list(dict.fromkeys(spec.data[spec.y[0]].astype(str)))
        fig.update_yaxes(categoryorder="array", categoryarray=order)
        fig.update_layout(height=max(400, 22 * len(order) + 160))


def _one_trace_per_label(spec: Spec) -> bool:
    """Each bar label belongs to one coloured group only (crime types by class): bars are then
    drawn on their label, not side by side with empty slots."""
    if not spec.color or spec.kind not in ("bar", "hbar"):
        return False
    label = spec.y[0] if spec.kind == "hbar" else spec.x
    return bool(spec.data.groupby(label)[spec.color].nunique().max() <= 1)


def _heatmap(fig: go.Figure, spec: Spec) -> None:
    p = pivot(spec)
    fig.add_trace(
        go.Heatmap(
            z=p.to_numpy(dtype=float),
            x=list(p.columns),
            y=list(p.index),
            colorscale=SEQUENTIAL,
            colorbar={
                "title": {"text": "share" if spec.percent else spec.z.replace("_", " ")},
                "tickformat": ".0%" if spec.percent else "",
            },
            hovertemplate="%{y} · %{x}: %{z"
            + (":.1%" if spec.percent else ":,.1f")
            + "}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(height=max(420, 24 * len(p.index) + 180))


def _scatter(fig: go.Figure, spec: Spec) -> None:
    for i, (name, g) in enumerate(spec.data.groupby(spec.color, sort=True)):
        fig.add_trace(
            go.Scatter(
                x=g[spec.x],
                y=g[spec.y[0]],
                name=str(name),
                mode="markers+text" if spec.text else "markers",
                text=g[spec.text] if spec.text else None,
                textposition="top center",
                marker={"color": _colour(spec, str(name), i), "size": 10 if spec.text else 6},
            )
        )


# --- one function per figure: figures.<name>(tables...) for every builder in specs.BUILDERS ------
def _figure_function(name: str):
    builder = getattr(specs, name)

    def figure(*args, **kwargs) -> go.Figure:
        return render(builder(*args, **kwargs))

    figure.__name__ = figure.__qualname__ = name
    figure.__doc__ = (
        f"Plotly figure of `eda.specs.{name}` (same arguments).\n\n{builder.__doc__ or ''}"
    )
    return figure


for _name in specs.BUILDERS:
    globals()[_name] = _figure_function(_name)
