"""The forecasting engine: one pure function per series, mapped over series by a backend.

The distributed seam (DESIGN.md, convention 4) is `forecast_series(series, ...)`: a pandas frame
of ONE series (`unique_id, ds, y`) in, its forecasts out (long: `FORECAST_COLUMNS`). It is a
top-level, picklable, deterministic function that reads no global state, so the local backend
runs it in worker processes and the Spark backend runs the very same function under
`groupBy("unique_id").applyInPandas`. `backtest.backtest_series` is its twin for backtests.

Composite models reuse their members' forecasts instead of refitting:
- `ensemble`: the mean of the members' point forecasts and of their bounds (ENSEMBLE_MEMBERS;
  Ashby's finding: a plain mean of a few simple models is hard to beat).
- `auto`: per series and per forecast origin, the candidate with the lowest mean MASE over an
  inner rolling backtest on the training data only (windows of the same horizon ending at the
  origin), so it never sees the periods it forecasts. Its rows copy the chosen model's.

Every fit is memoised per (model, training length) within one call, so a backtest's windows and
`auto`'s inner windows share fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, partial

import numpy as np
import pandas as pd

from crimecast.forecast import calendar, models
from crimecast.forecast.models import LEVELS, band_columns

PANEL_COLUMNS = ["unique_id", "ds", "y"]
FORECAST_COLUMNS = ["unique_id", "ds", "model", "yhat", *band_columns(LEVELS)]
BACKTEST_COLUMNS = ["unique_id", "ds", "cutoff", "y", "model", "yhat", *band_columns(LEVELS)]

ENSEMBLE_MEMBERS = ("seasonal_naive", "ets", "sarimax", "prophet")
AUTO_CANDIDATES = ("seasonal_naive", "ets", "sarimax", "prophet", "ensemble")
SPARSE_CANDIDATES = ("croston", "tsb")  # added for series with >= SPARSE_SHARE zeros
SPARSE_SHARE = 0.3
AUTO_WINDOWS = 2
DEFAULT_MODELS = models.ALL_MODELS


def min_train(freq: str) -> int:
    """Fewest training periods a forecast origin needs (two seasons, at least 8)."""
    return max(2 * models.SEASON_LENGTH.get(freq, 1), 8)


class Run:
    """The memo of one series' fits: (alias, n_train, h) -> forecast frame."""

    def __init__(self, y, ds, freq: str, levels: Sequence[int], seed: int):
        self.y = np.asarray(y, float)
        self.ds = pd.DatetimeIndex(ds)
        self.freq, self.levels, self.seed = freq, tuple(levels), seed
        self.cache: dict[tuple, pd.DataFrame] = {}
        self.choices: dict[int, str] = {}

    def predict(self, alias: str, n_train: int, h: int) -> pd.DataFrame:
        key = (alias, n_train, h)
        if key not in self.cache:
            if alias == "ensemble":
                parts = [self.predict(m, n_train, h) for m in ENSEMBLE_MEMBERS]
                out = models.finish(sum(parts) / len(parts))
            elif alias == "auto":
                out = self.predict(self.choose(n_train, h), n_train, h)
            else:  # every model's predict() ends with finish(): counts, ordered bounds
                model = models.make(alias, self.freq, self.seed)
                model.fit(self.y[:n_train], self.ds[:n_train])
                out = model.predict(h, self.levels)
            self.cache[key] = out
        return self.cache[key]

    def candidates(self, n_train: int) -> tuple[str, ...]:
        zeros = float(np.mean(self.y[:n_train] == 0))
        return AUTO_CANDIDATES + (SPARSE_CANDIDATES if zeros >= SPARSE_SHARE else ())

    def choose(self, n_train: int, h: int) -> str:
        """The candidate with the lowest mean MASE on inner windows ending at n_train."""
        if n_train in self.choices:
            return self.choices[n_train]
        from crimecast.forecast.metrics import mase_scale

        m = models.SEASON_LENGTH.get(self.freq, 1)
        floor = min_train(self.freq)
        h_in = h
        if n_train - AUTO_WINDOWS * h < floor:  # short history: shorter inner windows
            h_in = (n_train - floor) // AUTO_WINDOWS
        origins = [n_train - k * h_in for k in range(1, AUTO_WINDOWS + 1)]
        if h_in < 1:
            chosen = "seasonal_naive" if n_train > m else "naive"
        else:
            scores = {}
            for alias in self.candidates(n_train):
                errs = []
                try:
                    for c in origins:
                        actual = self.y[c : c + h_in]
                        pred = self.predict(alias, c, h_in)["yhat"].to_numpy()
                        scale = mase_scale(self.y[:c], m) or 1.0
                        errs.append(np.mean(np.abs(actual - pred)) / scale)
                except Exception:  # a candidate that cannot fit this series is not chosen
                    continue
                scores[alias] = float(np.mean(errs))
            chosen = min(scores, key=scores.get) if scores else "naive"
        self.choices[n_train] = chosen
        return chosen


def single_threaded():
    """BLAS limited to one thread while a series is fitted. The state-space fits are many small
    matrix operations: with several worker processes (or a busy machine), multi-threaded BLAS
    spends its time contending for cores (6x slower measured on 2 shared cores). The limit is
    restored on exit, so callers' settings are untouched."""
    return _blas().limit(limits=1, user_api="blas")


@cache
def _blas():
    """The process's BLAS libraries, found once (scanning them costs ~2 ms per call otherwise;
    numpy's and scipy's are loaded by the time a model runs, as models imports scipy)."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def prepare(series: pd.DataFrame) -> tuple[str, pd.DatetimeIndex, np.ndarray]:
    """(unique_id, dates, values) of one series, sorted by date."""
    s = series.sort_values("ds")
    uids = s["unique_id"].unique()
    if len(uids) != 1:
        raise ValueError(f"expected one series, got {len(uids)}: {list(uids)[:5]}")
    return str(uids[0]), pd.DatetimeIndex(pd.to_datetime(s["ds"])), s["y"].to_numpy(float)


def forecast_series(
    series: pd.DataFrame,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    horizon: int,
    freq: str,
    levels: Sequence[int] = LEVELS,
    seed: int = 42,
    run: Run | None = None,
) -> pd.DataFrame:
    """Forecasts of one series, h periods after its last date, for each model (long frame).
    `run` shares fits with another call on the same series (see backtest.run_series)."""
    uid, ds, y = prepare(series)
    run = run or Run(y, ds, freq, levels, seed)
    future = calendar.future_dates(ds, freq, horizon)
    with single_threaded():
        preds = [run.predict(alias, len(y), horizon) for alias in models]
    bands = ["yhat", *band_columns(levels)]
    values = np.vstack([p[bands].to_numpy() for p in preds])
    out = pd.DataFrame(values, columns=bands)
    out.insert(0, "model", np.repeat(list(models), horizon))
    out.insert(0, "ds", np.tile(future.to_numpy(), len(models)))
    out.insert(0, "unique_id", uid)
    return out


def _split(out: pd.DataFrame, columns: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    failed = out["error"].notna()
    errors = out.loc[failed, ["unique_id", "error"]].reset_index(drop=True)
    good = out.loc[~failed, columns].reset_index(drop=True)
    for c in columns:
        if c in ("ds", "cutoff"):
            good[c] = pd.to_datetime(good[c])
        elif c not in ("unique_id", "model"):
            good[c] = pd.to_numeric(good[c])
    return good, errors


def forecast(
    panel: pd.DataFrame,
    *,
    models: Sequence[str] = DEFAULT_MODELS,
    horizon: int,
    freq: str,
    levels: Sequence[int] = LEVELS,
    seed: int = 42,
    backend: str = "local",
    n_jobs: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(forecasts, errors) for every series of a panel; a failing series is listed in `errors`
    (unique_id, error) and does not stop the others."""
    from crimecast import backends

    fn = partial(
        forecast_series, models=tuple(models), horizon=horizon, freq=freq, levels=levels, seed=seed
    )
    cols = ["unique_id", "ds", "model", "yhat", *band_columns(levels)]
    out = backends.get(backend).map_groups(
        panel[PANEL_COLUMNS], "unique_id", fn, n_jobs=n_jobs, columns=cols
    )
    return _split(out, cols)


def auto_choices(fc: pd.DataFrame) -> pd.DataFrame:
    """Which model `auto` picked per series (the model whose rows it copies), when that model is
    in the same frame; `(other)` when it is not."""
    if "cutoff" in fc.columns:
        keys = ["unique_id", "cutoff"]
    else:
        keys = ["unique_id"]
    rows = []
    for key, g in fc.groupby(keys, sort=True):
        auto = g[g["model"] == "auto"]["yhat"].to_numpy()
        if auto.size == 0:
            continue
        chosen = "(other)"
        for alias in AUTO_CANDIDATES + SPARSE_CANDIDATES:
            other = g[g["model"] == alias]["yhat"].to_numpy()
            if other.size == auto.size and np.allclose(other, auto, rtol=0, atol=1e-9):
                chosen = alias
                break
        rows.append((*(key if isinstance(key, tuple) else (key,)), chosen))
    return pd.DataFrame(rows, columns=[*keys, "chosen"])
