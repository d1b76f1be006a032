"""Per-category hotspot forecasts: each category gets its own hot cell and its own score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast import spatial
from crimecast.spatial import by_category, grid


def test_each_category_flags_its_own_hotspot():
    rng = np.random.default_rng(8)
    frames = []
    spots = {"burglary": (34.05, -118.30), "vehicle theft": (34.10, -118.20)}
    for cat, (la, lo) in spots.items():
        n_hot, n_bg = 500, 500
        lat = np.concatenate([la + rng.normal(0, 0.0008, n_hot), 34.07 + rng.normal(0, 0.03, n_bg)])
        lon = np.concatenate(
            [lo + rng.normal(0, 0.0008, n_hot), -118.25 + rng.normal(0, 0.03, n_bg)]
        )
        days = pd.Timestamp("2022-01-01") + pd.to_timedelta(rng.integers(0, 730, len(lat)), "D")
        frames.append(
            pd.DataFrame(
                {"lat": lat, "lon": lon, "occurred_date": days, "area_id": 1, "crime_category": cat}
            )
        )
    frames.append(frames[0].head(50).assign(crime_category="arson"))  # too few to forecast
    frame = pd.concat(frames, ignore_index=True)
    res = spatial.analyse(
        frame,
        None,
        period="quarter",
        permutations=0,
        with_emerging=False,
        with_near_repeat=False,
        backtest_periods=3,
    )
    t = res.category_forecasts.set_index("category")
    assert set(t.index) == {"burglary", "vehicle theft"}
    assert (t["period"] == "2024Q1").all() and (t["backtest_periods"] == 3).all()
    assert (t["pai_1pct"] > 5).all()
    for cat, (la, lo) in spots.items():
        hot = grid.cell_ids(np.array([la]), np.array([lo]), res.resolution)[0]
        assert hot in t.loc[cat, "flagged_h3"].split()
    other = grid.cell_ids(np.array([34.10]), np.array([-118.20]), res.resolution)[0]
    assert other not in t.loc["burglary", "flagged_h3"].split()


def test_sensitive_offenses_are_scored_but_never_mapped():
    rng = np.random.default_rng(9)
    n = 600
    frame = pd.DataFrame(
        {
            "lat": 34.05 + rng.normal(0, 0.01, 2 * n),
            "lon": -118.3 + rng.normal(0, 0.01, 2 * n),
            "occurred_date": pd.Timestamp("2022-01-01")
            + pd.to_timedelta(rng.integers(0, 730, 2 * n), "D"),
            "area_id": 1,
            "crime_category": ["rape"] * n + ["burglary"] * n,
        }
    )
    res = spatial.analyse(
        frame,
        None,
        period="quarter",
        permutations=0,
        with_emerging=False,
        with_near_repeat=False,
        backtest_periods=3,
        methods=("long_term", "naive"),
    )
    t = res.category_forecasts.set_index("category")
    assert "rape" in by_category.sensitive_categories()
    assert not t.loc["rape", "mapped"] and t.loc["rape", "flagged_h3"] == ""
    assert t.loc["rape", "pai_1pct"] > 0  # still scored
    assert t.loc["burglary", "mapped"] and len(t.loc["burglary", "flagged_h3"].split()) > 0
