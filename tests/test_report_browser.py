"""report.html and report-brief.pdf of a real `crimecast run --demo`, looked at the way a reader
does: in headless Chromium (Debian's /usr/bin/chromium driven by Playwright) and, for the brief,
rendered page by page with poppler's pdftoppm. Screenshots go to the test's tmp dir."""

from __future__ import annotations

import base64
import re
import subprocess

import pandas as pd
import pytest

import demo_run
from conftest import require_tool

sync_api = pytest.importorskip("playwright.sync_api")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory, data_dir):
    out, _, _ = demo_run.shared(tmp_path_factory, data_dir)
    return out


@pytest.fixture(scope="module")
def page(demo, tmp_path_factory):
    chromium = require_tool("chromium", "/usr/bin/chromium")
    shots = tmp_path_factory.mktemp("report_shots")
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium, args=ARGS)
        pg = b.new_page(viewport={"width": 1280, "height": 900})
        pg.goto((demo / "report.html").as_uri(), wait_until="load")
        pg.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
        pg.wait_for_timeout(500)
        pg.screenshot(path=str(shots / "report_full.png"), full_page=True)
        yield pg, shots
        b.close()


def test_the_answer_comes_first(page):
    pg, shots = page
    pos = pg.evaluate(
        """() => Object.fromEntries(['summary', 'forecasts', 'risk', 'maps', 'compstat', 'eda',
            'data', 'model-card'].map(id => [id, document.getElementById(id).offsetTop]))"""
    )
    height = pg.evaluate("document.documentElement.scrollHeight")
    assert (shots / "report_full.png").stat().st_size > 10_000
    assert pos["forecasts"] < 0.25 * height, (pos, height)
    order = ["summary", "forecasts", "risk", "maps", "compstat", "eda", "data", "model-card"]
    assert [pos[k] for k in order] == sorted(pos[k] for k in order), pos


def test_time_axes_end_with_the_data(page, demo):
    """Every Plotly chart on a date axis ends within two months of the last month it draws (its
    traces and its shaded flagged months)."""
    pg, _ = page
    axes = pg.evaluate(
        """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap(el => {
            const fl = el._fullLayout, out = [];
            for (const k of Object.keys(fl).filter(k => /^xaxis\\d*$/.test(k))) {
              const ax = fl[k];
              if (ax.type !== 'date') continue;
              const id = k === 'xaxis' ? 'x' : 'x' + k.slice(5);
              let last = null;
              for (const tr of el.data) {
                if ((tr.xaxis || 'x') !== id || !tr.x) continue;
                for (const v of tr.x) { const d = new Date(v); if (!isNaN(d) && (!last || d > last)) last = d; }
              }
              for (const sh of fl.shapes || []) {  // shaded flagged months are drawn too
                if (sh.type !== 'rect' || sh.xref !== id) continue;
                const d = new Date(new Date(sh.x1) - 86400000);
                if (!isNaN(d) && (!last || d > last)) last = d;
              }
              out.push({fig: (fl.title && fl.title.text || el.id).slice(0, 60), axis: k, end: ax.range[1], last: last && last.toISOString()});
            }
            return out;
        })"""
    )
    assert len(axes) >= 5, axes
    for a in axes:
        end, last = pd.Timestamp(a["end"]), pd.Timestamp(a["last"]).tz_localize(None)
        assert abs((end - last).days) <= 62, a


def test_annotations_do_not_overlap(page):
    pg, _ = page
    overlaps = pg.evaluate(
        """() => {
          const bad = [];
          for (const el of document.querySelectorAll('.js-plotly-plot')) {
            const boxes = [...el.querySelectorAll('.annotation-text-g')]
              .map(g => g.getBoundingClientRect()).filter(r => r.width > 0 && r.height > 0);
            for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
              const a = boxes[i], b = boxes[j];
              if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1)
                bad.push(el.id);
            }
          }
          return bad;
        }"""
    )
    assert not overlaps, overlaps


def test_no_nan_or_inf_in_visible_text(page):
    pg, _ = page
    text = pg.evaluate("document.body.innerText")
    assert "Executive summary" in text and "CompStat by division" in text
    found = re.findall(r"\b(?:nan|NaN|inf|-inf|Infinity)\b", text)
    assert not found, found[:10]
    # table headings are titles, not file names
    heads = pg.evaluate("[...document.querySelectorAll('h3')].map(h => h.innerText)")
    assert not [h for h in heads if re.search(r"next12|^Yoy |_", h)], heads


def test_wide_tables_scroll_instead_of_breaking_words(page):
    pg, _ = page
    broken = pg.evaluate(
        """() => [...document.querySelectorAll('td')].filter(td => {
            const s = getComputedStyle(td);
            return s.wordBreak === 'break-all' || s.overflowWrap === 'anywhere';
        }).length"""
    )
    wraps = pg.evaluate(
        "[...document.querySelectorAll('.tablewrap')].map(w => getComputedStyle(w).overflowX)"
    )
    assert broken == 0
    assert wraps and set(wraps) == {"auto"}


def test_brief_has_one_or_two_pages(demo, page, tmp_path):
    """The brief is 1-2 US Letter pages; each page, rendered by pdftoppm and shown in Chromium,
    is drawn (not blank) in both halves."""
    from crimecast.report.brief import page_count

    pg, shots = page
    pdf = demo / "report-brief.pdf"
    n = page_count(pdf)
    assert 1 <= n <= 2
    pdftoppm = require_tool("pdftoppm")
    subprocess.run(
        [pdftoppm, "-r", "72", "-png", str(pdf), str(shots / "brief")], check=True, timeout=120
    )
    pages = sorted(shots.glob("brief-*.png"))
    assert len(pages) == n
    html = tmp_path / "brief.html"
    uris = ["data:image/png;base64," + base64.b64encode(p.read_bytes()).decode() for p in pages]
    html.write_text("".join(f'<img src="{u}">' for u in uris))  # data URIs: readable pixels
    viewer = pg.context.browser.new_page()
    viewer.goto(html.as_uri(), wait_until="load")
    stats = viewer.evaluate(
        """() => [...document.images].map(img => {
            const c = document.createElement('canvas');
            c.width = img.naturalWidth; c.height = img.naturalHeight;
            const g = c.getContext('2d'); g.drawImage(img, 0, 0);
            const half = h0 => { const d = g.getImageData(0, h0, c.width, c.height / 2).data;
              let ink = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 200) ink++;
              return ink / (d.length / 4); };
            return {w: img.naturalWidth, h: img.naturalHeight, top: half(0), bottom: half(c.height / 2)};
        })"""
    )
    viewer.screenshot(path=str(shots / "brief_pages.png"), full_page=True)
    viewer.close()
    assert len(stats) == n
    for s in stats:
        assert s["h"] / s["w"] == pytest.approx(11 / 8.5, rel=0.01), s
        assert s["top"] > 0.01 and s["bottom"] > 0.01, s
