"""Next-period hotspot forecasts per crime category, each with the backtest score of the method
chosen for it (the best mean PAI at 1% over the category's own rolling backtest).

Sensitive offenses (categories whose every code is of a sexual nature in the crosswalk, such as
rape) are scored but never mapped below the division: their rows say `mapped = False` and list
no cells, so no map, table or download can place them."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from crimecast import codes
from crimecast.spatial import emerging, forecast

METHODS = ("long_term", "self_exciting", "kde_decay", "lagged_counts")
MIN_INCIDENTS = 300


@cache
def sensitive_categories() -> frozenset[str]:
    """The categories every one of whose codes the crosswalk marks as sexual."""
    xw = codes.crosswalk_frame()
    by_cat = xw.groupby("category")["sexual"].all()
    return frozenset(str(c) for c in by_cat[by_cat].index)


def category_forecasts(
    pts: pd.DataFrame,
    cells: list[str],
    base: forecast.Inputs,
    period: str,
    through: pd.Timestamp | None,
    backtest_periods: int,
    methods=METHODS,
    min_incidents: int = MIN_INCIDENTS,
) -> pd.DataFrame:
    """DataFrame[category, incidents, method, period, pai_1pct, pai_vs_long_term, hit_rate_1pct,
    backtest_periods, cells_flagged, mapped, flagged_h3] for each category with at least
    `min_incidents` geocoded incidents. `base` supplies the areas, raster and neighbours."""
    cols = [
        "category",
        "incidents",
        "method",
        "period",
        "pai_1pct",
        "pai_vs_long_term",
        "hit_rate_1pct",
        "backtest_periods",
        "cells_flagged",
        "mapped",
        "flagged_h3",
    ]
    if "crime_category" not in pts:
        return pd.DataFrame(columns=cols)
    rows = []
    for cat, grp in pts.groupby(pts["crime_category"].fillna("unknown"), sort=True):
        if len(grp) < min_incidents:
            continue
        # the category's counts on the whole selection's periods
        yc, pc = emerging.slice_counts(grp, cells, period, through)
        where = {p: k for k, p in enumerate(base.periods)}
        y = np.zeros_like(base.y)
        for k, p in enumerate(pc):
            if p in where:
                y[:, where[p]] = yc[:, k]
        periods = base.periods
        if y.sum() == 0:
            continue
        inputs = forecast.Inputs(
            y=y,
            periods=periods,
            areas=base.areas,
            points=grp[grp["period_pos"] >= 0][["lat", "lon", "occurred_date", "period_pos"]],
            raster=base.raster,
            mapping=base.mapping,
            bandwidth_m=base.bandwidth_m,
            neighbours=base.neighbours,
        )
        bt = forecast.backtest(
            inputs,
            methods,
            coverages=(0.01,),
            min_train=max(2, min(4, y.shape[1] - 1)),
            max_folds=backtest_periods,
        )
        s = forecast.summarise(bt)
        if s.empty:
            continue
        best = forecast.best_method(s)
        row = s.set_index("method").loc[best]
        fc = forecast.forecast_next(inputs, cells, (best,), coverages=(0.01,))
        flagged = fc.loc[fc["flagged_1pct"], "h3"].tolist()
        mapped = str(cat) not in sensitive_categories()
        rows.append(
            {
                "category": str(cat),
                "incidents": len(grp),
                "method": best,
                "period": str(periods[-1] + 1),
                "pai_1pct": float(row["pai"]),
                "pai_vs_long_term": float(row["pai_vs_long_term"]),
                "hit_rate_1pct": float(row["hit_rate"]),
                "backtest_periods": int(row["periods"]),
                "cells_flagged": len(flagged),
                "mapped": mapped,
                "flagged_h3": " ".join(flagged) if mapped else "",
            }
        )
    return pd.DataFrame(rows, columns=cols)
