"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by Playwright).

The Dash server runs in a background thread on 127.0.0.1 at a free port, over a store and the
output directory of a real `crimecast run --demo`. The browser loads the page, changes filters,
downloads a file, and the test checks the charts changed, the console stayed clean, and writes a
screenshot for the record.
"""

from __future__ import annotations

import io
import json
import re
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


def _series_total(page, graph: str = "g-series") -> float:
    """Sum of the reported counts of a time-series chart, read from the live Plotly graph: the
    months used for training and the flagged ones are two traces that share their joints."""
    return page.evaluate(
        """(graph) => {
            const gd = document.querySelector(`#${graph} .js-plotly-plot`);
            if (!gd || !gd.data || !gd.data.length) return -1;
            const byX = new Map();
            for (const t of gd.data.filter(t => t.name && t.name.startsWith('Reported'))) {
                t.x.forEach((x, i) => { if (t.y[i] !== null) byX.set(String(x), t.y[i]); });
            }
            return [...byX.values()].reduce((a, b) => a + b, 0);
        }""",
        graph,
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


# words that mean a value leaked to the screen unformatted
LEAKS = re.compile(r"\b(nan|NaN|inf|-inf|Infinity|None|null|undefined|true|false|True|False)\b")


def _visible_text(page) -> str:
    """What the analyst can read: the page's text and every label drawn inside the charts."""
    return page.evaluate(
        """() => document.body.innerText + '\\n' +
            [...document.querySelectorAll('svg text')].map(t => t.textContent).join('\\n')"""
    )


def _figure(page, graph: str) -> dict:
    return page.evaluate(
        """(graph) => {
            const gd = document.querySelector(`#${graph} .js-plotly-plot`);
            return {data: gd.data, layout: gd.layout, size: gd._fullLayout._size};
        }""",
        graph,
    )


def _wait_redrawn(page, before: str) -> None:
    page.wait_for_function(
        "(before) => document.querySelector('#selection-summary').innerText !== before",
        arg=before,
        timeout=20_000,
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)


def _dark_share(png: bytes, size: dict) -> float:
    """Share of the map's plot area painted dark (the deep blue end of cividis)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png)).convert("RGB")
    box = (size["l"], size["t"], size["l"] + size["w"], size["t"] + size["h"])
    pixels = list(img.crop(tuple(int(v) for v in box)).getdata())
    dark = sum(1 for r, g, b in pixels if 0.299 * r + 0.587 * g + 0.114 * b < 70)
    return dark / len(pixels)


def _check_score_table(page) -> list[str]:
    cells = page.locator("#t-scores td").all_inner_texts()
    assert cells, "the forecast explorer shows no backtest scores"
    for text in cells:
        assert text.strip().lower() not in ("true", "false"), cells
        assert not re.search(r"\d\.\d{4,}", text), f"more than 3 decimals: {text!r}"
        number = re.fullmatch(r"[+−-]?([\d,]+)(\.\d+)?%?", text.strip())
        if number and int(number.group(1).replace(",", "")) >= 1000:
            assert "," in text, f"no thousands separator: {text!r}"
    assert {"yes", "no"} & {c.strip() for c in cells}, "booleans are shown as yes/no"
    return cells


def test_what_an_analyst_sees_is_readable(server, browser, tmp_path):
    """Colour scales, density, flagged months and score tables as an analyst reads them, in
    three filter states (whole city, one area, one crime category), with screenshots."""
    base, app = server
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(base + "/", wait_until="networkidle")
    page.wait_for_selector("#g-hotspots .js-plotly-plot .main-svg", timeout=30_000)
    page.wait_for_selector("#t-scores td", timeout=30_000)
    page.wait_for_timeout(500)
    page.screenshot(path=str(tmp_path / "dashboard-city.png"))
    page.screenshot(path=str(tmp_path / "dashboard-city-full.png"), full_page=True)
    leaks = LEAKS.findall(_visible_text(page))
    assert not leaks, f"unformatted values on screen (whole city): {leaks}"

    # the density layer draws only cells with incidents: no zero cells, white ground around
    hot = _figure(page, "g-hotspots")
    density = next(t for t in hot["data"] if t["type"] == "heatmap")
    cells = [v for row in density["z"] for v in row]
    assert any(v is None for v in cells) and all(v is None or v > 0 for v in cells)
    png = page.locator("#g-hotspots .js-plotly-plot").screenshot(
        path=str(tmp_path / "dashboard-city-density.png")
    )
    assert _dark_share(png, hot["size"]) < 0.05  # a dark rectangle under it would be ~50%
    assert any("Gi* hot spot" in (t.get("name") or "") for t in hot["data"])

    # flagged months (reporting lag, the NIBRS break) are their own trace in both charts
    flagged = {
        f"{m:%Y-%m}"
        for m, ok in zip(
            app.cube.completeness["month"], app.cube.completeness["complete"], strict=True
        )
        if not ok
    }
    assert flagged  # the demo city has the NIBRS break and a lagging last month
    for graph in ("g-series", "g-forecast"):
        fig = _figure(page, graph)
        marked = [t for t in fig["data"] if "not used for training" in (t.get("name") or "")]
        assert len(marked) == 1, [t.get("name") for t in fig["data"]]
        assert marked[0]["line"]["dash"] == "dot" and marked[0].get("showlegend", True)
        drawn = {x[:7] for x, y in zip(marked[0]["x"], marked[0]["y"], strict=True) if y}
        assert flagged <= drawn
        solid = next(t for t in fig["data"] if t["name"] == "Reported")
        on_solid = {x[:7] for x, y in zip(solid["x"], solid["y"], strict=True) if y is not None}
        assert not flagged & on_solid, "flagged months must not be drawn as the normal line"
    legend = " ".join(page.locator("#g-forecast .legendtext").all_text_contents())
    assert "not used for training" in legend
    _check_score_table(page)

    # one area: the rate map's colour bar runs from 0 to the area's rate, not over a sliver
    before = page.inner_text("#selection-summary")
    _pick(page, "f-area", "Central")
    _wait_redrawn(page, before)
    fig = _figure(page, "g-areas")
    axis = fig["layout"]["coloraxis"]
    central = float(app.cube.by_area(Filters(areas=(1,)))["per_100k"].iloc[0])
    assert axis["cmin"] == 0 and axis["cmax"] == pytest.approx(central)
    ticks = page.locator("#g-areas .colorbar .cbaxis text").all_text_contents()
    values = [float(t.replace(",", "").replace("−", "-")) for t in ticks if t.strip()]
    assert values and max(values) - min(values) >= central / 2, ticks
    page.locator("#g-areas .js-plotly-plot").screenshot(path=str(tmp_path / "dashboard-map.png"))

    # the explorer follows the selection to the area's forecast and marks its flagged months
    page.wait_for_function(
        "() => document.querySelector('#g-forecast .gtitle').textContent.startsWith('Central')",
        timeout=20_000,
    )
    page.wait_for_timeout(500)
    assert _series_total(page, "g-forecast") == _series_total(page)
    page.locator("#g-forecast").scroll_into_view_if_needed()
    page.screenshot(path=str(tmp_path / "dashboard-area-explorer.png"))
    page.screenshot(path=str(tmp_path / "dashboard-area-full.png"), full_page=True)
    _check_score_table(page)
    leaks = LEAKS.findall(_visible_text(page))
    assert not leaks, f"unformatted values on screen (one area): {leaks}"

    # one crime category, by week: same checks on another state
    page.click("#f-area .Select-clear, #f-area [class*='clear']")
    before = page.inner_text("#selection-summary")
    _pick(page, "f-category", "burglary")
    _wait_redrawn(page, before)
    page.click("label:has-text('week')")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)
    page.screenshot(path=str(tmp_path / "dashboard-category-full.png"), full_page=True)
    leaks = LEAKS.findall(_visible_text(page))
    assert not leaks, f"unformatted values on screen (category by week): {leaks}"
    shots = sorted(tmp_path.glob("dashboard-*.png"))
    assert len(shots) == 7 and all(p.stat().st_size > 10_000 for p in shots)
    page.close()
