"""Completeness: the reporting-lag tail and the NIBRS break are detected and kept apart."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crimecast import completeness
from crimecast.store import Store


def months(start: str, values) -> pd.DataFrame:
    return pd.DataFrame(
        {"month": pd.date_range(start, periods=len(values), freq="MS"), "incidents": values}
    )


def test_delay_cdf_by_hand():
    cdf = completeness.delay_cdf(pd.Series([0, 0, 1, 3]), horizon=5)
    assert list(cdf) == [0.5, 0.75, 0.75, 1.0, 1.0, 1.0]


def test_expected_share_by_hand():
    # Half the incidents are reported the same day, half 10 days later.
    cdf = completeness.delay_cdf(pd.Series([0] * 5 + [10] * 5), horizon=30)
    as_of = pd.Timestamp("2023-06-30")
    june = completeness.expected_share(pd.Timestamp("2023-06-01"), as_of, cdf)
    # Days 1-20 of June are 10+ days old (share 1), days 21-30 are younger (share 0.5).
    assert june == pytest.approx((20 * 1.0 + 10 * 0.5) / 30)
    assert completeness.expected_share(pd.Timestamp("2023-04-01"), as_of, cdf) == 1.0


def test_lag_tail_is_flagged():
    # Half reported the same day, 40% after 45 days, 10% after 200 days.
    delays = pd.Series([0] * 50 + [45] * 40 + [200] * 10)
    flags = completeness.assess(
        months("2022-01-01", [100] * 18), delays, pd.Timestamp("2023-06-30"), lag_threshold=0.85
    )
    share = flags.set_index(flags["month"].dt.strftime("%Y-%m"))["expected_share"]
    # June: every day younger than 45 days -> 0.5. May: 15 days at 0.5, 16 at 0.9. April: 0.9.
    assert share["2023-06"] == pytest.approx(0.5)
    assert share["2023-05"] == pytest.approx((15 * 0.5 + 16 * 0.9) / 31)
    assert share["2023-04"] == pytest.approx(0.9)
    flagged = flags.loc[~flags["complete"], "month"].dt.strftime("%Y-%m").tolist()
    assert flagged == ["2023-05", "2023-06"]
    assert (flags.loc[~flags["complete"], "reason"] == "reporting lag").all()
    assert completeness.complete_through(flags) == pd.Timestamp("2023-04-01")


def test_nibrs_break_is_flagged_as_a_regime_not_month_by_month():
    values = [1000] * 26 + [150, 160, 700, 140, 130, 150]  # Jan 2022 .. Aug 2024; one noisy month
    flags = completeness.assess(
        months("2022-01-01", values), pd.Series([0] * 100), pd.Timestamp("2024-08-31")
    )
    after = flags[flags["month"] >= "2024-03-01"]
    assert (~after["complete"]).all() and after["reason"].str.contains("NIBRS").all()
    assert flags[flags["month"] < "2024-03-01"]["complete"].all()
    assert completeness.complete_through(flags) == pd.Timestamp("2024-02-01")


def test_no_break_when_counts_hold_up():
    values = [1000] * 26 + [980, 1010, 990, 1005, 995, 1000]
    flags = completeness.assess(
        months("2022-01-01", values), pd.Series([0] * 100), pd.Timestamp("2024-08-31")
    )
    assert flags["complete"].all()
    assert completeness.complete_through(flags) == pd.Timestamp("2024-08-01")


def test_gaps_are_filled_with_zero_months():
    m = pd.DataFrame({"month": pd.to_datetime(["2020-01-01", "2020-04-01"]), "incidents": [5, 7]})
    flags = completeness.assess(m, pd.Series([0]), pd.Timestamp("2021-01-01"))
    assert flags["incidents"].tolist() == [5, 0, 0, 7]


def test_empty_input():
    flags = completeness.assess(
        pd.DataFrame(columns=["month", "incidents"]), pd.Series([]), pd.Timestamp("2020-01-01")
    )
    assert flags.empty and completeness.complete_through(flags) is None


def test_store_flags_the_nibrs_break_in_a_simulated_feed(tmp_path):
    """End to end through the store: a legacy feed that loses most records after March 2024."""
    from crimecast.ingest.simulate import simulate, write_csv

    df = simulate(40_000, seed=3, start="2022-01-01", end="2024-10-31", nibrs_break=True)
    path = tmp_path / "feed.simulated.csv"
    write_csv(df, path)
    with Store(tmp_path / "s") as st:
        st.ingest_files([path], simulated=True)
        info = st.info()
        flags = st.completeness()
    assert info["complete_through"] == "2024-02"
    assert any("NIBRS" in w for w in info["warnings"])
    assert any("SIMULATED" in w for w in info["warnings"])
    post = flags[pd.to_datetime(flags["month"]) >= "2024-03-01"]
    assert (~post["complete"]).all()
    share = flags.set_index(pd.to_datetime(flags["month"]))["expected_share"]
    assert share.iloc[-1] < share.iloc[0] and np.isclose(share.iloc[0], 1.0, atol=0.02)
