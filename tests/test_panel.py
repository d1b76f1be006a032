"""panel: incidents -> zero-filled long frames; flagged months kept out of training."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimecast import panel
from crimecast.errors import ConfigError, StoreError


def incidents(rows):
    return pd.DataFrame(rows, columns=["occurred_date", "area_name", "crime_category"]).assign(
        occurred_date=lambda d: pd.to_datetime(d["occurred_date"])
    )


def test_monthly_area_panel_by_hand():
    df = incidents(
        [
            ("2021-01-03", "Central", "burglary"),
            ("2021-01-20", "Central", "robbery"),
            ("2021-03-05", "Harbor", "burglary"),
        ]
    )
    p = panel.from_incidents(df, "area", "MS")
    assert list(p.columns) == ["unique_id", "ds", "y"]
    got = {(r.unique_id, r.ds.strftime("%Y-%m")): r.y for r in p.itertuples()}
    assert got == {
        ("area:Central", "2021-01"): 2,
        ("area:Central", "2021-02"): 0,  # zero-filled
        ("area:Central", "2021-03"): 0,
        ("area:Harbor", "2021-01"): 0,
        ("area:Harbor", "2021-02"): 0,
        ("area:Harbor", "2021-03"): 1,
    }
    both = panel.from_incidents(df, "area_category", "MS")
    assert "area:Central|category:burglary" in set(both["unique_id"])
    assert set(panel.from_incidents(df, "city", "MS")["unique_id"]) == {"city"}


def test_weeks_start_on_monday_and_days_are_days():
    df = incidents([("2021-06-02", "Central", "arson"), ("2021-06-13", "Central", "arson")])
    w = panel.from_incidents(df, "city", "W")
    assert list(w["ds"].dt.strftime("%Y-%m-%d")) == ["2021-05-31", "2021-06-07"]
    assert list(w["ds"].dt.weekday.unique()) == [0]
    assert list(w["y"]) == [1, 1]
    d = panel.from_incidents(df, "city", "D")
    assert len(d) == 12 and d["y"].sum() == 2


def test_unknown_level_or_frequency_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown level"):
        panel.from_incidents(incidents([]), "district", "MS")
    with pytest.raises(ConfigError, match="unknown frequency"):
        panel.from_incidents(incidents([]), "city", "Q")


rows_strategy = st.lists(
    st.tuples(
        st.dates(dt.date(2020, 1, 1), dt.date(2021, 12, 31)),
        st.sampled_from(["Central", "Harbor", "77th Street"]),
        st.sampled_from(["burglary", "robbery", "arson"]),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=40, deadline=None)
@given(
    rows=rows_strategy, level=st.sampled_from(panel.LEVELS), freq=st.sampled_from(["D", "W", "MS"])
)
def test_panels_keep_totals_and_are_complete_and_unique(rows, level, freq):
    df = incidents(rows)
    p = panel.from_incidents(df, level, freq)
    assert p["y"].sum() == len(df)  # every incident counted once
    assert not p.duplicated(["unique_id", "ds"]).any()
    n_ids, n_periods = p["unique_id"].nunique(), p["ds"].nunique()
    assert len(p) == n_ids * n_periods  # every series on every period (zero-filled)
    step = pd.Series(sorted(p["ds"].unique())).diff().dropna()
    if freq == "D":
        assert (step == pd.Timedelta(days=1)).all()
    elif freq == "W":
        assert (step == pd.Timedelta(days=7)).all()
    else:
        assert (pd.DatetimeIndex(p["ds"]).day == 1).all()
    # sub-levels add up to the city in every period
    city = panel.from_incidents(df, "city", freq).set_index("ds")["y"]
    assert p.groupby("ds")["y"].sum().reindex(city.index, fill_value=0).equals(city)


def test_split_keeps_flagged_months_out_with_their_reason():
    p = pd.DataFrame(
        {
            "unique_id": "city",
            "ds": pd.date_range("2023-10-01", periods=6, freq="MS"),
            "y": [10, 11, 12, 13, 3, 2],
        }
    )
    flags = pd.DataFrame(
        {
            "month": pd.date_range("2023-10-01", periods=6, freq="MS"),
            "complete": [True, True, True, True, False, False],
            "reason": ["", "", "", "", "NIBRS break", "NIBRS break; reporting lag"],
        }
    )
    train, excluded = panel.split_complete(p, "MS", pd.Timestamp("2024-01-01"), flags)
    assert train["ds"].max() == pd.Timestamp("2024-01-01") and len(train) == 4
    assert list(excluded["reason"]) == ["NIBRS break", "NIBRS break; reporting lag"]
    assert list(excluded["y"]) == [3, 2]
    # a week running into the first flagged month is excluded too
    wk = pd.DataFrame(
        {"unique_id": "city", "ds": pd.to_datetime(["2024-01-22", "2024-01-29"]), "y": [1, 1]}
    )
    tw, ew = panel.split_complete(wk, "W", pd.Timestamp("2024-01-01"), flags)
    assert list(tw["ds"]) == [pd.Timestamp("2024-01-22")] and len(ew) == 1
    with pytest.raises(StoreError, match="no month"):
        panel.split_complete(p, "MS", None, flags)


@pytest.fixture(scope="module")
def sim_store(tmp_path_factory):
    from crimecast.ingest.simulate import simulate
    from crimecast.store import Store

    path = tmp_path_factory.mktemp("panel_store")
    raw = simulate(6000, seed=3, start="2021-01-01", end="2024-09-30", nibrs_break=True)
    with Store(path) as store:
        store.ingest_frame(raw, "panel.simulated.csv", simulated=True, today=dt.date(2024, 10, 15))
    return path


def test_build_from_the_store_matches_the_pure_function(sim_store):
    from crimecast.store import Store

    with Store(sim_store, read_only=True) as store:
        through = store.complete_through()
        train, excluded = panel.build(store, "area", "MS")
        inc = store.incidents(columns=["occurred_date", "area_name", "crime_category"])
        wk = panel.weekday_hour_counts(store)
    assert through is not None and through < pd.Timestamp("2024-03-01")  # the NIBRS break
    expected = panel.from_incidents(inc, "area", "MS")
    both = pd.concat([train, excluded[panel.PANEL_COLUMNS]]).sort_values(["unique_id", "ds"])
    pd.testing.assert_frame_equal(
        both.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
    assert train["ds"].max() == through
    assert excluded["ds"].min() > through
    assert excluded["reason"].str.contains("NIBRS").any()
    assert train["unique_id"].str.startswith("area:").all() and train["unique_id"].nunique() == 21
    assert set(wk.columns) == {"area_name", "weekday", "hour", "incidents"}
    assert wk["weekday"].between(0, 6).all() and wk["hour"].between(0, 23).all()
    assert wk["incidents"].sum() <= len(inc)
