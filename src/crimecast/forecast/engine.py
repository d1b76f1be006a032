"""The forecasting engine: one pure function per series, mapped over series by a backend.

The distributed seam (DESIGN.md, convention 4) is `forecast_series(series, ...)`: a pandas frame
of ONE series (`unique_id, ds, y`) in, its forecasts out (long: `FORECAST_COLUMNS`). It is a
top-level, picklable, deterministic function that reads no global state, so the local backend
runs it in worker processes and the Spark backend runs the very same function under
`groupBy("unique_id").applyInPandas`. `backtest.backtest_series` is its twin for backtests.

Composite models reuse their members' forecasts instead of refitting (AUTO_MEMBERS: seasonal
naive, damped ETS, Theta and STL + ETS, simple and structurally different models that a
combination gains from, each fitted in milliseconds; SARIMAX and Prophet are left out: each fit
costs 10-50 times more, and calibrated intervals refit every member at a few origins per
forecast):
- `ensemble`: the mean of the members' point forecasts and of their bounds.
- `auto`, the recommended forecast: the median of the members (M3/M4 and Ashby's comparison: on
  short monthly series a combination beats a selection), unless one candidate beats the median in
  the inner backtest by SKILL_MARGIN (5%) of scaled error with a one-sided paired t-test over the
  inner origins at p < ALPHA. The inner backtest uses the calibration origins before the forecast
  origin (one season apart, `calibrate.origins`) and only errors observed before it, so `auto`
  never sees the periods it forecasts. Sparse series (30%+ zeros) also try croston and tsb.

Intervals are calibrated by default (`calibrate`: widths per horizon step from the series' own
rolling-origin errors); `intervals="model"` keeps each model's own.

Every fit is memoised per (model, training length, horizon) within one call, so a backtest's
windows, the forecast, the calibration origins and `auto`'s inner backtest share fits.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache, partial

import numpy as np
import pandas as pd

from crimecast.forecast import calendar, calibrate, models
from crimecast.forecast.models import LEVELS, band_columns

PANEL_COLUMNS = ["unique_id", "ds", "y"]
FORECAST_COLUMNS = ["unique_id", "ds", "model", "yhat", *band_columns(LEVELS)]
BACKTEST_COLUMNS = ["unique_id", "ds", "cutoff", "y", "model", "yhat", *band_columns(LEVELS)]

AUTO_MEMBERS = ("seasonal_naive", "ets", "theta", "stl")
ENSEMBLE_MEMBERS = AUTO_MEMBERS
AUTO_CANDIDATES = AUTO_MEMBERS
SPARSE_CANDIDATES = ("croston", "tsb")  # added for series with >= SPARSE_SHARE zeros
SPARSE_SHARE = 0.3
COMBINATION = "combination"  # the members' median (what `auto` is unless a single model wins)
DEFAULT_MODELS = models.ALL_MODELS
INTERVALS = calibrate.METHODS


def min_train(freq: str) -> int:
    """Fewest training periods a forecast origin needs (two seasons, at least 8)."""
    return max(2 * models.SEASON_LENGTH.get(freq, 1), 8)


class Run:
    """The memo of one series' fits: (alias, n_train, h) -> forecast frame."""

    def __init__(
        self, y, ds, freq: str, levels: Sequence[int], seed: int, intervals: str = "calibrated"
    ):
        self.y = np.asarray(y, float)
        self.ds = pd.DatetimeIndex(ds)
        self.freq, self.levels, self.seed = freq, tuple(levels), seed
        if intervals not in INTERVALS:
            raise ValueError(f"intervals must be one of {INTERVALS}, not {intervals!r}")
        self.intervals = intervals
        self.cache: dict[tuple, pd.DataFrame] = {}
        self.choices: dict[int, str] = {}

    def fitted(self, alias: str, n_train: int):
        """A base model fitted on the first n_train periods (memoised)."""
        key = ("fit", alias, n_train)
        if key not in self.cache:
            model = models.make(alias, self.freq, self.seed)
            self.cache[key] = model.fit(self.y[:n_train], self.ds[:n_train])
        return self.cache[key]

    def predict(self, alias: str, n_train: int, h: int, bands: bool = True) -> pd.DataFrame:
        """A model's forecast with its own intervals (memoised); `bands=False`: the point
        forecast alone (column yhat), which is all the calibration origins need."""
        if not bands and (alias, n_train, h) in self.cache:
            return self.cache[(alias, n_train, h)]
        key = (alias, n_train, h) if bands else ("point", alias, n_train, h)
        if key not in self.cache:
            if alias in ("ensemble", COMBINATION):
                parts = []
                for m in AUTO_MEMBERS:
                    try:
                        parts.append(self.predict(m, n_train, h, bands))
                    except Exception:  # a member that cannot fit this series is left out
                        continue
                if not parts:
                    raise ValueError(f"none of {', '.join(AUTO_MEMBERS)} could fit the series")
                stack = np.stack([p.to_numpy(float) for p in parts])
                agg = stack.mean(axis=0) if alias == "ensemble" else np.median(stack, axis=0)
                out = models.finish(pd.DataFrame(agg, columns=parts[0].columns))
            elif alias == "auto":
                out = self.predict(self.choose(n_train, h), n_train, h, bands)
            else:  # every model's predict() ends with finish(): counts, ordered bounds
                out = self.fitted(alias, n_train).predict(h, self.levels if bands else ())
            self.cache[key] = out
        return self.cache[key]

    def point(self, alias: str, n_train: int, h: int) -> np.ndarray:
        return self.predict(alias, n_train, h, bands=False)["yhat"].to_numpy()

    def output(self, alias: str, n_train: int, h: int) -> pd.DataFrame:
        """The forecast as reported: calibrated intervals unless the model's own were asked for."""
        if self.intervals == "model":
            return self.predict(alias, n_train, h)
        key = ("calibrated", alias, n_train, h)
        if key not in self.cache:
            native = self.predict(alias, n_train, h)
            target = self.choose(n_train, h) if alias == "auto" else alias
            preds = {}
            for c in calibrate.origins(n_train, h, self.freq, min_train(self.freq)):
                try:
                    preds[c] = self.point(target, c, h)
                except Exception:  # an origin the model cannot fit gives no errors
                    continue
            rel = calibrate.errors(self.y, n_train, preds, h)
            self.cache[key] = calibrate.bands(native, rel, self.levels)
        return self.cache[key]

    def candidates(self, n_train: int) -> tuple[str, ...]:
        zeros = float(np.mean(self.y[:n_train] == 0))
        return AUTO_CANDIDATES + (SPARSE_CANDIDATES if zeros >= SPARSE_SHARE else ())

    def inner_scores(self, alias: str, n_train: int, h: int) -> np.ndarray:
        """Mean scaled absolute error per inner origin (errors observed before n_train only)."""
        from crimecast.forecast.metrics import mase_scale

        m = models.SEASON_LENGTH.get(self.freq, 1)
        out = []
        for c in calibrate.origins(n_train, h, self.freq, min_train(self.freq)):
            k = min(h, n_train - c)
            pred = self.point(alias, c, h)[:k]
            scale = mase_scale(self.y[:c], m) or 1.0
            out.append(float(np.mean(np.abs(self.y[c : c + k] - pred))) / scale)
        return np.asarray(out)

    def choose(self, n_train: int, h: int) -> str:
        """The members' median, or a single candidate that beats it by a margin that passes the
        paired test over the inner origins."""
        if n_train in self.choices:
            return self.choices[n_train]
        from crimecast.forecast.metrics import ALPHA, SKILL_MARGIN, window_test

        chosen = COMBINATION
        try:
            combo = self.inner_scores(COMBINATION, n_train, h)
        except Exception:
            combo = np.asarray([])
        if combo.size >= 2:
            singles = {}
            for alias in self.candidates(n_train):
                try:
                    singles[alias] = self.inner_scores(alias, n_train, h)
                except Exception:  # a candidate that cannot fit this series is not chosen
                    continue
            if singles:
                best = min(singles, key=lambda a: singles[a].mean())
                lead = 1 - singles[best].mean() / combo.mean() if combo.mean() > 0 else 0.0
                if lead >= SKILL_MARGIN and window_test(combo - singles[best]) < ALPHA:
                    chosen = best
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
    intervals: str = "calibrated",
    run: Run | None = None,
) -> pd.DataFrame:
    """Forecasts of one series, h periods after its last date, for each model (long frame).
    `run` shares fits with another call on the same series (see backtest.run_series)."""
    uid, ds, y = prepare(series)
    run = run or Run(y, ds, freq, levels, seed, intervals)
    future = calendar.future_dates(ds, freq, horizon)
    with single_threaded():
        preds = [run.output(alias, len(y), horizon) for alias in models]
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
    intervals: str = "calibrated",
    backend: str = "local",
    n_jobs: int = 2,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(forecasts, errors) for every series of a panel; a failing series is listed in `errors`
    (unique_id, error) and does not stop the others."""
    from crimecast import backends

    fn = partial(
        forecast_series, models=tuple(models), horizon=horizon, freq=freq, levels=levels,
        seed=seed, intervals=intervals,
    )  # fmt: skip
    cols = ["unique_id", "ds", "model", "yhat", *band_columns(levels)]
    out = backends.get(backend).map_groups(
        panel[PANEL_COLUMNS], "unique_id", fn, n_jobs=n_jobs, columns=cols
    )
    return _split(out, cols)


def auto_choices(fc: pd.DataFrame) -> pd.DataFrame:
    """What `auto` was per series (and cutoff): the single model whose point forecast it copies
    when that model is in the same frame, else `combination` (the members' median)."""
    keys = ["unique_id", "cutoff"] if "cutoff" in fc.columns else ["unique_id"]
    rows = []
    for key, g in fc.groupby(keys, sort=True):
        auto = g[g["model"] == "auto"]["yhat"].to_numpy()
        if auto.size == 0:
            continue
        chosen = COMBINATION
        for alias in AUTO_CANDIDATES + SPARSE_CANDIDATES:
            other = g[g["model"] == alias]["yhat"].to_numpy()
            if other.size == auto.size and np.allclose(other, auto, rtol=0, atol=1e-9):
                chosen = alias
                break
        rows.append((*(key if isinstance(key, tuple) else (key,)), chosen))
    return pd.DataFrame(rows, columns=[*keys, "chosen"])
