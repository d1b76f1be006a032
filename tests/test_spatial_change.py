"""Change maps (density before/after, cells that rose or fell beyond the city's trend) and
rates against population spread from the division outlines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from crimecast.spatial import change, grid, kde


def _city(seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    # a steady cluster, and one that appears only in the second year
    for year, n_new in ((2022, 0), (2023, 150)):
        days = pd.Timestamp(f"{year}-01-01") + pd.to_timedelta(rng.integers(0, 365, 400), "D")
        rows.append(
            pd.DataFrame(
                {
                    "lat": 34.05 + rng.normal(0, 0.004, 400),
                    "lon": -118.30 + rng.normal(0, 0.004, 400),
                    "occurred_date": days,
                }
            )
        )
        if n_new:
            days = pd.Timestamp(f"{year}-01-01") + pd.to_timedelta(rng.integers(0, 365, n_new), "D")
            rows.append(
                pd.DataFrame(
                    {
                        "lat": 34.10 + rng.normal(0, 0.002, n_new),
                        "lon": -118.25 + rng.normal(0, 0.002, n_new),
                        "occurred_date": days,
                    }
                )
            )
    pts = pd.concat(rows, ignore_index=True)
    pts["h3"] = grid.cell_ids(pts["lat"].to_numpy(), pts["lon"].to_numpy(), 8)
    cells = grid.study_cells(grid.counts_of(pts["h3"].to_numpy())["h3"], 8, None)
    return pts, list(cells)


def test_change_finds_the_new_cluster_and_keeps_the_steady_one():
    pts, cells = _city()
    raster = kde.raster_for(pts["lat"], pts["lon"], step_m=100.0)
    frame, span = change.hotspot_change(
        pts, cells, raster, kde.bin_cells(raster, cells, 8), 300.0, split=pd.Timestamp("2023-01-01")
    )
    assert span["incidents_before"] == 400 and span["incidents_after"] == 550
    assert frame["n_before"].sum() == 400 and frame["n_after"].sum() == 550
    new = grid.cell_ids(np.array([34.10]), np.array([-118.25]), 8)[0]
    old = grid.cell_ids(np.array([34.05]), np.array([-118.30]), 8)[0]
    row = frame.set_index("h3")
    assert row.loc[new, "direction"] == "rose" and row.loc[new, "change"] > 0
    assert row.loc[new, "n_before"] == 0
    # the steady cluster kept its count while the city grew by 550 / 400: no cell of it rose
    assert row.loc[old, "direction"] in ("steady", "fell")
    assert span["rose"] >= 1
    # the KDE masses add up to (nearly) every incident of each year
    assert frame["before"].sum() == pytest.approx(400, rel=0.02)
    assert frame["after"].sum() == pytest.approx(550, rel=0.02)


def test_dual_rate_spreads_population_by_area():
    pts, cells = _city(1)
    table = grid.cell_table(
        cells,
        grid.counts_of(pts["h3"].to_numpy())
        .set_index("h3")["n"]
        .reindex(cells, fill_value=0)
        .to_numpy(),
    )
    table["area_km2"] = grid.cell_areas_km2(cells)
    box = shapely.box(-118.40, 34.00, -118.27, 34.20)  # holds the western cells only
    divisions = pd.DataFrame(
        {"area_id": [1], "name": ["West"], "population": [50_000.0], "geometry": [box]}
    )
    out = change.dual_rate(table, divisions)
    inside = shapely.contains_xy(box, table["lon"], table["lat"])
    assert out["population"][inside].sum() == pytest.approx(50_000)
    assert out["population"][~inside].isna().all()
    i = int(np.flatnonzero(inside & (table["n"] > 0))[0])
    assert out["rate_per_1k"].iat[i] == pytest.approx(
        table["n"].iat[i] / out["population"].iat[i] * 1000
    )
    assert change.dual_rate(table, None) is None
