"""The executive summary in plain words, built from the steps' results.

Every number in it is a `Figure` with a key: the template renders it as
`<span class="num" data-key="KEY" data-value="RAW">text</span>` and the same key/value pairs are
written to `tables/summary_figures.csv`, so the words and the tables can be checked against each
other.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from crimecast.eda.trends import complete_months
from crimecast.fitness import MIN_BASE


@dataclass(frozen=True)
class Num:
    key: str
    value: float | int | str
    text: str
    label: str


class Summary:
    """Bullets (lists of text and Num segments) and the figures they quote."""

    def __init__(self) -> None:
        self.bullets: list[list] = []
        self.figures: list[Num] = []

    def num(self, key: str, value, label: str, fmt: str = "{:,.0f}") -> Num:
        n = Num(key, value, fmt.format(value) if not isinstance(value, str) else value, label)
        self.figures.append(n)
        return n

    def add(self, *segments) -> None:
        self.bullets.append(list(segments))

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(f.key, f.value, f.label) for f in self.figures], columns=["key", "value", "label"]
        )


def _pct(x: float) -> str:
    return f"{x:+.1%}"


def data_bullet(s: Summary, info: dict, fit: dict | None = None) -> None:
    n = info["incidents"]
    q = info["quarantined"]
    through = info["complete_through"]
    after = ""
    if fit and "complete_through" in fit:
        # a month filled only by a file's report window is neither comparable nor complete
        if fit["complete_through"] != through:
            after = (
                " (the months after it hold no incident or only crimes reported within one "
                "file's narrow report window)"
            )
        through = fit["complete_through"]
    s.add(
        "The data hold ",
        s.num("incidents", n, "incidents stored"),
        " reported incidents that occurred from ",
        s.num("date_min", info["date_min"], "first occurred date"),
        " to ",
        s.num("date_max", info["date_max"], "last occurred date"),
        "; ",
        s.num("quarantined", q, "rows quarantined"),
        " rows could not be trusted and were set aside (quarantined). Counts are complete through ",
        s.num("complete_through", through or "no month", "complete through"),
        f"{after}.",
    )
    if info["simulated"]:
        s.add(
            "These are SIMULATED incidents (",
            s.num("simulated", info["simulated"], "simulated incidents"),
            "), made up to show how crimecast works. Nothing here describes real crime in "
            "Los Angeles.",
        )


def trend_bullet(s: Summary, completeness: pd.DataFrame, fit: dict | None = None) -> None:
    """The last 12 complete months against the 12 before them, citywide (only when the data
    can carry a citywide trend and the earlier year holds enough incidents to compare with)."""
    if fit and not fit.get("city_passes", True):
        s.add(
            "The data cannot support a citywide trend or forecast: ",
            fit.get("city_reason", "the citywide series fails the data-fitness check"),
            ". No change over the year is stated.",
        )
        return
    # one unbroken run of complete months: never two years that straddle a recording switch
    ok = complete_months(completeness, min_months=24).sort_values("month")
    if len(ok) < 24:
        s.add(
            "There are fewer than 24 complete months in a row (under one recording system), "
            "too few to compare two years."
        )
        return
    last, prev = ok.tail(12), ok.iloc[-24:-12]
    a, b = int(last["incidents"].sum()), int(prev["incidents"].sum())
    if b < MIN_BASE:
        s.add(
            "The 12 complete months before the last 12 hold only ",
            s.num("prev12_incidents", b, "incidents in the 12 months before"),
            " incidents: too few to state a change against.",
        )
        return
    change = (a - b) / b
    word = "rose" if change > 0.02 else "fell" if change < -0.02 else "held about level"
    s.add(
        f"Citywide, reported crime {word}: ",
        s.num("last12_incidents", a, "incidents in the last 12 complete months"),
        " incidents in the 12 complete months to ",
        s.num("last12_end", last["month"].max().strftime("%Y-%m"), "end of the last 12 months"),
        " against ",
        s.num("prev12_incidents", b, "incidents in the 12 months before"),
        " in the 12 months before (",
        s.num("last12_change", round(change, 4), "change, last 12 vs previous 12", "{:+.1%}"),
        ").",
    )


def fitness_bullet(s: Summary, fit: dict) -> None:
    """How many series the data can carry, and why the others cannot (in the Data fitness
    section and tables/fitness.csv)."""
    failing = fit.get("failing", [])
    total = len(fit.get("verdicts", {}))
    if not total:
        return
    if failing:
        s.add(
            s.num("fitness_failing", len(failing), "series failing the data-fitness check"),
            " of ",
            s.num("fitness_series", total, "series checked for data fitness"),
            " series (city, divisions, crime types and their combinations) cannot carry a trend "
            "or forecast, so none is stated for them; tables/fitness.csv gives each reason.",
        )
    windows = fit.get("window_sources", [])
    for sentence in fit.get("sentences", []):
        if any(sentence.startswith(w) for w in windows) or "with other divisions" in sentence:
            s.add(sentence)


def executive_summary(info: dict, completeness: pd.DataFrame, results: dict) -> Summary:
    s = Summary()
    fit = results.get("fitness", {}).get("summary") or None
    data_bullet(s, info, fit)
    trend_bullet(s, completeness, fit)
    if fit:
        fitness_bullet(s, fit)
    for step in ("forecast", "hotspots", "eda"):
        res = results.get(step, {})
        for bullet in res.get("summary", {}).get("bullets", []):
            s.add(*[s.num(**x) if isinstance(x, dict) else x for x in bullet])
        if res.get("status") == "not available":
            s.add(res["note"] + ".")
    return s


def seg(key: str, value, label: str, fmt: str = "{:,.0f}") -> dict:
    """A number in a step's bullet (rendered and recorded by `executive_summary`)."""
    return {"key": key, "value": value, "label": label, "fmt": fmt}


def outlook_bullets(outlook: pd.DataFrame | None) -> list:
    """The citywide P(next 12 months higher / lower / about the same as the last 12)."""
    if outlook is None or outlook.empty or "city" not in set(outlook["unique_id"]):
        return []
    r = outlook[outlook["unique_id"] == "city"].iloc[0]
    pct = "{:.0%}"
    return [
        [
            "Next 12 months against the last 12, citywide (simulated from the forecast's "
            "calibrated intervals): higher with probability ",
            seg("fc_city_p_higher", float(r["prob_higher"]), "P(higher)", pct),
            ", lower ",
            seg("fc_city_p_lower", float(r["prob_lower"]), "P(lower)", pct),
            ", about the same (within 3%) ",
            seg("fc_city_p_same", float(r["prob_same"]), "P(about the same)", pct),
            ".",
        ]
    ]


def gate_warnings(reliability: pd.DataFrame | None, verdicts: dict[str, str]) -> list[str]:
    """Ashby's reliability gates: the citywide forecast's, and how many series pass them all."""
    if reliability is None or reliability.empty:
        return []
    out = []
    city = reliability[reliability["unique_id"] == "city"]
    if len(city) and not verdicts.get("city"):
        out.append(f"The citywide forecast ({city['model'].iloc[0]}) "
                   f"{city['reliability'].iloc[0]}.")  # fmt: skip
    ok = int((reliability["gates_failed"] == 0).sum())
    out.append(
        f"{ok} of {len(reliability)} series' forecasts pass every one of Ashby's reliability "
        "gates (24+ months of history, a mean of 5+ a month, at most half zeros, a horizon of at "
        "most 12 months and half the history, MAPE up to 20%, MASE up to 1.5, a 95% interval "
        "at most twice the forecast); tables/forecast_gates.csv gives each series' gates."
    )
    return out


def forecast_summary(
    chosen: pd.DataFrame,
    train: pd.DataFrame,
    best: pd.DataFrame,
    models,
    tested: bool = True,
    verdicts: dict[str, str] | None = None,
    reliability: pd.DataFrame | None = None,
    outlook: pd.DataFrame | None = None,
) -> dict:
    """Bullets and warnings from the chosen forecast of each series (pure). `verdicts` maps a
    series to the reason the data cannot carry it ('' when it can; crimecast.fitness): no
    forecast number is stated for a series with a reason."""
    from crimecast import schema

    verdicts = verdicts or {}
    bullets, warnings = [], []
    city = chosen[chosen["unique_id"] == "city"].sort_values("ds")
    if len(city) and verdicts.get("city"):
        bullets.append(
            [
                "The citywide series cannot support a forecast claim (",
                verdicts["city"],
                "): the forecasts were computed (forecasts.csv) but none is stated or relied on "
                "here.",
            ]
        )
    elif len(city):
        model = city["model"].iloc[0]
        how = (
            "UNTESTED: too little history"
            if not tested
            else "crimecast's recommended forecast"
            if model == "auto"
            else "the model with the best backtest"
        )
        parts = [f"The citywide forecast ({model}, {how}) expects "]
        years = city.assign(year=city["ds"].dt.year).groupby("year")
        for i, (year, g) in enumerate(years):
            n = len(g)
            span = f"{year}" if n == 12 else f"{n} months of {year}"
            parts += [
                ("; " if i else ""),
                seg(f"fc_city_{year}_total", round(float(g["yhat"].sum())), f"forecast {span}"),
                f" incidents in {span} (a typical month between ",
                seg(f"fc_city_{year}_lo80", round(float(g["lo_80"].mean())), "mean 80% low"),
                " and ",
                seg(f"fc_city_{year}_hi80", round(float(g["hi_80"].mean())), "mean 80% high"),
                " at 80%)",
            ]
        parts.append(".")
        bullets.append(parts)
        top = city.nlargest(3, "yhat").sort_values("ds")
        risk = ["The highest-risk months ahead, citywide, are "]
        for i, r in enumerate(top.itertuples()):
            risk += [
                ", " if i else "",
                seg(f"fc_peak_{i + 1}_month", r.ds.strftime("%B %Y"), "peak month"),
                " (",
                seg(f"fc_peak_{i + 1}_yhat", round(float(r.yhat)), "peak month forecast"),
                ")",
            ]
        bullets.append([*risk, "."])
    if len(city) and not verdicts.get("city"):
        bullets += outlook_bullets(outlook)
    warnings += gate_warnings(reliability, verdicts)
    areas = chosen[
        chosen["unique_id"].str.startswith("area:") & ~chosen["unique_id"].str.contains(r"\|")
    ]
    n_areas = areas["unique_id"].nunique()
    areas = areas[[not verdicts.get(u) for u in areas["unique_id"]]]
    if n_areas and areas.empty:
        bullets.append(
            [
                f"No division's series can support a forecast claim ({n_areas} of {n_areas} fail "
                "the data-fitness check), so no division forecast is stated."
            ]
        )
    if len(areas):
        first12 = areas.sort_values("ds").groupby("unique_id").head(12)
        tot = first12.groupby("unique_id")["yhat"].sum().reset_index()
        tot["area_id"] = tot["unique_id"].str.removeprefix("area:").map(schema.area_id_for_name)
        tot["per_100k"] = tot["yhat"] / tot["area_id"].map(schema.AREA_POPULATION) * 100_000
        top = tot.nlargest(3, "per_100k")
        line = ["Highest forecast rates over the next 12 months (per 100,000 residents): "]
        for i, r in enumerate(top.itertuples()):
            line += [
                ", " if i else "",
                seg(f"fc_area_{i + 1}", r.unique_id.removeprefix("area:"), "high-rate area"),
                " (",
                seg(f"fc_area_{i + 1}_per100k", round(float(r.per_100k), 1), "per 100k", "{:,.1f}"),
                ")",
            ]
        bullets.append([*line, "."])
    if "warnings" in best.columns:
        warned = best[best["warnings"].fillna("") != ""]
        # the city first, then at most a few others; the full list is in the scores table
        warned = pd.concat(
            [warned[warned["unique_id"] == "city"], warned[warned["unique_id"] != "city"]]
        )
        for r in warned.head(4).itertuples():
            warnings.append(f"{r.unique_id} ({r.model}): {r.warnings}.")
        if len(warned) > 4:
            warnings.append(
                f"{len(warned)} of {len(best)} series carry reliability warnings for their chosen "
                "model; every series and model is in tables/backtest_scores.csv."
            )
        beaten = best[best["model"].isin(("naive", "seasonal_naive"))]
        if len(beaten):
            warnings.insert(
                0,
                f"For {len(beaten)} of {len(best)} series a simple baseline had the best backtest; "
                "their forecasts are the seasonal naive or naive ones.",
            )
    if not tested:
        months = int(train.groupby("unique_id").size().min()) if len(train) else 0
        warnings.insert(
            0,
            f"Only {months} complete month(s) of history: too few to backtest any model, so "
            "these forecasts are untested and should not be relied on.",
        )
    return {"bullets": bullets, "warnings": warnings, "models": list(models)}
