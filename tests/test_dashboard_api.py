"""The dashboard's /api/ endpoints on a real DuckDB snapshot of a simulated store: answers that
match independent counts, and bad parameters answered with HTTP 400 and a message (never 500)."""

from __future__ import annotations

import json

import pytest

from crimecast.filters import Filters
from crimecast.store import Store

pytest.importorskip("dash")


@pytest.fixture(scope="module")
def app(sim_store):
    from crimecast.dashboard.app import create_app

    return create_app(sim_store)


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


@pytest.fixture(scope="module")
def incidents(sim_store):
    with Store(sim_store, read_only=True) as st:
        return st.incidents()


def test_health(client, incidents):
    r = client.get("/api/health")
    assert r.status_code == 200
    body = r.get_json()
    assert body["status"] == "ok"
    assert body["incidents"] == len(incidents)
    assert body["simulated"] is True
    assert body["forecasts"] is False  # no run directory given


def test_series_matches_an_independent_count(client, incidents):
    r = client.get(
        "/api/series?freq=MS&area=Central&area=12&category=burglary,robbery"
        "&from=2020-01-01&to=2021-06-30&sex=Female"
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    body = r.get_json()
    f = Filters.build(
        date_from="2020-01-01",
        date_to="2021-06-30",
        areas=["1", "12"],
        categories=["burglary", "robbery"],
        victim_sex=["Female"],
    )
    expect = f.apply(incidents)
    assert body["total"] == len(expect) > 0
    months = expect["occurred_date"].astype("datetime64[ns]").dt.to_period("M")
    by_month = months.value_counts()
    got = {d["ds"][:7]: d["y"] for d in body["data"]}
    for period, n in by_month.items():
        assert got[str(period)] == n
    assert body["filters"]["areas"] == [1, 12]
    assert body["simulated"] is True


def test_premise_weapon_and_age_filters(client, incidents):
    premise = incidents["premise_desc"].value_counts().index[0]
    weapon = incidents["weapon_desc"].value_counts().index[0]
    r = client.get(
        "/api/series",
        query_string=[
            ("premise", premise),
            ("weapon", weapon),
            ("age_band", "25-34"),
            ("freq", "W"),
        ],
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    f = Filters.build(premises=[premise], weapons=[weapon], age_bands=["25-34"])
    assert r.get_json()["total"] == len(f.apply(incidents)) > 0


def test_areas_heatmap_top_and_options(client, incidents):
    areas = client.get("/api/areas?category=vandalism").get_json()
    van = incidents[incidents["crime_category"] == "vandalism"]
    assert areas["total"] == len(van)
    central = next(a for a in areas["data"] if a["area_id"] == 1)
    assert central["incidents"] == int((van["area_id"] == 1).sum())
    assert central["per_100k"] == pytest.approx(central["incidents"] / 81_500 * 1e5, abs=0.06)
    heat = client.get("/api/heatmap?area=Harbor").get_json()
    assert len(heat["data"]) == 7 and all(len(r) == 24 for r in heat["data"])
    harbor = incidents[(incidents["area_id"] == 5) & incidents["hour"].notna()]
    assert sum(map(sum, heat["data"])) == len(harbor)
    top = client.get("/api/top?by=weapon&n=3").get_json()["data"]
    assert len(top) == 3
    assert top[0]["incidents"] == int(incidents["weapon_desc"].value_counts().iloc[0])
    opts = client.get("/api/options").get_json()
    assert opts["categories"] and opts["premises"] and opts["age_bands"][0] == "0-17"


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("area=99", "unknown area '99'"),
        ("area=Atlantis", "unknown area"),
        ("from=2020-13-45", "is not a date"),
        ("from=yesterday", "is not a date"),
        ("from=2020-01-01' OR '1'='1", "is not a date"),
        ("to=2020-01-01T00:00", "is not a date"),
        ("area=%C2%B2", "unknown area"),
        ("from=2021-01-01&to=2020-01-01", "is after"),
        ("from=2020-01-01&from=2021-01-01", "given 2 times"),
        ("category=robbery'); DROP TABLE inc; --", "unknown crime category"),
        ("category=1 OR 1=1", "unknown crime category"),
        ("sex=Robot", "unknown victim sex"),
        ("descent=Martian", "unknown victim descent"),
        ("age_band=200-300", "unknown age band"),
        ("premise=' OR ''='", "unknown premise"),
        ("weapon=%00", "control characters"),
        ("area=" + "x" * 500, "is not a valid area"),
        ("freq=Y", "freq='Y' is not one of"),
        ("colour=red", "unknown parameter"),
        ("class=evil", "unknown crime class"),
    ],
)
def test_bad_series_parameters_are_400_with_a_message(client, query, needle):
    r = client.get("/api/series?" + query)
    assert r.status_code == 400, (query, r.status_code, r.get_data(as_text=True))
    body = r.get_json()
    assert needle in body["error"], body
    assert "hint" in body


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/top?by=victim_name", 400),
        ("/api/top?n=0", 400),
        ("/api/top?n=abc", 400),
        ("/api/top?n=%C2%B2", 400),
        ("/api/top?n=1e9", 400),
        ("/api/options?x=1", 400),
        ("/api/download/passwords.txt", 404),
        ("/api/download/series.csv?area=0", 400),
        ("/api/nowhere", 404),
        ("/api/forecast", 404),  # no run directory: a clear 404, not a crash
    ],
)
def test_other_bad_requests_are_json_errors(client, url, status):
    r = client.get(url)
    assert r.status_code == status
    assert r.is_json and r.get_json()["error"]


def test_downloads(client, incidents):
    csv = client.get("/api/download/series.csv?area=Newton&freq=MS")
    assert csv.status_code == 200
    assert "attachment" in csv.headers["Content-Disposition"]
    lines = csv.get_data(as_text=True).strip().splitlines()
    assert lines[0] == "ds,y"
    assert sum(int(x.split(",")[1]) for x in lines[1:]) == int((incidents["area_id"] == 13).sum())
    geo = json.loads(client.get("/api/download/areas.geojson?category=arson").get_data())
    assert geo["type"] == "FeatureCollection"
    arson = incidents[incidents["crime_category"] == "arson"]
    assert sum(f["properties"]["incidents"] for f in geo["features"]) == len(arson)
    assert all(f["geometry"]["type"] == "Point" for f in geo["features"])
    png = client.get("/api/download/series.png?category=homicide")
    assert png.status_code == 200 and png.data[:8] == b"\x89PNG\r\n\x1a\n"


def test_auth_hook_guards_pages_and_api(sim_store):
    import flask

    from crimecast.dashboard.app import create_app

    def token_only(request):
        if request.headers.get("Authorization") != "Bearer s3cret":
            return flask.Response("authentication required", status=401)
        return None

    guarded = create_app(sim_store, auth=token_only).server.test_client()
    assert guarded.get("/api/health").status_code == 401
    assert guarded.get("/").status_code == 401
    ok = guarded.get("/api/health", headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200


def test_missing_store_is_a_clear_error(tmp_path):
    from crimecast.dashboard.app import create_app
    from crimecast.errors import StoreError

    with pytest.raises(StoreError, match="no store at"):
        create_app(tmp_path / "nothing-here")


def test_serve_command_binds_loopback_and_answers(sim_store):
    """`crimecast serve` as a user starts it: a real process on 127.0.0.1 at a free port, under a
    production WSGI server (no development-server warning), stopped cleanly by Ctrl+C."""
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "crimecast.cli", "serve", "--store", str(sim_store),
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        body, deadline = None, time.time() + 90
        while time.time() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    body = json.loads(r.read())
            except OSError:
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.3)
        assert body and body["status"] == "ok" and body["simulated"] is True
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as r:
            assert r.status == 200 and b"crimecast dashboard" in r.read()
        with socket.socket() as s:  # loopback only: not reachable on another local address
            s.settimeout(1)
            other = socket.gethostbyname(socket.gethostname())
            if not other.startswith("127."):
                assert s.connect_ex((other, port)) != 0
        proc.send_signal(signal.SIGINT)  # what Ctrl+C sends
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, (out, err)
    said = out + err
    assert "development server" not in said.lower(), said
    assert "Traceback" not in said and "KeyboardInterrupt" not in said, said
    assert f"crimecast dashboard on http://127.0.0.1:{port}/" in err
    assert "stopped" in err
    with socket.socket() as s:  # nothing listens any more (closed connections may linger)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_serve_port_in_use_is_a_clear_error(sim_store, capsys):
    import socket

    from crimecast.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(SystemExit) as exc:
            main(["serve", "--store", str(sim_store), "--port", str(port)])
    assert exc.value.code != 0
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err and "--port" in err


def test_serve_beyond_localhost_needs_a_token(sim_store, monkeypatch, capsys):
    from crimecast.cli import main

    monkeypatch.delenv("CRIMECAST_DASHBOARD_TOKEN", raising=False)
    with pytest.raises(SystemExit) as exc:
        main(["serve", "--store", str(sim_store), "--host", "0.0.0.0", "--port", "1"])
    assert exc.value.code != 0
    err = capsys.readouterr().err
    assert "no token is set" in err and "CRIMECAST_DASHBOARD_TOKEN" in err


def test_score_table_reads_as_an_analyst_expects():
    """Backtest scores as the explorer shows them: yes/no, blanks for missing values, display
    formats that round (and separate thousands) instead of raw floats."""
    import math

    import pandas as pd

    from crimecast.dashboard.callbacks import score_table

    scores = pd.DataFrame(
        {
            "model": ["ets", "naive"],
            "mae": [2016.318, float("nan")],
            "mase": [0.96312, float("inf")],
            "wape": [0.2291, 0.277],
            "beats_baselines": [True, False],
            "baseline": ["naive", "naive"],
            "warnings": ["", ""],
        }
    )
    rows, cols = score_table(scores)
    assert [r["beats_baselines"] for r in rows] == ["yes", "no"]
    assert rows[1]["mae"] is None and rows[1]["mase"] is None  # shown blank, never nan / inf
    assert all(
        not (isinstance(v, float) and not math.isfinite(v)) for r in rows for v in r.values()
    )
    spec = {c["id"]: c.get("format", {}).get("specifier") for c in cols}
    assert spec["mae"] == ",.1f" and spec["mase"] == ".2f" and spec["wape"] == ".1%"
    assert "warnings" not in spec and "baseline" not in spec
    names = {c["id"]: c["name"] for c in score_table(scores.assign(skill=[0.17, 0.0]))[1]}
    assert names["skill"] == "Skill vs naive" and names["beats_baselines"] == "Beats baselines"


def test_rate_scale_and_density_cells():
    """One division's rate gets a colour range from 0 (never a sliver around one value); the
    density grid has no zero cells (nothing is drawn where there are no incidents)."""
    import pandas as pd

    from crimecast.dashboard.maps import area_map, density_grid, rate_range

    assert rate_range([1027.3]) == (0.0, 1027.3)
    assert rate_range([1027.3, 1027.8]) == (0.0, 1027.8)
    assert rate_range([500.0, 2200.0]) == (500.0, 2200.0)
    assert rate_range([]) == (0.0, 1.0)
    one = pd.DataFrame(
        {"area_id": [1], "area_name": ["Central"], "incidents": [900], "per_100k": [1027.3],
         "lat": [34.05], "lon": [-118.25]}
    )  # fmt: skip
    axis = area_map(one).layout.coloraxis
    assert (axis.cmin, axis.cmax) == (0.0, 1027.3)
    pts = pd.DataFrame({"lat": [34.002, 34.002, 34.40], "lon": [-118.502, -118.502, -118.20]})
    xs, ys, z, side = density_grid(pts)
    cells = [v for row in z for v in row]
    assert len(cells) == len(xs) * len(ys) and side == 1.0
    assert sum(v is not None for v in cells) == 2  # two occupied cells, the rest not drawn
    assert sorted(v for v in cells if v) == [1.0, 2.0]  # incidents per km² in 1 km cells


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "needle"),
    [
        ("GET", "/_dash-component-suites/../../etc/passwd", None, 400, "not a dashboard file"),
        ("GET", "/_dash-component-suites/%2e%2e%2f%2e%2e%2fetc/passwd", None, 400, "not a dash"),
        ("GET", "/_dash-component-suites/%252e%252e%252fetc/passwd", None, 400, "not a dash"),
        ("GET", "/_dash-component-suites/dash/..%5c..%5cetc%5cpasswd", None, 400, "not a dash"),
        ("GET", "/_dash-component-suites/dash/no-such-file.js", None, 404, "no dashboard file"),
        ("GET", "/_dash-component-suites/os/passwd.js", None, 404, "no dashboard package"),
        ("POST", "/_dash-update-component", "{}", 400, "names no output"),
        ("POST", "/_dash-update-component", "", 400, "must be a JSON object"),
        ("POST", "/_dash-update-component", "[1, 2]", 400, "must be a JSON object"),
        ("POST", "/_dash-update-component", "not json", 400, "must be a JSON object"),
        ("POST", "/_dash-update-component", '{"output": "x.y"}', 400, "no dashboard callback"),
        (
            "POST",
            "/_dash-update-component",
            '{"output": "fx-series.value", "inputs": []}',
            400,
            "must be a list of 10",
        ),
        (
            "POST",
            "/_dash-update-component",
            '{"output": "..fx-model.options...fx-model.value..",'
            ' "inputs": [{"id": "f-area", "property": "value", "value": null}]}',
            400,
            "expected fx-series.value",
        ),
    ],
)
def test_malformed_requests_to_dash_routes_are_json_4xx(client, method, url, body, status, needle):
    client.get("/")  # the page registers the component files it loads
    r = client.open(url, method=method, data=body, content_type="application/json")
    assert r.status_code == status, (url, r.status_code, r.get_data(as_text=True)[:300])
    payload = r.get_json()
    assert needle in payload["error"], payload
    assert payload["hint"]


def test_dash_routes_still_serve_the_page_and_its_callbacks(app, client):
    """The guard lets through what the page itself asks for: its scripts and a callback body
    shaped as the renderer sends it."""
    import re

    from crimecast.dashboard.callbacks import FILTER_INPUTS

    page = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+)"', page)
    assert scripts
    for src in scripts:
        r = client.get(src)
        assert r.status_code == 200 and len(r.data) > 100, src
    values = {"f-area": [13], "f-freq": "MS"}
    inputs = [
        {
            "id": i.component_id,
            "property": i.component_property,
            "value": values.get(i.component_id),
        }
        for i in FILTER_INPUTS
    ]
    output = next(k for k in app.callback_map if "selection-summary.children" in k)
    outputs = [
        {"id": o.split(".")[0], "property": o.split(".")[1]} for o in output.strip(".").split("...")
    ]
    body = {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": ["f-area.value"],
    }
    r = client.post("/_dash-update-component", json=body)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    summary = r.get_json()["response"]["selection-summary"]["children"]
    assert "incidents selected" in summary


def test_png_download_is_drawn_once_per_selection(client):
    """Concurrent and repeated requests for the same chart share one drawing; another selection
    gets its own."""
    import threading

    from crimecast.dashboard.api import RenderCache

    cache, calls, gate = RenderCache(size=2), [], threading.Event()

    def render():
        calls.append(1)
        gate.wait(5)
        return b"png"

    got = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get("k", render))) for _ in range(6)
    ]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(10)
    assert got == [b"png"] * 6 and len(calls) == 1
    for key in ("a", "b", "c"):  # LRU of two: "k" is dropped and drawn again
        cache.get(key, lambda: b"x")
    cache.get("k", render)
    assert len(calls) == 2

    a = client.get("/api/download/series.png?area=Newton&freq=W")
    b = client.get("/api/download/series.png?area=Newton&freq=W")
    c = client.get("/api/download/series.png?area=Central&freq=W")
    assert a.status_code == b.status_code == c.status_code == 200
    assert a.data == b.data and a.data != c.data
    empty = client.get("/api/download/series.png?from=2099-01-01")
    assert empty.status_code == 200 and empty.data[:4] == b"\x89PNG"


def test_series_png_draws_the_line_with_readable_ticks():
    import io

    import pandas as pd
    from PIL import Image

    from crimecast.dashboard import png

    assert png.nice_ticks(102) == [0, 20, 40, 60, 80, 100, 120]
    assert png.nice_ticks(3) == [0, 1, 2, 3]
    assert png.nice_ticks(0) == [0, 1]
    years = png.date_ticks(pd.Timestamp("2016-01-01"), pd.Timestamp("2024-09-30"))
    assert [t for _, t in years] == ["2016", "2018", "2020", "2022", "2024"]
    months = png.date_ticks(pd.Timestamp("2022-03-01"), pd.Timestamp("2023-05-01"))
    assert 3 <= len(months) <= 8 and months[0][1].endswith("2022")
    days = png.date_ticks(pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-20"))
    assert 3 <= len(days) <= 8

    df = pd.DataFrame({"ds": pd.date_range("2020-01-01", periods=24, freq="MS"), "y": range(24)})
    img = Image.open(io.BytesIO(png.series_png(df, "MS", True))).convert("RGB")
    assert img.size == (png.WIDTH, png.HEIGHT)
    blue = sum(1 for p in img.getdata() if p == png.BLUE)
    assert blue > 300  # the line is drawn
    empty = Image.open(io.BytesIO(png.series_png(df.iloc[:0], "MS", False))).convert("RGB")
    assert not any(p == png.BLUE for p in empty.getdata())
    one = Image.open(io.BytesIO(png.series_png(df.iloc[:1], "D", False))).convert("RGB")
    assert any(p == png.BLUE for p in one.getdata())


def test_snapshot_is_compact_and_the_same_from_the_mirror_or_the_database(app, sim_store, tmp_path):
    """The dashboard's copy keeps text as ENUMs (not strings per row), and a store whose Parquet
    mirror is missing is read from its database with the same answers."""
    import shutil

    from crimecast.dashboard.queries import Cube

    types = dict(app.cube.query("SELECT column_name, column_type FROM (DESCRIBE inc)").values)
    assert all(types[c].startswith("ENUM") for c in ("crime_desc", "premise_desc", "victim_sex"))
    assert types["lat"] == "FLOAT" and types["area_id"] == "TINYINT"
    copy = tmp_path / "store"
    shutil.copytree(sim_store, copy)
    shutil.rmtree(copy / "parquet")
    from_db = Cube(copy)
    f = Filters.build(areas=["Newton"], categories=["burglary"], date_from="2020-01-01")
    assert from_db.series(f, "W").equals(app.cube.series(f, "W"))
    assert from_db.top(f, "premise").equals(app.cube.top(f, "premise"))
    assert from_db.options == app.cube.options
    app.cube.warmed.join(30)
    assert not app.cube.warmed.is_alive()
