"""The simulator: deterministic, in the export layout, calibrated, labelled, ingestible."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs
from typer.testing import CliRunner

from crimecast import codes, schema
from crimecast.errors import ConfigError, InputFileError
from crimecast.ingest import simulate as sim
from crimecast.store import Store

DATE_RE = r"^\d{2}/\d{2}/\d{4} 12:00:00 AM$"


def _dates(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s, format="%m/%d/%Y %I:%M:%S %p")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    """80k incidents over the calibration years 2010-2022."""
    return sim.simulate(80_000, seed=3, start="2010-01-01", end="2022-12-31")


@pytest.fixture(scope="module")
def categories(frame) -> pd.Series:
    return frame["Crm Cd"].astype(int).map(schema.crime_category)


# --- determinism and layout ------------------------------------------------------------------
def test_same_seed_gives_identical_bytes_and_another_seed_does_not(tmp_path):
    a, b, c = (tmp_path / f"{n}.simulated.csv" for n in "abc")
    sim.write_csv(sim.simulate(20_000, seed=1), a)
    sim.write_csv(sim.simulate_table(20_000, seed=1), b)  # the table path writes the same bytes
    sim.write_csv(sim.simulate(20_000, seed=2), c)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert len(a.read_bytes().splitlines()) == 20_001


def test_export_layout(tmp_path, frame):
    path = sim.write_csv(frame.head(2000), tmp_path / "x.simulated.csv")
    header = path.read_text().splitlines()[0]
    assert header.split(",") == list(sim.EXPORT_COLUMNS)
    assert list(frame.columns) == list(sim.EXPORT_COLUMNS)
    assert (
        frame["Date Rptd"].str.match(DATE_RE).all() and frame["DATE OCC"].str.match(DATE_RE).all()
    )
    t = frame["TIME OCC"]
    assert t.str.fullmatch(r"\d{4}").all()
    assert (t.str[:2].astype(int) < 24).all() and (t.str[2:].astype(int) < 60).all()
    # real names, numbers, codes and descriptions
    area = frame["AREA"].astype(int)
    assert set(area) == set(schema.AREAS)
    assert (frame["AREA NAME"] == area.map(schema.AREAS)).all()
    assert (frame["Rpt Dist No"].str.fullmatch(r"\d{4}")).all()
    assert (frame["Rpt Dist No"].str[:2] == frame["AREA"]).all()
    code = frame["Crm Cd"].astype(int)
    assert (frame["Crm Cd Desc"] == code.map(lambda c: codes.CRIME_CODES[c][0])).all()
    assert (frame["Part 1-2"] == code.map(lambda c: codes.CRIME_CODES[c][1])).all()
    assert (frame["Crm Cd 1"] == frame["Crm Cd"]).all()
    assert (frame["Premis Desc"] == frame["Premis Cd"].map(codes.PREMISES)).all()
    armed = frame["Weapon Used Cd"].notna()
    assert (
        frame.loc[armed, "Weapon Desc"] == frame.loc[armed, "Weapon Used Cd"].map(codes.WEAPONS)
    ).all()
    assert frame.loc[~armed, "Weapon Desc"].isna().all()
    assert set(frame["Status"]) <= set(schema.STATUS)
    assert set(frame["Crm Cd 2"].dropna()) == {998}
    # 1 in a few hundred rows carries the real data's LAT/LON of 0
    assert 0.001 < (frame["LAT"] == 0).mean() < 0.006


def test_ids_are_labelled_simulated_and_unique(frame):
    ids = frame["DR_NO"]
    assert ids.is_unique and ids.str.fullmatch(r"\d{9}").all()
    assert ids.map(sim.is_simulated_id).all()
    # the first two digits are the report year, as in real ids
    assert (ids.str[:2].astype(int) == _dates(frame["Date Rptd"]).dt.year % 100).all()
    for real in ("010304468", "190101086", "221314362", "1307355", "h:abc"):
        assert not sim.is_simulated_id(real)


def test_exactly_the_rows_asked_for_even_in_a_short_window():
    df = sim.simulate(3000, seed=5, start="2023-12-20", end="2023-12-31")
    assert len(df) == 3000
    assert _dates(df["Date Rptd"]).max() <= pd.Timestamp("2023-12-31")
    assert _dates(df["DATE OCC"]).min() >= pd.Timestamp("2023-12-20")


# --- calibration -------------------------------------------------------------------------------
def test_area_volumes_match_the_calibration(frame):
    share = frame["AREA"].astype(int).value_counts(normalize=True)
    for area, expected in sim.AREA_SHARE.items():
        assert abs(share[area] / expected - 1) < 0.20, (area, share[area], expected)
    # 77th Street is among the busiest divisions, Foothill among the quietest, as in LAPD data
    assert share[12] > 1.3 * share[16]


def test_area_trends_follow_the_real_series():
    early = sim.simulate(30_000, seed=8, start="2010-01-01", end="2010-12-31")
    late = sim.simulate(30_000, seed=8, start="2022-01-01", end="2022-12-31")
    central = [(d["AREA"] == "01").mean() for d in (early, late)]
    assert central[1] > 1.7 * central[0]  # 3.4% of incidents in 2010, 7.5% in 2022


def test_crime_mix_matches_the_calibration(frame, categories):
    share = categories.value_counts(normalize=True)
    for cat, expected in sim.CATEGORY_SHARE.items():
        assert abs(share.get(cat, 0) - expected) < 0.02, (cat, share.get(cat), expected)
    codes_share = frame["Crm Cd"].astype(int).value_counts(normalize=True)
    for code in (624, 510, 330, 310, 440, 354):
        assert abs(codes_share[code] - sim.CODE_SHARE[code]) < 0.01
    # the mix differs by area: more larceny in West LA than in 77th Street
    larceny = categories.eq("larceny/theft").groupby(frame["AREA"]).mean()
    assert larceny["08"] > 1.5 * larceny["12"]


def test_yearly_totals_follow_the_real_series(frame):
    years = _dates(frame["DATE OCC"]).dt.year.value_counts().sort_index()
    real = pd.Series(sim.YEARLY_TOTALS).loc[2010:2021]
    scaled = years.loc[2010:2021] / years.loc[2010:2021].sum() * real.sum()
    assert ((scaled / real - 1).abs() < 0.06).all(), (scaled / real).round(3).to_dict()
    assert years[2020] < years[2019] and years[2020] < years[2021]  # the 2020 dip


def test_seasonality_weekly_and_daily_patterns(frame):
    occ = _dates(frame["DATE OCC"])
    per_day = occ.groupby(occ.dt.month).size() / occ.groupby(occ.dt.month).apply(
        lambda s: s.dt.normalize().nunique()
    )
    assert per_day.loc[[7, 8]].mean() > 1.08 * per_day.loc[2]
    weekday = occ.dt.weekday.value_counts()
    assert weekday.idxmax() == 4  # Friday
    t = frame["TIME OCC"]
    # 1200 stands out even against the other round hours (real: 4.5% vs about 1.5%)
    assert (t == "1200").mean() > 2.5 * max((t == "1100").mean(), (t == "1300").mean())
    assert (t == "0001").mean() > 5 * (t == "0002").mean()
    hours = t.str[:2].astype(int).value_counts(normalize=True)
    assert hours[5] < hours[18] / 2  # quiet before dawn, busy in the evening
    assert abs(hours[12] - sim.HOUR_PERMILLE[12] / 1000) < 0.01


def test_reporting_delays_have_a_long_tail(frame, categories):
    delay = (_dates(frame["Date Rptd"]) - _dates(frame["DATE OCC"])).dt.days
    assert (delay >= 0).all()
    assert delay.median() <= 2
    assert 0.002 < (delay > 365).mean() < 0.05
    by_cat = delay.groupby(categories).median()
    assert by_cat["fraud/identity theft"] >= 10 * max(by_cat["motor-vehicle theft"], 1)
    assert by_cat["rape"] > by_cat["robbery"]


def test_victims_premises_weapons_and_status_fit_the_crime(frame, categories):
    age = frame["Vict Age"]
    assert 0.18 < (age == 0).mean() < 0.32
    mvt = categories == "motor-vehicle theft"
    assert (age[mvt] == 0).mean() > 0.9 and frame.loc[mvt, "Vict Sex"].isna().mean() > 0.9
    assert ((age == 0) & mvt).sum() / (age == 0).sum() > 0.3  # mostly vehicle theft
    assert (age < 0).any()  # the real negative placeholder
    assert {"M", "F", "X"} <= set(frame["Vict Sex"].dropna())
    assert "X" in set(frame["Vict Descent"].dropna())
    assert frame.loc[categories == "rape", "Vict Sex"].eq("F").mean() > 0.8
    prem = frame["Premis Desc"]
    assert prem[mvt].isin(["STREET", "PARKING LOT"]).mean() > 0.85
    assert frame.loc[mvt, "Weapon Used Cd"].isna().mean() > 0.99
    simple = categories == "simple assault"
    assert frame.loc[simple, "Weapon Used Cd"].eq(400).mean() > 0.75
    assert frame.loc[categories == "burglary", "Weapon Used Cd"].isna().mean() > 0.85
    status = frame["Status"].value_counts(normalize=True)
    assert status.idxmax() == "IC" and {"AO", "AA", "JA", "JO"} <= set(status.index)
    arrests = frame["Status"].isin(["AA", "JA"]).groupby(categories).mean()
    assert arrests["aggravated assault"] > 3 * arrests["larceny/theft"]


def test_locations_are_in_los_angeles_and_inside_each_division(frame, data_dir):
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import shape

    placed = frame[frame["LAT"] != 0]
    assert (frame.loc[frame["LAT"] == 0, "LON"] == 0).all()
    bb = schema.LA_BBOX
    assert placed["LAT"].between(bb["lat_min"], bb["lat_max"]).all()
    assert placed["LON"].between(bb["lon_min"], bb["lon_max"]).all()
    divisions = json.loads((data_dir / "geo" / "LAPD_Divisions.geojson").read_text())
    polys = {int(f["properties"]["PREC"]): shape(f["geometry"]) for f in divisions["features"]}
    inside = {
        a: shapely.contains_xy(polys[a], g["LON"].to_numpy(), g["LAT"].to_numpy()).mean()
        for a, g in placed.groupby(placed["AREA"].astype(int))
    }
    assert min(inside.values()) > 0.8, inside
    assert np.mean(list(inside.values())) > 0.93
    # clustered, not uniform: the busiest tenth of ~500 m cells holds a large share of incidents
    cells = (placed["LAT"] // 0.005).astype(int) * 1000 + (placed["LON"] // 0.005).astype(int)
    busiest = cells.value_counts(normalize=True)
    assert busiest.head(len(busiest) // 10).sum() > 0.35  # about 0.15 if spread uniformly


# --- ingest ----------------------------------------------------------------------------------
def test_written_file_ingests_as_simulated_and_counts_reconcile(tmp_path):
    df = sim.simulate(30_000, seed=9, start="2019-01-01", end="2023-06-30")
    path = sim.write_csv(df, tmp_path / sim.default_name(30_000, 9))
    with Store(tmp_path / "store") as st:
        (report,) = st.ingest_files([path], simulated=True, source="simulated-test")
        assert report.reconciles and report.rows_read == 30_000
        assert report.stored == 30_000 and report.quarantined == 0
        assert report.duplicates_merged == 0
        stored = st.query(
            "SELECT strftime(occurred_date, '%Y-%m') AS m, count(*) AS n, bool_and(simulated) AS s,"
            " min(source) AS src FROM incidents GROUP BY 1 ORDER BY 1"
        )
        nulls = st.query(
            "SELECT count(*) FILTER (WHERE lat IS NULL) AS lat, "
            "count(*) FILTER (WHERE victim_age IS NULL) AS age, "
            "count(*) FILTER (WHERE time_is_noon_default) AS noon FROM incidents"
        ).iloc[0]
        flags = st.completeness()
    assert stored["s"].all() and (stored["src"] == "simulated-test").all()
    by_month = _dates(df["DATE OCC"]).dt.strftime("%Y-%m").value_counts().sort_index()
    assert stored.set_index("m")["n"].to_dict() == by_month.to_dict()
    assert nulls["lat"] == (df["LAT"] == 0).sum()
    assert nulls["age"] == (df["Vict Age"] <= 0).sum()
    assert nulls["noon"] == (df["TIME OCC"] == "1200").sum()
    # the snapshot leaves the newest month short of reports, and the store sees it
    assert not flags["complete"].iloc[-1] and "lag" in flags["reason"].iloc[-1]
    assert flags["complete"].iloc[:-6].all()


def test_nibrs_break_thins_reports_after_the_switch(tmp_path):
    kw = dict(start="2022-01-01", end="2024-12-31")
    broken = sim.simulate(40_000, seed=4, nibrs_break=True, **kw)
    plain = sim.simulate(40_000, seed=4, **kw)

    def ratio(df):
        m = _dates(df["DATE OCC"]).dt.to_period("M").value_counts()
        return m[pd.Period("2024-06")] / m[pd.Period("2023-06")]

    assert ratio(plain) > 0.85
    assert 0.08 < ratio(broken) < 0.25
    path = sim.write_csv(broken, tmp_path / "b.simulated.csv")
    with Store(tmp_path / "st") as st:
        st.ingest_files([path], simulated=True)
        info = st.info()
    assert any("NIBRS" in w for w in info["warnings"])
    assert info["complete_through"] < "2024-03"


# --- CLI ---------------------------------------------------------------------------------------
def test_cli_writes_and_ingests_in_one_go(tmp_path):
    from crimecast.cli import app

    out = tmp_path / "demo.simulated.csv"
    store = tmp_path / "store"
    args = ["simulate", "--rows", "4000", "--seed", "4", "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--ingest", "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "wrote 4,000 simulated incidents" in result.output
    with Store(store, read_only=True) as st:
        info = st.info()
    assert info["incidents"] == 4000 and info["simulated"] == 4000
    assert all("simulated" in s for s in info["per_source"])
    again = tmp_path / "again.simulated.csv"
    result = CliRunner().invoke(
        app, ["simulate", "--rows", "4000", "--seed", "4", "--out", str(again)]
    )
    assert result.exit_code == 0 and again.read_bytes() == out.read_bytes()


def test_crimecast_ingest_recognises_simulated_files(tmp_path):
    """By name (*.simulated.*) and, for a renamed copy, by the reserved DR_NO range."""
    early = sim.simulate(2000, seed=6, start="2012-01-01", end="2015-12-31")
    named = sim.write_csv(early, tmp_path / "x.simulated.csv")
    renamed = sim.write_csv(
        sim.simulate(2000, seed=7, start="2018-01-01"), tmp_path / "renamed.csv"
    )
    real_like = tmp_path / "real.csv"
    real_like.write_text(
        "DR_NO,DATE OCC,AREA,Crm Cd\n010304468,01/08/2020 12:00:00 AM,03,624\n"
        "190101086,01/01/2020 12:00:00 AM,01,624\n"
    )
    assert sim.is_simulated_file(named) and sim.is_simulated_file(renamed)
    assert not sim.is_simulated_file(real_like)
    assert not sim.is_simulated_file(tmp_path / "missing.csv")
    store = tmp_path / "st"
    proc = subprocess.run(
        [sys.executable, "-m", "crimecast.cli", "ingest", str(named), str(renamed), str(real_like),
         "--store", str(store)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "SIMULATED" in proc.stderr
    with Store(store, read_only=True) as st:
        rows = st.query(
            "SELECT source, bool_and(simulated) AS s, count(*) AS n FROM incidents GROUP BY 1"
        ).set_index("source")
    assert rows.loc["x.simulated.csv", "s"] and rows.loc["x.simulated.csv", "n"] == 2000
    assert rows.loc["simulated:renamed.csv", "s"] and rows.loc["simulated:renamed.csv", "n"] == 2000
    assert not rows.loc["real.csv", "s"] and rows.loc["real.csv", "n"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rows", "0"], "--rows must be a positive number"),
        (["--rows", "-5"], "--rows must be a positive number"),
        (["--rows", "10", "--start", "2020-01-01", "--end", "2019-01-01"], "is before --start"),
        (["--rows", "10", "--start", "2020-13-45"], "is not a date"),
        (["--rows", "10", "--end", "2999-01-01"], "in the future"),
        (["--rows", "10", "--out", "{tmp}/file.txt/out.csv"], "not a writable directory"),
        (["--rows", "10", "--out", "{tmp}"], "is a directory"),
    ],
)
def test_cli_bad_arguments_give_clear_errors(tmp_path, capsys, args, message):
    from crimecast.cli import main

    (tmp_path / "file.txt").write_text("x")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    with pytest.raises(SystemExit) as exc:
        main(["simulate", *args])
    assert exc.value.code not in (0, None)
    err = " ".join(capsys.readouterr().err.split())  # rich wraps long lines
    assert message in err and "fix:" in err and "Traceback" not in err


def test_api_errors():
    with pytest.raises(ConfigError, match="positive"):
        sim.simulate(0)
    with pytest.raises(ConfigError, match="before"):
        sim.simulate(10, start="2021-01-01", end="2020-01-01")
    with pytest.raises(InputFileError, match="columns missing"):
        sim.write_csv(pd.DataFrame({"DR_NO": ["1"]}), "/tmp/never-written.csv")


def test_shared_sim_store_fixture(sim_store):
    with Store(sim_store, read_only=True) as st:
        info = st.info()
    assert info["incidents"] == 60_000 and info["simulated"] == 60_000
    assert info["date_min"] >= "2018-01-01" and info["date_max"] <= "2023-12-31"
    assert "2023-06" <= info["complete_through"] < "2023-12"


@settings(max_examples=20, deadline=None)
@given(
    rows=hs.integers(1, 400),
    seed=hs.integers(0, 2**32 - 1),
    start=hs.dates(dt.date(2005, 1, 1), dt.date(2024, 6, 1)),
    days=hs.integers(0, 2000),
    nibrs=hs.booleans(),
)
def test_any_arguments_give_exactly_the_rows_within_the_window(rows, seed, start, days, nibrs):
    end = min(start + dt.timedelta(days=days), dt.date(2024, 12, 31))
    df = sim.simulate(rows, seed=seed, start=start, end=end, nibrs_break=nibrs)
    assert len(df) == rows and df["DR_NO"].is_unique
    assert df["DR_NO"].map(sim.is_simulated_id).all()
    occ, rptd = _dates(df["DATE OCC"]), _dates(df["Date Rptd"])
    assert (occ >= pd.Timestamp(start)).all() and (rptd <= pd.Timestamp(end)).all()
    assert (rptd >= occ).all()
    assert df["Crm Cd"].map(schema.crime_category).isin(sim.CATEGORIES).all()


def test_victim_descent_differs_by_area_as_in_the_real_samples(frame):
    known = frame[frame["Vict Sex"].isin(["M", "F"])]
    share = pd.crosstab(known["AREA"], known["Vict Descent"], normalize="index")
    assert share.loc["12", "B"] > 5 * share.loc["08", "B"]  # 77th Street vs West LA
    assert share.loc["04", "H"] > 3 * share.loc["08", "H"]  # Hollenbeck vs West LA
    assert share.loc["08", "W"] > 0.45
    assert set(known["Vict Descent"].dropna()) <= set(schema.DESCENT)


def test_hours_differ_by_crime_type(frame, categories):
    hour = frame["TIME OCC"].str[:2].astype(int)
    office = hour.between(8, 16) & (frame["TIME OCC"] != "1200")
    by_cat = office.groupby(categories).mean()
    assert by_cat["fraud/identity theft"] > 1.4 * by_cat["motor-vehicle theft"]
    night = hour.isin([0, 1, 2, 3, 4]) & (frame["TIME OCC"] != "0001")
    assert night[categories == "rape"].mean() > 1.5 * night[categories == "larceny/theft"].mean()
