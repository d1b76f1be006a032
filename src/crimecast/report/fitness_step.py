"""The data-fitness step of `crimecast run`: what the stored incidents can support, per series,
before any trend, change or forecast is stated (crimecast.fitness does the checks)."""

from __future__ import annotations

import pandas as pd

from crimecast import fitness, panel
from crimecast.report.steps import Context

LEVELS = ("city", "area", "category", "area_category")


def load_facts(store) -> pd.DataFrame:
    """Incidents grouped by file, division, crime type, month occurred and day reported."""
    return store.query(
        "SELECT source, area_name, crime_category, "
        "CAST(date_trunc('month', occurred_date) AS DATE) AS occurred, "
        "CAST(date_reported AS DATE) AS reported, count(*) AS n FROM incidents "
        "WHERE occurred_date IS NOT NULL GROUP BY ALL"
    )


def monthly_panel(facts: pd.DataFrame) -> pd.DataFrame:
    """The monthly long frame of every level (as crimecast.panel builds it), all months."""
    parts = []
    for level in LEVELS:
        f = facts
        if level != "city":
            cols = [c for c in ("area_name", "crime_category") if c[:4] in level]
            f = facts.dropna(subset=cols)
        counts = pd.DataFrame(
            {
                "unique_id": panel.uid_of(f, level),
                "ds": pd.to_datetime(f["occurred"]),
                "y": f["n"].astype("int64"),
            }
        )
        parts.append(panel.zero_fill(counts, "MS"))
    return pd.concat(parts, ignore_index=True)


def verdicts(results: dict) -> dict[str, str]:
    """unique_id -> '' (passes) or the reason it fails, from a run's fitness result; {} when the
    step did not run (every series is then treated as it was before the check existed)."""
    return results.get("fitness", {}).get("summary", {}).get("verdicts", {})


def step_fitness(ctx: Context, results: dict) -> dict:
    with ctx.read() as st:
        facts = load_facts(st)
    through = ctx.info.get("complete_through")
    fit = fitness.assess(monthly_panel(facts), facts, through)
    series = fit.series
    tables = {
        "fitness": series,
        "fitness_months": fit.months,
        "fitness_sources": fit.sources,
    }
    for name, df in tables.items():
        ctx.table(name, df)
    failing = fit.failing()
    shown = series[series["level"] != "area_category"]
    return {
        "status": "computed",
        "note": f"{len(failing)} of {len(series)} series cannot carry a trend or forecast",
        "files": ctx.take_files(),
        "tables": {"fitness": shown, "fitness_months": fit.months, "fitness_sources": fit.sources},
        "show_tables": ["fitness", "fitness_sources", "fitness_months"],
        "figures": [],
        "summary": {
            "sentences": fit.sentences,
            "failing": failing,
            "verdicts": fit.verdicts(),
            "city_passes": fit.passes("city"),
            "city_reason": fit.reason("city"),
            "complete_through": (
                fit.complete_through.strftime("%Y-%m") if fit.complete_through is not None else None
            ),
            "dominated_areas": sorted(
                {
                    label
                    for label in series.loc[
                        series["problems"].str.contains("with other divisions")
                        & (series["level"] == "area"),
                        "unique_id",
                    ].str.removeprefix("area:")
                }
            ),
            "window_sources": fit.sources.loc[fit.sources["narrow_report_window"], "source"]
            .astype(str)
            .tolist(),
        },
    }
