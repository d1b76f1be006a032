"""Render `report.html`: one self-contained file that opens from disk with no network.

Plotly's JavaScript is inlined once (`plotly.offline.get_plotlyjs()`), every Plotly figure is a
`<div>` written with `include_plotlyjs=False`, and PNGs are embedded as base64 data URIs. Tables
carry `data-table="<name>"` and each cell its raw value in `data-value`, so a test can check that
the report shows exactly what `tables/<name>.csv` holds.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
from pathlib import Path

import jinja2
import pandas as pd
import plotly.io as pio
from plotly.offline import get_plotlyjs

from crimecast.report import summary as summary_mod

TEMPLATES = Path(__file__).resolve().parent / "templates"

# The heading of each table the report shows (tables without one get their name in words).
TABLE_TITLES = {
    "months_excluded": "Months kept out of model training",
    "completeness": "Completeness of every month",
    "incidents_by_source": "Incidents by source",
    "quarantine_reasons": "Rows quarantined, by reason",
    "delay_by_category": "Reporting delay by crime type",
    "missing_fields": "Missing fields",
    "trend_tests": "Trends by division and crime type (seasonal Mann-Kendall)",
    "yoy_by_category": "Year over year by crime type",
    "yoy_by_area": "Year over year by division",
    "by_area": "Incidents by division",
    "by_category": "Incidents by crime type",
    "hotspot_forecast_scores": "How well hotspot forecasts found the next period's crime",
    "division_rates": "Incidents per 100,000 residents by division",
    "hotspot_cells": "Strongest hotspot cells",
    "hotspot_by_category": "Hotspot forecasts for the next period by crime type",
    "near_repeat": "Near repeats: distance and time bands above chance (Knox test)",
    "hotspot_change": "Cells that rose or fell most beyond the city's trend",
    "forecast_city_scores": "Citywide backtest scores, every model",
    "forecast_areas_next12": "Divisions: forecast for the next 12 months",
    "forecast_errors": "Series a model could not forecast",
    "forecast_high_risk_months": "The highest forecast months, citywide and by division",
    "fitness": "Which series the data can carry",
    "fitness_sources": "Data fitness by source file",
    "fitness_months": "Data fitness by month",
    "compstat_division": "CompStat by division",
    "compstat_category": "CompStat by crime type",
}


def crimecast_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("crimecast")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


__version__ = crimecast_version()


def _png_data_uri(path: Path) -> str:
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _fmt(v, col: str = "") -> str:
    """Readable cell text: thousands separators, short floats, blanks for missing."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and col in ("lat", "lon"):
        return f"{v:.5f}"
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 1000):
        return f"{int(v):,}"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, pd.Timestamp | dt.date):
        return str(v)[:10]
    return str(v)


def _raw(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, pd.Timestamp | dt.date):
        return str(v)[:10]
    return str(v)


def table_view(
    name: str, df: pd.DataFrame, max_rows: int = 15, caption: str = "", groups=None, heads=None
) -> dict:
    """A table for the template: header, formatted cells with raw values, and how many rows.
    `groups` is an optional first header row of (label, span); `heads` replaces the column names."""
    shown = df.head(max_rows)
    cols = [str(c) for c in df.columns]
    rows = [
        [{"text": _fmt(v, c), "raw": _raw(v)} for v, c in zip(rec, cols, strict=True)]
        for rec in shown.astype(object).itertuples(index=False)
    ]
    return {
        "name": name,
        "title": TABLE_TITLES.get(name, name.replace("_", " ").capitalize()),
        "groups": groups or [],
        "columns": heads or [str(c).replace("_", " ") for c in df.columns],
        "rows": rows,
        "total_rows": len(df),
        "caption": caption,
        "csv": f"tables/{name}.csv",
    }


def figure_view(fig: dict, out: Path) -> dict:
    """Plotly div (no JS) when the figure has one, else the embedded PNG."""
    html = None
    if fig.get("plotly") is not None:
        html = pio.to_html(
            fig["plotly"],
            include_plotlyjs=False,
            full_html=False,
            config={"displaylogo": False, "responsive": True},
        )
    img = None
    if html is None and fig.get("png"):
        img = _png_data_uri(out / fig["png"])
    return {**fig, "html": html, "img": img}


def section_view(result: dict, out: Path, captions: dict | None = None) -> dict:
    captions = captions or {}
    return {
        "status": result.get("status", "not available"),
        "note": result.get("note", ""),
        "figures": [figure_view(f, out) for f in result.get("figures", [])],
        "tables": [
            table_view(n, df, caption=captions.get(n, ""))
            for n, df in result.get("tables", {}).items()
            if n in result.get("show_tables", result.get("tables", {}).keys()) and len(df)
        ],
        "summary": result.get("summary", {}),
    }


SECTIONS = ("completeness", "fitness", "eda", "hotspots", "forecast", "hindsight", "compstat")


def compstat_view(result: dict) -> dict:
    """The CompStat section: both tables with a header row per period, every row shown."""
    from crimecast.report import compstat

    view = {
        "status": result.get("status", "not available"),
        "note": result.get("note", ""),
        "summary": result.get("summary", {}),
        "tables": [],
    }
    for name, df in result.get("tables", {}).items():
        view["tables"].append(
            table_view(
                name,
                df,
                max_rows=40,
                groups=compstat.header_groups(df),
                heads=compstat.column_heads(df),
            )
        )
    return view


def split_risk(forecast: dict) -> dict:
    """The high-risk months table, taken out of the forecast section for its own section."""
    tables = [t for t in forecast.get("tables", []) if t["name"] == "forecast_high_risk_months"]
    forecast["tables"] = [t for t in forecast.get("tables", []) if t not in tables]
    return {
        "status": forecast.get("status", "not available"),
        "tables": tables,
        "note": (
            "No forecast was made in this run, so there are no high-risk periods to show."
            if forecast.get("status") != "computed"
            else "High-risk months are not shown: the data cannot carry a forecast for the city "
            "or some divisions (see the forecast notes above and Data fitness)."
        ),
    }


def series_label(uid: str) -> str:
    """ "area:Central|category:robbery" -> "Central / robbery"; "city" -> "Citywide"."""
    if uid == "city":
        return "Citywide"
    return " / ".join(p.split(":", 1)[-1] for p in str(uid).split("|"))


def failing_view(summary: dict, limit: int = 25) -> dict:
    """The first `limit` series the data cannot carry, named in words, and how many in all."""
    failing = list(summary.get("failing", []) or [])
    rows = [{"series": series_label(f.get("unique_id", "")), "reason": f.get("reason", "")}
            for f in failing[:limit]]  # fmt: skip
    return {"rows": rows, "total": len(failing)}


def flagged_note(summary: dict) -> str:
    """ "7 months, 2024-03 to 2024-09 (NIBRS break; reporting lag)" with each reason once."""
    months = summary.get("excluded_months", [])
    if not months:
        return ""
    reasons = list(dict.fromkeys(summary.get("excluded_reasons", [])))
    n = len(months)
    word = "month" if n == 1 else "months"
    span = months[0] if n == 1 else f"{months[0]} to {months[-1]}"
    return f"{n} {word}, {span}" + (f" ({'; '.join(reasons)})" if reasons else "")


def render(ctx, results: dict, run_json: dict) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    out = Path(ctx.out)
    sections = {
        name: section_view(results.get(name, {}), out) for name in SECTIONS if name != "compstat"
    }
    sections["compstat"] = compstat_view(results.get("compstat", {}))
    sections["risk"] = split_risk(sections["forecast"])
    summary = summary_mod.executive_summary(ctx.info, ctx.completeness, results)
    summary.table().to_csv(out / "tables" / "summary_figures.csv", index=False)
    return env.get_template("report.html.j2").render(
        title="Los Angeles reported crime: trends, hotspots and forecasts",
        simulated=run_json["simulated"],
        run=run_json,
        info=ctx.info,
        complete_through=results.get("fitness", {})
        .get("summary", {})
        .get("complete_through", ctx.info.get("complete_through")),
        bullets=summary.bullets,
        sections=sections,
        has_fitness="fitness" in results,
        failing=failing_view(sections["fitness"]["summary"]),
        flagged=flagged_note(sections["completeness"]["summary"]),
        ingested=results.get("data", {}).get("ingested", []),
        plotly_js=get_plotlyjs(),
        version=__version__,
        generated=dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
    )


def write_report(ctx, results: dict, run_json: dict) -> Path:
    """Write OUT/report.html atomically (a reader never sees half a report)."""
    out = Path(ctx.out)
    html = render(ctx, results, run_json)
    tmp = out / ".report.html.tmp"
    tmp.write_text(html, encoding="utf-8")
    tmp.replace(out / "report.html")
    return out / "report.html"
