"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

The Dash server runs in a background thread on 127.0.0.1 at a free port, over a store and the
output directory of a real `crimecast run --demo`. The browser loads the page, changes filters,
downloads a file, and the test checks the charts changed, the console stayed clean, and writes a
screenshot for the record.
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

import demo_run
from crimecast.filters import Filters

pytest.importorskip("dash")
sync_api = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
GEO = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "geo"


@pytest.fixture(scope="module")
def demo(tmp_path_factory, data_dir):
    """A real `crimecast run --demo` (small simulated city): its store and its outputs."""
    out, _, _ = demo_run.shared(tmp_path_factory, data_dir)
    return out


@pytest.fixture(scope="module")
def server(demo, data_dir):
    from werkzeug.serving import make_server

    from crimecast.dashboard.app import create_app

    app = create_app(
        demo / "demo-store",
        out=demo,
        boundaries=data_dir / "geo" / "LAPD_Divisions.geojson",
    )
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_port}", app
    srv.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium package (.ci/run does)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _series_total(page) -> float:
    """Sum of the first trace of the time-series chart, read from the live Plotly graph."""
    return page.evaluate(
        """() => {
            const gd = document.querySelector('#g-series .js-plotly-plot');
            if (!gd || !gd.data || !gd.data.length) return -1;
            return gd.data[0].y.reduce((a, b) => a + b, 0);
        }"""
    )


def _pick(page, dropdown_id: str, text: str) -> None:
    page.click(f"#{dropdown_id}")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.keyboard.press("Escape")


def test_dashboard_loads_filters_downloads_and_stays_clean(server, browser, tmp_path):
    base, app = server
    context = browser.new_context(viewport={"width": 1400, "height": 1500}, accept_downloads=True)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "console",
        lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    # the page must never reach for the network: only our own server
    page.on(
        "request",
        lambda r: (
            problems.append(f"external request {r.url}")
            if not r.url.startswith(base) and not r.url.startswith("data:")
            else None
        ),
    )
    page.goto(base + "/", wait_until="networkidle")
    page.wait_for_selector("#g-series .js-plotly-plot .main-svg", timeout=30_000)
    assert "SIMULATED" in page.inner_text("#simulated-banner")

    total_all = _series_total(page)
    assert total_all == app.cube.rows  # every incident is in the unfiltered series
    # the whole city is a forecast series: the run's forecast and intervals are drawn with it
    names = page.evaluate(
        "() => document.querySelector('#g-series .js-plotly-plot').data.map(t => t.name)"
    )
    assert "Forecast" in names and "80% interval" in names and "95% interval" in names

    summary_before = page.inner_text("#selection-summary")
    _pick(page, "f-area", "Central")
    page.wait_for_function(
        "(before) => document.querySelector('#selection-summary').innerText !== before",
        arg=summary_before,
        timeout=20_000,
    )
    page.wait_for_timeout(300)
    total_central = _series_total(page)
    expected = int(app.cube.by_area(Filters(areas=(1,)))["incidents"].sum())
    assert total_central == expected
    assert 0 < total_central < total_all
    # the linked views followed: the top-crime table and the heatmap describe Central only
    heat = page.evaluate(
        "() => document.querySelector('#g-heatmap .js-plotly-plot').data[0].z.flat().reduce((a,b)=>a+b,0)"
    )
    assert 0 < heat <= total_central

    # the CSV download carries the same selection
    with page.expect_download() as dl:
        page.click("#dl-csv")
    path = tmp_path / "series.csv"
    dl.value.save_as(path)
    lines = path.read_text().strip().splitlines()
    assert lines[0] == "ds,y"
    assert sum(int(x.split(",")[1]) for x in lines[1:]) == total_central

    # the forecast explorer shows the run's forecast of a series with its backtest table
    page.wait_for_selector("#g-forecast .js-plotly-plot .main-svg")
    page.wait_for_function(
        "() => document.querySelector('#g-forecast .js-plotly-plot').data.length >= 4"
    )
    fx = page.evaluate(
        "() => document.querySelector('#g-forecast .js-plotly-plot').data.map(t => t.name)"
    )
    assert (
        "Reported" in fx
        and "Backtest forecasts" in fx
        and any(n.startswith("Forecast (") for n in fx)
    )
    assert page.locator("#t-scores td").count() > 0  # the backtest scores of the city
    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 50_000
    keep = Path(app.outputs.out) / "dashboard.png"
    shutil.copy(shot, keep)
    context.close()
    assert not problems, "\n".join(problems)


def test_api_in_the_browser_returns_json_errors(server, browser):
    base, _ = server
    page = browser.new_page()
    resp = page.goto(base + "/api/series?area=Atlantis")
    assert resp.status == 400
    body = json.loads(page.inner_text("body"))
    assert "Atlantis" in body["error"] and body["hint"]
    page.close()
