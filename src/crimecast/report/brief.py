"""`report-brief.pdf`: the two-page printed brief of a run (US Letter, portrait).

Page 1: the executive summary, the citywide forecast and the division forecasts. Page 2: the
CompStat table by division and the hotspot map. Drawn with Matplotlib's PdfPages from the run's
own tables and figures, so it says exactly what report.html says.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.image as mpimg  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from crimecast.report import compstat as compstat_view  # noqa: E402
from crimecast.report import summary as summary_mod  # noqa: E402

PAGE = (8.5, 11.0)  # inches, US Letter
WARN = "#D55E00"
MUTED = "#5b6573"


def bullet_text(bullet: list) -> str:
    """One summary bullet as plain text (numbers as the report prints them)."""
    out = []
    for seg in bullet:
        if isinstance(seg, str):
            out.append(seg)
        elif isinstance(seg, dict):
            out.append(str(seg.get("text", seg.get("value", ""))))
        else:
            out.append(str(getattr(seg, "text", seg)))
    return "".join(out)


def _image(fig: Figure, rect, path: Path, missing: str) -> float:
    """Draw the PNG at `path` inside `rect` (left, bottom, width, height in page fractions),
    keeping its aspect; returns the height used. Says so when the image is missing."""
    ax = fig.add_axes(rect)
    ax.axis("off")
    if not path.exists():
        ax.text(0, 0.5, missing, fontsize=8, color=MUTED, va="center")
        return rect[3]
    img = mpimg.imread(str(path))
    ax.imshow(img, interpolation="antialiased")
    ax.set_anchor("N")
    return rect[3]


def _header(fig: Figure, title: str, sub: str, simulated: bool) -> float:
    top = 0.975
    if simulated:
        fig.text(0.5, top, "SIMULATED DATA: a made-up city, not real crime in Los Angeles",
                 ha="center", va="top", fontsize=9, color="white", weight="bold",
                 bbox={"facecolor": WARN, "edgecolor": "none", "pad": 3})  # fmt: skip
        top -= 0.028
    fig.text(0.06, top, title, fontsize=13, weight="bold", va="top")
    fig.text(0.06, top - 0.022, sub, fontsize=7.5, color=MUTED, va="top")
    return top - 0.045


def _summary(fig: Figure, bullets: list[list], top: float) -> float:
    y = top
    for b in bullets:
        lines = textwrap.wrap(bullet_text(b), 118)
        for i, line in enumerate(lines):
            fig.text(0.06, y, ("\u2022 " if i == 0 else "   ") + line, fontsize=7.3, va="top")
            y -= 0.0135
        y -= 0.004
    fig.text(0.06, y, "Counts of reported crime: they reflect policing and reporting as well as "
             "crime, and describe places and periods, never individuals.", fontsize=6.8,
             color=MUTED, va="top", style="italic")  # fmt: skip
    return y - 0.02


def _cell(v) -> str:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, bool) or str(v) in ("True", "False"):
        return "yes" if str(v) == "True" else ""
    if isinstance(v, float):
        return f"{v:+.1f}%"
    if isinstance(v, int):
        return f"{v:,}"
    return str(v)


def _compstat(fig: Figure, df: pd.DataFrame, as_of: str, top: float) -> float:
    t = compstat_view.brief_table(df)
    fig.text(0.06, top, f"CompStat by division, as of {as_of}", fontsize=11, weight="bold",
             va="top")  # fmt: skip
    fig.text(0.06, top - 0.017, "Each period against the same days a year earlier. sig.: exact "
             "test for two counts, false-discovery corrected over divisions.", fontsize=7,
             color=MUTED, va="top")  # fmt: skip
    heads = ["division"] + ["now", "yr before", "% chg", "sig."] * 3
    cells = [[_cell(v) for v in row] for row in t.astype(object).itertuples(index=False)]
    height = 0.0145 * (len(cells) + 1)
    table_top = top - 0.05
    ax = fig.add_axes((0.06, table_top - height, 0.88, height))
    ax.axis("off")
    widths = [2.2] + [1.0] * (len(heads) - 1)
    widths = [w / sum(widths) for w in widths]
    tab = ax.table(cellText=cells, colLabels=heads, loc="upper left", cellLoc="right",
                   colLoc="center", colWidths=widths, bbox=(0, 0, 1, 1))  # fmt: skip
    tab.auto_set_font_size(False)
    tab.set_fontsize(6.5)
    for (r, c), cell in tab.get_celld().items():
        cell.set_edgecolor("#d8dde4")
        cell.set_linewidth(0.4)
        if c == 0:
            cell.set_text_props(ha="left")
            cell._loc = "left"
        if r == 0:
            cell.set_facecolor("#f4f6f9")
            cell.set_text_props(weight="bold")
        if r == 1:
            cell.set_text_props(weight="bold")
        if r > 0 and c in (4, 8, 12) and cells[r - 1][c] == "yes":
            change = cells[r - 1][c - 1]
            cell.set_text_props(color=WARN if change.startswith("+") else "#0072B2", weight="bold")
    # the period labels above their four columns
    for i, label in enumerate(("Last 28 days", "Year to date", "Last 12 months")):
        x = 0.06 + 0.88 * (sum(widths[: 1 + 4 * i]) + 2 * widths[1])
        fig.text(x, table_top + 0.003, label, ha="center", va="bottom", fontsize=7.5,
                 weight="bold")  # fmt: skip
    return table_top - height - 0.015


def write_brief(ctx, results: dict, run_json: dict) -> Path:
    """Write OUT/report-brief.pdf (two pages) atomically and return its path."""
    out = Path(ctx.out)
    summary = summary_mod.executive_summary(ctx.info, ctx.completeness, results)
    simulated = bool(run_json.get("simulated"))
    title = "Los Angeles reported crime: brief"
    fit = results.get("fitness", {}).get("summary", {})
    through = fit.get("complete_through", ctx.info.get("complete_through"))
    sub = (
        f"{run_json.get('data_label', '')} · incidents {ctx.info.get('date_min')} to "
        f"{ctx.info.get('date_max')} · complete through "
        f"{through or 'no month'} · {dt.date.today():%d %b %Y}"
    )
    tmp = out / ".report-brief.pdf.tmp"
    with PdfPages(tmp, metadata={"Title": title, "Creator": "crimecast"}) as pdf:
        fig = Figure(figsize=PAGE)
        top = _header(fig, title, sub, simulated)
        top = _summary(fig, summary.bullets, top)
        city_h = 0.18
        _image(fig, (0.05, top - city_h, 0.9, city_h), out / "figures" / "forecast_city.png",
               "No citywide forecast in this run.")  # fmt: skip
        top -= city_h + 0.005
        divisions = out / "figures" / "forecast_divisions_brief.png"
        if not divisions.exists():
            divisions = out / "figures" / "forecast_divisions.png"
        _image(fig, (0.03, 0.015, 0.94, top - 0.015), divisions,
               "No division forecasts in this run.")  # fmt: skip
        pdf.savefig(fig)

        fig = Figure(figsize=PAGE)
        top = _header(fig, title, sub, simulated)
        cs = results.get("compstat", {})
        table = cs.get("tables", {}).get("compstat_division")
        if table is not None and len(table):
            top = _compstat(fig, table, cs.get("summary", {}).get("as_of", ""), top)
        else:
            fig.text(0.06, top, cs.get("note") or "No CompStat table in this run.", fontsize=9,
                     va="top", color=MUTED)  # fmt: skip
            top -= 0.04
        fig.text(0.06, top, "Hotspots (Getis-Ord Gi*, false-discovery corrected)", fontsize=11,
                 weight="bold", va="top")  # fmt: skip
        _image(fig, (0.05, 0.03, 0.9, top - 0.05), out / "figures" / "map_gi_star.png",
               "No hotspot map in this run.")  # fmt: skip
        fig.text(0.06, 0.015, f"crimecast {run_json.get('crimecast_version', '')} · full report: "
                 "report.html · tables: tables/", fontsize=6.5, color=MUTED)  # fmt: skip
        pdf.savefig(fig)
    target = out / "report-brief.pdf"
    tmp.replace(target)
    return target


def page_count(path: Path) -> int:
    """Pages of a PDF, counted from its `/Type /Page` objects (not `/Pages`)."""
    import re

    data = Path(path).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))
