"""One-hot + PCA + k-means profiles: groupings, shares that add up, an independent one-hot count,
and a hand-built city whose two kinds of division must come out as two clusters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crimecast import profiles


def test_premise_and_weapon_groups():
    assert profiles.premise_group(101) == "street & outdoors"
    assert profiles.premise_group(501) == "residence"
    assert profiles.premise_group(108) == "parking & vehicles"
    assert profiles.premise_group(750) == "online"
    assert profiles.premise_group(905) == "transit"
    assert profiles.premise_group(None) == "unknown"
    assert profiles.weapon_group(102) == "firearm"
    assert profiles.weapon_group(200) == "knife or cutting"
    assert profiles.weapon_group(400) == "bodily force"
    assert profiles.weapon_group(511) == "threat or presence"
    assert profiles.weapon_group(float("nan")) == "none recorded"


def _city(seed: int = 0, per_area: int = 200) -> pd.DataFrame:
    """Areas 1-6 are 'downtown' (street robberies at night with firearms); 7-12 'suburbs'
    (daytime residential burglaries, no weapon); a little noise in both."""
    rng = np.random.default_rng(seed)
    rows = []
    for area in range(1, 13):
        downtown = area <= 6
        for i in range(per_area):
            typical = rng.random() < 0.85
            kind = downtown == typical
            rows.append(
                {
                    "area_id": area,
                    "rpt_dist": area * 100 + i % 3,
                    "crime_category": "robbery" if kind else "burglary",
                    "premise_code": 101 if kind else 501,
                    "weapon_code": 102 if kind else None,
                    "hour": int(rng.integers(0, 6)) if kind else int(rng.integers(9, 17)),
                    "victim_age": int(rng.integers(18, 40)) if kind else None,
                }
            )
    return pd.DataFrame(rows)


def test_shares_add_up_per_attribute_and_match_an_independent_count():
    city = _city()
    shares = profiles.one_hot_shares(city, "area_id")
    assert len(shares) == 12 and (shares["incidents"] == 200).all()
    for prefix in profiles.ATTRIBUTES.values():
        cols = [c for c in shares.columns if c.startswith(prefix + ": ")]
        assert np.allclose(shares[cols].sum(axis=1), 1.0), prefix
    # independent: pandas get_dummies + groupby mean on the raw rows
    want = city.groupby("area_id")["crime_category"].apply(lambda s: (s == "robbery").mean())
    got = shares.set_index("area_id")["crime: robbery"]
    pd.testing.assert_series_equal(got, want, check_names=False)
    night = city.groupby("area_id")["hour"].apply(lambda h: (h <= 5).mean())
    assert np.allclose(shares.set_index("area_id")["time: night 0-5h"], night)


def test_small_units_are_left_out():
    city = _city()
    shares = profiles.one_hot_shares(city, "rpt_dist", min_incidents=67)
    # 200 rows over 3 districts: 67, 67, 66 -- the third of each area is left out
    assert set(shares["rpt_dist"]) == {a * 100 + i for a in range(1, 13) for i in (0, 1)}


def test_two_kinds_of_division_make_two_clusters():
    prof = profiles.profile(profiles.one_hot_shares(_city(), "area_id"), "area_id", k=2, seed=1)
    clusters = prof.scores.set_index("area_id")["cluster"]
    assert clusters.loc[1:6].nunique() == 1 and clusters.loc[7:12].nunique() == 1
    assert clusters.loc[1] != clusters.loc[7]
    # one dimension separates them: PC1 carries most of the variance and is named by it
    assert prof.explained["explained_variance_ratio"].iloc[0] > 0.6
    assert np.isclose(prof.explained["cumulative"].iloc[-1], 1.0)
    pc1 = prof.components.iloc[0]
    words = pc1["high"] + pc1["low"]
    assert "robbery" in words or "burglary" in words or "firearm" in words
    mix = prof.clusters.set_index("cluster")
    assert set(mix["units"]) == {6}
    assert mix["typical_mix"].str.contains(r"^robbery 8\d%|^burglary 8\d%").all()
    assert set(prof.loadings["feature"]) <= set(prof.shares.columns)


def test_profiles_are_seeded_and_handle_too_little_data():
    shares = profiles.one_hot_shares(_city(), "area_id")
    a = profiles.profile(shares, k=3, seed=5).scores
    b = profiles.profile(shares, k=3, seed=5).scores
    pd.testing.assert_frame_equal(a, b)
    tiny = profiles.profile(shares.head(2), k=3)
    assert tiny.scores.empty and tiny.clusters.empty
    empty = profiles.one_hot_shares(_city().assign(area_id=None), "area_id")
    assert empty.empty
    with pytest.raises(ValueError, match="unit"):
        profiles.one_hot_shares(_city(), "zip")


def test_build_names_every_table():
    out = profiles.build(_city(per_area=120), k_areas=2, k_districts=2)
    for prefix in ("profile_area", "profile_district"):
        for part in (
            "shares",
            "explained_variance",
            "loadings",
            "components",
            "scores",
            "clusters",
        ):
            assert f"{prefix}_{part}" in out
    assert len(out["profile_area_scores"]) == 12


def test_the_noon_default_time_counts_as_unknown_not_afternoon():
    f = pd.DataFrame(
        {"area_id": [1, 1, 1], "rpt_dist": [101] * 3, "crime_category": ["robbery"] * 3,
         "premise_code": [101] * 3, "weapon_code": [None] * 3, "hour": [12, 12, 3],
         "time_is_noon_default": [True, False, False], "victim_age": [30] * 3}
    )  # fmt: skip
    bands = profiles.attributes(f)["hour_band"].astype(str).tolist()
    assert bands == ["unknown", "afternoon 12-17h", "night 0-5h"]
