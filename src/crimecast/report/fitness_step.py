"""The data-fitness step of `crimecast run`: what the stored incidents can support, per series,
before any trend, change or forecast is stated (crimecast.fitness does the checks)."""

from __future__ import annotations

import pandas as pd

from crimecast import completeness, fitness, panel, regime
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


def recording_switch(monthly: pd.DataFrame, flags: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """The NIBRS shift per city, division and crime-type series, and the sentences that state
    it (nothing when the store holds no NIBRS-era transition)."""
    transition = completeness.transition_months(flags)
    if not transition:
        return pd.DataFrame(columns=regime.SHIFT_COLUMNS), []
    series = monthly[~monthly["unique_id"].str.contains("|", regex=False)]
    _, _, shifts = regime.join(series, transition)
    first, last = min(transition).strftime("%Y-%m"), max(transition).strftime("%Y-%m")
    said = [
        f"LAPD changed its recording system to NIBRS in March 2024: {first} to {last} mix the "
        "two feeds and are kept out of models; after them, each series' legacy history is put "
        "on the NIBRS scale by its own estimated shift."
    ]
    said += regime.in_words(shifts, _what)
    return shifts, said


def _what(unique_id: str) -> str:
    if unique_id == "city":
        return "all crime citywide"
    kind, name = unique_id.split(":", 1)
    return f"crime in {name}" if kind == "area" else name.lower()


def step_fitness(ctx: Context, results: dict) -> dict:
    with ctx.read() as st:
        facts = load_facts(st)
    through = ctx.info.get("complete_through")
    monthly = monthly_panel(facts)
    fit = fitness.assess(monthly, facts, through)
    shifts, switch_sentences = recording_switch(monthly, ctx.completeness)
    series = fit.series
    tables = {
        "fitness": series,
        "fitness_months": fit.months,
        "fitness_sources": fit.sources,
        **({"nibrs_shift": shifts} if len(shifts) else {}),
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
            "sentences": switch_sentences + fit.sentences,
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
