"""`crimecast hotspots` end to end on the simulated store, `spatial.analyse` on the real
incidents, and bad input (empty selection, no coordinates, no boundaries offline)."""

from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pytest

from crimecast import spatial
from crimecast.cli import main
from crimecast.errors import ConfigError
from crimecast.spatial import boundaries
from crimecast.store import Store

FILES = [
    "cells.csv",
    "gi_star.csv",
    "gi_star.geojson",
    "divisions.csv",
    "divisions.geojson",
    "emerging.csv",
    "emerging.geojson",
    "forecast_backtest.csv",
    "forecast_summary.csv",
    "forecast_next.csv",
    "forecast_next.geojson",
    "counts.png",
    "gi_star.png",
    "emerging.png",
    "divisions_rate.png",
    "forecast.png",
    "kde.png",
    "hotspots.html",
    "summary.json",
]


@pytest.fixture(scope="module")
def geohub(data_dir):
    return data_dir / "geo" / "LAPD_Divisions.geojson"


@pytest.fixture(scope="module")
def cli_run(sim_store, geohub, tmp_path_factory):
    out = tmp_path_factory.mktemp("hotspots_out")
    args = ["--store", str(sim_store), "--out", str(out), "--boundaries", str(geohub)]
    with pytest.raises(SystemExit) as exc:  # the CLI exits 0 on success
        main(["hotspots", *args, "--permutations", "199"])
    assert exc.value.code in (0, None)
    return out / "hotspots"


def test_cli_writes_every_output(cli_run, sim_store):
    for name in FILES:
        assert (cli_run / name).stat().st_size > 0, name
    for png in cli_run.glob("*.png"):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    summary = json.loads((cli_run / "summary.json").read_text())
    with Store(sim_store, read_only=True) as st:
        total = st.count()
        through = st.complete_through()
    # incomplete recent months (reporting lag) stay out of the time slices
    last = pd.Period(summary["periods"][-1], freq="Q")
    assert through is not None and last.end_time <= through + pd.offsets.MonthEnd(0)
    assert any("not yet completely reported" in n for n in summary["notes"])
    coords = summary["coordinates"]
    assert coords["total"] == total
    assert coords["geocoded"] + coords["unusable"] == total  # nothing lost
    cells = pd.read_csv(cli_run / "cells.csv")
    assert cells["n"].sum() == coords["geocoded"]  # each geocoded incident in exactly one cell
    assert summary["cells"] == len(cells)
    divisions = pd.read_csv(cli_run / "divisions.csv")
    assert divisions["incidents"].sum() == total
    # every geocoded incident is joined to one division or counted as outside them all
    join = summary["division_join"]
    assert divisions["in_polygon"].sum() + join["outside"] == coords["geocoded"]
    assert join["inside"] + join["snapped"] + join["on_border"] == divisions["in_polygon"].sum()
    assert (divisions["agree_share"] > 0.9).all()
    gi = pd.read_csv(cli_run / "gi_star.csv")
    gj = json.loads((cli_run / "gi_star.geojson").read_text())
    assert len(gj["features"]) == len(gi) == len(cells)
    assert {"z", "p", "p_sim", "p_fdr", "gi_bin", "class"} <= set(gj["features"][0]["properties"])
    assert (gi["gi_bin"] == 3).any()  # simulated clusters are hot spots
    bt = pd.read_csv(cli_run / "forecast_backtest.csv")
    assert set(bt["method"]) == set(spatial.forecast.METHODS)
    assert set(bt["coverage"]) == {0.01, 0.05}
    assert {"rri", "cells_not_in_long_term", "crimes_in_those_cells"} <= set(bt.columns)
    fits = pd.read_csv(cli_run / "forecast_fits.csv")
    assert {"theta", "sigma_m", "weight_long_term"} <= set(fits.columns)
    vs = pd.read_csv(cli_run / "forecast_vs_long_term.csv")
    assert set(vs["flagged_by"]) <= {"method only", "long_term only"}
    assert "long_term" not in set(vs["method"])
    ch = pd.read_csv(cli_run / "change.csv")
    assert len(ch) == len(cells) and set(ch["direction"]) <= {"rose", "fell", "steady"}
    assert summary["change"]["incidents_after"] == ch["n_after"].sum()
    rates = pd.read_csv(cli_run / "cell_rates.csv")
    assert (rates["population"].dropna() > 0).all() and rates["population"].notna().any()
    nr = pd.read_csv(cli_run / "near_repeat.csv")
    assert {"category", "distance_band", "time_band", "observed", "ratio", "p"} <= set(nr.columns)
    assert len(summary["near_repeat"]) == nr["category"].nunique()
    assert bt.groupby(["method", "coverage"]).size().nunique() == 1
    em = pd.read_csv(cli_run / "emerging.csv")
    assert em["pattern"].str.endswith(("hot spot", "cold spot", "no pattern")).all()
    fc = json.loads((cli_run / "forecast_next.geojson").read_text())
    assert len(fc["features"]) > 0
    nxt = pd.read_csv(cli_run / "forecast_next.csv")
    assert set(nxt["period"]) == {str(last + 1)}  # the quarter after the last complete one


def test_html_maps_need_no_internet(cli_run):
    html = (cli_run / "hotspots.html").read_text()
    assert '<script src="http' not in html and "<script src='http" not in html
    # every figure is drawn on plain axes: no map, mapbox or geo subplots (which fetch tiles or
    # a base map from a CDN). The figures' JSON follows each Plotly.newPlot( call.
    decoder = json.JSONDecoder()
    calls = html.split("Plotly.newPlot(")[1:]
    # six maps and one near-repeat heatmap per crime category
    heatmaps = pd.read_csv(cli_run / "near_repeat.csv")["category"].nunique()
    assert heatmaps >= 1
    assert len(calls) == 6 + heatmaps == html.count('class="plotly-graph-div"')
    for call in calls:
        _, end = decoder.raw_decode(call.lstrip())  # the div id
        rest = call.lstrip()[end:].lstrip().lstrip(",").lstrip()
        data, end = decoder.raw_decode(rest)
        layout, _ = decoder.raw_decode(rest[end:].lstrip().lstrip(",").lstrip())
        assert {t["type"] for t in data} <= {"scatter", "heatmap"}
        assert not {"map", "mapbox", "geo"} & set(layout)


def test_offline_without_boundaries_uses_the_built_in_outlines(
    sim_store, tmp_path, monkeypatch, capsys
):
    store = tmp_path / "store"
    # a copy of the store without a boundary cache, and a GeoHub that cannot be reached
    import shutil

    shutil.copytree(sim_store, store, ignore=shutil.ignore_patterns("geo"))
    monkeypatch.setenv("CRIMECAST_BOUNDARIES_URL", "http://127.0.0.1:9/lapd_divisions.geojson")
    with pytest.raises(SystemExit) as exc:
        main(["hotspots", "--store", str(store), "--out", str(tmp_path / "out")])
    assert exc.value.code == 0
    said = capsys.readouterr()
    assert "built-in" in said.out + said.err and "Traceback" not in said.out + said.err
    divisions = pd.read_csv(tmp_path / "out" / "hotspots" / "divisions.csv")
    assert sorted(divisions["area_id"]) == list(range(1, 22))
    assert divisions["population"].gt(0).all()


def test_empty_selection_is_a_clear_error(sim_store, geohub, tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "hotspots",
                "--store",
                str(sim_store),
                "--out",
                str(tmp_path),
                "--boundaries",
                str(geohub),
                "--from",
                "2031-01-01",
            ]
        )
    assert exc.value.code == 2
    assert "no incidents match the selection" in capsys.readouterr().err


def test_bad_period_and_resolution(sim_store, geohub, tmp_path, capsys):
    for args in (["--period", "week"], ["--resolution", "13"]):
        with pytest.raises(SystemExit) as exc:
            main(["hotspots", "--store", str(sim_store), "--out", str(tmp_path), *args])
        assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "quarter or month" in err and "resolution 13" in err


def test_analyse_refuses_incidents_without_coordinates():
    frame = pd.DataFrame(
        {
            "lat": [np.nan, 0.0, 51.5],
            "lon": [np.nan, 0.0, -0.1],
            "area_id": [1, 2, 3],
            "occurred_date": pd.to_datetime(["2023-01-01"] * 3),
        }
    )
    with pytest.raises(ConfigError, match=r"none of the 3 .* \(2 missing, 1 outside Los Angeles\)"):
        spatial.analyse(frame)
    with pytest.raises(ConfigError, match="no incidents match"):
        spatial.analyse(frame.iloc[:0])


def test_analyse_real_incidents(real_store, geohub):
    with Store(real_store, read_only=True) as st:
        incidents = st.incidents(columns=["record_id", "occurred_date", "area_id", "lat", "lon"])
    # some rows without coordinates, and one far outside Los Angeles, must be counted, not lost
    incidents.loc[incidents.index[:5], ["lat", "lon"]] = np.nan
    incidents.loc[incidents.index[5], ["lat", "lon"]] = (40.7, -74.0)
    divisions, _ = boundaries.read_divisions(geohub)
    res = spatial.analyse(
        incidents, divisions, permutations=199, with_emerging=False, with_forecast=False
    )
    c = res.coordinates
    assert c.total == len(incidents) and c.outside_la >= 1 and c.no_coordinates >= 5
    assert c.geocoded + c.unusable == len(incidents)
    assert res.cells["n"].sum() == c.geocoded
    assert res.division_table["incidents"].sum() == len(incidents)
    assert res.division_table["in_polygon"].sum() == c.geocoded
    assert any("no usable coordinates" in n for n in res.notes)
    assert (res.gi["gi_bin"] == 3).any()  # real crime concentrates (Downtown, Hollywood...)
    hot = res.gi[res.gi["gi_bin"] > 0]
    # Central (area 1) holds hot cells: the densest division in the sample
    central = divisions.set_index("area_id").loc[1, "geometry"]
    import shapely

    assert shapely.contains_xy(central, hot["lon"], hot["lat"]).any()
    s = res.summary()
    assert s["division_join"]["outside"] == 0
    json.dumps(s, default=str)


def test_analyse_without_boundaries_uses_the_occupied_cells_and_their_ring():
    rng = np.random.default_rng(6)
    n = 3000
    frame = pd.DataFrame(
        {
            "lat": 34.05 + rng.normal(0, 0.02, n),
            "lon": -118.30 + rng.normal(0, 0.02, n),
            "area_id": rng.integers(1, 22, n),
            "occurred_date": pd.Timestamp("2022-01-01")
            + pd.to_timedelta(rng.integers(0, 365 * 2, n), unit="D"),
        }
    )
    res = spatial.analyse(frame, None, permutations=199, backtest_periods=2)
    assert res.cells["n"].sum() == n and (res.cells["n"] == 0).any()  # the empty ring
    assert res.division_table["incidents"].sum() == n
    assert res.division_table["in_polygon"].isna().all()
    assert [str(p) for p in res.periods] == [f"{y}Q{q}" for y in (2022, 2023) for q in (1, 2, 3, 4)]
    assert res.emerging is not None and len(res.emerging) == len(res.cells)
    assert set(res.backtest["period"]) == {"2023Q3", "2023Q4"}
    assert len(res.forecast) == len(spatial.forecast.METHODS) * len(res.cells)


def test_cli_json_summary_with_filters(sim_store, geohub, tmp_path, capsys):
    args = ["--store", str(sim_store), "--out", str(tmp_path), "--boundaries", str(geohub)]
    opts = ["--area", "Central", "--area", "6", "--period", "month", "--permutations", "0"]
    with pytest.raises(SystemExit) as exc:
        main(["hotspots", *args, *opts, "--resolution", "7", "--json"])
    assert exc.value.code in (0, None)
    out = capsys.readouterr().out
    summary = json.loads(out[out.index("{") :])
    assert summary["resolution"] == 7 and summary["period"] == "month"
    divisions = pd.read_csv(tmp_path / "hotspots" / "divisions.csv").set_index("area_id")
    with Store(sim_store, read_only=True) as st:
        expected = st.query("SELECT count(*) AS n FROM incidents WHERE area_id IN (1, 6)")["n"][0]
    assert summary["coordinates"]["total"] == expected
    assert divisions.loc[[1, 6], "incidents"].sum() == expected
    assert divisions.drop(index=[1, 6])["incidents"].sum() == 0
    gi = pd.read_csv(tmp_path / "hotspots" / "gi_star.csv")
    assert gi["p_sim"].isna().all()  # no permutations asked for
    assert {h3.get_resolution(c) for c in gi["h3"]} == {7}


def test_one_quarter_skips_trends_and_forecasts_with_a_note():
    rng = np.random.default_rng(8)
    frame = pd.DataFrame(
        {
            "lat": 34.05 + rng.normal(0, 0.01, 500),
            "lon": -118.25 + rng.normal(0, 0.01, 500),
            "area_id": 1,
            "occurred_date": pd.Timestamp("2023-04-01")
            + pd.to_timedelta(rng.integers(0, 80, 500), unit="D"),
        }
    )
    res = spatial.analyse(frame, None, permutations=99)
    assert res.emerging is None and res.forecast is None and res.backtest is None
    assert any("emerging hot spots skipped" in n for n in res.notes)
    assert any("hotspot forecasts skipped" in n for n in res.notes)
    assert res.cells["n"].sum() == 500


def test_a_bad_boundary_file_is_named(sim_store, tmp_path, capsys):
    bad = tmp_path / "divisions.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    with pytest.raises(SystemExit) as exc:
        main(
            [
                "hotspots",
                "--store",
                str(sim_store),
                "--out",
                str(tmp_path),
                "--boundaries",
                str(bad),
            ]
        )
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "no features" in err and "Traceback" not in err
