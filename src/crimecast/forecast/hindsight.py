"""What crimecast would have forecast at the switch to NIBRS, and what happened.

Forecasts made from the legacy months only (through February 2024) are set against the counts
recorded after it, month by month, like with like: incidents with incidents, in the crosswalk's
categories. The gap between them has two parts: the change of recording system (the series'
NIBRS shift, estimated by crimecast.regime from the data) and forecast error proper:

    actual - forecast = forecast x (shift - 1)      recording system
                      + (actual - forecast x shift)  forecast error

Months of the transition are listed and marked, never scored. Pure functions over long frames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast.regime import SWITCH

COLUMNS = ["unique_id", "ds", "model", "yhat", "lo_80", "hi_80", "y"]
EXTRA = ["error", "inside_80", "inside_95", "in_transition", "shift", "recording_part",
         "forecast_error_part"]  # fmt: skip
LAST_MONTH = pd.Timestamp("2025-12-01")  # the forecasts of 2024-2025


def split(panel: pd.DataFrame, through: pd.Timestamp | None) -> tuple[pd.DataFrame, int]:
    """(the legacy months a forecast at the switch could have used, months to forecast: from
    March 2024 to December 2025 or the last complete month, whichever comes first)."""
    train = panel[panel["ds"] < SWITCH]
    end = min(LAST_MONTH, pd.Timestamp(through)) if through is not None else LAST_MONTH
    horizon = (end.year - SWITCH.year) * 12 + end.month - SWITCH.month + 1
    return train.reset_index(drop=True), max(horizon, 0)


def compare(
    forecasts: pd.DataFrame,
    actuals: pd.DataFrame,
    transition: list[pd.Timestamp],
    shifts: pd.DataFrame,
) -> pd.DataFrame:
    """Per series, month and model: the forecast, its intervals, the actual, whether the actual
    fell inside each interval, and the gap split into recording system and forecast error
    (both blank in transition months, which are marked and never scored)."""
    out = forecasts.merge(actuals[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner")
    applied = shifts.set_index("unique_id")["applied"] if len(shifts) else pd.Series(dtype=float)
    out["shift"] = out["unique_id"].map(applied).astype(float).fillna(1.0)
    out["error"] = out["y"] - out["yhat"]
    out["inside_80"] = out["y"].between(out["lo_80"], out["hi_80"]).astype("boolean")
    out["inside_95"] = out["y"].between(out["lo_95"], out["hi_95"]).astype("boolean")
    out["in_transition"] = out["ds"].isin(pd.DatetimeIndex(transition))
    out["recording_part"] = out["yhat"] * (out["shift"] - 1)
    out["forecast_error_part"] = out["y"] - out["yhat"] * out["shift"]
    scored = ["error", "recording_part", "forecast_error_part"]
    out.loc[out["in_transition"], scored] = np.nan
    out.loc[out["in_transition"], ["inside_80", "inside_95"]] = pd.NA
    return out[COLUMNS + EXTRA].sort_values(["unique_id", "model", "ds"]).reset_index(drop=True)


def summary(compared: pd.DataFrame) -> pd.DataFrame:
    """Per series and model, over the months scored: months, mean absolute percentage error,
    the share of actuals inside the 80% and 95% intervals, and how much of the total gap the
    change of recording system accounts for."""
    scored = compared[~compared["in_transition"]]
    rows = []
    for (uid, model), g in scored.groupby(["unique_id", "model"], sort=True):
        gap = g["error"].sum()
        rows.append(
            {
                "unique_id": uid,
                "model": model,
                "months": len(g),
                "mape": float((g["error"].abs() / g["y"].where(g["y"] > 0)).mean()),
                "coverage_80": float(g["inside_80"].astype(float).mean()),
                "coverage_95": float(g["inside_95"].astype(float).mean()),
                "gap": float(gap),
                "recording_part": float(g["recording_part"].sum()),
                "forecast_error_part": float(g["forecast_error_part"].sum()),
            }
        )
    return pd.DataFrame(rows)


def in_words(row: pd.Series, label: str) -> str:
    """One sentence: how far the forecast was off, and how much of it the recording system
    explains."""
    months, mape = int(row["months"]), row["mape"] * 100
    inside = row["coverage_80"] * 100
    text = (
        f"{label}: the forecast made from data through February 2024 was off by {mape:.0f}% a "
        f"month on average over the {months} months scored; {inside:.0f}% of them fell inside "
        "its 80% interval"
    )
    gap = row["gap"]
    if abs(gap) > 0 and row["recording_part"] != 0:
        share = row["recording_part"] / gap * 100
        if 0 < share <= 100:
            text += f"; the change of recording system explains about {share:.0f}% of the gap"
        else:
            text += (
                "; the change of recording system moved counts the other way, so the gap is "
                "forecast error"
            )
    return text + "."
