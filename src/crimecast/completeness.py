"""Which months' counts can be trusted: the reporting-lag tail and the NIBRS break.

Pure functions over frames. Inputs are the monthly incident counts and the reporting delays
(Date Rptd minus DATE OCC, in days) of the stored incidents; the output has one row per month with
a flag and a reason, and `complete_through` is the last month before the untrusted tail.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast.schema import NIBRS_SWITCH

COLUMNS = ["month", "incidents", "expected_share", "complete", "reason"]


def delay_cdf(delays_days: pd.Series, horizon: int = 3650) -> np.ndarray:
    """Empirical share of incidents reported within d days, for d = 0..horizon."""
    d = pd.to_numeric(delays_days, errors="coerce").dropna().clip(lower=0).astype(int)
    if d.empty:
        return np.ones(horizon + 1)
    counts = np.bincount(d.clip(upper=horizon + 1), minlength=horizon + 2)[: horizon + 1]
    return np.cumsum(counts) / len(d)


def expected_share(month: pd.Timestamp, as_of: pd.Timestamp, cdf: np.ndarray) -> float:
    """Share of a month's incidents expected to be reported by `as_of`: the mean over the month's
    days of the delay CDF at (as_of - day)."""
    days = pd.date_range(month, month + pd.offsets.MonthEnd(0), freq="D")
    lags = (as_of - days).days.to_numpy()
    lags = np.clip(lags, -1, len(cdf) - 1)
    shares = np.where(lags < 0, 0.0, cdf[np.maximum(lags, 0)])
    return float(shares.mean())


TRANSITION = "NIBRS transition"
# The NIBRS feed has reached its level when a month holds this share of its later median, for
# this many months in a row (bureaus went live one by one over about two months).
FULL_LEVEL, SUSTAINED = 0.9, 3


def assess(
    monthly: pd.DataFrame,
    delays_days: pd.Series,
    as_of: pd.Timestamp,
    lag_threshold: float = 0.9,
    nibrs_drop: float = 0.6,
) -> pd.DataFrame:
    """Flag months. `monthly` has columns [month, incidents] (month = first day), and optionally
    `nibrs`: how many of the month's incidents came from the NIBRS feed.

    - 'reporting lag': fewer than `lag_threshold` of the month's incidents are expected to have
      been reported by `as_of` (the newest report date in the data).
    - 'NIBRS transition' (when the store holds NIBRS records): from March 2024 until the NIBRS
      feed reaches its full level, as the data shows it, records are split between a tapering
      legacy feed and a ramping NIBRS feed; those months are kept out of models, and the months
      after them are a new recording regime (see crimecast.regime).
    - 'NIBRS break' (legacy records only): from March 2024 the legacy feed lost most records. When
      the median month after the switch runs below `nibrs_drop` times the median of the 12 months
      before it, every month from the switch on is flagged (a regime change, not noise).
    """
    if monthly.empty:
        return pd.DataFrame(columns=COLUMNS)
    cols = ["month", "incidents"] + (["nibrs"] if "nibrs" in monthly else [])
    m = monthly[cols].copy()
    m["month"] = pd.to_datetime(m["month"]).dt.to_period("M").dt.to_timestamp()
    m = m.groupby("month", as_index=False)[cols[1:]].sum()
    full = pd.DataFrame({"month": pd.date_range(m["month"].min(), m["month"].max(), freq="MS")})
    m = full.merge(m, on="month", how="left").fillna({c: 0 for c in cols[1:]})
    m["incidents"] = m["incidents"].astype("int64")
    cdf = delay_cdf(delays_days)
    m["expected_share"] = [expected_share(mo, as_of, cdf) for mo in m["month"]]
    m["reason"] = np.where(m["expected_share"] < lag_threshold, "reporting lag", "")

    switch = pd.Timestamp(NIBRS_SWITCH).to_period("M").to_timestamp()
    if "nibrs" in m and m["nibrs"].sum() > 0:
        end = transition_end(m, switch)
        during = (m["month"] >= switch) & (m["month"] < end)
        m.loc[during, "reason"] = np.where(
            m.loc[during, "reason"] == "", TRANSITION, f"{TRANSITION}; reporting lag"
        )
        m["complete"] = m["reason"] == ""
        return m[COLUMNS]
    before = m[(m["month"] < switch) & (m["month"] >= switch - pd.DateOffset(months=12))]
    after = m[m["month"] >= switch]
    if len(before) >= 6 and len(after) >= 1:
        base = before["incidents"].median()
        if base > 0 and after["incidents"].median() < nibrs_drop * base:
            is_after = m["month"] >= switch
            m.loc[is_after, "reason"] = np.where(
                m.loc[is_after, "reason"] == "", "NIBRS break", "NIBRS break; reporting lag"
            )
    m["complete"] = m["reason"] == ""
    return m[COLUMNS]


def transition_end(m: pd.DataFrame, switch: pd.Timestamp) -> pd.Timestamp:
    """The first month of the NIBRS regime: the first month from the switch at which the NIBRS
    feed holds FULL_LEVEL of its later median for SUSTAINED months running (months still in the
    reporting-lag tail do not count). Until the data shows that, every month from the switch is
    in the transition."""
    after = m[(m["month"] >= switch) & (m["reason"] == "")].reset_index(drop=True)
    last = m["month"].max() + pd.offsets.MonthBegin(1)
    if len(after) < SUSTAINED + 3:
        return last
    level = after["nibrs"].iloc[3:].median()  # past the go-live months
    full = (after["nibrs"] >= FULL_LEVEL * level).astype(int)
    run = full.rolling(SUSTAINED).sum().shift(-(SUSTAINED - 1)) == SUSTAINED
    return pd.Timestamp(after.loc[run.idxmax(), "month"]) if run.any() else last


def transition_months(flags: pd.DataFrame) -> list[pd.Timestamp]:
    """The months flagged as the NIBRS transition (empty without NIBRS records)."""
    if flags.empty:
        return []
    hit = flags["reason"].fillna("").str.startswith(TRANSITION)
    return [pd.Timestamp(x) for x in flags.loc[hit, "month"]]


def complete_through(flags: pd.DataFrame) -> pd.Timestamp | None:
    """The last complete month before the flagged tail (None if no month is complete)."""
    if flags.empty or not flags["complete"].any():
        return None
    ok = flags.loc[flags["complete"], "month"]
    flagged_after_switch = flags[(~flags["complete"]) & flags["reason"].str.contains("NIBRS break")]
    if not flagged_after_switch.empty:
        ok = ok[ok < flagged_after_switch["month"].min()]
    return pd.Timestamp(ok.max()) if not ok.empty else None
