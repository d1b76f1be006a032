"""What crimecast forecast at the switch to NIBRS, against what was recorded: the gap splits
exactly into recording system and forecast error, transition months are never scored, and a run
on a store across the switch writes tables/forecast_vs_actual.csv."""

from __future__ import annotations

import pandas as pd
import pytest

from crimecast.forecast import hindsight

MONTHS = pd.date_range("2024-03-01", "2025-12-01", freq="MS")


def test_the_horizon_runs_from_the_switch_to_2025_or_the_last_complete_month():
    panel = pd.DataFrame(
        {"unique_id": "city", "ds": pd.date_range("2020-01-01", "2026-09-01", freq="MS"), "y": 1}
    )
    train, h = hindsight.split(panel, pd.Timestamp("2026-09-01"))
    assert h == 22 and train["ds"].max() == pd.Timestamp("2024-02-01")
    assert hindsight.split(panel, pd.Timestamp("2024-12-01"))[1] == 10
    assert hindsight.split(panel, pd.Timestamp("2024-01-01"))[1] == 0


def test_the_gap_splits_into_recording_system_and_forecast_error():
    fc = pd.DataFrame({"unique_id": "city", "ds": MONTHS, "model": "auto", "yhat": 100.0,
                       "lo_80": 90.0, "hi_80": 110.0, "lo_95": 80.0, "hi_95": 120.0})  # fmt: skip
    actual = pd.DataFrame({"unique_id": "city", "ds": MONTHS, "y": 125.0})
    transition = list(MONTHS[:3])
    shifts = pd.DataFrame({"unique_id": ["city"], "applied": [1.2]})
    out = hindsight.compare(fc, actual, transition, shifts)
    scored = out[~out["in_transition"]]
    assert len(scored) == len(MONTHS) - 3
    assert list(scored["recording_part"]) == pytest.approx([20.0] * len(scored))
    assert list(scored["forecast_error_part"]) == pytest.approx([5.0] * len(scored))
    parts = scored["recording_part"] + scored["forecast_error_part"]
    assert list(parts) == pytest.approx(list(scored["error"]))
    assert not scored["inside_80"].any() and not scored["inside_95"].any()
    assert out.loc[out["in_transition"], "error"].isna().all()
    summary = hindsight.summary(out).iloc[0]
    assert summary["months"] == len(MONTHS) - 3
    assert summary["mape"] == pytest.approx(0.2)
    assert summary["coverage_80"] == 0.0
    text = hindsight.in_words(summary, "Citywide")
    assert "off by 20%" in text and "explains about 80% of the gap" in text


def test_a_series_without_a_clear_shift_is_all_forecast_error():
    fc = pd.DataFrame({"unique_id": "category:arson", "ds": MONTHS, "model": "auto", "yhat": 10.0,
                       "lo_80": 5.0, "hi_80": 15.0, "lo_95": 3.0, "hi_95": 18.0})  # fmt: skip
    actual = pd.DataFrame({"unique_id": "category:arson", "ds": MONTHS, "y": 12.0})
    out = hindsight.compare(fc, actual, [], pd.DataFrame(columns=["unique_id", "applied"]))
    assert (out["recording_part"] == 0).all() and out["inside_80"].all()
    assert "explains" not in hindsight.in_words(hindsight.summary(out).iloc[0], "Arson")


def test_a_run_across_the_switch_compares_forecast_and_actual(tmp_path, capsys):
    from crimecast.cli import main as cli_main

    def main(argv):
        with pytest.raises(SystemExit) as done:
            cli_main(argv)
        assert done.value.code in (0, None)

    legacy, nibrs, store = tmp_path / "legacy.csv", tmp_path / "nibrs.csv", tmp_path / "store"
    main(["simulate", "--rows", "30000", "--start", "2019-01-01", "--end", "2026-06-30",
          "--layout", "both", "--out", str(legacy), "--nibrs-out", str(nibrs)])  # fmt: skip
    main(["ingest", str(legacy), str(nibrs), "--store", str(store)])
    capsys.readouterr()

    from crimecast import store as store_mod
    from crimecast.report import hindsight_step, steps

    snap = store_mod.Store.snapshot(store)
    try:
        ctx = steps.Context(
            out=tmp_path / "out", store=store, info=snap.info(),
            completeness=snap.completeness(), options={"seed": 1}, snapshot=snap,
        )  # fmt: skip
        (ctx.out / "figures").mkdir(parents=True)
        res = hindsight_step.step_hindsight(ctx, {})
    finally:
        snap.close()
    assert res["status"] == "computed" and res["figures"], res["note"]
    table = pd.read_csv(tmp_path / "out" / "tables" / "forecast_vs_actual.csv", parse_dates=["ds"])
    for col in ["unique_id", "ds", "model", "yhat", "lo_80", "hi_80", "y"]:
        assert col in table.columns
    assert {"city", "seasonal_naive", "auto"} <= set(table["unique_id"]) | set(table["model"])
    assert table["ds"].min() == pd.Timestamp("2024-03-01")
    assert table["y"].notna().all() and (table["yhat"] >= 0).all()
    scored = table[~table["in_transition"]]
    assert len(scored) > 0 and scored["error"].notna().all()
    assert res["summary"]["sentences"][0].startswith("Citywide: the forecast made from data")
