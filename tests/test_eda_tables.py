"""EDA tables: checked against an independent count of a real LAPD sample (read with the csv
module), against hand-built frames with known answers, and by invariants (every breakdown sums to
the incidents selected; filters never add rows; disjoint filters add up to the whole)."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crimecast import eda, schema
from crimecast.commands.eda import load_incidents
from crimecast.eda import prepared, tables
from crimecast.filters import Filters
from crimecast.store import Store

IVANCO = "ivanco19_citywide_2020_10k.csv.gz"

# Breakdowns that must each sum to the number of incidents selected.
TOTALLING = (
    "by_year",
    "by_weekday",
    "by_hour",
    "daily",
    "weekly",
    "monthly",
    "monthly_by_category",
    "monthly_by_class",
    "monthly_by_area",
    "monthly_by_area_category",
    "by_area",
    "by_district",
    "by_category",
    "by_class",
    "victim_age",
    "victim_sex",
    "victim_descent",
    "arrests_by_category",
    "arrests_by_area",
    "arrest_summary_by_category",
    "arrest_summary_by_area",
    "delay_distribution",
)


# --- the real sample, counted independently ------------------------------------------------------
@pytest.fixture(scope="module")
def ivanco(real_store, incidents_dir):
    """(incidents of the ivanco19 file as stored, the file's rows read with the csv module)."""
    with Store(real_store, read_only=True) as st:
        cols = ", ".join(eda.COLUMNS)
        frame = st.query(f"SELECT record_id, {cols} FROM incidents WHERE source = ?", [IVANCO])
    with gzip.open(incidents_dir / IVANCO, "rt", newline="") as fh:
        rows = list(csv.DictReader(fh))
    ids = set(frame["record_id"])
    rows = [r for r in rows if r["DR_NO"].lstrip("0") in ids]
    return frame, rows


def test_real_sample_is_fully_stored(ivanco):
    frame, rows = ivanco
    assert len(rows) == len(frame) >= 9_900  # the comparison below covers (nearly) the whole file


def test_monthly_counts_match_an_independent_count(ivanco):
    frame, rows = ivanco
    want = Counter(
        dt.datetime.strptime(r["DATE OCC"][:10], "%m/%d/%Y").strftime("%Y-%m") for r in rows
    )
    got = tables.monthly(frame)
    got = {f"{m:%Y-%m}": n for m, n in zip(got["month"], got["incidents"], strict=True) if n}
    assert got == dict(want)


def test_area_counts_match_an_independent_count(ivanco):
    frame, rows = ivanco
    want = Counter(int(r["AREA"]) for r in rows)
    got = tables.by_area(frame)
    got = {int(a): n for a, n in zip(got["area_id"], got["incidents"], strict=True) if n}
    assert got == dict(want)
    # names come from the area number, whatever the file called it
    assert set(tables.by_area(frame)["area_name"]) >= {"Central", "77th Street"}


def test_crime_code_counts_match_an_independent_count(ivanco):
    frame, rows = ivanco
    want = Counter(int(r["Crm Cd"]) for r in rows)
    got = tables.top_codes(frame, n=500)
    assert dict(zip(got["crime_code"], got["incidents"], strict=True)) == dict(want)
    top = want.most_common(1)[0]
    assert (got["crime_code"].iloc[0], got["incidents"].iloc[0]) == top


def test_hour_weekday_and_noon_default_match_an_independent_count(ivanco):
    frame, rows = ivanco
    hours = Counter(int(r["TIME OCC"]) // 100 for r in rows)
    noon = sum(int(r["TIME OCC"]) == 1200 for r in rows)
    got = tables.by_hour(frame)
    assert dict(zip(got["hour"].astype(int), got["incidents"], strict=True)) == dict(hours)
    assert got["noon_default"].sum() == noon > 0
    days = Counter(dt.datetime.strptime(r["DATE OCC"][:10], "%m/%d/%Y").isoweekday() for r in rows)
    wd = tables.by_weekday(frame)
    assert dict(zip(wd["weekday"], wd["incidents"], strict=True)) == dict(days)


def test_victims_match_an_independent_count(ivanco):
    frame, rows = ivanco
    placeholders = sum(not (1 <= int(r["Vict Age"] or 0) <= 120) for r in rows)
    adults = sum(18 <= int(r["Vict Age"] or 0) <= 24 for r in rows)
    age = tables.victim_age(frame)
    assert age.loc[age["age_band"] == tables.NOT_RECORDED, "incidents"].sum() == placeholders
    assert age.loc[age["age_band"] == "18-24", "incidents"].sum() == adults
    women = sum(r["Vict Sex"] == "F" for r in rows)
    sex = tables.victim_sex(frame)
    assert sex.loc[sex["victim_sex"] == "Female", "incidents"].sum() == women


def test_reporting_delay_matches_an_independent_count(ivanco):
    frame, rows = ivanco

    def days(r):
        f = "%m/%d/%Y"
        return (
            dt.datetime.strptime(r["Date Rptd"][:10], f)
            - dt.datetime.strptime(r["DATE OCC"][:10], f)
        ).days

    late = sum(days(r) > 30 for r in rows)
    d = tables.delay_distribution(frame)
    over30 = d[d["delay"].isin(["31-90 days", "91-365 days", "over a year"])]["incidents"].sum()
    assert over30 == late
    same = sum(days(r) == 0 for r in rows)
    assert d.loc[d["delay"] == "same day", "incidents"].sum() == same


def test_every_breakdown_sums_to_the_selection(real_store):
    with Store(real_store, read_only=True) as st:
        frame = st.incidents(columns=eda.COLUMNS)
        comp = st.completeness()
    t = tables.all_tables(frame, comp)
    n = len(frame)
    for name in TOTALLING:
        assert int(t[name]["incidents"].sum()) == n, name
    assert int(t["summary"]["incidents"].iloc[0]) == n
    # per-category shares add up to one within each category
    for name in ("victim_sex", "victim_descent", "delay_distribution"):
        sums = t[name].groupby("crime_category")["share"].sum()
        assert np.allclose(sums, 1.0), name


def test_arrow_and_pandas_loads_give_the_same_tables(real_store):
    f = Filters.build(date_from="2015-01-01", areas=["1", "12"])
    with Store(real_store, read_only=True) as st:
        plain = st.incidents(f, columns=eda.COLUMNS)
        arrow = load_incidents(st, f, eda.COLUMNS)
    assert len(plain) == len(arrow) > 0
    a, b = tables.all_tables(plain), tables.all_tables(arrow)
    for name in ("by_area", "by_category", "monthly", "victim_age", "top_premises", "by_hour"):
        pd.testing.assert_frame_equal(a[name], b[name], check_dtype=False, obj=name)


# --- hand-built fixtures with known answers -------------------------------------------------------
def _frame(rows: list[dict]) -> pd.DataFrame:
    base = {"area_id": 1, "crime_category": "robbery", "crime_class": "violent", "hour": 10}
    return pd.DataFrame([{**base, **r} for r in rows])


def test_known_answers_on_a_hand_built_frame():
    f = _frame(
        [
            # Monday 2023-01-02 at 12:00 default, reported same day, age placeholder
            {"occurred_date": "2023-01-02", "date_reported": "2023-01-02", "hour": 12,
             "time_is_noon_default": True, "victim_age": None, "arrest": True},
            {"occurred_date": "2023-01-02", "date_reported": "2023-03-01", "hour": 12,
             "time_is_noon_default": False, "victim_age": 30, "arrest": False},
            {"occurred_date": "2023-01-08", "date_reported": "2024-06-01", "hour": None,
             "victim_age": 70, "area_id": 12, "crime_category": "burglary",
             "crime_class": "property", "arrest": False},
        ]
    )  # fmt: skip
    hour = tables.by_hour(f)
    noon = hour[hour["hour"] == 12].iloc[0]
    assert (noon["incidents"], noon["noon_default"]) == (2, 1)
    assert hour.loc[hour["hour_label"] == tables.NOT_RECORDED, "incidents"].item() == 1
    wd = tables.by_weekday(f).set_index("weekday_name")["incidents"]
    assert (wd["Monday"], wd["Sunday"], wd.sum()) == (2, 1, 3)
    grid = tables.weekday_hour(f)
    assert len(grid) == 168 and grid["incidents"].sum() == 2  # the unknown hour is not in it
    delay = tables.delay_distribution(f).set_index(["crime_category", "delay"])["incidents"]
    assert delay[("robbery", "same day")] == 1
    assert delay[("robbery", "31-90 days")] == 1
    assert delay[("burglary", "over a year")] == 1
    age = tables.victim_age(f).set_index(["crime_category", "age_band"])
    assert age.loc[("robbery", tables.NOT_RECORDED), "incidents"] == 1
    assert age.loc[("robbery", "25-34"), "share_of_recorded"] == 1.0
    arr = tables.arrest_summary(f).set_index("crime_category")
    assert arr.loc["robbery", "arrest_share"] == 0.5
    area = tables.by_area(f, population={1: 1000, 12: 500}).set_index("area_id")
    assert area.loc[1, "rate_per_100k"] == pytest.approx(2 / 1000 * 1e5)
    assert area.loc[12, "rate_per_100k"] == pytest.approx(1 / 500 * 1e5)
    assert area.loc[5, "incidents"] == 0  # every division listed, zero when none
    daily = tables.daily(f)
    assert len(daily) == 7 and daily["incidents"].sum() == 3  # zero-filled 2-8 January


def test_monthly_carries_completeness_flags():
    f = _frame([{"occurred_date": f"2023-{m:02d}-15"} for m in (1, 2, 4)])
    comp = pd.DataFrame(
        {"month": pd.to_datetime(["2023-03-01", "2023-04-01"]), "incidents": [0, 1],
         "expected_share": [0.95, 0.5], "complete": [True, False], "reason": ["", "reporting lag"]}
    )  # fmt: skip
    m = tables.monthly(f, comp)
    assert list(m["incidents"]) == [1, 1, 0, 1]  # March zero-filled
    assert list(m["complete"]) == [True, True, True, False]
    assert m["reason"].iloc[-1] == "reporting lag"


def test_empty_selection_gives_empty_tables_not_errors():
    empty = pd.DataFrame({c: pd.Series(dtype="object") for c in tables.COLUMNS})
    t = tables.all_tables(empty)
    assert int(t["summary"]["incidents"].iloc[0]) == 0
    assert t["monthly"].empty and t["by_category"]["incidents"].sum() == 0


def test_a_frame_without_dates_is_refused_with_the_fix():
    with pytest.raises(ValueError, match="occurred_date"):
        tables.prepare(pd.DataFrame({"area_id": [1]}))


def test_unknown_columns_are_refused_before_reaching_sql():
    f = _frame([{"occurred_date": "2023-01-02"}])
    with pytest.raises(ValueError, match="unknown incident columns"):
        tables.monthly_by(f, "1; DROP TABLE inc")
    with pytest.raises(ValueError, match="arrest shares"):
        tables.arrests(f, "victim_sex")
    by_sex = tables.monthly_by(f, "victim_sex")  # not in a cube: counted directly
    assert by_sex["incidents"].sum() == 1 and set(by_sex["victim_sex"]) == {tables.NOT_RECORDED}


# --- property tests: filters never add rows; disjoint filters add up --------------------------------
@pytest.fixture(scope="module")
def sim_frame(sim_store):
    # Arrow-backed, as `crimecast eda` loads it (and scanned in place, so examples run fast)
    with Store(sim_store, read_only=True) as st:
        return load_incidents(st, Filters(), eda.COLUMNS)


@pytest.fixture(scope="module")
def whole_by_category(sim_frame):
    return tables.by_category(sim_frame)["incidents"].to_numpy()


areas = st.lists(st.integers(1, 21), max_size=6, unique=True)
cats = st.lists(st.sampled_from(schema.CATEGORIES), max_size=4, unique=True)
days = st.integers(0, 6 * 365)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(areas=areas, cats=cats, start=days, length=days)
def test_a_filter_never_adds_rows(sim_frame, whole_by_category, areas, cats, start, length):
    d0 = dt.date(2018, 1, 1) + dt.timedelta(days=start)
    f = Filters.build(date_from=d0, date_to=d0 + dt.timedelta(days=length), areas=areas,
                      categories=cats)  # fmt: skip
    sub = f.apply(sim_frame)
    part = tables.by_category(sub)["incidents"].to_numpy()
    assert (part <= whole_by_category).all()
    assert part.sum() == len(sub) <= len(sim_frame)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(split=st.sets(st.integers(1, 21), min_size=1, max_size=20))
def test_disjoint_area_filters_sum_to_the_whole(sim_frame, whole_by_category, split):
    rest = set(schema.AREAS) - split
    a = tables.prepare(Filters.build(areas=sorted(split)).apply(sim_frame))
    b = tables.prepare(Filters.build(areas=sorted(rest)).apply(sim_frame))
    ca, cb = tables.by_category(a), tables.by_category(b)
    assert (ca["incidents"].to_numpy() + cb["incidents"].to_numpy() == whole_by_category).all()
    assert tables.monthly_by(a, "crime_class")["incidents"].sum() == ca["incidents"].sum() == a.n


def test_delay_and_age_quantiles_match_numpy_on_the_file(ivanco):
    frame, rows = ivanco
    fmt = "%m/%d/%Y"
    by_cat: dict[str, list[int]] = {}
    ages: dict[str, list[int]] = {}
    for r in rows:
        cat = schema.crime_category(int(r["Crm Cd"]))
        occ = dt.datetime.strptime(r["DATE OCC"][:10], fmt)
        by_cat.setdefault(cat, []).append(
            (dt.datetime.strptime(r["Date Rptd"][:10], fmt) - occ).days
        )
        if 1 <= int(r["Vict Age"] or 0) <= 120:
            ages.setdefault(cat, []).append(int(r["Vict Age"]))
    got = tables.reporting_delay(frame).set_index("crime_category")
    for cat, days in by_cat.items():
        q = np.quantile(days, [0.5, 0.9, 0.99])  # numpy's default interpolation = quantile_cont
        assert got.loc[cat, ["median_days", "p90_days", "p99_days"]].tolist() == pytest.approx(q)
        assert got.loc[cat, "incidents"] == len(days)
    summ = tables.victim_age_summary(frame).set_index("crime_category")
    for cat, a in ages.items():
        assert summ.loc[cat, "median_age"] == pytest.approx(np.median(a))
        assert summ.loc[cat, "age_recorded"] == len(a)


def test_weighted_quantile_equals_duckdb_quantile_cont():
    import duckdb

    rng = np.random.default_rng(4)
    values = rng.integers(0, 50, 301)
    con = duckdb.connect()
    for q in (0.0, 0.1, 0.5, 0.9, 0.99, 1.0):
        want = con.execute("SELECT quantile_cont(v, ?) FROM (SELECT unnest(?) AS v)",
                           [q, values.tolist()]).fetchall()[0][0]  # fmt: skip
        uniq, counts = np.unique(values, return_counts=True)
        assert prepared.weighted_quantile(uniq, counts, q) == pytest.approx(want)


def test_nibrs_incidents_rank_by_their_offense_not_as_one_blank_code():
    from crimecast import eda

    days = pd.to_datetime(["2025-01-05"] * 6)
    frame = pd.DataFrame({c: None for c in eda.COLUMNS}, index=range(6))
    frame["occurred_date"] = days
    frame["crime_code"] = [510, 510, None, None, None, None]
    frame["crime_desc"] = ["VEHICLE - STOLEN"] * 2 + ["Robbery"] * 3 + ["Identity Theft"]
    frame["crime_category"] = ["motor-vehicle theft"] * 2 + ["robbery"] * 3 + ["fraud"]
    got = tables.top_codes(frame)
    assert list(zip(got["crime_desc"], got["incidents"], strict=True)) == [
        ("Robbery", 3), ("VEHICLE - STOLEN", 2), ("Identity Theft", 1)
    ]  # fmt: skip
