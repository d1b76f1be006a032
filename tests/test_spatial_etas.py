"""ETAS by EM: planted parameters recovered from a simulated self-exciting process, and the
fitted model beating the long-term map where crime really does trigger crime."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crimecast import spatial
from crimecast.spatial import etas, evaluate
from crimecast.spatial.boundaries import M_PER_DEG_LAT, M_PER_DEG_LON

SIDE = 8000.0  # a square of 8 km x 8 km


def _uniform(rng, n):
    return rng.uniform(0, SIDE, n), rng.uniform(0, SIDE, n)


def _background(x, y):
    """The planted background shape: uniform on the square, none outside it."""
    inside = (x >= 0) & (x <= SIDE) & (y >= 0) & (y <= SIDE)
    return np.where(inside, 1 / SIDE**2, 0.0)


def test_em_recovers_planted_parameters():
    mu, theta, omega, sigma = 6.0, 0.5, 0.15, 120.0
    x, y, t, bg = etas.simulate(mu, theta, omega, sigma, 400.0, _uniform, seed=0)
    assert 0.4 < 1 - bg.mean() < 0.6  # about half the incidents are triggered, as planted
    f = etas.fit(x, y, t, _background(x, y), 0.0, 400.0)
    # tolerances: about three standard errors at this sample size (~4,900 incidents; over 8
    # seeds the fits spread by about 3% in mu and sigma, 0.02 in theta and 5% in omega)
    assert f.mu == pytest.approx(mu, rel=0.1)
    assert f.theta == pytest.approx(theta, abs=0.06)
    assert f.omega == pytest.approx(omega, rel=0.25)
    assert f.sigma == pytest.approx(sigma, rel=0.1)
    one_step = etas.fit(x, y, t, _background(x, y), 0.0, 400.0, iterations=1)
    assert f.log_likelihood > one_step.log_likelihood


def test_em_finds_no_triggering_in_a_poisson_process():
    rng = np.random.default_rng(4)
    n = 3000
    x, y = _uniform(rng, n)
    t = np.sort(rng.uniform(0, 365, n))
    f = etas.fit(x, y, t, np.full(n, 1 / SIDE**2), 0.0, 365.0)
    assert f.theta < 0.05
    assert f.mu == pytest.approx(n / 365, rel=0.08)


def test_triggered_weights_integrate_the_decay():
    f = etas.EtasFit(
        mu=1.0, theta=0.5, omega=0.1, sigma=100.0, iterations=0, events=0, log_likelihood=0.0
    )
    # an incident at day 0: offspring expected in [10, 20) = 0.5 (e^-1 - e^-2)
    w = etas.triggered_weights(f, [0.0, 30.0], 10.0, 20.0)
    assert w[0] == pytest.approx(0.5 * (np.exp(-1) - np.exp(-2)))
    assert w[1] == 0  # an incident after the window triggers nothing in it


def test_etas_beats_the_long_term_map_on_a_self_exciting_city():
    x, y, t, _ = etas.simulate(4.0, 0.7, 0.08, 80.0, 730.0, _uniform, seed=5)
    frame = pd.DataFrame(
        {
            "lat": 34.00 + y / M_PER_DEG_LAT,
            "lon": -118.40 + x / M_PER_DEG_LON,
            "area_id": 1,
            "occurred_date": pd.Timestamp("2022-01-01") + pd.to_timedelta(np.floor(t), unit="D"),
        }
    )
    res = spatial.analyse(
        frame,
        None,
        resolution=9,
        period="month",
        permutations=0,
        with_emerging=False,
        methods=("long_term", "etas"),
        backtest_periods=6,
    )
    s = res.backtest_summary.set_index(["method", "coverage"])
    assert s.loc[("etas", 0.01), "pai"] > 1.3 * s.loc[("long_term", 0.01), "pai"]
    fits = res.forecast_fits[res.forecast_fits["method"] == "etas"]
    assert fits["theta"].between(0.5, 0.85).all()
    assert res.best_method == "etas"


def test_rri_worked_example():
    # previous period: 10 crimes, 4 in the flagged cells; this period: 20 crimes, 10 in them
    previous = np.array([3, 1, 6, 0])
    actual = np.array([6, 4, 5, 5])
    flagged = np.array([True, True, False, False])
    # (10 / 4) / (20 / 10) = 1.25
    assert evaluate.rri(flagged, actual, previous) == pytest.approx(1.25)
    assert np.isnan(evaluate.rri(np.array([False, False, False, True]), actual, previous))
