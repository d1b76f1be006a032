"""One series across LAPD's change of recording system (legacy reports to NIBRS, March 2024).

The months of the switch (the NIBRS transition, found by `completeness.assess`) are mixed: a
tapering legacy feed and a ramping NIBRS feed. After them the same crime may be counted at a
different level: NIBRS records some offenses the old system folded into others. crimecast
handles the switch, it does not fit through it:

- per series, the size of the shift is estimated from the first year of the NIBRS regime against
  the same calendar months before the switch, corrected for the year-on-year change the series
  showed before it (`shift_ratio`);
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
SHIFT_COLUMNS = ["unique_id", "shift", "months_used", "note"]


def shift_ratio(y: pd.Series, regime_start: pd.Timestamp) -> tuple[float | None, int]:
    """(NIBRS level / legacy level, months used) for one series (index: month starts). Each of
    the first 12 months of the regime is matched with the same calendar month in the last legacy
    year before the switch (k years back), whose count is grown by the series' own year-on-year
    change before the switch (k times). None when fewer than MIN_MATCHED months match."""
    y = y.astype(float)
    legacy = y[y.index < SWITCH]
    post = y[y.index >= regime_start].iloc[:12]
    last_year, year_before = legacy.iloc[-12:], legacy.iloc[-24:-12]
    growth = 1.0
    if len(year_before) == 12 and year_before.sum() > 0 and last_year.sum() > 0:
        growth = float(last_year.sum() / year_before.sum())
    num = den = 0.0
    used = 0
    for month, value in post.items():
        k = 1
        while month - pd.DateOffset(years=k) >= SWITCH:
            k += 1
        before = month - pd.DateOffset(years=k)
        if before in legacy.index:
            num += value
            den += legacy[before] * growth**k
            used += 1
    if used < MIN_MATCHED or den <= 0:
        return None, used
    return num / den, used


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
        ratio, used = shift_ratio(g["y"][~g.index.isin(months)], regime_start)
        if ratio is None:
            keep = g.index < SWITCH
            gone = g[~keep].reset_index().assign(reason=TOO_SHORT)
            trained.append(g[keep].reset_index())
            changed.append(gone[["unique_id", "ds", "y", "reason"]])
            shifts.append(
                {"unique_id": uid, "shift": np.nan, "months_used": used, "note": TOO_SHORT}
            )
            continue
        y = g["y"].astype(float).copy()
        y[y.index < SWITCH] *= ratio
        for month in sorted(months & set(y.index)):
            year_before = month - pd.DateOffset(years=1)
            y[month] = y.get(year_before, np.nan)
        filled = g[g.index.isin(months)].reset_index().assign(reason=FILLED)
        trained.append(g.assign(y=y.round(3)).reset_index())
        changed.append(filled[["unique_id", "ds", "y", "reason"]])
        shifts.append({"unique_id": uid, "shift": ratio, "months_used": used, "note": ""})
    out = pd.concat(trained, ignore_index=True)[panel.columns]
    out = out.dropna(subset=["y"]).reset_index(drop=True)
    changed = pd.concat(changed, ignore_index=True) if changed else empty
    return out, changed, pd.DataFrame(shifts, columns=SHIFT_COLUMNS)


def in_words(shifts: pd.DataFrame, label) -> list[str]:
    """'NIBRS counts robbery about 12% higher than the old system did', per series with a shift
    of at least 3% either way; `label(unique_id)` names the series."""
    out = []
    for row in shifts.dropna(subset=["shift"]).itertuples():
        pct = (row.shift - 1) * 100
        if abs(pct) < 3:
            continue
        way = "higher" if pct > 0 else "lower"
        out.append(
            f"NIBRS counts {label(row.unique_id)} about {abs(pct):.0f}% {way} than the old system "
            f"did (from {row.months_used} months of each)"
        )
    return out
