"""Drawing a forecast on a Plotly figure, shared by the report and the dashboard."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

FORECAST_COLOUR = "#E69F00"  # Okabe-Ito orange


def add_forecast(fig: go.Figure, fc: pd.DataFrame, name: str = "Forecast") -> go.Figure:
    """The 95% and 80% intervals as shaded bands and the point forecast as a dashed line.

    `fc` has columns ds, yhat, lo_80, hi_80, lo_95, hi_95 (one series, one model)."""
    ds = fc["ds"].tolist()
    for lo, hi, alpha, level in (("lo_95", "hi_95", 0.15, 95), ("lo_80", "hi_80", 0.3, 80)):
        fig.add_trace(
            go.Scatter(
                x=ds + ds[::-1],
                y=fc[hi].tolist() + fc[lo].tolist()[::-1],
                fill="toself",
                fillcolor=f"rgba(230,159,0,{alpha})",
                line={"width": 0},
                name=f"{level}% interval",
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=ds,
            y=fc["yhat"].tolist(),
            mode="lines",
            name=name,
            line={"color": FORECAST_COLOUR, "dash": "dash"},
        )
    )
    return fig
