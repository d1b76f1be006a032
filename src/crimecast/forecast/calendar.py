"""Dates and calendar regressors: future periods, holidays, the COVID period, known breaks.

Exogenous regressors (used by `sarimax`; all known in advance, so forecasts can use them):

- `holidays`: number of US federal + California state holidays in the period (`holidays`
  package, `US` with subdivision `CA`). Only for D and W: a month's holiday count barely changes
  from year to year, so at MS it is absorbed by the seasonal terms and would only add noise.
- `covid`: 1 from 2020-03-01 (California's stay-at-home order came on 2020-03-19; LA counts fell
  in March) to 2021-06-30 (the state reopened on 2021-06-15), else 0.
- `breaks`: a 0/1 step from each date in `BREAKS` on (LAPD's switch to NIBRS on 2024-03-07). The
  months after it are normally excluded from training; the step matters only for a user's CSV
  that crosses it.

A regressor that is constant over the training data is dropped (its effect cannot be estimated).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast.schema import NIBRS_SWITCH

COVID = (pd.Timestamp("2020-03-01"), pd.Timestamp("2021-06-30"))
BREAKS = {"nibrs": pd.Timestamp(NIBRS_SWITCH)}
EXOG = ("holidays", "covid", "breaks")


def offset(freq: str, first: pd.Timestamp | None = None):
    from crimecast.panel import pandas_freq

    return pd.tseries.frequencies.to_offset(pandas_freq(freq, first))


def regular_index(ds: pd.DatetimeIndex | None, freq: str, n: int) -> pd.DatetimeIndex:
    """A DatetimeIndex with a set frequency for n periods (0..n-1 when no dates are given)."""
    if ds is None or len(ds) == 0:
        return pd.date_range("2000-01-01", periods=n, freq=offset(freq))
    start = pd.Timestamp(ds[0])
    return pd.date_range(start, periods=n, freq=offset(freq, start))


def future_dates(ds: pd.DatetimeIndex | None, freq: str, h: int) -> pd.DatetimeIndex:
    """The h periods after the last date."""
    if ds is None or len(ds) == 0:
        raise ValueError("no dates to continue from")
    last = pd.Timestamp(ds[-1])
    return pd.date_range(last, periods=h + 1, freq=offset(freq, last))[1:]


def period_ends(ds: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    from crimecast.panel import period_end

    return pd.DatetimeIndex(period_end(pd.Series(ds), freq))


def holiday_counts(ds: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Number of US + California holidays falling in each period."""
    import holidays

    ds = pd.DatetimeIndex(ds)
    ends = period_ends(ds, freq)
    years = range(ds.min().year, ends.max().year + 1)
    days = pd.DatetimeIndex(sorted(holidays.country_holidays("US", subdiv="CA", years=years)))
    starts = ds.values.astype("datetime64[D]")
    stops = ends.values.astype("datetime64[D]")
    d = days.values.astype("datetime64[D]")
    return (np.searchsorted(d, stops, side="right") - np.searchsorted(d, starts)).astype(float)


def exog_frame(ds: pd.DatetimeIndex, freq: str, which=EXOG) -> pd.DataFrame:
    """Calendar regressors for periods starting at ds (columns as documented above)."""
    ds = pd.DatetimeIndex(ds)
    cols = {}
    if "holidays" in which and freq in ("D", "W"):
        cols["holidays"] = holiday_counts(ds, freq)
    ends = period_ends(ds, freq)
    if "covid" in which:
        cols["covid"] = ((ends >= COVID[0]) & (ds <= COVID[1])).astype(float)
    if "breaks" in which:
        for name, when in BREAKS.items():
            cols[f"break_{name}"] = (ds >= when.normalize()).astype(float)
    return pd.DataFrame(cols, index=ds)


def fourier(ds: pd.DatetimeIndex, period_days: float, k: int) -> pd.DataFrame:
    """k sine/cosine pairs of a period given in days (weekly data's yearly season)."""
    t = (pd.DatetimeIndex(ds) - pd.Timestamp("2000-01-03")).days.to_numpy(float)
    out = {}
    for i in range(1, k + 1):
        out[f"sin{i}"] = np.sin(2 * np.pi * i * t / period_days)
        out[f"cos{i}"] = np.cos(2 * np.pi * i * t / period_days)
    return pd.DataFrame(out, index=ds)
