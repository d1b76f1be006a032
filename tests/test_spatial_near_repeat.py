"""The Knox near-repeat test: a hand-worked example, the exact (permutation-free) expectation,
and a planted near-repeat pattern found while a random one is not."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from crimecast.spatial import near_repeat

# four incidents: A (0 m, day 0), B (50 m east, day 3), C (1000 m, day 5), D (1050 m, day 40)
X = np.array([0.0, 50.0, 1000.0, 1050.0])
Y = np.zeros(4)
T = np.array([0.0, 3.0, 5.0, 40.0])
D_EDGES = (0, 100, 2000)
T_EDGES = (0, 7, 60)


def test_hand_worked_knox_table():
    # pairs: AB 50 m 3 d -> (near, soon); AC 1000 m 5 d -> (far, soon); AD 1050 m 40 d ->
    # (far, later); BC 950 m 2 d -> (far, soon); BD 1000 m 37 d -> (far, later);
    # CD 50 m 35 d -> (near, later)
    k = near_repeat.knox(X, Y, T, D_EDGES, T_EDGES, permutations=0)
    obs = k.pivot(index="d_lo", columns="t_lo", values="observed").to_numpy()
    assert obs.tolist() == [[1, 1], [2, 2]]
    # exact expectation S_d x T_t / N: S = (2, 4) pairs near / far, T = (3, 3) soon / later,
    # N = 6, so every cell expects 2 x 3 / 6 = 1 near and 4 x 3 / 6 = 2 far
    exact = k.pivot(index="d_lo", columns="t_lo", values="expected_exact").to_numpy()
    assert exact == pytest.approx(np.array([[1.0, 1.0], [2.0, 2.0]]))
    assert list(k["distance_band"].unique()) == ["0-100 m", "100-2000 m"]


def test_exact_expectation_equals_the_mean_over_every_shuffle():
    # the permutation-free case: with 4 incidents all 24 orderings of the dates can be listed
    exact = near_repeat.expected_counts(X, Y, T, D_EDGES, T_EDGES)
    i, j, d = near_repeat.spatial_pairs(X, Y, 2000.0)
    d_idx = np.searchsorted(np.asarray(D_EDGES, float), d, side="right") - 1
    total = np.zeros((2, 2))
    perms = list(itertools.permutations(range(4)))
    for p in perms:
        tt = T[list(p)]
        total += near_repeat._band_counts(d_idx, np.abs(tt[i] - tt[j]), np.array(T_EDGES, float), 2)
    assert total / len(perms) == pytest.approx(exact)


def test_monte_carlo_mean_converges_to_the_exact_expectation():
    rng = np.random.default_rng(1)
    n = 400
    x, y = rng.uniform(0, 3000, n), rng.uniform(0, 3000, n)
    t = rng.integers(0, 365, n).astype(float)
    k = near_repeat.knox(x, y, t, permutations=400, seed=2)
    big = k[k["expected_exact"] > 20]
    assert len(big) >= 5
    assert np.allclose(big["expected"], big["expected_exact"], rtol=0.06)
    # no pattern was planted: nothing is far above chance
    assert (k["ratio"].dropna() < 1.6).all()


def test_planted_near_repeats_are_found_and_said_in_words():
    rng = np.random.default_rng(3)
    n = 600
    x, y = rng.uniform(0, 5000, n), rng.uniform(0, 5000, n)
    t = rng.integers(0, 365, n).astype(float)
    # each of 200 incidents gets a repeat within 60 m and 4 days
    m = 200
    x = np.concatenate([x, x[:m] + rng.uniform(-40, 40, m)])
    y = np.concatenate([y, y[:m] + rng.uniform(-40, 40, m)])
    t = np.concatenate([t, t[:m] + rng.integers(0, 5, m)])
    k = near_repeat.knox(x, y, t, permutations=99, seed=4)
    first = k[(k["d_lo"] == 0) & (k["t_lo"] == 0)].iloc[0]
    assert first["ratio"] > 5 and first["p"] == pytest.approx(0.01)
    far = k[(k["d_lo"] >= 400) & (k["t_lo"] >= 30)]
    assert (far["ratio"] < 1.3).all()
    table = k.assign(category="burglary", incidents=len(x))
    words = near_repeat.sentences(table)
    assert words[0].startswith("burglary: incidents 0-100 m and 0-7 days apart are")
    fig = near_repeat.heatmap(table, "burglary")
    assert fig.data[0].z.shape == (4, 4)


def test_by_category_uses_dates_and_skips_small_categories():
    rng = np.random.default_rng(5)
    n = 300
    frame = pd.DataFrame(
        {
            "lat": 34.05 + rng.normal(0, 0.01, n),
            "lon": -118.3 + rng.normal(0, 0.01, n),
            "occurred_date": pd.Timestamp("2022-01-01")
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "crime_category": ["burglary"] * 280 + ["arson"] * 20,
        }
    )
    out = near_repeat.by_category(frame, permutations=9)
    assert set(out["category"]) == {"burglary"}
    assert (out["incidents"] == 280).all()
    assert out["observed"].sum() > 0
