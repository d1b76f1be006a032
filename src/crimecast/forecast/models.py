"""The model protocol, the baselines, ETS and the intermittent-demand methods.

Every model follows one small protocol (DESIGN.md, convention 2):

    model = make("ets", freq="MS", seed=42)
    model.fit(y, ds)               # y: float array of counts, ds: the matching DatetimeIndex
    frame = model.predict(h, (80, 95))   # columns yhat, lo_80, hi_80, lo_95, hi_95 (h rows)

and carries an `alias`. Counts are never negative: `finish()` clips the point forecast and every
bound at 0 (the normal approximation some models use would otherwise go below 0 on quiet series).

Interval methods, per model:
- naive / seasonal_naive: normal, with the in-sample RMS of the (seasonal) one-step differences
  scaled by sqrt(steps) / sqrt(seasons ahead) (Hyndman & Athanasopoulos, FPP3 5.5).
- ets: statsmodels ETSModel (additive error, damped additive trend, additive seasonality when
  there are 2 full seasons plus a little, heuristic initial states), with its exact prediction
  intervals.
- croston (SBA) and tsb: point forecasts as in statsforecast's CrostonSBA and TSB (alpha 0.1);
  intervals are normal with the in-sample one-step residual RMS growing like simple exponential
  smoothing's,
  sd_h = sd_1 * sqrt(1 + (h - 1) * alpha^2).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pandas as pd
from scipy.stats import norm

from crimecast.errors import ConfigError

SEASON_LENGTH = {"D": 7, "W": 52, "MS": 12, "YS": 1}
LEVELS = (80, 95)


def band_columns(levels: Sequence[int] = LEVELS) -> list[str]:
    return [c for lv in levels for c in (f"lo_{lv}", f"hi_{lv}")]


class Model(Protocol):
    alias: str

    def fit(self, y: np.ndarray, ds: pd.DatetimeIndex) -> Model: ...

    def predict(self, h: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame: ...


def finish(frame: pd.DataFrame) -> pd.DataFrame:
    """Counts: clip the point forecast and every bound at 0, and keep lo <= yhat <= hi."""
    cols = list(frame.columns)
    vals = np.clip(frame.to_numpy(dtype=float), 0.0, None)
    point = vals[:, cols.index("yhat")]
    for k, col in enumerate(cols):
        if col.startswith("lo_"):
            vals[:, k] = np.minimum(vals[:, k], point)
        elif col.startswith("hi_"):
            vals[:, k] = np.maximum(vals[:, k], point)
    return pd.DataFrame(vals, columns=cols)


def normal_bands(mean: np.ndarray, sd: np.ndarray, levels: Sequence[int]) -> pd.DataFrame:
    """Point forecast and symmetric normal intervals at the given levels (percent)."""
    out = {"yhat": np.asarray(mean, float)}
    for lv in levels:
        z = norm.ppf(0.5 + lv / 200)
        out[f"lo_{lv}"] = mean - z * sd
        out[f"hi_{lv}"] = mean + z * sd
    return pd.DataFrame(out)


def rms(x: np.ndarray) -> float:
    x = np.asarray(x, float)
    x = x[np.isfinite(x)]
    return float(np.sqrt(np.mean(x**2))) if x.size else 0.0


class BaseModel:
    """Shared state: the training data, its frequency and season length."""

    alias = "base"

    def __init__(self, freq: str = "MS", seed: int = 42):
        self.freq = freq
        self.m = SEASON_LENGTH.get(freq, 1)
        self.seed = seed

    def fit(self, y, ds=None) -> BaseModel:
        self.y = np.asarray(y, dtype=float)
        self.ds = pd.DatetimeIndex(ds) if ds is not None else None
        if self.y.size == 0:
            raise ValueError("cannot fit a model on an empty series")
        self._fit()
        return self

    def _fit(self) -> None:
        pass

    def future_index(self, h: int) -> pd.DatetimeIndex:
        from crimecast.forecast.calendar import future_dates

        return future_dates(self.ds, self.freq, h)


class Naive(BaseModel):
    """Tomorrow looks like today: the last value, repeated."""

    alias = "naive"

    def _fit(self) -> None:
        self.sd1 = rms(np.diff(self.y))

    def predict(self, h: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        steps = np.arange(1, h + 1)
        mean = np.full(h, self.y[-1])
        return finish(normal_bands(mean, self.sd1 * np.sqrt(steps), levels))


class SeasonalNaive(BaseModel):
    """The same period last season (last year's month, last week's weekday). With less than one
    full season of history it falls back to the naive forecast."""

    alias = "seasonal_naive"

    def _fit(self) -> None:
        m = self.m
        if self.y.size <= m:
            self._fallback = Naive(self.freq).fit(self.y, self.ds)
            return
        self._fallback = None
        self.sd1 = rms(self.y[m:] - self.y[:-m])

    def predict(self, h: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        if self._fallback is not None:
            return self._fallback.predict(h, levels)
        m, n = self.m, self.y.size
        idx = n - m + (np.arange(h) % m)
        seasons_ahead = np.arange(h) // m + 1
        return finish(normal_bands(self.y[idx], self.sd1 * np.sqrt(seasons_ahead), levels))


def _flat(value: float, h: int, levels: Sequence[int]) -> pd.DataFrame:
    return finish(normal_bands(np.full(h, float(value)), np.zeros(h), levels))


def ets_spec(n: int, m: int) -> dict:
    """ETSModel settings for a series of n points with season length m (documented choice:
    damped additive trend when there are 10+ points, additive season with 2 seasons + 2).

    Initial states come from the heuristic (Hyndman et al. 2008, the start values R's ets()
    optimises from) rather than being estimated: estimating 12 monthly seasonal states with the
    smoothing parameters made each fit ~20x slower for an AIC within 1%. Very short series, where
    the heuristic cannot run, estimate them."""
    seasonal = "add" if m > 1 and n >= 2 * m + 2 else None
    trend = "add" if n >= 10 else None
    heuristic_min = 10 + (2 * (m // 2) if seasonal else 0)
    return {
        "error": "add",
        "trend": trend,
        "damped_trend": trend is not None,
        "seasonal": seasonal,
        "seasonal_periods": m if seasonal else None,
        "initialization_method": "heuristic" if n >= heuristic_min else "estimated",
    }


class ETS(BaseModel):
    """Exponential smoothing, damped trend (statsmodels ETSModel, exact intervals)."""

    alias = "ets"

    def _fit(self) -> None:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel

        self.result = None
        if np.ptp(self.y) == 0 or self.y.size < 4:
            return
        spec = ets_spec(self.y.size, self.m)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # A plain positional index: ETS needs no dates (the season length is given), and a
            # dated index makes statsmodels build date ranges on every prediction call, which
            # cost more than the fit itself on monthly series.
            model = ETSModel(pd.Series(self.y), **spec)
            self.result = model.fit(disp=False)

    def predict(self, h: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        if self.result is None:
            return _flat(self.y[-1], h, levels)
        n = self.y.size
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not levels:  # the point forecast alone (calibration origins need no more)
                return finish(pd.DataFrame({"yhat": np.asarray(self.result.forecast(h), float)}))
            pred = self.result.get_prediction(start=n, end=n + h - 1)
            out = {"yhat": np.asarray(pred.predicted_mean, float)}
            for lv in levels:
                sf = pred.summary_frame(alpha=1 - lv / 100)
                out[f"lo_{lv}"] = sf["pi_lower"].to_numpy(float)
                out[f"hi_{lv}"] = sf["pi_upper"].to_numpy(float)
        return finish(pd.DataFrame(out))


class _Intermittent(BaseModel):
    """Shared by Croston and TSB: `_prefix_means(y)[t]` is the forecast made from y[: t + 1],
    computed in one pass (simple exponential smoothing forecasts obey F_(k+1) = a x_k +
    (1 - a) F_k with F_1 = x_0, the recursion statsforecast uses), so the in-sample one-step
    residuals cost O(n)."""

    alpha = 0.1

    def _fit(self) -> None:
        means = self._prefix_means(self.y)
        self.mean = float(means[-1])
        self.sd1 = rms(self.y[1:] - means[:-1]) if self.y.size > 1 else 0.0

    def predict(self, h: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        steps = np.arange(h)
        sd = self.sd1 * np.sqrt(1 + steps * self.alpha**2)
        return finish(normal_bands(np.full(h, self.mean), sd, levels))


def _smooth(value: float, prev: float | None, alpha: float) -> float:
    return value if prev is None else alpha * value + (1 - alpha) * prev


class Croston(_Intermittent):
    """Croston's method with the Syntetos-Boylan correction (SBA) for sparse counts."""

    alias = "croston"

    def _prefix_means(self, y: np.ndarray) -> np.ndarray:
        a = self.alpha
        out = np.zeros(y.size)
        demand = interval = None
        last = -1  # position of the previous demand (intervals count from before the start)
        for t, v in enumerate(y):
            if v != 0:
                demand = _smooth(float(v), demand, a)
                interval = _smooth(float(t - last), interval, a)
                last = t
            if demand is not None:
                mean = demand / interval if interval else demand
                out[t] = mean * (1 - a / 2)
        return out


class TSB(_Intermittent):
    """Teunter-Syntetos-Babai: smooths the demand size and the probability of any demand, so a
    series that goes quiet decays towards 0 (Croston's never does)."""

    alias = "tsb"
    alpha_d = 0.1
    alpha_p = 0.1

    def _prefix_means(self, y: np.ndarray) -> np.ndarray:
        out = np.zeros(y.size)
        demand = prob = None
        for t, v in enumerate(y):
            prob = _smooth(float(v != 0), prob, self.alpha_p)
            if v > 0:
                demand = _smooth(float(v), demand, self.alpha_d)
            if demand is not None:
                out[t] = demand * prob
        return out


def _registry() -> dict[str, type]:
    from crimecast.forecast.prophet_model import ProphetModel
    from crimecast.forecast.sarimax import Sarimax
    from crimecast.forecast.sf_models import STL, Theta

    return {
        "naive": Naive,
        "seasonal_naive": SeasonalNaive,
        "ets": ETS,
        "sarimax": Sarimax,
        "theta": Theta,
        "stl": STL,
        "prophet": ProphetModel,
        "croston": Croston,
        "tsb": TSB,
    }


# Composite models are computed by the engine from their members' forecasts (no refit).
COMPOSITE = ("ensemble", "auto")
BASE_MODELS = (
    "naive", "seasonal_naive", "ets", "sarimax", "theta", "stl", "prophet", "croston", "tsb"
)  # fmt: skip
ALL_MODELS = BASE_MODELS + COMPOSITE


def make(alias: str, freq: str = "MS", seed: int = 42) -> Model:
    """A fresh model for an alias (composites are not models on their own: see engine)."""
    reg = _registry()
    if alias not in reg:
        raise ConfigError(f"unknown model {alias!r}", hint=f"choose from: {', '.join(ALL_MODELS)}")
    return reg[alias](freq=freq, seed=seed)


def parse_models(text: str | Sequence[str] | None, default: Sequence[str]) -> tuple[str, ...]:
    """Model aliases from a comma list, checked against the registry."""
    if text is None or text == "" or text == ():
        return tuple(default)
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for item in items:
        name = str(item).strip().lower()
        if not name:
            continue
        if name not in ALL_MODELS:
            raise ConfigError(
                f"unknown model {name!r}", hint=f"choose from: {', '.join(ALL_MODELS)}"
            )
        if name not in out:
            out.append(name)
    if not out:
        raise ConfigError("no model given", hint=f"choose from: {', '.join(ALL_MODELS)}")
    return tuple(out)
