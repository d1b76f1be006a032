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


def table_view(name: str, df: pd.DataFrame, max_rows: int = 15, caption: str = "") -> dict:
    """A table for the template: header, formatted cells with raw values, and how many rows."""
    shown = df.head(max_rows)
    cols = [str(c) for c in df.columns]
    rows = [
        [{"text": _fmt(v, c), "raw": _raw(v)} for v, c in zip(rec, cols, strict=True)]
        for rec in shown.astype(object).itertuples(index=False)
    ]
    return {
        "name": name,
        "columns": [str(c).replace("_", " ") for c in df.columns],
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


def render(ctx, results: dict, run_json: dict) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    out = Path(ctx.out)
    sections = {
        name: section_view(results.get(name, {}), out)
        for name in ("completeness", "eda", "hotspots", "forecast")
    }
    summary = summary_mod.executive_summary(ctx.info, ctx.completeness, results)
    summary.table().to_csv(out / "tables" / "summary_figures.csv", index=False)
    return env.get_template("report.html.j2").render(
        title="Los Angeles reported crime: trends, hotspots and forecasts",
        simulated=run_json["simulated"],
        run=run_json,
        info=ctx.info,
        bullets=summary.bullets,
        sections=sections,
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
