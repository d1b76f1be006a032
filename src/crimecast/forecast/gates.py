"""Ashby's reliability gates: when a forecast of a crime series should not be relied on.

After Ashby's comparison of forecasting methods on crime counts in 12 US cities, a forecast is
flagged when any of these holds (each gate is checked per series and model; `gates` returns one
row per series and model with a boolean per gate and the failed ones in words):

    short_history   fewer than 24 months of history (104 weeks, 730 days, 2 years)
    low_counts      a mean under 5 per period
    mostly_zeros    over half the periods are 0
    far_horizon     a horizon over 12 months (52 weeks, 365 days, 1 year) or over half the history
    high_mape       backtest MAPE over 20%
    high_mase       backtest MASE over 1.5
    wide_interval   the 95% interval wider than twice the forecast (mean width over the horizon
                    against the mean forecast)

The two backtest gates are left unknown (None, "not backtested") when no backtest score is given.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

PERIODS_A_YEAR = {"MS": 12, "W": 52, "D": 365, "YS": 1}
MIN_YEARS = 2
MIN_MEAN = 5.0
MAX_ZEROS = 0.5
MAX_MAPE = 0.20
MAX_MASE = 1.5
MAX_WIDTH = 2.0
GATES = (
    "short_history", "low_counts", "mostly_zeros", "far_horizon", "high_mape", "high_mase",
    "wide_interval",
)  # fmt: skip


def _words(name: str, v: dict, freq: str) -> str:
    year = PERIODS_A_YEAR.get(freq, 12)
    return {
        "short_history": f"only {v['history']} periods of history (fewer than {MIN_YEARS * year})",
        "low_counts": f"a mean of {v['mean']:.1f} a period (under {MIN_MEAN:g})",
        "mostly_zeros": f"{v['zeros']:.0%} of periods are 0 (over half)",
        "far_horizon": f"a horizon of {v['horizon']} periods (over {year} or over half the "
        "history)",
        "high_mape": f"backtest MAPE {v['mape']:.0%} (over {MAX_MAPE:.0%})",
        "high_mase": f"backtest MASE {v['mase']:.2f} (over {MAX_MASE:g})",
        "wide_interval": f"95% interval {v['width_ratio']:.1f}x the forecast (over {MAX_WIDTH:g}x)",
    }[name]


def gates(
    history: pd.DataFrame,
    fc: pd.DataFrame,
    freq: str,
    scores: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (unique_id, model) of `fc`: each gate (True = failed, None = unknown), the
    number failed and `gates` in words ('' when every known gate passes)."""
    year = PERIODS_A_YEAR.get(freq, 12)
    hist = {u: g["y"].to_numpy(float) for u, g in history.groupby("unique_id")}
    sc = {}
    if scores is not None and len(scores):
        for r in scores.itertuples():
            sc[(r.unique_id, r.model)] = (getattr(r, "mape", np.nan), getattr(r, "mase", np.nan))
    rows = []
    for (uid, model), g in fc.groupby(["unique_id", "model"], sort=True):
        y = hist.get(uid, np.array([]))
        mean_fc = float(g["yhat"].mean())
        v = {
            "history": int(y.size),
            "mean": float(y.mean()) if y.size else 0.0,
            "zeros": float(np.mean(y == 0)) if y.size else 1.0,
            "horizon": int(len(g)),
            "width_ratio": float((g["hi_95"] - g["lo_95"]).mean() / mean_fc)
            if mean_fc > 0
            else np.inf,
        }
        v["mape"], v["mase"] = sc.get((uid, model), (np.nan, np.nan))
        failed = {
            "short_history": v["history"] < MIN_YEARS * year,
            "low_counts": v["mean"] < MIN_MEAN,
            "mostly_zeros": v["zeros"] > MAX_ZEROS,
            "far_horizon": v["horizon"] > year or v["horizon"] > v["history"] / 2,
            "high_mape": None if not np.isfinite(v["mape"]) else bool(v["mape"] > MAX_MAPE),
            "high_mase": None if not np.isfinite(v["mase"]) else bool(v["mase"] > MAX_MASE),
            "wide_interval": v["width_ratio"] > MAX_WIDTH,
        }
        words = [_words(k, v, freq) for k in GATES if failed[k]]
        unknown = [k for k in ("high_mape", "high_mase") if failed[k] is None]
        rows.append(
            {
                "unique_id": uid,
                "model": model,
                **{k: failed[k] for k in GATES},
                "gates_failed": sum(bool(failed[k]) for k in GATES),
                "gates": "; ".join(words),
                "gates_unknown": ", ".join(unknown),
            }
        )
    return pd.DataFrame(
        rows, columns=["unique_id", "model", *GATES, "gates_failed", "gates", "gates_unknown"]
    )


def sentence(row) -> str:
    """One series' gates in a sentence."""
    unknown = " (MAPE and MASE not backtested)" if row["gates_unknown"] else ""
    if not row["gates"]:
        return f"passes Ashby's reliability gates{unknown}"
    n = int(row["gates_failed"])
    return f"fails {n} of Ashby's {len(GATES)} reliability gates: {row['gates']}{unknown}"
