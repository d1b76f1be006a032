"""Ashby's reliability gates and the next-12-months outlook, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast.forecast import gates, risk


def _fc(uid, yhat, lo95, hi95, h=12):
    ds = pd.date_range("2024-01-01", periods=h, freq="MS")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "model": "auto", "yhat": yhat,
                         "lo_80": lo95, "hi_80": hi95, "lo_95": lo95, "hi_95": hi95})  # fmt: skip


def test_each_gate_by_hand():
    ds = pd.date_range("2020-01-01", periods=48, freq="MS")
    good = pd.DataFrame({"unique_id": "good", "ds": ds, "y": 100.0})
    short = pd.DataFrame({"unique_id": "short", "ds": ds[:20], "y": 100.0})
    sparse = pd.DataFrame({"unique_id": "sparse", "ds": ds, "y": np.tile([0, 0, 0, 9.0], 12)})
    hist = pd.concat([good, short, sparse])
    fc = pd.concat([_fc("good", 100, 80, 120), _fc("short", 100, 80, 120),
                    _fc("sparse", 2, 0, 7)])  # fmt: skip
    scores = pd.DataFrame({"unique_id": ["good", "short"], "model": "auto",
                           "mape": [0.05, 0.25], "mase": [0.8, 1.6]})  # fmt: skip
    g = gates.gates(hist, fc, "MS", scores).set_index("unique_id")
    assert g.loc["good", "gates"] == "" and g.loc["good", "gates_failed"] == 0
    assert g.loc["short", "short_history"] and g.loc["short", "far_horizon"]  # 12 > 20 / 2
    assert g.loc["short", "high_mape"] and g.loc["short", "high_mase"]
    assert not g.loc["short", "wide_interval"] and g.loc["short", "gates_failed"] == 4
    assert g.loc["sparse", "low_counts"] and g.loc["sparse", "mostly_zeros"]
    assert g.loc["sparse", "wide_interval"]  # 7 wide around 2
    assert g.loc["sparse", "high_mape"] is None and "high_mape" in g.loc["sparse", "gates_unknown"]
    assert "fewer than 24" in g.loc["short", "gates"] and "MASE 1.60" in g.loc["short", "gates"]
    assert gates.sentence(g.loc["good"]).startswith("passes")
    far = gates.gates(good, _fc("good", 100, 80, 120, h=24), "MS").iloc[0]
    assert far["far_horizon"] and "24 periods" in far["gates"]


def test_outlook_probabilities_add_up_and_follow_the_forecast():
    ds = pd.date_range("2022-01-01", periods=24, freq="MS")
    hist = pd.DataFrame({"unique_id": "up", "ds": ds, "y": 100.0})
    fc = _fc("up", 130, 110, 150)
    out = risk.prob_exceed(fc, hist, "MS", "auto").iloc[0]
    assert out["prob_higher"] + out["prob_lower"] + out["prob_same"] == 1.0
    assert out["prob_higher"] > 0.95
    flat = risk.prob_exceed(_fc("up", 100, 99, 101), hist, "MS", "auto").iloc[0]
    assert flat["prob_same"] > 0.95
