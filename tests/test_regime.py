"""The change of recording system: the NIBRS transition is found from the data, kept out of
models, and the legacy history is joined to the NIBRS regime by a shift estimated per series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crimecast import completeness, panel, regime

MONTHS = pd.date_range("2019-01-01", "2026-09-01", freq="MS")


def feeds(nibrs_full_from: str = "2024-06-01", shift: float = 1.25, legacy_level: float = 1000):
    """Monthly counts: a seasonal legacy feed until the switch, tapering through 2024; a NIBRS
    feed ramping bureau by bureau from March 2024 to `shift` times the legacy level."""
    season = 1 + 0.1 * np.sin(2 * np.pi * (MONTHS.month - 1) / 12)
    level = legacy_level * season
    legacy = np.where(MONTHS < "2024-03-01", level, 0.0)
    # the legacy feed keeps the cases not yet entered in NIBRS: most of them in the go-live
    # months, a few until the end of 2024
    taper = (MONTHS >= "2024-03-01") & (MONTHS < "2025-01-01")
    early = MONTHS < nibrs_full_from
    legacy[taper & early] = 0.4 * shift * level[taper & early]
    legacy[taper & ~early] = 0.04 * shift * level[taper & ~early]
    nibrs = np.where(MONTHS >= "2024-03-01", shift * level, 0.0) - np.where(taper, legacy, 0)
    return pd.DataFrame(
        {"month": MONTHS, "incidents": (legacy + nibrs).round().astype(int), "nibrs": nibrs.round()}
    )


def flags_for(monthly):
    return completeness.assess(monthly, pd.Series([0] * 50), pd.Timestamp("2026-09-30"))


def test_the_transition_runs_from_the_switch_until_nibrs_reaches_its_level():
    flags = flags_for(feeds())
    months = completeness.transition_months(flags)
    assert months[0] == pd.Timestamp("2024-03-01")
    # the ramp reaches 90% of the later level in June 2024
    assert max(months) == pd.Timestamp("2024-05-01")
    assert flags.loc[flags["month"] >= "2024-06-01", "complete"].all()
    assert flags.loc[flags["month"] < "2024-03-01", "complete"].all()
    assert completeness.complete_through(flags) == pd.Timestamp("2026-09-01")


def test_a_legacy_only_store_keeps_the_break_rule():
    m = feeds()
    legacy_only = m.assign(incidents=(m["incidents"] - m["nibrs"]).astype(int)).drop(
        columns="nibrs"
    )
    flags = flags_for(legacy_only)
    assert completeness.transition_months(flags) == []
    assert completeness.complete_through(flags) == pd.Timestamp("2024-02-01")


def test_a_feed_still_ramping_leaves_every_month_from_the_switch_in_the_transition():
    m = feeds()
    m = m[m["month"] <= "2024-04-01"]
    flags = completeness.assess(m, pd.Series([0] * 50), pd.Timestamp("2024-04-30"))
    assert completeness.transition_months(flags) == [
        pd.Timestamp("2024-03-01"),
        pd.Timestamp("2024-04-01"),
    ]
    assert completeness.complete_through(flags) == pd.Timestamp("2024-02-01")


@pytest.mark.parametrize("shift", [0.8, 1.0, 1.25, 1.6])
def test_the_shift_is_recovered_and_the_history_joined_on_the_nibrs_scale(shift):
    m = feeds(shift=shift)
    flags = flags_for(m)
    long = m.rename(columns={"month": "ds", "incidents": "y"}).assign(unique_id="city")
    train, excluded = panel.split_complete(
        long[["unique_id", "ds", "y"]], "MS", completeness.complete_through(flags), flags
    )
    _, _, shifts = regime.join(
        long[["unique_id", "ds", "y"]], completeness.transition_months(flags)
    )
    assert shifts["shift"].iloc[0] == pytest.approx(shift, rel=0.03)
    # one regular monthly series, no gap, the transition months filled and listed
    assert train["ds"].tolist() == list(MONTHS)
    filled = excluded[excluded["reason"] == regime.FILLED]
    assert filled["ds"].tolist() == list(pd.date_range("2024-03-01", "2024-05-01", freq="MS"))
    # legacy months now sit on the NIBRS level: a year before and after the switch agree
    y = train.set_index("ds")["y"]
    assert y["2023-07-01"] == pytest.approx(y["2024-07-01"], rel=0.03)
    assert (train["y"] >= 0).all()


def test_the_shift_does_not_leak_future_years_beyond_the_first_regime_year():
    m = feeds(shift=1.25)
    long = m.rename(columns={"month": "ds", "incidents": "y"}).assign(unique_id="city")
    y = long.set_index("ds")["y"]
    base, used, _ = regime.shift_ratio(y, pd.Timestamp("2024-06-01"))
    y2 = y.copy()
    y2[y2.index >= "2025-06-01"] *= 3  # a later change in crime is not a recording shift
    later, _, _ = regime.shift_ratio(y2, pd.Timestamp("2024-06-01"))
    assert used == 12 and base == pytest.approx(later)


def test_a_regime_too_short_trains_on_the_legacy_months_and_says_so():
    m = feeds()
    m = m[m["month"] <= "2024-08-01"]
    flags = completeness.assess(m, pd.Series([0] * 50), pd.Timestamp("2024-08-31"))
    long = m.rename(columns={"month": "ds", "incidents": "y"}).assign(unique_id="city")
    train, excluded = panel.split_complete(
        long[["unique_id", "ds", "y"]], "MS", completeness.complete_through(flags), flags
    )
    assert train["ds"].max() == pd.Timestamp("2024-02-01")
    assert (excluded["reason"] == regime.TOO_SHORT).sum() >= 3


def test_weekly_series_start_at_the_regime():
    m = feeds()
    flags = flags_for(m)
    weeks = pd.date_range("2023-01-02", "2026-09-21", freq="W-MON")
    long = pd.DataFrame({"unique_id": "city", "ds": weeks, "y": 200})
    train, excluded = panel.split_complete(long, "W", completeness.complete_through(flags), flags)
    assert train["ds"].min() >= pd.Timestamp("2024-06-01")
    assert excluded["reason"].str.contains("before the NIBRS regime").any()


def test_shifts_in_words_only_where_the_data_tell_them_apart_from_none():
    shifts = pd.DataFrame(
        {"unique_id": ["category:robbery", "category:theft", "city", "category:arson"],
         "shift": [1.12, 0.99, 0.7, 1.4], "lo_95": [1.05, 0.95, 0.65, 0.8],
         "hi_95": [1.19, 1.03, 0.75, 2.4], "applied": [1.12, 1.0, 0.7, 1.0],
         "months_used": 12, "note": ""}
    )  # fmt: skip
    words = regime.in_words(shifts, lambda uid: uid.split(":")[-1])
    assert words == [
        "NIBRS counts robbery about 12% higher than the old system did (95% interval +5% to "
        "+19%, from 12 months of each)",
        "NIBRS counts city about 30% lower than the old system did (95% interval -35% to -25%, "
        "from 12 months of each)",
    ]


def test_a_shift_within_its_noise_is_not_applied():
    rng = np.random.default_rng(4)
    long = pd.DataFrame(
        {"unique_id": "category:arson", "ds": MONTHS, "y": rng.poisson(4, len(MONTHS))}
    )
    transition = list(pd.date_range("2024-03-01", "2024-05-01", freq="MS"))
    train, _, shifts = regime.join(long, transition)
    assert shifts["applied"].iloc[0] == 1.0 and shifts["note"].iloc[0] == regime.UNCLEAR
    legacy = train["ds"] < "2024-03-01"
    assert (train.loc[legacy, "y"].to_numpy() == long.loc[legacy.to_numpy(), "y"].to_numpy()).all()


def test_a_series_too_sparse_to_measure_keeps_its_history_unshifted():
    y = np.zeros(len(MONTHS), dtype=int)
    y[::7] = 1  # a rare crime: most months zero, none in the new regime's first months
    y[(MONTHS >= "2024-06-01") & (MONTHS < "2025-06-01")] = 0
    long = pd.DataFrame({"unique_id": "category:arson", "ds": MONTHS, "y": y})
    transition = list(pd.date_range("2024-03-01", "2024-05-01", freq="MS"))
    train, _, shifts = regime.join(long, transition)
    assert train["ds"].max() == MONTHS[-1] and shifts["applied"].iloc[0] == 1.0
