"""Theta and STL + ETS, from statsforecast's compiled implementations.

- `theta`: statsforecast's OptimizedTheta (Fiorucci et al. 2016: the theta line's weight chosen
  by in-sample MSE), on deseasonalised data with a classical multiplicative decomposition when
  the series has two full seasons and every value is above 0 (statsforecast's seasonality test
  decides whether to deseasonalise); otherwise additive, and no season below two seasons.
- `stl`: statsforecast's MSTL (STL decomposition, Cleveland et al. 1990) with the season held at
  its last cycle and the seasonally adjusted series forecast by ETS with additive errors and a
  damped additive trend (statsforecast's AutoETS "AAN", damped). Below two full seasons it is
  that ETS alone.

A series too short for the full model (statsforecast refuses "tiny datasets") gets crimecast's
ETS instead (which drops what a short series cannot carry). Both give their own 80% and 95% intervals; like every model, the output ends with `finish()`
(counts: never below 0, lo <= yhat <= hi).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crimecast.forecast.models import LEVELS, BaseModel, _flat, finish


def _frame(res: dict, levels: Sequence[int]) -> pd.DataFrame:
    out = {"yhat": np.asarray(res["mean"], float)}
    for lv in levels:
        out[f"lo_{lv}"] = np.asarray(res[f"lo-{lv}"], float)
        out[f"hi_{lv}"] = np.asarray(res[f"hi-{lv}"], float)
    return finish(pd.DataFrame(out))


class _StatsForecast(BaseModel):
    """Shared: a constant or very short series gets the flat forecast."""

    min_points = 4

    def seasonal(self) -> bool:
        return self.m > 1 and self.y.size >= 2 * self.m

    def _fit(self) -> None:
        self.model = self.fallback = None
        if np.ptp(self.y) == 0 or self.y.size < self.min_points:
            return
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                self.model = self.build().fit(y=self.y)
            except (NotImplementedError, ValueError, ZeroDivisionError):
                # too few points for the full model (statsforecast: "tiny datasets"): crimecast's
                # ETS, which drops the trend and season a short series cannot carry
                from crimecast.forecast.models import ETS

                self.fallback = ETS(self.freq, self.seed).fit(self.y, self.ds)

    def predict(self, h: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        if self.fallback is not None:
            return self.fallback.predict(h, levels)
        if self.model is None:
            return _flat(self.y[-1], h, levels)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = self.model.predict(h=h, level=list(levels) or None)
        return _frame(res, levels)


class Theta(_StatsForecast):
    alias = "theta"

    def build(self):
        from statsforecast.models import OptimizedTheta

        if not self.seasonal():
            return OptimizedTheta(season_length=1)
        kind = "multiplicative" if (self.y > 0).all() else "additive"
        return OptimizedTheta(season_length=self.m, decomposition_type=kind)


class STL(_StatsForecast):
    alias = "stl"

    def build(self):
        from statsforecast.models import MSTL, AutoETS

        trend = AutoETS(model="AAN", damped=True)
        if not self.seasonal():
            return trend
        return MSTL(season_length=self.m, trend_forecaster=trend)
