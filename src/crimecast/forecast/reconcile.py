"""Make area (or category) forecasts add up to the city forecast, and say how far apart they were.

The hierarchy has two levels: one total series (`city`) and its parts (every `area:*` series, or
every `category:*` series; each set sums to the city by construction of the panel). Methods:

- `bottom_up` (default): the total becomes the sum of the parts' forecasts.
- `ols`: the least-squares projection onto coherent forecasts with equal weights (Hyndman et al.
  2011). With one total and k parts and a gap g = total - sum(parts), it moves every part up by
  g / (k + 1) and the total down by g / (k + 1). Parts that would go below 0 are clipped, and the
  total is then re-summed, so the result stays coherent and non-negative.

Only point forecasts are reconciled exactly; each series' interval is shifted by the same amount
as its point forecast (its width is kept), a documented approximation (summing the parts' bounds
would assume perfectly correlated errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast.errors import ConfigError

METHODS = ("bottom_up", "ols")
BANDS = ("lo_80", "hi_80", "lo_95", "hi_95")


def _parts(fc: pd.DataFrame, prefix: str) -> pd.DataFrame:
    # area:X|category:Y series belong to neither level
    ids = fc["unique_id"]
    return fc[ids.str.startswith(prefix) & ~ids.str.contains("|", regex=False)]


def incoherence(fc: pd.DataFrame, prefix: str = "area:", total: str = "city") -> pd.DataFrame:
    """Per model: how far the total's forecast is from the sum of its parts' (before reconciling).

    Columns: model, periods, mean_abs_gap, mean_abs_gap_pct (of the total), max_abs_gap_pct.
    """
    parts = _parts(fc, prefix).groupby(["model", "ds"])["yhat"].sum().rename("parts")
    tot = fc[fc["unique_id"] == total].set_index(["model", "ds"])["yhat"].rename("total")
    both = pd.concat([tot, parts], axis=1, join="inner").reset_index()
    if both.empty:
        return pd.DataFrame(
            columns=["model", "periods", "mean_abs_gap", "mean_abs_gap_pct", "max_abs_gap_pct"]
        )
    both["gap"] = (both["total"] - both["parts"]).abs()
    both["pct"] = np.where(both["total"] > 0, 100 * both["gap"] / both["total"], np.nan)
    return (
        both.groupby("model")
        .agg(
            periods=("gap", "size"),
            mean_abs_gap=("gap", "mean"),
            mean_abs_gap_pct=("pct", "mean"),
            max_abs_gap_pct=("pct", "max"),
        )
        .reset_index()
    )


def reconcile(
    fc: pd.DataFrame, prefix: str = "area:", method: str = "bottom_up", total: str = "city"
) -> pd.DataFrame:
    """The total and its parts made coherent (other series are returned unchanged)."""
    if method not in METHODS:
        raise ConfigError(f"unknown reconciliation {method!r}", hint=f"choose from: {METHODS}")
    parts = _parts(fc, prefix)
    tot = fc[fc["unique_id"] == total]
    if parts.empty or tot.empty:
        raise ConfigError(
            f"reconciling needs the {total!r} series and its {prefix}* parts in one forecast",
            hint="forecast the city and its areas (or categories) together",
        )
    rest = fc.drop(index=parts.index.union(tot.index))
    parts, tot = parts.copy(), tot.copy()
    sums = parts.groupby(["model", "ds"])["yhat"].transform("sum")
    k = parts.groupby(["model", "ds"])["yhat"].transform("size")
    key = tot.set_index(["model", "ds"])["yhat"]
    gap = key.reindex(pd.MultiIndex.from_frame(parts[["model", "ds"]])).to_numpy() - sums.to_numpy()
    if method == "ols":
        shift = gap / (k.to_numpy() + 1)
        new = np.maximum(parts["yhat"].to_numpy() + shift, 0.0)
        _shift(parts, new - parts["yhat"].to_numpy())
    new_tot = parts.groupby(["model", "ds"])["yhat"].sum()
    target = new_tot.reindex(pd.MultiIndex.from_frame(tot[["model", "ds"]])).to_numpy()
    _shift(tot, target - tot["yhat"].to_numpy())
    return pd.concat([tot, parts, rest]).sort_values(
        ["unique_id", "model", "ds"], ignore_index=True
    )


def _shift(frame: pd.DataFrame, delta: np.ndarray) -> None:
    frame["yhat"] = frame["yhat"].to_numpy() + delta
    for col in BANDS:
        if col in frame.columns:
            frame[col] = np.maximum(frame[col].to_numpy() + delta, 0.0)
    for lv in ("80", "95"):
        lo, hi = f"lo_{lv}", f"hi_{lv}"
        if lo in frame.columns:
            frame[lo] = np.minimum(frame[lo], frame["yhat"])
            frame[hi] = np.maximum(frame[hi], frame["yhat"])
