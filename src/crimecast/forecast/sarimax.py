"""SARIMAX (statsmodels), orders chosen by AIC on a small documented grid.

The grid keeps the differencing fixed, because AIC is only comparable between models fitted to
the same (differenced) data: d = 1, and D = 1 when the series has a season the model can use,
with (p, q) in {(0, 1), (1, 0), (1, 1)} and seasonal (P, Q) = (0, 1):

    MS: (0,1,1)(0,1,1,12) "airline", (1,1,0)(0,1,1,12), (1,1,1)(0,1,1,12)
    D:  the same with season 7 (the week)
    W:  no seasonal ARIMA part (a 52-week season makes SARIMAX slow and unstable); the yearly
        season enters as 2 Fourier pairs among the regressors instead

With fewer than 2 seasons + 6 points the seasonal part is dropped. Exogenous regressors are the
calendar ones from `forecast.calendar` (holidays for D/W, a COVID-period indicator, known
structural breaks); regimes are held at their last training value over the horizon (no
hindsight about when they end). The fit is on the raw counts, and `finish()` clips at 0.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crimecast.forecast import calendar
from crimecast.forecast.models import LEVELS, BaseModel, _flat, finish

PQ_GRID = ((0, 1), (1, 0), (1, 1))
# The scale is concentrated out of the likelihood and the parameter covariance is skipped: same
# estimates and forecast intervals (which come from the state space, not from the parameters'
# covariance), about a quarter faster.
SPEC = {"concentrate_scale": True}
FIT = {"disp": False, "cov_type": "none"}


def grid(n: int, freq: str, m: int) -> list[tuple[tuple, tuple]]:
    """(order, seasonal_order) candidates for a series of n points."""
    seasonal = freq in ("MS", "D") and n >= 2 * m + 6
    sorder = (0, 1, 1, m) if seasonal else (0, 0, 0, 0)
    return [((p, 1, q), sorder) for p, q in PQ_GRID]


def design(
    ds: pd.DatetimeIndex, freq: str, exog: Sequence[str], columns: list[str] | None = None
) -> pd.DataFrame | None:
    """The regressor matrix for periods ds; `columns` keeps the ones chosen at fit time."""
    parts = [calendar.exog_frame(ds, freq, tuple(exog))]
    if freq == "W":
        parts.append(calendar.fourier(ds, 365.25, 2))
    x = pd.concat(parts, axis=1)
    if columns is not None:
        x = x[columns]
    return x if x.shape[1] else None


def usable_columns(x: pd.DataFrame | None) -> list[str]:
    """Regressors that vary over the training data (a constant one cannot be estimated)."""
    if x is None:
        return []
    return [c for c in x.columns if np.ptp(x[c].to_numpy()) > 0]


class Sarimax(BaseModel):
    alias = "sarimax"

    def __init__(self, freq: str = "MS", seed: int = 42, exog: Sequence[str] = calendar.EXOG):
        super().__init__(freq, seed)
        self.exog = tuple(exog)

    def _fit(self) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        self.result = None
        n = self.y.size
        if np.ptp(self.y) == 0 or n < 8:
            return
        self.index = calendar.regular_index(self.ds, self.freq, n)
        x = design(self.index, self.freq, self.exog)
        self.columns = usable_columns(x)
        x = x[self.columns] if self.columns else None
        best = None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for order, sorder in grid(n, self.freq, self.m):
                try:
                    res = SARIMAX(self.y, exog=x, order=order, seasonal_order=sorder, **SPEC).fit(
                        **FIT
                    )
                except (np.linalg.LinAlgError, ValueError):
                    continue
                if np.isfinite(res.aic) and (best is None or res.aic < best.aic):
                    best, self.order, self.seasonal_order = res, order, sorder
        self.result = best

    def exog_future(self, h: int) -> pd.DataFrame | None:
        """Regressors for the h periods ahead. Holidays and Fourier terms are true calendars;
        a regime (the COVID indicator, a break step) is held at its value in the last training
        period, because at a forecast origin nobody knew when a regime would end (taking the
        calendar's end date would let backtests inside 2020-21 use hindsight)."""
        if not self.columns:
            return None
        future = calendar.future_dates(self.index, self.freq, h)
        x = design(future, self.freq, self.exog, self.columns)
        last = design(self.index[-1:], self.freq, self.exog, self.columns).iloc[-1]
        for col in self.columns:
            if col == "covid" or col.startswith("break_"):
                x[col] = last[col]
        return x

    def predict(self, h: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        if self.result is None:
            return _flat(self.y[-1], h, levels)
        x = self.exog_future(h)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not levels:
                return finish(pd.DataFrame({"yhat": np.asarray(self.result.forecast(h, exog=x))}))
            fc = self.result.get_forecast(h, exog=x)
            out = {"yhat": np.asarray(fc.predicted_mean, float)}
            for lv in levels:
                ci = np.asarray(fc.conf_int(alpha=1 - lv / 100))
                out[f"lo_{lv}"], out[f"hi_{lv}"] = ci[:, 0], ci[:, 1]
        return finish(pd.DataFrame(out))
