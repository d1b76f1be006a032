"""Maps: figure structure, the optional basemap, static PNGs, and offline rendering in a real
headless Chromium with every network request blocked."""

from __future__ import annotations

import h3
import numpy as np
import pandas as pd
import pytest

from conftest import require_tool
from crimecast.spatial import boundaries, grid, hotspots, maps

CENTRE = h3.latlng_to_cell(34.05, -118.25, 8)


@pytest.fixture(scope="module")
def divisions(data_dir):
    frame, _ = boundaries.read_divisions(data_dir / "geo" / "LAPD_Divisions.geojson")
    return frame


@pytest.fixture(scope="module")
def gi():
    cells = sorted(h3.grid_disk(CENTRE, 5))
    rng = np.random.default_rng(0)
    counts = rng.poisson(3, len(cells)) + np.isin(cells, list(h3.grid_disk(CENTRE, 1))) * 40
    return hotspots.gi_star(grid.cell_table(cells, counts), permutations=199, seed=1)


def test_quantile_classes():
    idx, labels = maps.quantile_classes([1, 2, 3, 4, 100, 200], k=3)
    assert len(labels) == 3 and idx.tolist() == [0, 0, 1, 1, 2, 2]
    idx, labels = maps.quantile_classes([5, 5, 5])
    assert len(labels) == 1 and (idx == 0).all()


def test_gi_map_layers_and_offline_axes(gi, divisions):
    fig = maps.gi_map(gi, divisions)
    names = [t.name for t in fig.data]
    assert "hot spot, 99% confidence" in names and "LAPD divisions" in names
    assert {t.type for t in fig.data} == {"scatter"}
    assert fig.layout.yaxis.scaleanchor == "x"
    hot = [t for t in fig.data if t.name == "hot spot, 99% confidence"][0]
    assert hot.fillcolor == maps.GI_COLOURS[3]
    # one ring of 7 points + a break per hexagon
    assert len(hot.x) == 8 * int((gi["gi_bin"] == 3).sum())


def test_basemap_is_an_option(gi, divisions):
    fig = maps.gi_map(gi, divisions, basemap=True)
    assert {t.type for t in fig.data} == {"scattermap"}
    assert fig.layout.map.style == "open-street-map"


def test_division_choropleth_and_static_png(divisions, tmp_path):
    table = pd.DataFrame(
        {
            "area_id": range(1, 22),
            "name": [f"a{i}" for i in range(1, 22)],
            "incidents": np.arange(21) * 100,
            "rate_per_100k": np.arange(21) * 50.0,
        }
    )
    fig = maps.division_map(table, divisions)
    filled = [t for t in fig.data if t.fill == "toself"]
    assert len(filled) == 5  # five quantile classes
    layers = maps.division_layers(table, divisions, "rate_per_100k")
    png = maps.static_map(layers, "rates", divisions)
    png.savefig(tmp_path / "rates.png", dpi=60)
    assert (tmp_path / "rates.png").read_bytes()[:4] == b"\x89PNG"
    assert len(png.axes[0].collections) == 5


def test_maps_render_in_chromium_with_the_network_blocked(gi, divisions, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    html = tmp_path / "maps.html"
    figs = [maps.gi_map(gi, divisions), maps.count_map(gi, divisions)]
    body = "".join(
        f.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, f in enumerate(figs)
    )
    html.write_text(f"<!doctype html><html><body>{body}</body></html>", encoding="utf-8")
    attempted = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=require_tool("chromium", "/usr/bin/chromium"),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))

            def block(route):
                if not route.request.url.startswith("file:"):
                    attempted.append(route.request.url)
                    route.abort()
                else:
                    route.continue_()

            page.route("**/*", block)
            page.goto(html.as_uri())
            page.wait_for_selector(".js-plotly-plot .scatterlayer path", timeout=30_000)
            plots = page.locator(".js-plotly-plot").count()
            filled = page.locator(".js-plotly-plot .scatterlayer .trace path.js-fill").count()
            legend = page.locator(".js-plotly-plot .legendtext").all_text_contents()
        finally:
            browser.close()
    assert attempted == []  # nothing was fetched from the network
    assert errors == []
    assert plots == 2
    assert filled >= 2
    assert "hot spot, 99% confidence" in legend


def test_division_holes_stay_empty(divisions):
    """Other cities inside a division (Culver City in Pacific) are holes, wound clockwise."""
    import shapely

    table = pd.DataFrame({"area_id": range(1, 22), "rate_per_100k": np.arange(21.0)})
    polys = [
        e for _, _, elems in maps.division_layers(table, divisions, "rate_per_100k") for e in elems
    ]
    with_holes = [p for p in polys if len(p) > 1]
    assert with_holes  # Pacific, West LA, Harbor and N Hollywood have holes
    for poly in with_holes:
        assert shapely.LinearRing(poly[0]).is_ccw
        assert not any(shapely.LinearRing(h).is_ccw for h in poly[1:])
    # Culver City City Hall lies in a hole of Pacific: in no division
    join = boundaries.join_divisions(np.array([34.0211]), np.array([-118.3965]), divisions, 0)
    assert join.area_id.tolist() == [0]
