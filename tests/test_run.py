"""`crimecast run` end to end: --demo on a small simulated city, --source on real LAPD files,
the cache (a second run reuses every step), and the errors a user meets first."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

import demo_run
from crimecast.store import Store

REAL = [
    "ivanco19_citywide_2020_10k.csv.gz",
    "rudraxdave_citywide_2014_2019_2k_per_year.csv.gz",
    "jetjagar_citywide_2020_1k.csv.gz",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, data_dir):
    return demo_run.shared(tmp_path_factory, data_dir)


def main(argv, capsys):
    """The real console entry point (errors printed, exit code returned)."""
    from crimecast.cli import main as cli_main

    try:
        cli_main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out + out.err


def test_demo_writes_every_output(demo):
    out, seconds, output = demo
    assert seconds < 120, f"--demo took {seconds:.0f}s"
    for step in ("ingest", "completeness check", "exploratory analysis", "hotspots", "report"):
        assert step in output
    assert (out / "report.html").stat().st_size > 100_000
    pngs = list((out / "figures").glob("*.png"))
    assert len(pngs) >= 10 and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    assert len(list((out / "tables").glob("*.csv"))) >= 20

    fc = pd.read_csv(out / "forecasts.csv", parse_dates=["ds"])
    assert list(fc.columns) == [
        "unique_id",
        "ds",
        "model",
        "yhat",
        "lo_80",
        "hi_80",
        "lo_95",
        "hi_95",
    ]
    assert {"city", "area:Central", "category:burglary"} <= set(fc["unique_id"])
    # the headline: auto (the recommended combination) beside its members, their mean and naive
    assert set(fc["model"]) == {
        "naive", "seasonal_naive", "ets", "theta", "stl", "ensemble", "auto"
    }  # fmt: skip
    assert (fc[["yhat", "lo_80", "lo_95"]] >= 0).all().all()  # counts: never negative
    assert (fc["lo_95"] <= fc["lo_80"]).all() and (fc["hi_80"] <= fc["hi_95"]).all()
    bt = pd.read_csv(out / "backtest.csv", parse_dates=["ds", "cutoff"])
    assert {"cutoff", "y", "yhat"} <= set(bt.columns)
    assert (bt["ds"] > bt["cutoff"]).all()  # a backtest forecast is always after its cutoff

    run = json.loads((out / "run.json").read_text())
    # the demo runs to the present month across the switch to NIBRS: the forecasts start right
    # after the last complete month, a month or two ago, and the transition is kept out of models
    ct = pd.Timestamp(run["data"]["complete_through"])
    assert fc["ds"].min() == ct + pd.DateOffset(months=1)
    assert pd.Timestamp.today() - pd.DateOffset(months=4) < ct < pd.Timestamp.today()
    assert run["data"]["months_excluded_from_models"][0] == "2024-03"
    assert any("NIBRS transition" in w for w in run["data"]["warnings"])
    # what crimecast would have forecast at the switch, against what was recorded
    vs = pd.read_csv(out / "tables" / "forecast_vs_actual.csv", parse_dates=["ds"])
    assert {"city", "category:burglary"} <= set(vs["unique_id"])
    assert vs["ds"].min() == pd.Timestamp("2024-03-01") and vs["y"].notna().all()

    geo = json.loads((out / "hotspots.geojson").read_text())
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) > 100
    assert any("hot" in f["properties"]["class"] for f in geo["features"])


def test_run_json_describes_the_run(demo):
    out, _, _ = demo
    run = json.loads((out / "run.json").read_text())
    assert run["simulated"] is True and run["data_label"] == "SIMULATED"
    assert run["seed"] == 11
    with Store(out / "demo-store", read_only=True) as st:
        info = st.info()
    d = run["data"]
    assert d["incidents"] == info["incidents"]
    # both feeds (legacy reports, NIBRS offenses) reconcile, file by file
    assert len(run["ingested"]) == 2
    for f in run["ingested"]:
        assert f["rows_read"] == f["stored"] + f["quarantined"] + f["duplicates_merged"]
    assert d["date_min"] == info["date_min"] and d["date_max"] == info["date_max"]
    assert d["complete_through"] == info["complete_through"]
    for step in ("data", "completeness", "eda", "hotspots", "forecast", "report"):
        assert run["steps"][step]["status"] == "computed"
        assert run["steps"][step]["seconds"] >= 0
    assert run["versions"]["duckdb"] and run["versions"]["python"]
    assert {"report.html", "forecasts.csv", "backtest.csv", "hotspots.geojson"} <= set(
        run["outputs"]
    )


def test_second_run_reuses_everything(demo, data_dir):
    out, first, _ = demo
    args = ["run", "--demo", "--out", str(out), "--boundaries", str(demo_run.geo_file(data_dir))]
    before = (out / "report.html").stat().st_mtime_ns
    t0 = time.perf_counter()
    code, output = demo_run.cli(args + demo_run.DEMO_ARGS)
    second = time.perf_counter() - t0
    assert code == 0, output
    assert output.count("reused") >= 6
    run = json.loads((out / "run.json").read_text())
    assert {s["status"] for s in run["steps"].values()} == {"reused"}
    assert (out / "report.html").stat().st_mtime_ns == before  # not rewritten
    assert second < first / 2, (first, second)


def test_source_real_files_and_cache_follows_new_data(tmp_path, incidents_dir, data_dir, capsys):
    out, store = tmp_path / "out", tmp_path / "store"
    common = ["--out", str(out), "--store", str(store), "--models", "naive,seasonal_naive"]
    common += ["--boundaries", str(demo_run.geo_file(data_dir))]  # no GeoHub download in tests
    first = [str(incidents_dir / REAL[0]), str(incidents_dir / REAL[1])]
    argv = ["run", "--source", *first, *common]  # several files after one --source
    code, output = main(argv, capsys)
    assert code == 0, output
    run = json.loads((out / "run.json").read_text())
    assert run["simulated"] is False and run["data_label"] == "LAPD open data"
    ing = run["ingested"]
    assert [i["file"] for i in ing] == REAL[:2]
    assert sum(i["stored"] for i in ing) == run["data"]["incidents"]
    assert all(
        i["rows_read"] == i["stored"] + i["quarantined"] + i["duplicates_merged"] for i in ing
    )
    html = (out / "report.html").read_text()
    assert "SIMULATED DATA" not in html and 'id="simulated-banner"' not in html
    assert run["steps"]["forecast"]["status"] == "computed"

    # a new file changes the store's ledger, so no cached analysis is valid any more
    from crimecast.pipeline import Cache, ledger_key

    cache = Cache(out)
    with Store(store, read_only=True) as st:
        before = ledger_key(st)
    saved = {p.stem for p in cache.dir.glob("*.pkl")}
    assert {"completeness", "eda", "hotspots", "forecast", "report"} <= saved
    with Store(store) as st:
        st.ingest_files([incidents_dir / REAL[2]])
        after = ledger_key(st)
    assert after != before
    import pickle

    old = pickle.loads((cache.dir / "eda.pkl").read_bytes())
    assert cache.load("eda", old["key"]) is not None  # the saved result, under its own key
    assert cache.load("eda", "another-key") is None
    # re-ingesting the same files changes nothing: the ledger (and so the cache) stays valid
    with Store(store) as st:
        st.ingest_files([incidents_dir / f for f in REAL])
        assert ledger_key(st) == after


def test_offline_with_an_empty_store_fails_fast(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CRIMECAST_PORTAL_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("CRIMECAST_HTTP_RETRIES", "0")
    t0 = time.perf_counter()
    code, output = main(
        ["run", "--store", str(tmp_path / "s"), "--out", str(tmp_path / "o")], capsys
    )
    assert time.perf_counter() - t0 < 20
    assert code != 0
    assert "cannot be reached" in output
    assert "--demo" in output and "--source" in output
    assert "Traceback" not in output


def test_bad_invocations_are_clear_errors(tmp_path, capsys):
    code, output = main(
        ["run", "--source", str(tmp_path / "missing.csv"), "--out", str(tmp_path)], capsys
    )
    assert code != 0 and "not found" in output and "missing.csv" in output
    code, output = main(["run", "--demo", "--source", "x.csv", "--out", str(tmp_path)], capsys)
    assert code != 0 and "--demo and --source" in output
    # every file after --source is a source, with --source given once or repeated
    present = tmp_path / "present.csv"
    present.write_text("DR_NO,DATE OCC,AREA,Crm Cd\n1,01/02/2020,1,510\n")
    for argv in (
        ["--source", str(present), str(tmp_path / "second.csv")],
        ["--source", str(present), "--source", str(tmp_path / "second.csv")],
    ):
        code, output = main(["run", *argv, "--out", str(tmp_path / "o")], capsys)
        assert code != 0 and "not found" in output and "second.csv" in output, output
    code, output = main(["run", "stray.csv", "--out", str(tmp_path)], capsys)
    assert code != 0 and "unexpected argument" in output and "--source" in output
    code, output = main(["run", "--demo", "--backend", "cloud", "--out", str(tmp_path)], capsys)
    assert code != 0 and "unknown backend" in output
    code, output = main(["run", "--demo", "--models", "magic", "--out", str(tmp_path)], capsys)
    assert code != 0 and "unknown model" in output
    assert "Traceback" not in output


def test_demo_never_mixes_into_real_data(tmp_path, incidents_dir, capsys):
    store = tmp_path / "real"
    with Store(store) as st:
        st.ingest_files([incidents_dir / REAL[2]])
    code, output = main(
        ["run", "--demo", "--store", str(store), "--out", str(tmp_path / "o")], capsys
    )
    assert code != 0
    assert "real incidents" in output and "--demo would mix" in output
    with Store(store, read_only=True) as st:
        assert st.info()["simulated"] == 0
