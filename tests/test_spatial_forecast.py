"""Hotspot forecasts: PAI/PEI worked by hand, the KDE against scipy, the methods and backtest."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from crimecast.spatial import evaluate, forecast, grid, kde
from crimecast.spatial.boundaries import M_PER_DEG_LAT, M_PER_DEG_LON


def test_pai_and_pei_worked_example():
    # 10 cells of 1 km² each; 20 crimes next period, in cells 0..3 as 10, 5, 3, 2.
    actual = np.array([10, 5, 3, 2, 0, 0, 0, 0, 0, 0])
    areas = np.ones(10)
    # the forecast flags cells 1 and 3 (20% of the area)
    flagged = np.zeros(10, dtype=bool)
    flagged[[1, 3]] = True
    s = evaluate.score_flags(flagged, actual, areas)
    # hit rate = (5 + 2) / 20 = 0.35; PAI = 0.35 / 0.20 = 1.75
    # best two cells hold 10 + 5 = 15 crimes: max PAI = 0.75 / 0.20 = 3.75; PEI = 1.75 / 3.75
    assert s["hit_rate"] == pytest.approx(0.35)
    assert s["area_share"] == pytest.approx(0.2)
    assert s["pai"] == pytest.approx(1.75)
    assert s["pei"] == pytest.approx(1.75 / 3.75)
    assert (s["cells_flagged"], s["crimes"]) == (2, 20)
    perfect = evaluate.score_flags(np.arange(10) < 2, actual, areas)
    assert perfect["pei"] == pytest.approx(1.0) and perfect["pai"] == pytest.approx(3.75)


def test_top_cells_follow_area_and_break_ties():
    scores = np.array([5.0, 9.0, 9.0, 1.0, 0.0])
    areas = np.array([1.0, 1.0, 1.0, 1.0, 6.0])  # 10 km² in all
    # 20% of the area = 2 km²: the two 9s
    assert evaluate.top_cells(scores, areas, 0.2).tolist() == [False, True, True, False, False]
    # 10% = 1 km²: a tie between cells 1 and 2, broken by the tiebreak (higher first)
    tb = np.array([0, 1, 3, 0, 0])
    assert evaluate.top_cells(scores, areas, 0.1, tb).tolist() == [False, False, True, False, False]
    # at least one cell even when one cell is bigger than the coverage
    assert evaluate.top_cells(np.array([1.0]), np.array([5.0]), 0.01).sum() == 1
    with pytest.raises(ValueError):
        evaluate.top_cells(scores, areas, 0)


def test_binned_kde_matches_an_exact_gaussian_kde():
    from sklearn.neighbors import KernelDensity

    rng = np.random.default_rng(0)
    lat = 34.05 + rng.normal(0, 0.01, 400)
    lon = -118.25 + rng.normal(0, 0.012, 400)
    bw = 400.0
    raster = kde.raster_for(lat, lon, step_m=50.0)
    dens = kde.density(raster, lat, lon, bw)
    # the exact KDE (scikit-learn, in metres, same isotropic Gaussian bandwidth)
    xy = np.column_stack([(lon - raster.lon0) * M_PER_DEG_LON, (lat - raster.lat0) * M_PER_DEG_LAT])
    ref = KernelDensity(bandwidth=bw, kernel="gaussian").fit(xy)
    iy, ix = np.unravel_index(np.argsort(dens, axis=None)[-50:], dens.shape)
    at = np.column_stack([(ix + 0.5) * raster.step_m, (iy + 0.5) * raster.step_m])
    expected = np.exp(ref.score_samples(at)) * len(lat) * 1e6  # incidents per km²
    np.testing.assert_allclose(dens[iy, ix], expected, rtol=0.03)
    # the density integrates to the number of points (all well inside the raster)
    assert dens.sum() * raster.bin_km2 == pytest.approx(400, rel=1e-3)
    with pytest.raises(ValueError, match="bandwidth"):
        kde.density(raster, lat, lon, 0)


def test_kde_mass_per_cell_adds_up_and_favours_the_cluster():
    rng = np.random.default_rng(1)
    lat = np.r_[34.05 + rng.normal(0, 0.002, 300), rng.uniform(33.95, 34.15, 100)]
    lon = np.r_[-118.25 + rng.normal(0, 0.002, 300), rng.uniform(-118.45, -118.05, 100)]
    ids = grid.cell_ids(lat, lon, 8)
    cells = grid.study_cells(np.unique(ids), 8)
    raster = kde.raster_for(lat, lon, step_m=100.0)
    mapping = kde.bin_cells(raster, cells, 8)
    mass = kde.cell_mass(raster, kde.density(raster, lat, lon, 300.0), mapping, len(cells))
    assert mass.sum() == pytest.approx(400, rel=0.1)  # a little mass falls outside the cells
    top = cells[int(np.argmax(mass))]
    assert h3.grid_distance(top, h3.latlng_to_cell(34.05, -118.25, 8)) <= 1
    surface = kde.surface_frame(raster, kde.density(raster, lat, lon, 300.0))
    assert list(surface.columns) == ["lat", "lon", "density"] and len(surface) > 100


def test_self_exciting_fit_tells_a_steady_series_from_a_shifting_one():
    rng = np.random.default_rng(2)
    steady = rng.poisson(10, (200, 16)).astype(float)
    theta, _ = forecast.fit_self_exciting(steady)
    assert theta <= 0.3
    levels = np.repeat(rng.uniform(2, 30, (200, 4)), 4, axis=1)  # level shifts every 4 periods
    shifting = rng.poisson(levels).astype(float)
    theta2, _ = forecast.fit_self_exciting(shifting)
    assert theta2 >= 0.6


def _synthetic_inputs(t=8):
    """A grid with a persistent hot cell, a cell that turned hot at period 4 and background."""
    rng = np.random.default_rng(3)
    centre = h3.latlng_to_cell(34.05, -118.25, 8)
    cells = sorted(h3.grid_disk(centre, 6))
    lam = np.full((len(cells), t), 0.5)
    pos = {c: i for i, c in enumerate(cells)}
    lam[pos[centre]] = 30.0
    newer = h3.grid_ring(centre, 4)[0]
    lam[pos[newer], 4:] = 25.0
    y = rng.poisson(lam).astype(float)
    periods = list(pd.period_range("2021Q1", periods=t, freq="Q"))
    # the incidents themselves, at their cells' centres, for the KDE
    rows = []
    for i, c in enumerate(cells):
        la, lo = h3.cell_to_latlng(c)
        for j in range(t):
            for _ in range(int(y[i, j])):
                rows.append((la, lo, periods[j].start_time + pd.Timedelta(days=10), j))
    pts = pd.DataFrame(rows, columns=["lat", "lon", "occurred_date", "period_pos"])
    raster = kde.raster_for(pts["lat"], pts["lon"], step_m=100.0)
    inputs = forecast.Inputs(
        y=y,
        periods=periods,
        areas=grid.cell_areas_km2(cells),
        points=pts,
        raster=raster,
        mapping=kde.bin_cells(raster, cells, 8),
        bandwidth_m=300.0,
    )
    return inputs, cells, centre, newer


def test_backtest_table_and_a_persistent_hotspot_is_found():
    inputs, cells, centre, newer = _synthetic_inputs()
    bt = forecast.backtest(inputs, min_train=3, max_folds=4)
    assert list(bt.columns[:6]) == ["method", "coverage", "period", "hit_rate", "pai", "pei"]
    assert len(bt) == 4 * len(forecast.METHODS) * len(forecast.COVERAGES)
    assert set(bt["method"]) == set(forecast.METHODS)
    assert ((bt["hit_rate"] >= 0) & (bt["hit_rate"] <= 1)).all()
    assert (bt["pei"] <= 1 + 1e-9).all()
    # 1% of 127 cells = 1 cell. The long-term mean always flags the persistent hot cell, so its
    # PAI and PEI follow from that cell's count against the period's busiest cell.
    one = bt[bt["coverage"] == 0.01]
    assert (one["cells_flagged"] == 1).all()
    c = cells.index(centre)
    for row in one[one["method"] == "long_term"].itertuples():
        t = [str(p) for p in inputs.periods].index(row.period)
        y, a = inputs.y[:, t], inputs.areas
        hit = y[c] / y.sum()
        assert row.hit_rate == pytest.approx(hit)
        assert row.pai == pytest.approx(hit / (a[c] / a.sum()))
        best = int(np.argmax(y))
        assert row.pei == pytest.approx((y[c] / a[c]) / (y[best] / a[best]))
    assert (one["pai"] > 10).all()  # any method: the cell flagged is one of the two hot ones
    summary = forecast.summarise(bt)
    assert len(summary) == len(forecast.METHODS) * 2 and (summary["periods"] == 4).all()


def test_forecast_next_flags_recent_hotspots():
    inputs, cells, centre, newer = _synthetic_inputs()
    fc = forecast.forecast_next(inputs, cells)
    assert set(fc["method"]) == set(forecast.METHODS)
    assert set(fc["period"]) == {"2023Q1"}  # the quarter after the last one (2022Q4)
    for method in forecast.METHODS:
        sel = fc[fc["method"] == method].set_index("h3")
        assert sel["flagged_1pct"].sum() == 1
        if method == "lagged_counts":  # trees on 4 quarters: the two hot cells, either order
            assert {sel.loc[centre, "rank"], sel.loc[newer, "rank"]} == {1, 2}
            continue
        assert sel.loc[centre, "rank"] == 1
        assert sel.loc[centre, "flagged_1pct"]
        assert sel["flagged_5pct"].sum() >= 5
        assert sorted(sel["rank"]) == list(range(1, len(cells) + 1))
    # the cell that turned hot recently ranks 2nd for the recency-weighted methods
    for method in ("naive", "kde_decay", "self_exciting"):
        sel = fc[fc["method"] == method].set_index("h3")
        assert sel.loc[newer, "rank"] == 2, method
    with pytest.raises(ValueError, match="unknown forecast method"):
        forecast.scores(inputs, 4, "crystal_ball")


def test_seasonal_features_look_one_year_back():
    from crimecast.spatial import lagged

    m = np.arange(30, dtype=float).reshape(1, 30)  # period t holds the count t
    lag, mean = lagged.seasonal_before(m, 12)
    assert lag[0, 11] == 0 and lag[0, 12] == 0 and lag[0, 25] == 13
    # period 25: the same month one and two years before are 13 and 1
    assert mean[0, 25] == pytest.approx((13 + 1) / 2) and mean[0, 5] == 0


def test_ensemble_weight_is_chosen_on_training_periods_only():
    from crimecast.spatial import lagged

    rng = np.random.default_rng(2)
    n, t = 40, 16
    y = rng.poisson(0.2, (n, t)).astype(float)
    y[3, :] += 6  # one cell is hot every period
    areas = np.ones(n)
    ext = np.column_stack([y, np.zeros(n)])
    recent = {tau: lagged.ewma_before(ext, tau) for tau in lagged.ENSEMBLE_TAUS}
    wrong = np.zeros(n)
    wrong[7] = 1.0  # a learned model that points at the wrong cell
    seen = []

    def lagged_at(c):
        seen.append(c)
        return wrong

    sc, params = lagged.ensemble(y, areas, 12, lagged_at, recent.__getitem__)
    assert params["weight_recent_counts"] > 0.5 and params["inner_periods"] == lagged.INNER
    assert np.argmax(sc) == 3
    assert max(seen) == 12 and all(c < 12 for c in seen[:-1])  # never fitted on period 12
    right = np.zeros(n)
    right[3] = 1.0
    sc, params = lagged.ensemble(y, areas, 12, lambda c: right, recent.__getitem__)
    assert params["weight_recent_counts"] == 0.0  # ties favour the learned model
