"""One series across LAPD's change of recording system (legacy reports to NIBRS, March 2024).

The months of the switch (the NIBRS transition, found by `completeness.assess`) are mixed: a
tapering legacy feed and a ramping NIBRS feed. After them the same crime may be counted at a
different level: NIBRS records some offenses the old system folded into others. crimecast
handles the switch, it does not fit through it:

- per series, the size of the shift is estimated from the first year of the NIBRS regime against
  the same calendar months before the switch, corrected for the year-on-year change the series
  showed before it (`shift_ratio`); a shift whose 95% interval includes none is not applied;
- for models, the legacy history is put on the NIBRS scale (multiplied by that ratio) and the
  transition months are filled from the same month a year earlier on that scale, so every model
  (SARIMAX, Prophet, ETS and the baselines alike) trains on one regime; the filled months are
  listed with their reason and never reported as data (`join`);
- a series whose NIBRS regime is too short to estimate its shift trains on the legacy months
  only, and says so.

Pure functions over long frames [unique_id, ds, y] of monthly counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast.schema import NIBRS_SWITCH

SWITCH = pd.Timestamp(NIBRS_SWITCH).to_period("M").to_timestamp()
MIN_MATCHED = 6  # months of the new regime needed to estimate a shift
FILLED = "NIBRS transition (filled for models from the year before, on the NIBRS scale)"
TOO_SHORT = "NIBRS regime too short to estimate its level (models use the legacy months)"
SHIFT_COLUMNS = ["unique_id", "shift", "lo_95", "hi_95", "applied", "months_used", "note"]
UNCLEAR = "no clear shift: the history is used as it was"


def shift_ratio(y: pd.Series, regime_start: pd.Timestamp) -> tuple[float | None, int, float]:
    """(NIBRS level / legacy level, months used, standard error of its log) for one series
    (index: month starts). Each of the first 12 months of the regime is matched with the same
    calendar month in the last legacy year before the switch (k years back), whose count is grown
    by the series' own year-on-year change before the switch (k times). The error treats both
    sums as Poisson counts. None when fewer than MIN_MATCHED months match."""
    y = y.astype(float)
    legacy = y[y.index < SWITCH]
    post = y[y.index >= regime_start].iloc[:12]
    last_year, year_before = legacy.iloc[-12:], legacy.iloc[-24:-12]
    growth = 1.0
    if len(year_before) == 12 and year_before.sum() > 0 and last_year.sum() > 0:
        growth = float(last_year.sum() / year_before.sum())
    num = den = raw = 0.0
    used = 0
    for month, value in post.items():
        k = 1
        while month - pd.DateOffset(years=k) >= SWITCH:
            k += 1
        before = month - pd.DateOffset(years=k)
        if before in legacy.index:
            num += value
            den += legacy[before] * growth**k
            raw += legacy[before]
            used += 1
    if used < MIN_MATCHED or den <= 0 or num <= 0:
        return None, used, np.nan
    return num / den, used, float(np.sqrt(1 / num + 1 / raw))


def is_clear(ratio: float, se: float) -> bool:
    """Whether a shift is told apart from none (its 95% interval excludes a ratio of 1)."""
    return abs(np.log(ratio)) > 1.96 * se


def join(
    panel: pd.DataFrame, transition: list[pd.Timestamp]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(training panel on the NIBRS scale, filled or dropped months with their reason, shifts).

    `panel` is the monthly training panel (it may hold the transition months); `transition` the
    flagged months. Without a transition the panel is returned as it is."""
    empty = pd.DataFrame(columns=["unique_id", "ds", "y", "reason"])
    if not transition or panel.empty:
        return panel, empty, pd.DataFrame(columns=SHIFT_COLUMNS)
    months = set(pd.DatetimeIndex(transition))
    regime_start = max(months) + pd.offsets.MonthBegin(1)
    trained, changed, shifts = [], [], []
    for uid, g in panel.groupby("unique_id", sort=False):
        g = g.sort_values("ds").set_index("ds")
        if g.index.max() < SWITCH:  # the series ends before the switch
            trained.append(g.reset_index())
            continue
        ratio, used, se = shift_ratio(g["y"][~g.index.isin(months)], regime_start)
        if ratio is None and used >= MIN_MATCHED:  # months enough, counts too few to measure
            ratio, se = 1.0, np.inf
        if ratio is None:
            keep = g.index < SWITCH
            gone = g[~keep].reset_index().assign(reason=TOO_SHORT)
            trained.append(g[keep].reset_index())
            changed.append(gone[["unique_id", "ds", "y", "reason"]])
            shifts.append({"unique_id": uid, "months_used": used, "note": TOO_SHORT})
            continue
        # a shift the data cannot tell from none is not applied: it would only add noise
        applied = ratio if is_clear(ratio, se) else 1.0
        y = g["y"].astype(float).copy()
        y[y.index < SWITCH] *= applied
        for month in sorted(months & set(y.index)):
            year_before = month - pd.DateOffset(years=1)
            y[month] = y.get(year_before, np.nan)
        filled = g[g.index.isin(months)].reset_index().assign(reason=FILLED)
        trained.append(g.assign(y=y.round(3)).reset_index())
        changed.append(filled[["unique_id", "ds", "y", "reason"]])
        shifts.append(
            {
                "unique_id": uid,
                "shift": ratio,
                "lo_95": ratio * np.exp(-1.96 * se),
                "hi_95": ratio * np.exp(1.96 * se),
                "applied": applied,
                "months_used": used,
                "note": "" if applied != 1.0 else UNCLEAR,
            }
        )
    out = pd.concat(trained, ignore_index=True)[panel.columns]
    out = out.dropna(subset=["y"]).reset_index(drop=True)
    changed = pd.concat(changed, ignore_index=True) if changed else empty
    return out, changed, pd.DataFrame(shifts, columns=SHIFT_COLUMNS)


def in_words(shifts: pd.DataFrame, label) -> list[str]:
    """'NIBRS counts robbery about 12% higher than the old system did (95% interval 5% to 19%)',
    per series whose shift is clear and at least 3% either way; `label(unique_id)` names it."""
    out = []
    for row in shifts.dropna(subset=["shift"]).itertuples():
        pct = (row.shift - 1) * 100
        if row.applied == 1.0 or abs(pct) < 3:
            continue
        way = "higher" if pct > 0 else "lower"
        lo, hi = (row.lo_95 - 1) * 100, (row.hi_95 - 1) * 100
        out.append(
            f"NIBRS counts {label(row.unique_id)} about {abs(pct):.0f}% {way} than the old system "
            f"did (95% interval {lo:+.0f}% to {hi:+.0f}%, from {row.months_used} months of each)"
        )
    return out
