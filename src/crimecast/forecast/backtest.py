"""Rolling-origin backtests as pure functions (DESIGN.md, convention 3).

cutoffs -> one long frame with a `cutoff` column (`BACKTEST_COLUMNS`) -> `metrics.summary`.

A cutoff is the last period a model may see. With `windows=N`, the cutoffs are the N origins
that end the series in N back-to-back windows of `horizon` periods (the last window ends at the
last observation). With explicit `cutoffs` (dates), each is moved back to the last period on or
before it, and a window that runs past the data is cut at the last observation. Models are fitted
on `y[: cutoff]` only: nothing after a cutoff reaches the fit (a test poisons the future to check).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd

from crimecast.errors import ConfigError
from crimecast.forecast.engine import (
    DEFAULT_MODELS,
    PANEL_COLUMNS,
    Run,
    _split,
    forecast_series,
    min_train,
    prepare,
    single_threaded,
)
from crimecast.forecast.models import LEVELS, band_columns


def origins(
    ds: pd.DatetimeIndex,
    horizon: int,
    freq: str,
    cutoffs: Sequence | None = None,
    windows: int | None = None,
    uid: str = "series",
) -> list[int]:
    """Training lengths (number of periods up to and including each cutoff), oldest first."""
    n = len(ds)
    floor = min_train(freq)
    if (cutoffs is None) == (windows is None):
        raise ConfigError(
            "give either cutoffs or a number of windows", hint="--cutoffs or --windows"
        )
    if windows is not None:
        if windows < 1:
            raise ConfigError(f"windows must be at least 1, not {windows}")
        out = [n - k * horizon for k in range(windows, 0, -1)]
        if out[0] < floor:
            raise ConfigError(
                f"series {uid!r} has {n} periods; {windows} window(s) of {horizon} need at least "
                f"{windows * horizon + floor} ({floor} to train on before the first cutoff)",
                hint="use fewer --windows or a shorter --horizon",
            )
        return out
    out = []
    for c in cutoffs:
        when = pd.Timestamp(c)
        k = int((ds <= when).sum())
        if k < floor:
            raise ConfigError(
                f"cutoff {when:%Y-%m-%d} leaves series {uid!r} only {k} period(s) to train on "
                f"(needs {floor})",
                hint="choose a later cutoff",
            )
        if k >= n:
            raise ConfigError(
                f"cutoff {when:%Y-%m-%d} is at or after the last observation of series {uid!r} "
                f"({ds[-1]:%Y-%m-%d}); there is nothing to compare forecasts with",
                hint="choose an earlier cutoff",
            )
        out.append(k)
    return sorted(set(out))


def backtest_series(
    series: pd.DataFrame,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    horizon: int,
    freq: str,
    cutoffs: Sequence | None = None,
    windows: int | None = None,
    levels: Sequence[int] = LEVELS,
    seed: int = 42,
    intervals: str = "calibrated",
    run: Run | None = None,
) -> pd.DataFrame:
    """Backtest forecasts of one series at each cutoff (long frame, BACKTEST_COLUMNS).
    `run` shares fits with another call on the same series (see run_series)."""
    uid, ds, y = prepare(series)
    run = run or Run(y, ds, freq, levels, seed, intervals)
    bands = ["yhat", *band_columns(levels)]
    cols = {"ds": [], "cutoff": [], "y": [], "model": [], "values": []}
    with single_threaded():
        for k in origins(ds, horizon, freq, cutoffs, windows, uid):
            h_eff = min(horizon, len(y) - k)
            for alias in models:
                # always predict the full horizon, so fits are shared with auto's inner windows
                pred = run.output(alias, k, horizon)[bands].to_numpy()[:h_eff]
                cols["values"].append(pred)
                cols["ds"].append(ds[k : k + h_eff].to_numpy())
                cols["cutoff"].append(np.repeat(ds[k - 1].to_datetime64(), h_eff))
                cols["y"].append(y[k : k + h_eff])
                cols["model"].append(np.repeat(alias, h_eff))
    out = pd.DataFrame(np.vstack(cols["values"]), columns=bands)
    out.insert(0, "model", np.concatenate(cols["model"]))
    out.insert(0, "y", np.concatenate(cols["y"]))
    out.insert(0, "cutoff", np.concatenate(cols["cutoff"]))
    out.insert(0, "ds", np.concatenate(cols["ds"]))
    out.insert(0, "unique_id", uid)
    return out


def run_series(
    series: pd.DataFrame,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    horizon: int,
    freq: str,
    windows: int = 3,
    levels: Sequence[int] = LEVELS,
    seed: int = 42,
    intervals: str = "calibrated",
) -> pd.DataFrame:
    """Backtest AND forecast one series in one pass, sharing every fit (the default run).

    Returns BACKTEST_COLUMNS: the backtest rows, then the forecast rows, which have y = NaN and
    cutoff = the last observation. `split_run` separates them.
    """
    uid, ds, y = prepare(series)
    run = Run(y, ds, freq, levels, seed, intervals)
    cv = backtest_series(
        series,
        models=models,
        horizon=horizon,
        freq=freq,
        windows=windows,
        levels=levels,
        seed=seed,
        run=run,
    )
    fc = forecast_series(
        series, models=models, horizon=horizon, freq=freq, levels=levels, seed=seed, run=run
    )  # the run carries the interval method
    fc.insert(2, "cutoff", ds[-1])
    fc.insert(3, "y", float("nan"))
    return pd.concat([cv, fc[cv.columns]], ignore_index=True)


def split_run(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(forecasts, backtest) from `run_series` output."""
    future = frame["y"].isna()
    fc = frame.loc[future].drop(columns=["cutoff", "y"]).reset_index(drop=True)
    return fc, frame.loc[~future].reset_index(drop=True)


def run(
    panel: pd.DataFrame,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    horizon: int,
    freq: str,
    windows: int = 3,
    levels: Sequence[int] = LEVELS,
    seed: int = 42,
    intervals: str = "calibrated",
    backend: str = "local",
    n_jobs: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(forecasts, backtest, errors) over every series of a panel, in one pass per series."""
    from crimecast import backends

    fn = partial(
        run_series,
        models=tuple(models),
        horizon=horizon,
        freq=freq,
        windows=windows,
        levels=levels,
        seed=seed,
        intervals=intervals,
    )
    cols = ["unique_id", "ds", "cutoff", "y", "model", "yhat", *band_columns(levels)]
    out = backends.get(backend).map_groups(
        panel[PANEL_COLUMNS], "unique_id", fn, n_jobs=n_jobs, columns=cols
    )
    frame, errors = _split(out, cols)
    fc, cv = split_run(frame)
    return fc, cv, errors


def backtest(
    panel: pd.DataFrame,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    horizon: int,
    freq: str,
    cutoffs: Sequence | None = None,
    windows: int | None = None,
    levels: Sequence[int] = LEVELS,
    seed: int = 42,
    intervals: str = "calibrated",
    backend: str = "local",
    n_jobs: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(backtest frame, errors) over every series of a panel."""
    from crimecast import backends

    if cutoffs is None and windows is None:
        windows = 3
    fn = partial(
        backtest_series,
        models=tuple(models),
        horizon=horizon,
        freq=freq,
        cutoffs=tuple(cutoffs) if cutoffs is not None else None,
        windows=windows,
        levels=levels,
        seed=seed,
        intervals=intervals,
    )
    cols = ["unique_id", "ds", "cutoff", "y", "model", "yhat", *band_columns(levels)]
    out = backends.get(backend).map_groups(
        panel[PANEL_COLUMNS], "unique_id", fn, n_jobs=n_jobs, columns=cols
    )
    return _split(out, cols)
