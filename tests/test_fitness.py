"""Data fitness: each check on tiny frames you can verify by hand, and one `crimecast run` on four
patchy real samples whose report must say what the data cannot carry instead of stating it."""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

import demo_run
from crimecast import fitness
from crimecast.report.fitness_step import monthly_panel

REAL4 = [
    "bdsj_westla_2020_2021.csv.gz",
    "ivanco19_citywide_2020_10k.csv.gz",
    "pratiksha1821_13areas_2020_6k.csv.gz",
    "rabellan_citywide_rptd_2023dec1_25_12k.csv.gz",
]


def facts(counts: dict, source="a.csv", area="Central", category="burglary", lag_days=3):
    """Grouped incident facts: {month 'YYYY-MM': n}, all reported `lag_days` after the 1st."""
    rows = []
    for month, n in counts.items():
        occ = pd.Timestamp(month + "-01")
        rows.append(
            {
                "source": source,
                "area_name": area,
                "crime_category": category,
                "occurred": occ,
                "reported": occ + pd.Timedelta(days=lag_days),
                "n": n,
            }
        )
    return pd.DataFrame(rows)


def months(start: str, n: int) -> list[str]:
    return [d.strftime("%Y-%m") for d in pd.date_range(start, periods=n, freq="MS")]


def run(f: pd.DataFrame, through: str | None = None, **th) -> fitness.Fitness:
    through = through or pd.to_datetime(f["occurred"]).max().strftime("%Y-%m")
    return fitness.assess(monthly_panel(f), f, through, fitness.Thresholds(**th))


def row(fit: fitness.Fitness, uid: str) -> dict:
    return fit.series.set_index("unique_id").loc[uid].to_dict()


def test_typical_level_is_the_month_an_average_incident_falls_in():
    assert fitness.typical_level([0, 0, 0, 0, 0, 100, 100, 100, 1]) == 100
    assert fitness.typical_level([10, 10, 10, 10]) == 10
    assert fitness.typical_level([0, 0]) == 0


def test_a_steady_series_passes():
    f = facts(dict.fromkeys(months("2019-01", 36), 50))
    fit = run(f)
    city = row(fit, "city")
    assert city["verdict"] == "pass" and fit.passes("city")
    assert city["usable_months"] == 36 and city["usable_from"] == "2019-01"
    assert city["mean_per_month"] == 50 and city["zero_share"] == 0
    assert city["problems"] == ""
    assert fit.failing() == [] and fit.verdicts()["area:Central|category:burglary"] == ""
    assert fit.complete_through == pd.Timestamp("2021-12-01")
    assert fit.sentences[0].startswith("Citywide: 36 usable months (2019-01 to 2021-12)")
    assert fit.months["usable"].all() and len(fit.months) == 36


def test_too_few_usable_months_fail_with_the_span_in_words():
    f = facts(dict.fromkeys(months("2020-03", 17), 40), area="West LA", category="fraud")
    fit = run(f)
    assert row(fit, "area:West LA|category:fraud")["reason"] == (
        "only 17 usable months (2020-03 to 2021-07)"
    )
    assert (
        "West LA / fraud: only 17 usable months (2020-03 to 2021-07); no trend or forecast "
        "is stated." in fit.sentences
    )
    assert {"unique_id": "city", "reason": "only 17 usable months (2020-03 to 2021-07)"} in (
        fit.failing()
    )
    assert "cannot support a citywide trend" in fit.sentences[0]


def test_a_low_mean_fails_and_so_do_mostly_zero_months():
    low = run(facts(dict.fromkeys(months("2019-01", 36), 3)))
    assert row(low, "city")["reason"] == "on average 3.0 incidents a month, under 5"
    sparse = run(facts(dict(zip(months("2019-01", 36), [0, 0, 3] * 12, strict=True))))
    assert row(sparse, "city")["zero_share"] == pytest.approx(0.667, abs=0.001)
    assert row(sparse, "city")["reason"] == "67% of its usable months have no incident"


def test_a_near_empty_stretch_breaks_the_usable_run():
    counts = dict.fromkeys(months("2019-01", 36), 100)
    for m in months("2020-01", 6):
        counts[m] = 5
    fit = run(facts(counts))
    city = row(fit, "city")
    assert "near-empty 2020-01 to 2020-06 (6 months)" in city["problems"]
    assert city["low_months"] == 6 and city["usable_months"] == 18
    assert city["verdict"] == "fail" and city["reason"].startswith("only 18 usable months")
    m = fit.months.set_index("month")
    assert not m.loc["2020-03", "usable"] and m.loc["2020-03", "problems"] == (
        "5% of the typical month"
    )
    assert m.loc["2019-12", "usable"]


def test_a_month_far_above_the_typical_level_is_not_usable():
    counts = dict.fromkeys(months("2019-01", 36), 100)
    counts["2020-06"] = 1000
    fit = run(facts(counts))
    city = row(fit, "city")
    assert "1 month(s) over 3 times its typical month" in city["problems"]
    assert city["usable_months"] == 18  # 2020-07 .. 2021-12
    assert (
        fit.months.set_index("month").loc["2020-06", "problems"] == "10.0 times the typical month"
    )


def test_a_narrow_report_window_is_neither_comparable_nor_complete():
    steady = facts(dict.fromkeys(months("2019-01", 30), 50), source="steady.csv")
    # every crime of window.csv was reported 2021-12-01 .. 12-20, whenever it occurred
    win = facts(
        {**dict.fromkeys(months("2019-01", 29), 1), **dict.fromkeys(months("2021-07", 5), 40)},
        source="window.csv",
    )
    win["reported"] = pd.Timestamp("2021-12-01") + pd.to_timedelta(
        [i % 20 for i in range(len(win))], unit="D"
    )
    f = pd.concat([steady, win], ignore_index=True)
    fit = run(f, through="2021-11")
    src = fit.sources.set_index("source")
    assert src.loc["window.csv", "narrow_report_window"]
    assert not src.loc["steady.csv", "narrow_report_window"]
    assert src.loc["window.csv", "report_window_days"] <= 19
    assert src.loc["window.csv", "reported_from"] == pd.Timestamp("2021-12-01")
    m = fit.months.set_index("month")
    assert m.loc["2021-11", "window_share"] == 1.0
    assert "report window" in m.loc["2021-11", "problems"] and not m.loc["2021-11", "usable"]
    assert m.loc["2021-06", "usable"]
    # the last month "complete" is the last one not made of the window's rows
    assert fit.complete_through == pd.Timestamp("2021-06-01")
    city = row(fit, "city")
    assert city["window_months"] == 5 and city["usable_to"] == "2021-06"
    assert city["reason"] == "its usable months end in 2021-06, 5 months before the last month"
    assert any(s.startswith("window.csv holds only crimes reported 2021-12-01 to 2021-12-20")
               for s in fit.sentences)  # fmt: skip
    assert not any("comparable with other divisions" in s for s in fit.sentences)  # one area


def test_a_file_that_dominates_one_division_is_said():
    both = pd.concat(
        [
            facts(dict.fromkeys(months("2019-01", 36), 25), source="city.csv", area=a)
            for a in ("Central", "Harbor")
        ]
    )
    one = facts(dict.fromkeys(months("2019-01", 36), 500), source="westla.csv", area="Central")
    fit = run(pd.concat([both, one], ignore_index=True))
    assert (
        "95% of its incidents come from one file (westla.csv)"
        in row(fit, "area:Central")["problems"]
    )
    assert "westla.csv" not in row(fit, "area:Harbor")["problems"]
    assert any(s.startswith("Central: 95% of its incidents") for s in fit.sentences)


def test_a_city_count_with_too_few_divisions_at_their_level_is_not_usable():
    parts = [facts(dict.fromkeys(months("2019-01", 24), 30), area=a) for a in ("A1", "A2", "A3")]
    parts.append(facts(dict.fromkeys(months("2021-01", 12), 60), area="A1"))
    fit = run(pd.concat(parts, ignore_index=True))
    m = fit.months.set_index("month")
    assert m.loc["2021-05", "problems"] == "only 1 of 3 divisions at their usual level"
    assert m.loc["2021-05", "coverage"] == pytest.approx(60 / 90, abs=0.001)  # not low by itself
    city = row(fit, "city")
    assert city["usable_to"] == "2020-12"
    assert "12 month(s) with too few divisions at their usual level" in city["problems"]
    assert row(fit, "area:A1")["verdict"] == "pass"  # its own series is whole


def test_labels():
    assert fitness.label("city") == "Citywide"
    assert fitness.label("area:West LA|category:fraud/identity theft") == (
        "West LA / fraud/identity theft"
    )
    assert fitness.level_of("category:arson") == "category"


def visible_text(page: str) -> str:
    """What a reader sees: tags and scripts stripped, table cells included."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


@pytest.mark.slow
def test_run_on_patchy_real_files_states_nothing_they_cannot_carry(
    tmp_path, incidents_dir, data_dir
):
    out = tmp_path / "out"
    args = ["run", "--source", *[str(incidents_dir / f) for f in REAL4], "--out", str(out)]
    args += ["--store", str(tmp_path / "store"), "--models", "naive,seasonal_naive"]
    args += ["--horizon", "6", "--boundaries", str(demo_run.geo_file(data_dir))]
    code, output = demo_run.cli(args)
    assert code == 0, output
    assert "data fitness" in output
    text = visible_text((out / "report.html").read_text(encoding="utf-8"))
    for bad in (r"\bnan\b", r"\binf\b", r"\+0% a year", r"against 0\b"):
        found = re.search(bad, text, flags=re.I)
        assert found is None, text[max(0, found.start() - 200) : found.end() + 50]
    fit = pd.read_csv(out / "tables" / "fitness.csv")
    ac = fit[fit["level"] == "area_category"]
    assert len(ac) > 100 and (ac["verdict"] == "fail").mean() > 0.9
    assert (fit["reason"].notna() & (fit["reason"] != "")).all()
    city = fit.set_index("unique_id").loc["city"]
    assert city["verdict"] == "fail" and city["usable_months"] < 24
    assert "The data cannot support a citywide trend" in text
    assert "citywide series cannot support a forecast claim" in text
    # the December 2023 report window does not make 2023-11 "complete"
    figs = pd.read_csv(out / "tables" / "summary_figures.csv").set_index("key")["value"]
    assert figs["complete_through"] != "2023-11"
    assert "Counts are complete through 2021-07" in text
    assert "rabellan_citywide_rptd_2023dec1_25_12k.csv.gz holds only crimes reported" in text
    trends = pd.read_csv(out / "tables" / "trend_tests.csv")
    rising = trends[trends["direction"] == "rising"]
    assert (rising["change_per_year"] > 0).all()
    assert "The strongest rising trend" not in text and "Seasonality —" not in text
    # the header and the CompStat tables use the same complete month
    assert "complete through 2021-07" in text and "complete through 2023-11" not in text
    comp = pd.read_csv(out / "tables" / "compstat_division.csv")
    assert "West LA" in set(comp["division"])
    assert "new" not in set(comp.iloc[0].astype(str))  # citywide: never "new" against no data
