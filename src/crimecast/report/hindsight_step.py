"""The hindsight step of `crimecast run`: the 2024-2025 forecasts crimecast makes from the legacy
months alone (through February 2024), against what the NIBRS era then recorded, for the city and
each crime category (crimecast.forecast.hindsight does the comparison). It runs only when the
store holds months after the NIBRS transition."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from crimecast import completeness, regime
from crimecast.forecast import engine, hindsight
from crimecast.report.fitness_step import load_facts, monthly_panel
from crimecast.report.steps import FLAG_COLOUR, OKABE_ITO, Context, figure

MODELS = ("seasonal_naive", "auto")
SHOWN = "auto"  # the recommended forecast is the one judged in words


def _label(uid: str) -> str:
    return "Citywide" if uid == "city" else uid.split(":", 1)[-1].capitalize()


def nothing(note: str) -> dict:
    return {"status": "computed", "note": note, "files": [], "tables": {}, "figures": [],
            "summary": {"sentences": []}}  # fmt: skip


def city_png(compared: pd.DataFrame, history: pd.DataFrame, transition) -> plt.Figure:
    """Legacy history, the forecast made at the switch with its 80% interval, the forecast on
    the NIBRS scale, and what was recorded."""
    city = compared[(compared["unique_id"] == "city") & (compared["model"] == SHOWN)]
    hist = history[(history["unique_id"] == "city") & (history["ds"] >= "2021-01-01")]
    legacy, since = hist[hist["ds"] < regime.SWITCH], hist[hist["ds"] >= regime.SWITCH]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(legacy["ds"], legacy["y"], color=OKABE_ITO[7], lw=1.2, label="Recorded (legacy)")
    ax.fill_between(city["ds"], city["lo_80"], city["hi_80"], color=OKABE_ITO[0], alpha=0.18,
                    label="80% interval of the forecast")  # fmt: skip
    ax.plot(city["ds"], city["yhat"], color=OKABE_ITO[0], ls="--", label="Forecast at the switch")
    if (city["shift"] != 1).any():
        ax.plot(city["ds"], city["yhat"] * city["shift"], color=OKABE_ITO[2], ls=":",
                label="Forecast on the NIBRS scale")  # fmt: skip
    ax.plot(since["ds"], since["y"], color=OKABE_ITO[1], lw=1.8, label="Recorded since the switch")
    if transition:
        ax.axvspan(min(transition), max(transition) + pd.offsets.MonthEnd(0), color=FLAG_COLOUR,
                   alpha=0.1, label="NIBRS transition (not scored)")  # fmt: skip
    ax.set_title("Citywide: what crimecast forecast at the switch to NIBRS, and what happened")
    ax.set_xlabel("Month the crime occurred")
    ax.set_ylabel("Incidents per month")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return fig


def step_hindsight(ctx: Context, results: dict) -> dict:
    transition = completeness.transition_months(ctx.completeness)
    through = ctx.info.get("complete_through")
    if not transition or through is None or pd.Timestamp(through) <= max(transition):
        return nothing("no month after the NIBRS transition in the store")
    with ctx.read() as st:
        facts = load_facts(st)
    monthly = monthly_panel(facts)
    monthly = monthly[
        (monthly["unique_id"] == "city") | monthly["unique_id"].str.startswith("category:")
    ]
    train, horizon = hindsight.split(monthly, pd.Timestamp(through))
    train = train[train.groupby("unique_id")["y"].transform("sum") > 0]
    if horizon < 1 or train.empty:
        return nothing("no legacy months before the switch to forecast from")
    opts = ctx.options
    fc, errors = engine.forecast(
        train, horizon=horizon, models=MODELS, freq="MS", seed=opts.get("seed", 42),
        backend=opts.get("backend", "local"),
    )  # fmt: skip
    _, _, shifts = regime.join(monthly, transition)
    compared = hindsight.compare(fc, monthly, transition, shifts)
    table = compared.round(3)
    (ctx.out / "tables").mkdir(parents=True, exist_ok=True)
    ctx.table("forecast_vs_actual", table)
    scores = hindsight.summary(compared)
    ctx.table("forecast_vs_actual_by_model", scores.round(4))
    shown = scores[scores["model"] == SHOWN]
    shown = shown.sort_values("unique_id", key=lambda u: u != "city", kind="stable").round(3)
    ctx.table("forecast_vs_actual_summary", shown)
    sentences = [hindsight.in_words(row, _label(row["unique_id"])) for _, row in shown.iterrows()]
    png = ctx.png("forecast_vs_actual_city", city_png(compared, monthly, transition))
    caption = (
        "Dashed: the forecast crimecast makes from the legacy months through February 2024, with "
        "its 80% interval; dotted: the same forecast times the city's estimated NIBRS shift; "
        "orange: what LAPD recorded. The shaded months mix the two feeds and are not scored."
    )
    return {
        "status": "computed",
        "note": f"{len(shown)} series compared over {horizon} months",
        "files": ctx.take_files(),
        "tables": {"forecast_vs_actual_summary": shown},
        "show_tables": ["forecast_vs_actual_summary"],
        "figures": [
            figure(
                "What crimecast forecast, and what happened",
                caption,
                png=png,
                fid="forecast_vs_actual",
            )
        ],  # fmt: skip
        "summary": {"sentences": sentences, "failed": errors["unique_id"].tolist()},
    }
