"""Gi* hot and cold spots: planted patterns, agreement with esda, FDR."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimecast.spatial import grid, hotspots

CENTRE = h3.latlng_to_cell(34.05, -118.30, 8)


def _disk_grid(radius: int = 8) -> list[str]:
    return sorted(h3.grid_disk(CENTRE, radius))


def test_planted_dense_cluster_is_hot_at_99_percent():
    rng = np.random.default_rng(3)
    cells = _disk_grid(8)  # 217 cells
    counts = rng.poisson(5, len(cells))
    cluster = set(h3.grid_disk(CENTRE, 1))  # the centre and its 6 neighbours
    counts = np.array([n + (60 if c in cluster else 0) for c, n in zip(cells, counts, strict=True)])
    gi = hotspots.gi_star(grid.cell_table(cells, counts), permutations=999, seed=1)
    by_cell = gi.set_index("h3")
    assert by_cell.loc[CENTRE, "gi_bin"] == 3
    assert by_cell.loc[CENTRE, "class"] == "hot spot, 99% confidence"
    hot = set(gi.loc[gi["gi_bin"] > 0, "h3"])
    assert cluster <= hot
    # nothing far from the cluster comes out hot
    far = {c for c in hot if h3.grid_distance(CENTRE, c) > 2}
    assert not far
    assert by_cell.loc[CENTRE, "p_sim"] == pytest.approx(0.001)  # beats all 999 permutations


def test_uniform_noise_gives_no_hotspots_after_fdr():
    rng = np.random.default_rng(5)
    cells = _disk_grid(10)  # 331 cells
    found = 0
    raw = 0
    for seed in range(3):
        counts = rng.poisson(20, len(cells))
        table = grid.cell_table(cells, counts)
        gi = hotspots.gi_star(table, permutations=199, seed=seed)
        found += int((gi["gi_bin"] != 0).sum())
        raw += int((hotspots.gi_star(table, 0, seed, fdr=False)["gi_bin"] != 0).sum())
    assert found <= 1
    assert raw > found  # without the correction, noise does produce "hot spots"


def test_numbers_equal_esda_on_a_small_grid():
    rng = np.random.default_rng(8)
    cells = _disk_grid(6)
    counts = rng.negative_binomial(2, 0.2, len(cells))
    table = grid.cell_table(cells, counts)
    ours = hotspots.gi_star(table, permutations=199, seed=17)
    ref = hotspots.gi_star(table, permutations=199, seed=17, method="esda")
    np.testing.assert_allclose(ours["gi"], ref["gi"], rtol=1e-12)
    np.testing.assert_allclose(ours["z"], ref["z"], rtol=1e-10)
    # esda stores pseudo p-values as float32; the permutation counts behind them are identical
    np.testing.assert_array_equal(
        np.rint(ours["p_sim"] * 200).astype(int), np.rint(ref["p_sim"] * 200).astype(int)
    )
    np.testing.assert_array_equal(ours["gi_bin"], ref["gi_bin"])
    assert (ours["p_sim"] < 1).all() and (ours["p_sim"] >= 1 / 200).all()


def test_numbers_equal_esda_across_time_slices():
    rng = np.random.default_rng(9)
    cells = _disk_grid(4)
    y = rng.poisson(3, (len(cells), 3)).astype(float)
    nbs = grid.neighbour_lists(cells)
    res = hotspots.gi_star_matrix(y, nbs, permutations=99, seed=4)
    for j in range(3):
        ref = hotspots.gi_star(grid.cell_table(cells, y[:, j]), 99, 4, method="esda")
        np.testing.assert_allclose(res["z"][:, j], ref["z"], rtol=1e-10)
        np.testing.assert_array_equal(
            np.rint(res["p_sim"][:, j] * 100), np.rint(ref["p_sim"] * 100)
        )


def test_benjamini_hochberg_by_hand_and_against_statsmodels():
    from statsmodels.stats.multitest import multipletests

    p = np.array([0.01, 0.04, 0.03, 0.20])
    # sorted 0.01, 0.03, 0.04, 0.20 -> 0.04, 0.06, 0.0533, 0.20 -> monotone from the top:
    # 0.04, 0.0533, 0.0533, 0.20 (in the input order: 0.04, 0.0533, 0.0533, 0.20)
    np.testing.assert_allclose(
        hotspots.benjamini_hochberg(p), [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.20]
    )
    rng = np.random.default_rng(0)
    q = rng.uniform(size=500) ** 3
    np.testing.assert_allclose(
        hotspots.benjamini_hochberg(q), multipletests(q, method="fdr_bh")[1], rtol=1e-12
    )
    with_nan = hotspots.benjamini_hochberg([0.01, np.nan, 0.02])
    assert np.isnan(with_nan[1]) and with_nan[0] == pytest.approx(0.02)


def test_classify_levels_and_the_permutation_check():
    z = np.array([3.0, 3.0, 2.0, 1.7, -2.7, 0.5, 3.0])
    p_fdr = np.array([0.005, 0.005, 0.03, 0.08, 0.007, 0.6, 0.005])
    p_sim = np.array([0.001, 0.02, 0.001, 0.001, 0.001, 0.3, 0.006])
    # the permutation test supports only 95% for the 2nd cell (2 * 0.02 = 0.04) and the last
    # (2 * 0.006 = 0.012 > 0.01)
    assert hotspots.classify(z, p_fdr, p_sim).tolist() == [3, 2, 2, 1, -3, 0, 2]
    assert hotspots.classify(z, p_fdr).tolist() == [3, 3, 2, 1, -3, 0, 3]


def test_empty_grid_has_no_hotspots_and_no_error():
    cells = _disk_grid(2)
    gi = hotspots.gi_star(grid.cell_table(cells), permutations=99, seed=1)
    assert (gi["gi_bin"] == 0).all()
    assert gi["z"].isna().all()


def test_summary_counts_cells_and_incidents():
    table = pd.DataFrame({"h3": ["a", "b", "c"], "n": [10, 5, 1], "gi_bin": [3, 0, -1]})
    s = hotspots.summary(table)
    assert s["hot_cells"] == 1 and s["cold_cells"] == 1
    assert s["incidents_in_hot_cells"] == 10
    assert s["share_of_incidents_in_hot_cells"] == pytest.approx(10 / 16)
    assert s["by_class"]["hot spot, 99% confidence"] == 1


def _uniform_points(cells, n, rng):
    """n points uniform over the union of `cells` (rejection sampling from the bounding box)."""
    lat, lon = grid.centres(cells)
    inside = set(cells)
    out_lat, out_lon = [], []
    while len(out_lat) < n:
        a = rng.uniform(lat.min() - 0.01, lat.max() + 0.01, 4 * n)
        b = rng.uniform(lon.min() - 0.01, lon.max() + 0.01, 4 * n)
        keep = np.isin(grid.cell_ids(a, b, 8), list(inside))
        out_lat.extend(a[keep].tolist())
        out_lon.extend(b[keep].tolist())
    return np.array(out_lat[:n]), np.array(out_lon[:n])


def _gi_from_points(cells, lat, lon):
    counts = grid.count_cells(pd.DataFrame({"lat": lat, "lon": lon}), 8)
    n = counts.set_index("h3")["n"].reindex(cells, fill_value=0).to_numpy()
    assert n.sum() == len(lat)  # every point in exactly one cell of the study area
    return hotspots.gi_star(grid.cell_table(cells, n), permutations=999, seed=3)


def test_point_pattern_planted_cluster_is_hot_and_noise_is_not():
    rng = np.random.default_rng(12)
    cells = _disk_grid(9)  # 271 cells, about 200 km²
    lat, lon = _uniform_points(cells, 6000, rng)
    gi = _gi_from_points(cells, lat, lon)
    assert (gi["gi_bin"] != 0).sum() <= 1  # uniform noise: no hot or cold spots after FDR
    # plant 400 incidents within about 150 m of a street corner 3 cells from the centre
    corner = h3.cell_to_latlng(h3.grid_ring(CENTRE, 3)[0])
    c_lat = corner[0] + rng.normal(0, 0.0013, 400)
    c_lon = corner[1] + rng.normal(0, 0.0016, 400)
    gi2 = _gi_from_points(cells, np.r_[lat, c_lat], np.r_[lon, c_lon])
    home = h3.latlng_to_cell(*corner, 8)
    assert gi2.set_index("h3").loc[home, "class"] == "hot spot, 99% confidence"
    hot = gi2.loc[gi2["gi_bin"] > 0, "h3"]
    assert all(h3.grid_distance(home, c) <= 2 for c in hot)
    # esda's conditional permutation holds the cell's own count fixed and asks only whether its
    # neighbours are high: a cluster smaller than one hexagon does not pass that stricter reading
    strict = hotspots.gi_star(gi2[["h3", "n", "lat", "lon"]], 999, 3, confirm_by_permutation=True)
    assert strict.set_index("h3").loc[home, "gi_bin"] < 3


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.0, 1.0), min_size=1, max_size=80))
def test_property_fdr_adjusted_p_is_bounded_and_order_preserving(ps):
    p = np.array(ps)
    adj = hotspots.benjamini_hochberg(p)
    assert (adj >= p - 1e-12).all() and (adj <= 1.0).all()
    order = np.argsort(p, kind="mergesort")
    assert (np.diff(adj[order]) >= -1e-12).all()
