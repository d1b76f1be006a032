"""`crimecast forecast` and `crimecast backtest`: on the store, or on any long-format series CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.console import Console
from rich.table import Table

from crimecast import config, panel
from crimecast.commands.common import (
    AreaOpt,
    CategoryOpt,
    DateFromOpt,
    DateToOpt,
    SparkMasterOpt,
    StoreOpt,
    build_filters,
    console,
    use_spark_master,
)
from crimecast.errors import ConfigError, InputFileError
from crimecast.forecast import engine, metrics, reconcile, validate
from crimecast.forecast import models as fmodels

InputOpt = Annotated[
    Path | None,
    typer.Option("--input", help="long-format CSV with columns unique_id, ds, y (else the store)"),
]
FreqOpt = Annotated[str, typer.Option("--freq", help="D (day), W (week), MS (month) or YS (year)")]
ModelsOpt = Annotated[
    str | None,
    typer.Option(
        "--models", help=f"comma list from: {', '.join(fmodels.ALL_MODELS)} (default all)"
    ),
]
LevelOpt = Annotated[
    str, typer.Option("--level", help="store series: city, area, category or area_category")
]
IntervalsOpt = Annotated[
    str | None,
    typer.Option(
        "--intervals",
        help="calibrated (widths from the series' own rolling-origin errors per step; default) "
        "or model (each model's own); setting CRIMECAST_FORECAST_INTERVALS",
    ),
]
BackendOpt = Annotated[str, typer.Option("--backend", help="where series run: local or spark")]
JobsOpt = Annotated[int, typer.Option("--n-jobs", help="worker processes (local backend)")]


def _out_path(out: Path | None, name: str) -> Path:
    path = out or Path(config.get("out")) / name
    if path.is_dir():
        raise InputFileError(f"{path} is a directory", hint="give a file name for --out")
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _periods_between(last: pd.Timestamp, end: str, freq: str) -> int:
    try:
        when = pd.Timestamp(end)
    except ValueError as exc:
        raise ConfigError(f"--end {end!r} is not a date", hint="write it as YYYY-MM-DD") from exc
    start = panel.period_start(pd.Series([when]), freq).iloc[0]
    future = pd.date_range(last, start, freq=panel.pandas_freq(freq, last))
    h = len(future) - 1
    if h < 1:
        raise ConfigError(
            f"--end {end} is not after the last period used for training ({last:%Y-%m-%d})",
            hint="choose a later end date",
        )
    return h


def load_panel(input_, store, level, freq, horizon, min_length, filters):
    """(panel, excluded) from a CSV (validated) or from the store."""
    if input_ is not None:
        df = validate.load(input_, freq, horizon or 1, min_length)
        return df, pd.DataFrame(columns=panel.EXCLUDED_COLUMNS)
    from crimecast.store import Store

    with Store(store, read_only=True) as st:
        return panel.build(st, level, freq, filters)


def interval_method(value: str | None) -> str:
    """--intervals, else the forecast_intervals setting, checked."""
    method = (value or config.get("forecast_intervals")).strip().lower()
    if method not in engine.INTERVALS:
        raise ConfigError(
            f"unknown interval method {method!r}",
            hint=f"choose from: {', '.join(engine.INTERVALS)} (--intervals or "
            "CRIMECAST_FORECAST_INTERVALS)",
        )
    return method


def _default_horizon(freq: str) -> int:
    # 24 months after the last complete month, in the panel's periods
    return {"MS": 24, "W": 104, "D": 730, "YS": 2}[freq]


def _report_excluded(excluded: pd.DataFrame) -> None:
    if excluded.empty:
        return
    ex = excluded.drop_duplicates("ds")
    reasons = ", ".join(sorted(set(ex["reason"])))
    console.print(
        f"[yellow]kept out of training:[/] {len(ex)} period(s) from {ex['ds'].min():%Y-%m-%d} "
        f"({reasons})",
        highlight=False,
    )


def _report_errors(errors: pd.DataFrame, total: int) -> None:
    for _, row in errors.iterrows():
        console.print(f"[red]series {row['unique_id']} failed:[/] {row['error']}", highlight=False)
    if total and len(errors) == total:
        raise ConfigError(
            "every series failed; nothing was written",
            hint="see the errors above (too short a history? try fewer models or a shorter horizon)",
        )


def forecast_cmd(
    store: StoreOpt,
    input_: InputOpt = None,
    freq: FreqOpt = "MS",
    horizon: Annotated[
        int | None, typer.Option("--horizon", help="periods ahead (default: 24 months)")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--end", help="forecast up to this date instead of --horizon")
    ] = None,
    models: ModelsOpt = None,
    intervals: IntervalsOpt = None,
    backend: BackendOpt = "local",
    spark_master: SparkMasterOpt = None,
    n_jobs: JobsOpt = 2,
    out: Annotated[Path | None, typer.Option("--out", help="output CSV")] = None,
    level: LevelOpt = "city",
    reconcile_method: Annotated[
        str,
        typer.Option(
            "--reconcile",
            help="with --level area or category: also forecast the city and make the parts add "
            "up to it (bottom_up or ols); none to skip",
        ),
    ] = "none",
    date_from: DateFromOpt = None,
    date_to: DateToOpt = None,
    area: AreaOpt = None,
    category: CategoryOpt = None,
) -> None:
    """Forecast every series with intervals; writes unique_id, ds, model, yhat, lo/hi_80, lo/hi_95."""
    use_spark_master(spark_master, backend)
    panel.check_level_freq("city", freq)
    chosen = fmodels.parse_models(models, engine.DEFAULT_MODELS)
    method = interval_method(intervals)
    filters = build_filters(date_from, date_to, area, category)
    h = horizon
    if h is not None and h < 1:
        raise ConfigError(f"--horizon must be at least 1, not {h}")
    df, excluded = load_panel(input_, store, level, freq, h, engine.min_train(freq), filters)
    if end is not None:
        h = _periods_between(df["ds"].max(), end, freq)
    h = h or _default_horizon(freq)
    if input_ is None and reconcile_method != "none" and level in ("area", "category"):
        from crimecast.store import Store

        with Store(store, read_only=True) as st:
            city, _ = panel.build(st, "city", freq, filters)
        df = pd.concat([city, df], ignore_index=True)
    _report_excluded(excluded)
    seed = config.get_int("seed")
    fc, errors = engine.forecast(
        df, models=chosen, horizon=h, freq=freq, seed=seed, intervals=method, backend=backend,
        n_jobs=n_jobs,
    )  # fmt: skip
    _report_errors(errors, df["unique_id"].nunique())
    if reconcile_method != "none":
        fc = _reconcile(fc, level, reconcile_method)
    path = _out_path(out, "forecast.csv")
    fc.to_csv(path, index=False, date_format="%Y-%m-%d")
    console.print(
        f"wrote {len(fc):,} rows ({fc['unique_id'].nunique()} series x {len(chosen)} model(s) x "
        f"{h} periods from {fc['ds'].min():%Y-%m-%d}) to {path}",
        highlight=False,
    )
    _write_risk(fc, df, freq, chosen, path, None if input_ is not None else (store, filters))
    print_gates(fc, df, freq, chosen)


def print_gates(fc, history, freq, chosen, scores=None, out: Console | None = None):
    """Ashby's reliability gates of the recommended model (auto, else the first) per series, in
    words; returns the gates frame of every model."""
    from crimecast.forecast import gates

    out = out or console
    table = gates.gates(history, fc, freq, scores)
    model = "auto" if "auto" in chosen else chosen[0]
    mine = table[table["model"] == model]
    passed = mine[mine["gates"] == ""]
    out.print(
        f"reliability gates ({model}): {len(passed)} of {len(mine)} series pass every gate",
        highlight=False,
    )
    for _, r in mine[mine["gates"] != ""].head(25).iterrows():
        out.print(f"[yellow]{r['unique_id']}:[/] {gates.sentence(r)}", highlight=False)
    if len(mine) - len(passed) > 25:
        out.print(f"... and {len(mine) - len(passed) - 25} more", highlight=False)
    return table


def _write_risk(fc, history, freq, chosen, path: Path, store_and_filters) -> None:
    """High-risk periods beside the forecast: peaks, P(next year > last year), weekday x hour."""
    from crimecast.forecast import risk

    model = "auto" if "auto" in chosen else chosen[0]
    peaks = risk.peak_periods(fc, model, top=3)
    peaks.to_csv(path.with_name(path.stem + "_peaks.csv"), index=False, date_format="%Y-%m-%d")
    exceed = risk.prob_exceed(fc, history, freq, model, seed=config.get_int("seed"))
    exceed.to_csv(path.with_name(path.stem + "_exceed.csv"), index=False)
    if len(exceed):
        t = Table(title=f"next 12 months vs last 12 ({model})")
        cols = ("series", "last 12", "next 12 (median)", "80% range", "P(higher)", "P(lower)",
                "P(same, ±3%)")  # fmt: skip
        for c in cols:
            t.add_column(c, justify="left" if c == "series" else "right")
        for _, r in exceed.head(25).iterrows():
            t.add_row(
                r["unique_id"], f"{r['last_12']:,.0f}", f"{r['next_12_median']:,.0f}",
                f"{r['next_12_lo_80']:,.0f}-{r['next_12_hi_80']:,.0f}", f"{r['prob_higher']:.0%}",
                f"{r['prob_lower']:.0%}", f"{r['prob_same']:.0%}",
            )  # fmt: skip
        console.print(t)
    written = ["_peaks", "_exceed"]
    if store_and_filters is not None:
        from crimecast.store import Store

        store, filters = store_and_filters
        with Store(store, read_only=True) as st:
            counts = panel.weekday_hour_counts(st, filters)
        if len(counts):
            risk.weekday_hour(counts).to_csv(
                path.with_name(path.stem + "_weekday_hour.csv"), index=False
            )
            written.append("_weekday_hour")
    console.print(
        "high-risk tables: " + ", ".join(path.stem + w + ".csv" for w in written), highlight=False
    )


def _reconcile(fc: pd.DataFrame, level: str, method: str) -> pd.DataFrame:
    prefix = {"area": "area:", "category": "category:"}.get(level)
    if prefix is None or "city" not in set(fc["unique_id"]):
        raise ConfigError(
            "--reconcile needs --level area or category (on the store)",
            hint="drop --reconcile, or use --level area",
        )
    inc = reconcile.incoherence(fc, prefix)
    t = Table(title=f"incoherence before reconciling ({prefix[:-1]}s vs city)")
    for c in ("model", "mean gap", "mean gap %", "max gap %"):
        t.add_column(c, justify="right" if c != "model" else "left")
    for _, r in inc.iterrows():
        t.add_row(
            r["model"],
            f"{r['mean_abs_gap']:.1f}",
            f"{r['mean_abs_gap_pct']:.2f}",
            f"{r['max_abs_gap_pct']:.2f}",
        )
    console.print(t)
    console.print(f"reconciled with {method}: the {prefix[:-1]}s now add up to the city")
    return reconcile.reconcile(fc, prefix, method)


def print_summary(summary: pd.DataFrame, out: Console | None = None) -> None:
    """The backtest metric summary as a table (per series x model, or per model when long)."""
    out = out or Console()
    per_model = summary["unique_id"].nunique() > 3
    t = Table(title="backtest accuracy" + (" (mean over series)" if per_model else ""))
    cols = ["series", "model"] if not per_model else ["model", "series beating baselines"]
    for c in [*cols, "MASE", "WAPE", "80% cover", "95% cover", "skill"]:
        t.add_column(c, justify="left" if c in ("series", "model") else "right")
    if per_model:
        g = summary.groupby("model")
        agg = g[["mase", "wape", "coverage_80", "coverage_95", "skill"]].mean()
        beats = g["beats_baselines"].sum()
        n = g.size()
        for model, r in agg.sort_values("mase").iterrows():
            t.add_row(
                model, f"{int(beats[model])}/{int(n[model])}", f"{r['mase']:.2f}",
                f"{r['wape']:.1%}", f"{r['coverage_80']:.0%}", f"{r['coverage_95']:.0%}",
                f"{r['skill']:+.0%}",
            )  # fmt: skip
    else:
        for _, r in summary.sort_values(["unique_id", "mase"]).iterrows():
            t.add_row(
                r["unique_id"], r["model"], f"{r['mase']:.2f}", f"{r['wape']:.1%}",
                f"{r['coverage_80']:.0%}", f"{r['coverage_95']:.0%}", f"{r['skill']:+.0%}",
            )  # fmt: skip
    out.print(t)
    shown = summary[summary["warnings"] != ""]
    if not per_model:
        for _, r in shown.iterrows():
            out.print(
                f"[yellow]{r['unique_id']} / {r['model']}:[/] {r['warnings']}", highlight=False
            )
    else:
        worse = summary[summary["mase"] > 1].groupby("model").size()
        for model, k in worse.items():
            out.print(
                f"[yellow]{model}:[/] MASE > 1 on {k} series (errors larger than the seasonal "
                "naive's in-sample errors)",
                highlight=False,
            )


def backtest_cmd(
    store: StoreOpt,
    input_: InputOpt = None,
    freq: FreqOpt = "MS",
    horizon: Annotated[int, typer.Option("--horizon", help="periods ahead per window")] = 12,
    cutoffs: Annotated[
        str | None, typer.Option("--cutoffs", help="comma list of cutoff dates YYYY-MM-DD")
    ] = None,
    windows: Annotated[
        int | None, typer.Option("--windows", help="number of rolling windows (default 3)")
    ] = None,
    models: ModelsOpt = None,
    intervals: IntervalsOpt = None,
    backend: BackendOpt = "local",
    spark_master: SparkMasterOpt = None,
    n_jobs: JobsOpt = 2,
    out: Annotated[Path | None, typer.Option("--out", help="output CSV")] = None,
    summary_out: Annotated[
        Path | None,
        typer.Option("--summary", help="metric summary CSV (default: OUT with _summary)"),
    ] = None,
    level: LevelOpt = "city",
    date_from: DateFromOpt = None,
    date_to: DateToOpt = None,
    area: AreaOpt = None,
    category: CategoryOpt = None,
) -> None:
    """Rolling-origin backtest against the simple baselines; prints MASE, WAPE and coverage."""
    from crimecast.forecast import backtest as bt

    use_spark_master(spark_master, backend)
    panel.check_level_freq("city", freq)
    if horizon < 1:
        raise ConfigError(f"--horizon must be at least 1, not {horizon}")
    if cutoffs and windows:
        raise ConfigError("give --cutoffs or --windows, not both")
    cut = [c.strip() for c in cutoffs.split(",") if c.strip()] if cutoffs else None
    for c in cut or ():
        try:
            pd.Timestamp(c)
        except ValueError as exc:
            raise ConfigError(f"cutoff {c!r} is not a date", hint="write YYYY-MM-DD") from exc
    if cut is None:
        windows = windows or 3
    chosen = fmodels.parse_models(models, engine.DEFAULT_MODELS)
    method = interval_method(intervals)
    min_len = engine.min_train(freq) + (windows * horizon if windows else 1)
    filters = build_filters(date_from, date_to, area, category)
    df, excluded = load_panel(input_, store, level, freq, horizon, min_len, filters)
    _report_excluded(excluded)
    cv, errors = bt.backtest(
        df, models=chosen, horizon=horizon, freq=freq, cutoffs=cut, windows=windows,
        seed=config.get_int("seed"), intervals=method, backend=backend, n_jobs=n_jobs,
    )  # fmt: skip
    _report_errors(errors, df["unique_id"].nunique())
    path = _out_path(out, "backtest.csv")
    cv.to_csv(path, index=False, date_format="%Y-%m-%d")
    summary = metrics.summary(cv, df, freq)
    spath = summary_out or path.with_name(path.stem + "_summary.csv")
    print_summary(summary)
    last = cv[cv["cutoff"] == cv.groupby("unique_id")["cutoff"].transform("max")]
    hist = df.merge(last.groupby("unique_id")["cutoff"].max().rename("c"), on="unique_id")
    gates = print_gates(last, hist[hist["ds"] <= hist["c"]], freq, chosen, summary)
    summary = summary.merge(gates[["unique_id", "model", "gates"]], on=["unique_id", "model"])
    summary.to_csv(spath, index=False)
    if "auto" in chosen:
        picks = engine.auto_choices(cv)
        counts = picks["chosen"].value_counts()
        console.print(
            "auto picked: " + ", ".join(f"{k} ({v})" for k, v in counts.items()), highlight=False
        )
    console.print(f"wrote {len(cv):,} rows to {path} and the summary to {spath}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command("forecast")(forecast_cmd)
    app.command("backtest")(backtest_cmd)
