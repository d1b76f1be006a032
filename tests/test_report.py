"""The report of a real `crimecast run --demo`: self-contained (no network resource, Plotly inlined
once, images embedded), its numbers equal the CSV tables, and it says what it must say."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import demo_run

URL_ATTRS = {"src", "href", "srcset", "data", "action", "poster", "background", "formaction"}
REMOTE = re.compile(r"^\s*(https?:)?//", re.I)


class Parsed(HTMLParser):
    """Every tag attribute that can load something, the tables and the summary numbers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads: list[tuple[str, str, str]] = []  # (tag, attr, value)
        self.styles: list[str] = []
        self.tables: dict[str, list[list[str]]] = {}
        self.nums: dict[str, str] = {}
        self.scripts = 0
        self._table = None
        self._row = None
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for k, v in attrs:
            if k in URL_ATTRS and v is not None:
                self.loads.append((tag, k, v))
            if k == "style" and v:
                self.styles.append(v)
        if tag == "script":
            self.scripts += 1
        if tag == "style":
            self._in_style = True
        if tag == "table" and "data-table" in a:
            self._table = self.tables.setdefault(a["data-table"], [])
        if self._table is not None and tag == "tr":
            self._row = []
        if self._row is not None and tag == "td":
            self._row.append(a.get("data-value", ""))
        if tag == "span" and "data-key" in a:
            self.nums[a["data-key"]] = a["data-value"]

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False
        if tag == "tr" and self._row is not None:
            if self._row:
                self._table.append(self._row)
            self._row = None
        if tag == "table":
            self._table = None

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


@pytest.fixture(scope="module")
def demo(tmp_path_factory, data_dir):
    out, _, _ = demo_run.shared(tmp_path_factory, data_dir)
    html = (out / "report.html").read_text(encoding="utf-8")
    parsed = Parsed()
    parsed.feed(html)
    return out, html, parsed


def test_no_network_resource_is_referenced(demo):
    _, html, p = demo
    remote = [x for x in p.loads if REMOTE.match(x[2])]
    assert not remote, remote
    for tag, attr, value in p.loads:  # only in-page anchors and embedded data
        assert value.startswith(("#", "data:")), (tag, attr, value[:80])
    css = "\n".join(p.styles)
    assert not re.search(r"url\(\s*['\"]?\s*(https?:)?//", css, re.I)
    assert "@import" not in css
    assert "<link" not in html.lower() and "<iframe" not in html.lower()
    # the checks above can fail: a planted remote reference is caught
    bad = Parsed()
    bad.feed('<img src="https://example.org/x.png"><script src="//cdn.plot.ly/p.js"></script>')
    assert len([x for x in bad.loads if REMOTE.match(x[2])]) == 2


def test_plotly_inlined_once_and_images_embedded(demo):
    _, html, p = demo
    assert html.count("* plotly.js v") == 1  # the library's banner: inlined exactly once
    assert html.count('class="plotly-graph-div"') >= 3
    imgs = [v for tag, attr, v in p.loads if tag == "img"]
    assert len(imgs) >= 10 and all(v.startswith("data:image/png;base64,") for v in imgs)
    assert "@media print" in html


def test_opens_offline_in_chromium_without_requests(demo):
    sync_api = pytest.importorskip("playwright.sync_api")
    out, _, _ = demo
    requests, errors = [], []
    with sync_api.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path="/usr/bin/chromium", args=demo_run_args())
        page = b.new_page()
        page.on("request", lambda r: requests.append(r.url))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto((out / "report.html").as_uri(), wait_until="load")
        page.wait_for_selector(".plotly-graph-div .main-svg", timeout=20_000)
        drawn = page.evaluate("document.querySelectorAll('.plotly-graph-div .main-svg').length")
        # printable: the print stylesheet hides the navigation and starts sections on new pages
        page.emulate_media(media="print")
        nav = page.evaluate("getComputedStyle(document.querySelector('nav.toc')).display")
        brk = page.evaluate("getComputedStyle(document.getElementById('data')).breakBefore")
        pdf_ok = page.evaluate("document.body.scrollHeight") > 0
        b.close()
    assert nav == "none" and brk == "page" and pdf_ok
    assert drawn >= 3
    assert all(u.startswith(("file:", "data:")) for u in requests), requests
    assert not errors, errors


def demo_run_args() -> list[str]:
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]


def _same(shown: str, expected) -> bool:
    if pd.isna(expected):
        return shown in ("", "nan", "None", "<NA>")
    try:
        a, b = float(shown), float(expected)
        return a == b or abs(a - b) <= 1e-9 * max(1.0, abs(b))
    except ValueError:
        return shown == str(expected) or shown.lower() == str(expected).lower()


def test_report_tables_equal_the_csv_tables(demo):
    out, _, p = demo
    checked = 0
    for name, rows in p.tables.items():
        csv = out / "tables" / f"{name}.csv"
        if not csv.exists():
            continue  # ingested_files and steps come from run.json (checked below)
        df = pd.read_csv(csv, dtype=str, keep_default_na=False)
        assert len(rows) == min(len(df), 40 if name.startswith("compstat") else 15), name
        for shown, expected in zip(rows, df.itertuples(index=False), strict=False):
            assert len(shown) == len(expected), name
            for s, e in zip(shown, expected, strict=True):
                assert _same(s, e if e != "" else float("nan")), (name, s, e)
                checked += 1
    assert checked > 200
    assert {"incidents_by_source", "delay_by_category", "trend_tests", "division_rates"} <= set(
        p.tables
    )


def test_summary_numbers_match_the_tables(demo):
    out, _, p = demo
    figs = pd.read_csv(out / "tables" / "summary_figures.csv", dtype=str)
    assert dict(zip(figs["key"], figs["value"], strict=True)) == p.nums
    run = json.loads((out / "run.json").read_text())
    n = {k: v for k, v in p.nums.items()}
    assert int(n["incidents"]) == run["data"]["incidents"]
    assert int(n["quarantined"]) == run["data"]["quarantined"]
    assert int(n["simulated"]) == run["data"]["simulated_incidents"]

    from crimecast.eda.trends import complete_months

    # the two years compared are one unbroken run of complete months, never across the switch
    comp = pd.read_csv(out / "tables" / "completeness.csv")
    ok = complete_months(comp, min_months=24).sort_values("month")
    assert pd.Timestamp(ok["month"].max()) < pd.Timestamp("2024-03-01")
    assert int(n["last12_incidents"]) == ok["incidents"].tail(12).sum()
    assert int(n["prev12_incidents"]) == ok["incidents"].iloc[-24:-12].sum()

    chosen = pd.read_csv(out / "tables" / "forecast_chosen.csv", parse_dates=["ds"])
    city = chosen[chosen["unique_id"] == "city"]
    fc = pd.read_csv(out / "forecasts.csv", parse_dates=["ds"])
    model = city["model"].iloc[0]
    raw_city = fc[(fc["unique_id"] == "city") & (fc["model"] == model)]
    for year, g in raw_city.groupby(raw_city["ds"].dt.year):
        assert int(n[f"fc_city_{year}_total"]) == round(g["yhat"].sum())
    scores = pd.read_csv(out / "tables" / "backtest_scores.csv")
    city_scores = scores[scores["unique_id"] == "city"]
    # the recommended forecast: auto (its own inner backtest chose combination or one model)
    assert model == "auto" and "auto" in set(city_scores["model"])

    areas = pd.read_csv(out / "tables" / "forecast_areas_next12.csv")
    assert n["fc_area_1"] == areas["area"].iloc[0]  # the highest forecast rate per 100,000
    assert float(n["fc_area_1_per100k"]) == pytest.approx(areas["per_100k"].iloc[0], abs=0.051)

    cells = pd.read_csv(out / "tables" / "hotspot_cells.csv")
    assert float(n["hotspot_1_z"]) == pytest.approx(cells["z"].max(), abs=0.005)
    assert int(n["hotspot_1_n"]) == cells.sort_values("z")["n"].iloc[-1]
    assert int(n["hot_cells_99"]) == int((cells["class"] == "hot spot, 99% confidence").sum())


def test_sections_banner_and_model_card(demo):
    _, html, _ = demo
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<script.*?</script>", " ", html, flags=re.S))
    assert "SIMULATED DATA" in html and 'id="simulated-banner"' in html
    for heading in (
        "Executive summary",
        "Data and its quality",
        "Trends and patterns",
        "Maps and hotspots",
        "Forecasts and how far to trust them",
        "Model card",
    ):
        assert heading in html
    for phrase in (
        "NIBRS",
        "reporting lag",
        "Excluded from model training",
        "never used to predict anything",
        "not for decisions about individuals",
        "reflects policing",
        "seasonal naive",
    ):
        assert phrase in text, phrase


def test_a_step_that_cannot_run_is_said_not_faked(tmp_path, demo):
    """A step that cannot run on the data renders as 'not available' with its reason, never as
    made-up content."""
    from crimecast.report import build, steps

    out, _, _ = demo
    (tmp_path / "tables").mkdir()
    info = json.loads((out / "run.json").read_text())
    ctx = steps.Context(
        out=tmp_path,
        store=Path(info["store"]),
        info={
            **info["data"],
            "simulated": info["data"]["simulated_incidents"],
            "months": [],
        },
        completeness=pd.read_csv(out / "tables" / "completeness.csv"),
        options={},
    )
    why = "no incident has usable coordinates"
    results = {s: steps.not_available(s.capitalize(), why) for s in ("eda", "hotspots", "forecast")}
    html = build.render(ctx, results, {**info, "steps": {}})
    assert html.count("is not available") >= 3
    assert f"Forecast is not available: {why}" in html


def test_untested_forecasts_are_labelled_so():
    """With too little history for any backtest, the summary says the forecast is untested."""
    from crimecast.report.summary import forecast_summary

    ds = pd.date_range("2025-03-01", periods=12, freq="MS")
    chosen = pd.DataFrame(
        {"unique_id": "city", "ds": ds, "model": "naive", "yhat": 100.0, "lo_80": 90.0,
         "hi_80": 110.0, "lo_95": 80.0, "hi_95": 120.0}
    )  # fmt: skip
    train = pd.DataFrame({"unique_id": "city", "ds": ds[:2] - pd.DateOffset(months=2), "y": 5})
    best = pd.DataFrame({"unique_id": ["city"], "model": ["naive"]})
    out = forecast_summary(chosen, train, best, ("naive",), tested=False)
    assert "UNTESTED" in out["bullets"][0][0]
    assert out["warnings"][0].startswith("Only 2 complete month(s)")
    tested = forecast_summary(chosen, train, best, ("naive",))
    assert "best backtest" in tested["bullets"][0][0] and not tested["warnings"]


def test_compstat_tables_are_written_and_shown(demo):
    out, html, p = demo
    run = json.loads((out / "run.json").read_text())
    for name, col in (("compstat_division", "division"), ("compstat_category", "crime_category")):
        df = pd.read_csv(out / "tables" / f"{name}.csv", dtype=str, keep_default_na=False)
        assert df[col].iloc[0] == "Citywide" and name in p.tables
        text = df.to_csv(index=False).lower()
        assert not re.search(r"\b(inf|-inf|nan)\b", text), name
        city = df.iloc[0]
        rest = df.iloc[1:]
        for k in ("d28", "ytd", "m12"):  # the citywide row is the sum of the groups
            assert int(city[f"{k}_current"]) == rest[f"{k}_current"].astype(int).sum()
    assert run["data"]["complete_through"] in html or "As of" in html
    assert html.index('id="compstat"') < html.index('id="eda"')


def test_brief_has_two_pages(demo):
    from crimecast.report.brief import page_count

    out, _, _ = demo
    pdf = out / "report-brief.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    assert 1 <= page_count(pdf) <= 2


def test_compstat_periods_and_changes_against_zero():
    """Pure: windows end on the as-of date, a year earlier is the same days, zero is 'new'."""
    from crimecast.eda import compstat

    as_of = pd.Timestamp("2025-03-31")
    d28, ytd, m12 = compstat.periods(as_of)
    assert (d28.start, d28.prev_start, d28.prev_end) == (
        pd.Timestamp("2025-03-04"), pd.Timestamp("2024-03-04"), pd.Timestamp("2024-03-31")
    )  # fmt: skip
    assert (ytd.start, ytd.prev_end) == (pd.Timestamp("2025-01-01"), pd.Timestamp("2024-03-31"))
    assert m12.days == 365 and m12.prev_days == 366  # the leap day is in the year before
    rows = (
        [("2025-03-10", 1, "robbery")] * 30  # Central: 30 against 5 this March
        + [("2024-03-10", 1, "robbery")] * 5
        + [("2025-03-20", 2, "arson")] * 4  # Rampart: 4 against none
        + [("2025-04-02", 1, "robbery")] * 50  # after the as-of date: not counted
    )
    inc = pd.DataFrame(rows, columns=["occurred_date", "area_id", "crime_category"])
    inc["occurred_date"] = pd.to_datetime(inc["occurred_date"])
    t = compstat.compstat(inc, as_of, "division").set_index("division")
    assert t.loc["Citywide", "d28_current"] == 34 and t.loc["Citywide", "d28_year_before"] == 5
    assert t.loc["Central", "d28_pct_change"] == 500.0 and t.loc["Central", "d28_significant"]
    assert t.loc["Rampart", "d28_pct_change"] == "new"
    cat = compstat.compstat(inc, as_of, "category").set_index("crime_category")
    assert cat.loc["arson", "d28_change"] == 4 and cat.loc["arson", "d28_pct_change"] == "new"
    # the data begin in March 2024: the 12 months before April 2024 are not in them
    assert pd.isna(cat.loc["arson", "m12_change"]) and pd.isna(cat.loc["arson", "m12_pct_change"])
    assert compstat.pct_text(0, 0) is None
    assert compstat.as_of_date("2024-02") == pd.Timestamp("2024-02-29")


def test_compstat_compares_nothing_before_the_data_begin():
    from crimecast.eda import compstat as cs

    days = pd.date_range("2023-04-01", "2024-05-31", freq="D")
    incidents = pd.DataFrame(
        {"occurred_date": days.date, "area_id": 1, "crime_category": "burglary"}
    )
    table = cs.compstat(incidents, pd.Timestamp("2024-05-31"), "division")
    city = table.iloc[0]
    # the data start 2023-04: the last 28 days' year-earlier window lies inside them, the
    # last 12 months' does not
    assert city["d28_current"] == 28 and city["d28_year_before"] == 28
    assert pd.isna(city["m12_year_before"]) and pd.isna(city["m12_pct_change"])
    assert not bool(city["m12_significant"])


def test_compstat_compares_nothing_across_the_nibrs_transition():
    from crimecast.eda import compstat as cs

    days = pd.date_range("2023-01-01", "2025-10-31", freq="D")
    incidents = pd.DataFrame({"occurred_date": days.date, "area_id": 1, "crime_category": "theft"})
    transition = list(pd.date_range("2024-03-01", "2024-09-01", freq="MS"))
    table = cs.compstat(incidents, pd.Timestamp("2025-10-31"), "category", transition)
    city = table.iloc[0]
    # the year to date (Jan-Oct 2024 before) and the last 12 months touch the transition and
    # are not compared; the last 28 days (October 2024 before) are
    assert city["d28_year_before"] == 28 and pd.isna(city["ytd_year_before"])
    assert pd.isna(city["m12_year_before"]) and not bool(city["m12_significant"])
    # a year later every window is in the NIBRS regime
    later = pd.DataFrame(
        {"occurred_date": pd.date_range("2023-01-01", "2026-10-31", freq="D").date,
         "area_id": 1, "crime_category": "theft"}
    )  # fmt: skip
    city = cs.compstat(later, pd.Timestamp("2026-10-31"), "category", transition).iloc[0]
    assert city["m12_year_before"] == 365 and city["ytd_year_before"] == 304
