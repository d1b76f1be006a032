"""Prophet, count-aware.

- Fitted on log1p(y) and forecast back with expm1: a count series' seasonal swings grow with its
  level (multiplicative), and expm1 of any bound is >= -1, so after clipping at 0 neither the
  forecast nor a bound is ever negative. The back-transformed point is the median of the
  predictive distribution on the count scale, not its mean (the right choice for skewed counts).
- Seasonality by frequency: yearly for MS and W; yearly and weekly for D (never daily); none for
  yearly data (YS).
- Holidays: US federal + California (the `holidays` package), for D and W only.
- Changepoints: 25 potential changepoints in the first 80% of the history (Prophet's default),
  prior scale 0.05 for D and W (the default) but 0.01 for monthly series, where the default
  chased year-to-year level shifts and did worse than the seasonal naive in backtests on
  simulated LA areas; monthly yearly seasonality uses 6 Fourier pairs (the most 12 points a
  year can carry) instead of the default 10.
- Intervals: 80% and 95% from one set of Prophet's posterior predictive samples
  (`uncertainty_samples`, default 1000), drawn after seeding NumPy with the model's seed, so
  the same input gives the same bounds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from crimecast.forecast import calendar
from crimecast.forecast.models import LEVELS, BaseModel, _flat, finish


def quiet() -> None:
    """Silence cmdstanpy's and Prophet's INFO chatter (one line per fit)."""
    for name in ("cmdstanpy", "prophet", "prophet.plot"):
        log = logging.getLogger(name)
        if not log.handlers:  # cmdstanpy installs an INFO handler only when it has none
            log.addHandler(logging.NullHandler())
        log.setLevel(logging.ERROR)
        log.propagate = False


def holidays_frame(ds: pd.DatetimeIndex, horizon_end: pd.Timestamp) -> pd.DataFrame:
    import holidays

    years = range(pd.Timestamp(ds[0]).year, pd.Timestamp(horizon_end).year + 1)
    days = holidays.country_holidays("US", subdiv="CA", years=years)
    return pd.DataFrame(
        {"holiday": list(days.values()), "ds": pd.to_datetime(list(days.keys()))}
    ).sort_values("ds", ignore_index=True)


def prophet_kwargs(freq: str) -> dict:
    """Prophet's settings per frequency (see the module docstring)."""
    kw = {
        "yearly_seasonality": freq != "YS",
        "weekly_seasonality": freq == "D",
        "daily_seasonality": False,
    }
    if freq == "MS":
        # 12 points a year carry at most 6 harmonics (Prophet's default 10 aliases), and a few
        # years of months cannot support the default trend flexibility: it chases year-to-year
        # level shifts and extrapolates them
        kw.update(yearly_seasonality=6, changepoint_prior_scale=0.01)
    return kw


class ProphetModel(BaseModel):
    alias = "prophet"
    uncertainty_samples = 1000
    holiday_horizon_years = 5  # holidays are listed this far past the data for forecasts

    def _fit(self) -> None:
        from prophet import Prophet

        quiet()  # after the import, which installs its own handlers

        self.model = None
        n = self.y.size
        if np.ptp(self.y) == 0 or n < 4:
            return
        self.index = calendar.regular_index(self.ds, self.freq, n)
        kw = prophet_kwargs(self.freq)
        if self.freq in ("D", "W"):
            end = self.index[-1] + pd.DateOffset(years=self.holiday_horizon_years)
            kw["holidays"] = holidays_frame(self.index, end)
        self.model = Prophet(uncertainty_samples=self.uncertainty_samples, **kw)
        self.model.fit(pd.DataFrame({"ds": self.index, "y": np.log1p(self.y)}))

    def predict(self, h: int, levels: Sequence[int] = LEVELS) -> pd.DataFrame:
        if self.model is None:
            return _flat(self.y[-1], h, levels)
        future = pd.DataFrame({"ds": calendar.future_dates(self.index, self.freq, h)})
        m = self.model
        m.uncertainty_samples = 0  # the point forecast alone, then one set of samples
        point = m.predict(future)["yhat"].to_numpy(float)
        if not levels:
            return finish(pd.DataFrame({"yhat": np.expm1(point)}))
        m.uncertainty_samples = self.uncertainty_samples
        np.random.seed(self.seed)
        samples = m.predictive_samples(future)["yhat"]
        out = {"yhat": np.expm1(point)}
        for lv in levels:
            lo, hi = np.nanpercentile(samples, [50 - lv / 2, 50 + lv / 2], axis=1)
            out[f"lo_{lv}"], out[f"hi_{lv}"] = np.expm1(lo), np.expm1(hi)
        return finish(pd.DataFrame(out))
