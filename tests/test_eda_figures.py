"""Figures and the `crimecast eda` command: Plotly figures have the expected traces and words,
no all-NaN traces, completeness marks on time series; PNGs open at the expected size; empty
selections give labelled empty figures; the command writes every table and figure."""

from __future__ import annotations

import json

import matplotlib.image as mpimg
import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from crimecast import eda
from crimecast.cli import app
from crimecast.eda import figures, specs, static, tables
from crimecast.store import Store

TIME_SERIES = (
    "monthly",
    "weekly",
    "daily",
    "weapon_monthly",
    "monthly_by_crime_class",
    "stl_citywide",
    "stl_by_area",
)


@pytest.fixture(scope="module")
def sim(sim_store):
    with Store(sim_store, read_only=True) as st:
        frame = st.incidents(columns=eda.COLUMNS)
        comp = st.completeness()
    return eda.build(frame, comp, seed=3), comp


def _numeric(values) -> np.ndarray:
    return pd.to_numeric(pd.Series(np.asarray(values, dtype=object)), errors="coerce").to_numpy(
        dtype=float
    )


def test_every_figure_has_traces_words_and_no_nan_only_trace(sim):
    result, _ = sim
    names = [s.name for s in result.specs]
    assert len(names) == len(set(names)) >= 30
    for spec in result.specs:
        fig = figures.render(spec)
        assert spec.title and fig.layout.title.text.startswith(spec.title)
        assert fig.layout.xaxis.title.text, spec.name
        assert "_" not in fig.layout.xaxis.title.text, spec.name  # words, not column names
        assert not spec.empty, spec.name
        assert len(fig.data) >= 1, spec.name
        for trace in fig.data:
            vals = trace.z if trace.type == "heatmap" else (
                trace.x if getattr(trace, "orientation", None) == "h" else trace.y)  # fmt: skip
            assert np.isfinite(_numeric(np.ravel(vals))).any(), f"{spec.name}: {trace.name}"


def test_expected_traces_and_titles(sim):
    result, _ = sim
    monthly = result.figure("monthly")
    assert [t.name for t in monthly.data] == ["incidents", "3-month moving average"]
    assert monthly.layout.yaxis.title.text == "Incidents per month"
    by_hour = result.figure("by_hour")
    assert [t.name for t in by_hour.data] == ["time recorded", "time logged as 12:00 (default)"]
    assert by_hour.layout.barmode == "stack"
    assert sum(by_hour.data[1].y) == result.tables["by_hour"]["noon_default"].sum()
    trend = result.figure("trend_tests")
    assert {t.name for t in trend.data} <= {"rising", "falling", "flat"}
    prof = result.figure("profile_divisions")
    assert sum(len(t.x) for t in prof.data) == len(result.tables["profile_area_scores"])
    assert prof.layout.xaxis.title.text.startswith("PC1: ")
    cat = result.tables["by_category"]
    top = cat.loc[cat["share"].idxmax()]
    assert f"{top['crime_category']} is {top['share']:.0%}" in result.spec("by_category").title


def test_time_series_figures_mark_incomplete_months(sim):
    result, comp = sim
    flagged = comp[~comp["complete"]]
    assert len(flagged)  # the simulated store's newest months are still being reported
    for name in TIME_SERIES:
        fig = result.figure(name)
        rects = [s for s in fig.layout.shapes if s.type == "rect"]
        assert rects, name
        assert any("not yet fully reported" in a.text for a in fig.layout.annotations), name
        assert pd.Timestamp(rects[-1].x1) > pd.Timestamp(flagged["month"].max()), name
    by_year = result.spec("by_year")
    assert by_year.flags and "incomplete" in by_year.flags[-1][2]


def test_nibrs_break_is_labelled():
    months = pd.date_range("2023-01-01", "2024-06-01", freq="MS")
    t = pd.DataFrame({"month": months, "incidents": 100, "moving_avg": 100.0})
    t["complete"] = months < "2024-03-01"
    t["reason"] = np.where(t["complete"], "", "NIBRS break")
    s = specs.monthly(t)
    assert s.flags == [
        (pd.Timestamp("2024-03-01"), pd.Timestamp("2024-07-01"), specs.FLAG_TEXT["NIBRS break"])
    ]
    assert "not a fall in crime" in s.flags[0][2]


def test_pngs_open_at_the_expected_size(sim, tmp_path):
    result, _ = sim
    for name in ("monthly", "by_hour", "weekday_hour", "seasonal_profile", "yoy_by_division",
                 "victim_age", "profile_divisions"):  # fmt: skip
        path = static.render(result.spec(name), tmp_path / f"{name}.png")
        img = mpimg.imread(path)
        assert img.shape[:2] == (static.HEIGHT, static.WIDTH), name
        assert img[..., :3].std() > 0.02, name  # something was drawn


def test_empty_selection_gives_labelled_empty_figures(tmp_path):
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in eda.COLUMNS})
    result = eda.build(empty)
    assert result.incidents == 0 and result.messages
    for spec in result.specs:
        fig = figures.render(spec)
        assert spec.empty, spec.name
        assert any(specs.EMPTY_MESSAGE in a.text for a in fig.layout.annotations)
        assert fig.layout.xaxis.title.text
    path = static.render(result.spec("monthly"), tmp_path / "empty.png")
    assert mpimg.imread(path).shape[:2] == (static.HEIGHT, static.WIDTH)


def test_heatmap_is_drawn_with_and_without_the_noon_default(sim):
    result, _ = sim
    shown = np.nansum(result.figure("weekday_hour").data[0].z)
    hidden = np.nansum(result.figure("weekday_hour_no_noon").data[0].z)
    assert shown - hidden == result.tables["weekday_hour"]["noon_default"].sum() > 0


def test_heatmap_can_leave_out_the_noon_default():
    f = pd.DataFrame(
        {"occurred_date": ["2023-01-02"] * 3, "hour": [12, 12, 9],
         "time_is_noon_default": [True, False, False]}
    )  # fmt: skip
    grid = tables.weekday_hour(f)
    shown = figures.weekday_hour(grid).data[0].z
    hidden = figures.weekday_hour(grid, exclude_noon_default=True).data[0].z
    assert np.nansum(shown) == 3 and np.nansum(hidden) == 2


# --- the command ------------------------------------------------------------------------------------
def test_eda_command_writes_tables_and_figures(sim_store, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(
        app,
        ["eda", "--store", str(sim_store), "--out", str(out), "--from", "2019-01-01",
         "--class", "violent", "--no-png", "--no-profiles"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "eda.json").read_text())
    with Store(sim_store, read_only=True) as st:
        from crimecast.commands.common import build_filters

        n = st.count(build_filters("2019-01-01", None, None, None, ["violent"]))
    assert manifest["incidents"] == n > 0
    by_cat = pd.read_csv(out / "tables" / "by_category.csv")
    assert by_cat["incidents"].sum() == n
    assert set(by_cat.loc[by_cat["incidents"] > 0, "crime_class"]) == {"violent"}
    for fig in manifest["figures"]:
        html = (out / "figures" / f"{fig['name']}.html").read_text()
        assert "<div" in html and "cdn.plot.ly" not in html  # a fragment, no plotly.js bundled
        assert json.loads((out / "figures" / f"{fig['name']}.json").read_text())["data"] is not None
    assert any("describe the victims" in note for note in manifest["notes"])


def test_eda_command_empty_selection_and_bad_population(sim_store, tmp_path):
    out = tmp_path / "empty"
    res = CliRunner().invoke(
        app, ["eda", "--store", str(sim_store), "--out", str(out), "--from", "2030-01-01",
              "--to", "2030-02-01", "--no-png"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert json.loads((out / "eda.json").read_text())["incidents"] == 0
    bad = tmp_path / "pop.csv"
    bad.write_text("area,population\nCentral,80000\nAtlantis,5\n")
    from crimecast.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["eda", "--store", str(sim_store), "--out", str(out), "--population", str(bad)])
    assert exc.value.code == 2
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    with pytest.raises(SystemExit) as exc:
        main(["eda", "--store", str(sim_store), "--out", str(blocked), "--from", "2030-01-01",
              "--no-png"])  # fmt: skip
    assert exc.value.code == 2


def test_every_builder_has_a_plotly_and_a_png_function(tmp_path):
    t = tables.by_weekday(pd.DataFrame({"occurred_date": ["2023-01-02", "2023-01-04"]}))
    for name in specs.BUILDERS:
        assert callable(getattr(figures, name)) and callable(getattr(static, name)), name
    fig = figures.by_weekday(t)
    assert fig.layout.title.text.startswith("Incidents by day of the week — most on Monday")
    path = static.by_weekday(t, tmp_path / "weekday.png")
    assert mpimg.imread(path).shape[:2] == (static.HEIGHT, static.WIDTH)
