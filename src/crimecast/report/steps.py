"""The analysis steps of `crimecast run`, each turning one part's results into report material.

A step calls the public functions of its part (crimecast.eda, crimecast.spatial, crimecast.panel
and crimecast.forecast), writes tables (CSV) and figures (PNG) into the run directory, and returns
a plain dict the report template renders:

    {"status": "computed" | "not available", "note": str, "files": [relative paths],
     "tables": {name: DataFrame}, "figures": [Figure dicts], "summary": {...}}

A step that cannot run on the data (no geocoded incident, say) gives status "not available" with
the reason; nothing is made up.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, never a window
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import plotly.graph_objects as go  # noqa: E402

from crimecast import schema  # noqa: E402
from crimecast.forecast.plots import add_forecast  # noqa: E402
from crimecast.report.summary import forecast_summary  # noqa: E402
from crimecast.store import Store  # noqa: E402

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
FLAG_COLOUR = "#D55E00"


@dataclass
class Context:
    """What every step gets: where to write, the store, and what the data step found."""

    out: Path
    store: Path
    info: dict
    completeness: pd.DataFrame
    options: dict
    parts: dict = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    snapshot: Store | None = None  # the run's one read of the store; None: open the file

    @contextlib.contextmanager
    def read(self) -> Iterator[Store]:
        """The store as this run sees it: its snapshot (left open for the next step), or, for
        a step run alone, the store's file opened read-only for the length of the block."""
        if self.snapshot is not None:
            yield self.snapshot
            return
        with Store(self.store, read_only=True) as st:
            yield st

    def table(self, name: str, df: pd.DataFrame) -> str:
        rel = f"tables/{name}.csv"
        df.to_csv(self.out / rel, index=False)
        self.files.append(rel)
        return rel

    def png(self, name: str, fig) -> str:
        rel = f"figures/{name}.png"
        fig.savefig(self.out / rel, dpi=110, bbox_inches="tight")
        plt.close(fig)
        self.files.append(rel)
        return rel

    def take_files(self) -> list[str]:
        files, self.files = self.files, []
        return files


def figure(
    title: str, caption: str = "", plotly=None, png: str | None = None, fid: str = ""
) -> dict:
    """One figure of the report: an interactive Plotly figure, a PNG, or both."""
    return {"id": fid, "title": title, "caption": caption, "plotly": plotly, "png": png}


def not_available(what: str, reason: str) -> dict:
    """A step that could not run on this data: said in the report, never faked."""
    return {
        "status": "not available",
        "note": f"{what} is not available: {reason}",
        "files": [],
        "tables": {},
        "figures": [],
        "summary": {},
    }


# -- data and quality ------------------------------------------------------------------------------
def monthly_figure(monthly: pd.DataFrame, flags: pd.DataFrame, title: str) -> go.Figure:
    """Incidents per month, with the months kept out of models shaded and labelled."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=monthly["month"],
            y=monthly["incidents"],
            mode="lines+markers",
            name="Reported incidents",
            line={"color": OKABE_ITO[0]},
            marker={"size": 4},
        )
    )
    bad = flags[~flags["complete"].astype(bool)] if len(flags) else flags
    marks = (("x", FLAG_COLOUR), ("diamond-open", "#CC79A7"), ("circle-open", "#555555"))
    for i, (reason, grp) in enumerate(bad.groupby("reason") if len(bad) else []):
        symbol, colour = marks[i % len(marks)]  # one look per reason, told apart in the legend
        fig.add_trace(
            go.Scatter(
                x=grp["month"],
                y=grp["incidents"],
                mode="markers",
                name=f"Not used for models: {reason}",
                marker={"color": colour, "symbol": symbol, "size": 9, "line": {"width": 2}},
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="Month the crime occurred",
        yaxis_title="Incidents per month",
        template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        height=380,
    )
    fig.update_xaxes(range=month_range(monthly, col="month"))
    return fig


def monthly_png(monthly: pd.DataFrame, flags: pd.DataFrame, title: str):
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.plot(monthly["month"], monthly["incidents"], color=OKABE_ITO[0], label="Reported incidents")
    bad = flags[~flags["complete"].astype(bool)] if len(flags) else flags
    if len(bad):
        ax.scatter(
            bad["month"],
            bad["incidents"],
            color=FLAG_COLOUR,
            marker="x",
            label="Not used for models (reporting lag / NIBRS break)",
            zorder=3,
        )
    ax.set_title(title)
    ax.set_xlabel("Month the crime occurred")
    ax.set_ylabel("Incidents per month")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    return fig


def step_completeness(ctx: Context, results: dict) -> dict:
    """Data and its quality: sources, quarantine, completeness flags, reporting delay."""
    with ctx.read() as st:
        by_source = st.query(
            "SELECT source, count(*) AS incidents, min(occurred_date) AS first_date, "
            "max(occurred_date) AS last_date, bool_or(simulated) AS simulated "
            "FROM incidents GROUP BY 1 ORDER BY 2 DESC"
        )
        quarantine = st.query(
            "SELECT source, regexp_replace(reason, ' \\(.*\\)$', '') AS reason, count(*) AS rows "
            "FROM quarantine GROUP BY 1, 2 ORDER BY 3 DESC"
        )
        delay = st.query(
            "SELECT crime_category, count(*) AS incidents, "
            "quantile_cont(date_diff('day', occurred_date, date_reported), 0.5) AS median_days, "
            "quantile_cont(date_diff('day', occurred_date, date_reported), 0.9) AS p90_days, "
            "avg(CASE WHEN date_diff('day', occurred_date, date_reported) > 30 THEN 1 ELSE 0 END)"
            " AS share_over_30_days FROM incidents WHERE date_reported IS NOT NULL "
            "GROUP BY 1 ORDER BY p90_days DESC"
        )
        missing = st.query(
            "SELECT count(*) AS incidents, count(*) FILTER (WHERE lat IS NULL) AS no_coordinates,"
            " count(*) FILTER (WHERE victim_age IS NULL) AS no_victim_age, "
            "count(*) FILTER (WHERE hour IS NULL) AS no_time, "
            "count(*) FILTER (WHERE time_is_noon_default) AS time_is_noon_default FROM incidents"
        )
    flags = ctx.completeness.copy()
    flags["month"] = pd.to_datetime(flags["month"])
    monthly = flags[["month", "incidents"]]
    months = flags.assign(month=flags["month"].dt.strftime("%Y-%m"))
    tables = {
        "completeness": months,
        "months_excluded": months[~months["complete"].astype(bool)],
        "incidents_by_source": by_source,
        "quarantine_reasons": quarantine,
        "delay_by_category": delay.round({"share_over_30_days": 3}),
        "missing_fields": missing,
    }
    for name, df in tables.items():
        ctx.table(name, df)
    label = " (SIMULATED data)" if ctx.info["simulated"] else ""
    title = "Reported incidents per month" + label
    png = ctx.png("incidents_per_month", monthly_png(monthly, flags, title))
    figs = [
        figure(
            title,
            "Months marked with a cross are not used to train models: recent months are still "
            "being reported (reporting lag), and from March 2024 the legacy feed lost most "
            "records when LAPD moved to NIBRS. Their fall is a reporting artefact, not a fall "
            "in crime.",
            plotly=monthly_figure(monthly, flags, title),
            png=png,
            fid="monthly",
        )
    ]
    excluded = flags[~flags["complete"].astype(bool)]
    return {
        "status": "computed",
        "note": f"{len(excluded)} month(s) flagged",
        "files": ctx.take_files(),
        "tables": tables,
        "show_tables": ["months_excluded", *list(tables)[1:]],
        "figures": figs,
        "summary": {
            "excluded_months": excluded["month"].dt.strftime("%Y-%m").tolist(),
            "excluded_reasons": sorted({r for x in excluded["reason"] for r in x.split("; ")}),
            "nibrs_flagged": bool(excluded["reason"].str.contains("NIBRS").any()),
        },
    }


def area_names() -> dict[int, str]:
    return dict(schema.AREAS)


# -- forecasts --------------------------------------------------------------------------------------
# `auto` is the recommended forecast (the members' median unless one model wins its inner
# backtest by a tested margin); ETS, Theta, STL and their mean beside it. SARIMAX and Prophet
# are left out of the run (--models adds them): with calibrated intervals every model is refitted
# at a few origins per forecast, and they cost 10-50x more per fit for no better backtest.
FORECAST_MODELS = ("seasonal_naive", "ets", "theta", "stl", "ensemble", "auto")
# the headline models beside the baselines and their combination; the demo runs in under a minute
DEMO_MODELS = ("naive", "seasonal_naive", "ets", "theta", "stl", "ensemble", "auto")
BASELINES = ("naive", "seasonal_naive")


def best_models(scores: pd.DataFrame) -> pd.DataFrame:
    """Per series, the recommended forecast: `auto` where it ran (a combination, or the single
    model that beat it by a tested margin in its own inner backtest: choosing again by a few
    backtest windows would undo that test); else the model with the lowest backtest MASE (ties:
    the simpler model first)."""
    simple_first = ("auto", "seasonal_naive", "naive", *FORECAST_MODELS, "croston", "tsb")
    order = {m: i for i, m in enumerate(simple_first)}
    ranked = scores.assign(
        _a=scores["model"] != "auto", _o=scores["model"].map(order).fillna(99)
    ).sort_values(["unique_id", "_a", "mase", "_o"])
    return ranked.groupby("unique_id", as_index=False).head(1).drop(columns=["_a", "_o"])


def areas_next12(chosen: pd.DataFrame, best: pd.DataFrame) -> pd.DataFrame:
    """Each area's chosen forecast summed over the next 12 months, per 100,000 residents, with
    the backtest MASE of that model (the table a division commander reads first)."""
    areas = chosen[chosen["unique_id"].str.match(r"^area:[^|]+$")]
    if areas.empty:
        return pd.DataFrame()
    first = areas.sort_values("ds").groupby("unique_id").head(12)
    out = first.groupby(["unique_id", "model"], as_index=False).agg(
        months=("ds", "size"), forecast=("yhat", "sum")
    )
    out.insert(0, "area", out.pop("unique_id").str.removeprefix("area:"))
    pop = out["area"].map(schema.area_id_for_name).map(schema.AREA_POPULATION)
    out["per_100k"] = out["forecast"] / pop * 100_000
    if "mase" in best.columns:
        mase = best.assign(area=best["unique_id"].str.removeprefix("area:"))[["area", "mase"]]
        out = out.merge(mase, on="area", how="left")
    return (
        out.sort_values("per_100k", ascending=False)
        .round({"forecast": 0, "per_100k": 1, "mase": 3})
        .reset_index(drop=True)
    )


COMPARE_MODELS = ("auto", "ets")
# statsmodels SARIMAX and Prophet, the field's usual models, drawn beside the chosen one for the
# city (with their own intervals: one series, so the run stays quick)
HEADLINE_MODELS = ("sarimax", "prophet")
COMPARE_COLOURS = {"auto": OKABE_ITO[4], "ets": OKABE_ITO[2], "sarimax": OKABE_ITO[5],
                   "prophet": OKABE_ITO[3]}  # fmt: skip


def month_range(*frames: pd.DataFrame, col: str = "ds") -> list[str]:
    """The x range of a monthly chart: from the first to the last month drawn, half a month of
    margin either side (so an axis never runs years past the data)."""
    ds = pd.concat([pd.to_datetime(f[col]) for f in frames if len(f)], ignore_index=True)
    if ds.empty:
        return []
    lo, hi = ds.min() - pd.Timedelta(days=15), ds.max() + pd.Timedelta(days=15)
    return [lo.strftime("%Y-%m-%d"), hi.strftime("%Y-%m-%d")]


def forecast_plot(
    history: pd.DataFrame,
    fc: pd.DataFrame,
    excluded: pd.DataFrame,
    title: str,
    others: pd.DataFrame | None = None,
):
    """History, the chosen model's forecast with its intervals and, in `others`, the point
    forecasts of other models (SARIMAX, Prophet) drawn beside it for comparison."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=history["ds"].tolist(),
            y=history["y"].tolist(),
            name="Reported (used)",
            line={"color": OKABE_ITO[0]},
        )
    )
    if len(excluded):
        fig.add_trace(
            go.Scatter(
                x=excluded["ds"].tolist(),
                y=excluded["y"].tolist(),
                mode="markers",
                name="Reported, not used (incomplete)",
                marker={"color": FLAG_COLOUR, "symbol": "x", "size": 8},
            )
        )
    model = str(fc["model"].iloc[0]) if "model" in fc.columns and len(fc) else "chosen"
    add_forecast(fig, fc, name=f"Forecast: {model} (chosen)")
    for m, g in others.groupby("model", sort=True) if others is not None else []:
        fig.add_trace(
            go.Scatter(
                x=g["ds"].tolist(),
                y=g["yhat"].tolist(),
                mode="lines",
                name=f"{m} (for comparison)",
                line={"color": COMPARE_COLOURS.get(m, "#777777"), "dash": "dot", "width": 1.6},
            )
        )
    fig.update_layout(
        title=title,
        xaxis_title="Month",
        yaxis_title="Incidents per month",
        template="plotly_white",
        height=420,
        legend={"orientation": "h", "y": -0.22},
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
    )
    fig.update_xaxes(range=month_range(history, excluded, fc))
    return fig


def forecast_png(history, fc, excluded, title: str, others: pd.DataFrame | None = None):
    fig, ax = plt.subplots(figsize=(9, 3.8))
    ax.plot(history["ds"], history["y"], color=OKABE_ITO[0], label="Reported (used)")
    if len(excluded):
        ax.scatter(
            excluded["ds"],
            excluded["y"],
            color=FLAG_COLOUR,
            marker="x",
            label="Not used (incomplete)",
        )
    ax.fill_between(
        fc["ds"], fc["lo_95"], fc["hi_95"], color=OKABE_ITO[1], alpha=0.2, label="95% interval"
    )
    ax.fill_between(
        fc["ds"], fc["lo_80"], fc["hi_80"], color=OKABE_ITO[1], alpha=0.35, label="80% interval"
    )
    ax.plot(fc["ds"], fc["yhat"], color=OKABE_ITO[1], ls="--", label="Forecast (chosen)")
    for m, g in others.groupby("model", sort=True) if others is not None else []:
        ax.plot(g["ds"], g["yhat"], color=COMPARE_COLOURS.get(m, "#777777"), ls=":", label=m)
    ax.set_title(title)
    ax.set_xlabel("Month")
    ax.set_ylabel("Incidents per month")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left", ncol=2)
    return fig


def verdict(row) -> str:
    """The backtest verdict of a series' chosen model, in words."""
    if row is None:
        return "untested"
    model, skill = str(row["model"]), float(row.get("skill", 0) or 0)
    if model in BASELINES:
        return "no model beat this simple baseline"
    if bool(row.get("beats_baselines", False)):
        return f"beat the baseline by {skill:.0%}"
    if skill >= 0.05:
        return f"{skill:.0%} ahead of the baseline, unproven"
    return "no better than the baseline"


def small_multiples(chosen, train, excluded, best, prefix: str, what: str, ncol: int = 3,
                    size: tuple[float, float] = (10, 1.7), interactive: bool = True):  # fmt: skip
    """One small panel per series of a level (divisions or crime types): history, forecast and
    80% interval, titled with the series, its chosen model and the backtest verdict in words.
    Returns (Plotly figure, Matplotlib figure), or (None, None) without any such series; with
    `interactive=False` only the Matplotlib figure is drawn (the Plotly one is None)."""
    from plotly.subplots import make_subplots

    ids = sorted(u for u in chosen["unique_id"].unique() if u.startswith(prefix) and "|" not in u)
    if not ids:
        return None, None
    rows_by_id = best.set_index("unique_id") if "unique_id" in best.columns else pd.DataFrame()
    titles, plain = [], []
    for u in ids:
        row = rows_by_id.loc[u] if u in rows_by_id.index else None
        model = str(row["model"]) if row is not None else "?"
        titles.append(f"<b>{u.removeprefix(prefix)}</b><br>{model}: {verdict(row)}")
        plain.append(f"{u.removeprefix(prefix)}\n{model}: {verdict(row)}")
    nrow = -(-len(ids) // ncol)
    fig = make_subplots(
        rows=nrow, cols=ncol, subplot_titles=titles, vertical_spacing=0.4 / nrow,
        horizontal_spacing=0.06,
    ) if interactive else None  # fmt: skip
    mfig, axes = plt.subplots(nrow, ncol, figsize=(size[0], size[1] * nrow), squeeze=False)
    start = chosen["ds"].min() - pd.DateOffset(months=36)
    for i, u in enumerate(ids):
        r, c = divmod(i, ncol)
        h = train[(train["unique_id"] == u) & (train["ds"] >= start)]
        x = excluded[(excluded["unique_id"] == u) & (excluded["ds"] >= start)]
        f = chosen[chosen["unique_id"] == u].sort_values("ds")
        ds = f["ds"].tolist()
        show = i == 0
        for trace in (
            go.Scatter(x=h["ds"], y=h["y"], line={"color": OKABE_ITO[0], "width": 1.2},
                       name="Reported (used)", legendgroup="h", showlegend=show),
            go.Scatter(x=x["ds"], y=x["y"], mode="markers", legendgroup="x", showlegend=show,
                       marker={"color": FLAG_COLOUR, "symbol": "x", "size": 4},
                       name="Not used (incomplete)"),
            go.Scatter(x=ds + ds[::-1], y=f["hi_80"].tolist() + f["lo_80"].tolist()[::-1],
                       fill="toself", fillcolor="rgba(230,159,0,0.3)", line={"width": 0},
                       name="80% interval", legendgroup="i", showlegend=show, hoverinfo="skip"),
            go.Scatter(x=ds, y=f["yhat"], line={"color": OKABE_ITO[1], "dash": "dash",
                       "width": 1.4}, name="Forecast (chosen model)", legendgroup="f",
                       showlegend=show),
        ) if fig is not None else ():  # fmt: skip
            fig.add_trace(trace, row=r + 1, col=c + 1)
        ax = axes[r][c]
        ax.plot(h["ds"], h["y"], color=OKABE_ITO[0], lw=0.9)
        if len(x):
            ax.scatter(x["ds"], x["y"], color=FLAG_COLOUR, marker="x", s=6, lw=0.6)
        ax.fill_between(f["ds"], f["lo_80"], f["hi_80"], color=OKABE_ITO[1], alpha=0.3, lw=0)
        ax.plot(f["ds"], f["yhat"], color=OKABE_ITO[1], ls="--", lw=0.9)
        ax.set_title(plain[i], fontsize=6.5, loc="left")
        ax.tick_params(labelsize=5.5)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3, lw=0.4)
    for j in range(len(ids), nrow * ncol):
        axes[j // ncol][j % ncol].axis("off")
    mfig.suptitle(f"{what}: the last three years and the forecast (80% interval)", fontsize=8)
    mfig.tight_layout(h_pad=0.6, w_pad=0.6)
    if fig is None:
        return None, mfig
    lo, hi = start - pd.Timedelta(days=15), chosen["ds"].max() + pd.Timedelta(days=15)
    fig.update_xaxes(range=[lo.strftime("%Y-%m-%d"), hi.strftime("%Y-%m-%d")], tickfont_size=9)
    fig.update_yaxes(rangemode="tozero", tickfont_size=9)
    fig.update_annotations(font_size=11)
    height = 220 * nrow + 130
    fig.update_layout(
        template="plotly_white",
        height=height,
        margin={"l": 40, "r": 10, "t": 120, "b": 30},
        # title on the first line, the legend on its own line below it, then the panels
        title={"text": f"{what}: the last three years and the forecast", "x": 0.01,
               "yref": "container", "y": 1 - 10 / height, "yanchor": "top"},
        legend={"orientation": "h", "x": 0, "xref": "paper", "yref": "container",
                "y": 1 - 44 / height, "yanchor": "top"},
    )  # fmt: skip
    return fig, mfig


def high_risk_months(chosen: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """The `top` highest forecast months of the city and of each division, with their 80% range
    and how far above the series' average forecast month they are."""
    from crimecast.forecast.risk import peak_periods

    keep = chosen[(chosen["unique_id"] == "city") | chosen["unique_id"].str.match(r"^area:[^|]+$")]
    if keep.empty:
        return pd.DataFrame()
    models = keep.groupby("unique_id")["model"].first()
    peaks = peak_periods(keep.assign(model="chosen"), "chosen", top=top)
    out = pd.DataFrame(
        {
            "series": peaks["unique_id"].str.removeprefix("area:").replace({"city": "Citywide"}),
            "model": peaks["unique_id"].map(models),
            "rank": peaks["rank"],
            "month": pd.to_datetime(peaks["ds"]).dt.strftime("%Y-%m"),
            "forecast": peaks["yhat"].round(0),
            "lo_80": peaks["lo_80"].round(0),
            "hi_80": peaks["hi_80"].round(0),
            "pct_above_average": (100 * (peaks["vs_mean"] - 1)).round(1),
        }
    )
    city = out["series"] == "Citywide"
    return pd.concat([out[city], out[~city]], ignore_index=True)


def forecast_extras(ctx: Context, chosen, train, excluded, best, fc) -> tuple[list, dict]:
    """The small multiples of divisions and crime types and the high-risk months table."""
    figs = []
    for prefix, what, fid in (("area:", "Divisions", "divisions"), ("category:", "Crime types",
                                                                      "categories")):  # fmt: skip
        pfig, mfig = small_multiples(chosen, train, excluded, best, prefix, what)
        if pfig is None:
            continue
        png = ctx.png(f"forecast_{fid}", mfig)
        if fid == "divisions":  # the printed brief's wider, denser version
            _, bfig = small_multiples(
                chosen, train, excluded, best, prefix, what, 4, (11, 1.25), interactive=False
            )
            rel = "figures/forecast_divisions_brief.png"
            bfig.savefig(ctx.out / rel, dpi=220, bbox_inches="tight")  # sharp when printed
            plt.close(bfig)
            ctx.files.append(rel)
        figs.append(
            figure(
                f"{what}: forecast for the next {chosen.groupby('unique_id').size().max()} months",
                "Each panel: the chosen model (by backtest) and its verdict against the better of "
                "the naive and seasonal naive baselines. Dashed: forecast; shaded: 80% interval; "
                "crosses: months not used for training.",
                plotly=pfig,
                png=png,
                fid=f"fc-{fid}",
            )
        )
    risk = high_risk_months(chosen)
    tables = {"forecast_high_risk_months": risk} if len(risk) else {}
    for name, df in tables.items():
        ctx.table(name, df)
    return figs, tables


def with_fitness(areas: pd.DataFrame, verdicts: dict[str, str]) -> pd.DataFrame:
    """The division table with each division's data-fitness verdict; divisions whose data can
    carry a forecast first (each group still by rate)."""
    if areas.empty or not verdicts:
        return areas
    reason = areas["area"].map(lambda a: verdicts.get(f"area:{a}", ""))
    out = areas.assign(data_fitness=reason.where(reason != "", "ok"))
    return out.sort_values("data_fitness", key=lambda r: r != "ok", kind="stable").reset_index(
        drop=True
    )


def _risk_uids(risk: pd.DataFrame) -> list[str]:
    names = risk["series"].astype(str)
    return ["city" if n == "Citywide" else f"area:{n}" for n in names]


def gates_of(fc: pd.DataFrame, train: pd.DataFrame, scores: pd.DataFrame) -> pd.DataFrame:
    from crimecast.forecast.gates import gates

    return gates(train, fc, "MS", scores if len(scores) else None)


def forecast_gates(chosen, train, scores) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ashby's reliability gates of each series' chosen forecast, and its next-12-months
    outlook (P higher / lower / about the same as the last 12, simulated from its intervals)."""
    from crimecast.forecast.gates import GATES, sentence
    from crimecast.forecast.risk import prob_exceed

    g = gates_of(chosen, train, scores)
    g["reliability"] = [sentence(r) for _, r in g.iterrows()]
    keep = ["unique_id", "model", "gates_failed", "reliability", *GATES]
    outlook = prob_exceed(chosen.assign(model="chosen"), train, "MS", "chosen")
    return g[keep], outlook


def as_recorded(train: pd.DataFrame, excluded: pd.DataFrame, counted: pd.DataFrame) -> pd.DataFrame:
    """The training months as charts draw them: the counts as recorded (legacy months as LAPD
    counted them, not on the NIBRS scale the models use), without the months filled for the
    models across the switch (those are drawn as excluded)."""
    keys = ["unique_id", "ds"]
    drop = excluded[keys].assign(_x=True)
    out = train[keys].merge(drop, on=keys, how="left")
    out = out[out["_x"].isna()].drop(columns="_x")
    counted = counted.assign(ds=pd.to_datetime(counted["ds"]))
    out = out.merge(counted, on=keys, how="left").fillna({"y": 0})
    return out.reset_index(drop=True)


def step_forecast(ctx: Context, results: dict) -> dict:
    """Monthly forecasts for the city, each area and each crime category, with backtests."""
    from crimecast import panel as panel_mod
    from crimecast.forecast import backtest, engine, metrics

    opts = ctx.options
    levels = ("city", "area", "category") + (("area_category",) if opts["full"] else ())
    with ctx.read() as st:
        built = [panel_mod.build(st, lv, "MS") for lv in levels]
        counted = pd.concat([panel_mod.recorded(st, lv, "MS") for lv in levels])
    train = pd.concat([b[0] for b in built], ignore_index=True)
    excluded = pd.concat([b[1] for b in built], ignore_index=True)
    drawn = as_recorded(train, excluded, counted)
    models = tuple(opts.get("models") or (DEMO_MODELS if opts["demo"] else FORECAST_MODELS))
    common = {"models": models, "freq": "MS", "seed": opts["seed"], "backend": opts["backend"]}
    horizon = opts["horizon"]
    # Backtest windows as long as the forecast (24 months on the LAPD data: 2024-2025), in one
    # pass per series so the backtest and the forecast share every fit; a short history gets
    # fewer windows, and below one full window, shorter ones.
    n = int(train.groupby("unique_id").size().min())
    spare = n - engine.min_train("MS")
    windows = min(opts["windows"], spare // horizon)
    if windows >= 1:
        fc, cv, bt_err = backtest.run(train, horizon=horizon, windows=windows, **common)
        fc_err = bt_err.iloc[0:0]
    else:
        windows = 1 if spare >= 2 else 0
        fc, fc_err = engine.forecast(train, horizon=horizon, **common)
        if windows:
            cv, bt_err = backtest.backtest(train, horizon=spare // 2, windows=2, **common)
        else:  # too little history to test anything: say so rather than pretend
            cv, bt_err = pd.DataFrame(columns=engine.BACKTEST_COLUMNS), fc_err.iloc[0:0]
    scores = metrics.summary(cv, train, "MS") if len(cv) else pd.DataFrame()
    fc.to_csv(ctx.out / "forecasts.csv", index=False)
    cv.to_csv(ctx.out / "backtest.csv", index=False)
    ctx.files += ["forecasts.csv", "backtest.csv"]
    errors = pd.concat([bt_err.assign(stage="backtest"), fc_err.assign(stage="forecast")])
    tables = {}
    if len(scores):
        tables["backtest_scores"] = scores.round(4)
        best = best_models(scores)
    else:
        best = pd.DataFrame({"unique_id": fc["unique_id"].unique(), "model": models[0]})
    chosen = fc.merge(best[["unique_id", "model"]], on=["unique_id", "model"])
    tables["forecast_chosen"] = chosen.round(2)
    reliability, outlook = forecast_gates(chosen, train, scores)
    tables["forecast_gates"] = reliability
    if len(scores):  # the gates beside each model's scores (the dashboard's forecast notes)
        every = gates_of(fc, train, scores)
        scores = scores.merge(
            every[["unique_id", "model", "gates"]], on=["unique_id", "model"], how="left"
        )
        tables["backtest_scores"] = scores.round(4)
    # the data-fitness verdict of each series: '' when it can carry a forecast, else the reason
    verdicts = results.get("fitness", {}).get("summary", {}).get("verdicts", {})
    tables["forecast_areas_next12"] = with_fitness(areas_next12(chosen, best), verdicts)
    if len(errors):
        tables["forecast_errors"] = errors
    for name, df in tables.items():
        ctx.table(name, df)
    summary = forecast_summary(
        chosen, train, best, models, tested=len(scores) > 0, verdicts=verdicts,
        reliability=reliability, outlook=outlook,
    )  # fmt: skip
    summary["series"] = int(train["unique_id"].nunique())
    figs = []
    city = chosen[chosen["unique_id"] == "city"]
    if len(city):
        hist = drawn[drawn["unique_id"] == "city"]
        exc = excluded[excluded["unique_id"] == "city"]
        model = best.loc[best["unique_id"] == "city", "model"].iloc[0]
        title = (
            "Citywide forecast (auto, crimecast's recommended forecast)"
            if model == "auto"
            else f"Citywide forecast ({model}, chosen by backtest)"
        )
        others = fc[(fc["unique_id"] == "city") & fc["model"].isin(COMPARE_MODELS)]
        headline = [m for m in HEADLINE_MODELS if m not in set(fc["model"])]
        if headline:
            extra, _ = engine.forecast(
                train[train["unique_id"] == "city"], horizon=horizon, models=headline, freq="MS", seed=opts["seed"],
                backend="local", n_jobs=1, intervals="model",
            )  # fmt: skip
            ctx.table("forecast_city_sarimax_prophet", extra.round(2))
            others = pd.concat([others, extra], ignore_index=True)
        others = others[others["model"] != model]
        png = ctx.png("forecast_city", forecast_png(hist, city, exc, title, others))
        figs.append(
            figure(
                title,
                (
                    f"The data cannot support a citywide forecast ({verdicts['city']}): drawn to "
                    "show what the model did, not to be relied on. "
                    if verdicts.get("city")
                    else ""
                )
                + "Dashed: forecast; shaded: 80% and 95% intervals. Crosses: "
                "recent months not used for training (incomplete). SARIMAX and Prophet are "
                "drawn for comparison with their own intervals; the chosen model is the one the "
                "backtest supports.",
                plotly=forecast_plot(hist, city, exc, title, others),
                png=png,
                fid="fc-city",
            )
        )
    cols = ["unique_id", "model", "mae", "mase", "wape", "coverage_80", "coverage_95", "skill"]
    cols += ["beats_baselines"]
    scores_city = scores[scores["unique_id"] == "city"] if len(scores) else scores
    show = {"forecast_city_scores": scores_city[cols].round(3)} if len(scores_city) else {}
    if verdicts.get("city"):  # backtest scores of a series the data cannot carry are not shown
        show = {}
    for name, df in show.items():
        ctx.table(name, df)
    tables.update(show)
    extra_figs, extra_tables = forecast_extras(ctx, chosen, drawn, excluded, best, fc)
    figs += extra_figs
    tables.update(extra_tables)
    risk = extra_tables.get("forecast_high_risk_months")
    if risk is not None and any(verdicts.get(u) for u in _risk_uids(risk)):
        extra_tables = {k: v for k, v in extra_tables.items() if k != "forecast_high_risk_months"}
        summary["warnings"].append(
            "High-risk months are not shown: the data cannot carry a forecast for "
            "the city or some divisions (tables/fitness.csv)."
        )
    show.update(extra_tables)
    return {
        "status": "computed",
        "note": f"{train['unique_id'].nunique()} series x {len(models)} models",
        "files": ctx.take_files(),
        "tables": tables,
        "show_tables": [*show, "forecast_areas_next12", "forecast_gates", "forecast_errors"],
        "figures": figs,
        "summary": summary,
    }
