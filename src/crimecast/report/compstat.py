"""The CompStat part of the report: `crimecast.eda.compstat` over the stored incidents, as of the
last complete date, written to tables/compstat_division.csv and tables/compstat_category.csv."""

from __future__ import annotations

import pandas as pd

from crimecast import completeness
from crimecast.eda import compstat as cs
from crimecast.report.analyses import load
from crimecast.report.steps import Context

COLUMNS = ("occurred_date", "area_id", "crime_category")
HEADS = {"current": "now", "year_before": "a year before", "change": "change",
         "pct_change": "% change", "significant": "sig."}  # fmt: skip


def step_compstat(ctx: Context, results: dict) -> dict:
    """Division and crime-type CompStat tables, or "not available" with the reason."""
    # the fitness step's month: a month that only a narrow report window fills is not complete
    fit = results.get("fitness", {}).get("summary", {})
    as_of = cs.as_of_date(fit.get("complete_through", ctx.info.get("complete_through")))
    if as_of is None:
        return {
            "status": "not available",
            "note": "CompStat tables need a complete month; no month of the data is complete yet",
            "tables": {},
            "figures": [],
            "summary": {},
        }
    incidents = load(ctx, COLUMNS)
    mixed = completeness.transition_months(ctx.completeness)  # two recording systems
    tables = {
        by: cs.compstat(incidents, as_of, by.split("_")[1], mixed)
        for by in ("compstat_division", "compstat_category")
    }
    for name, df in tables.items():
        ctx.table(name, df)
    periods = cs.periods(as_of)
    return {
        "status": "computed",
        "note": f"as of {as_of:%d %b %Y}",
        "files": ctx.take_files(),
        "tables": tables,
        "figures": [],
        "summary": {
            "as_of": f"{as_of:%d %B %Y}",
            "periods": [p.describe() for p in periods],
            "period_labels": [p.label for p in periods],
        },
    }


def header_groups(df: pd.DataFrame) -> list[tuple[str, int]]:
    """(label, column span) of the grouped header row: the group column, then one per period."""
    labels = {"d28": "Last 28 days", "ytd": "Year to date", "m12": "Last 12 months"}
    out: list[tuple[str, int]] = []
    for c in df.columns:
        key = str(c).split("_", 1)[0]
        label = labels.get(key, "")
        if out and out[-1][0] == label and label:
            out[-1] = (label, out[-1][1] + 1)
        else:
            out.append((label, 1))
    return out


def column_heads(df: pd.DataFrame) -> list[str]:
    """The second header row: "now", "a year before", "change", ... under each period."""
    out = []
    for c in df.columns:
        key, _, rest = str(c).partition("_")
        out.append(HEADS.get(rest, str(c).replace("_", " ")) if key in ("d28", "ytd", "m12")
                   else str(c).replace("_", " ").replace("crime category", "crime type"))  # fmt: skip
    return out


def brief_table(df: pd.DataFrame, n: int = 22) -> pd.DataFrame:
    """The compact CompStat table of the printed brief: counts, change and significance only."""
    keep = [df.columns[0]]
    for k in ("d28", "ytd", "m12"):
        keep += [f"{k}_current", f"{k}_year_before", f"{k}_pct_change", f"{k}_significant"]
    return df[keep].head(n)
