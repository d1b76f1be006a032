"""The H3 grid: usable coordinates, cell ids and counts, study area, neighbourhoods, GeoJSON."""

from __future__ import annotations

import json

import h3
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimecast.errors import ConfigError
from crimecast.spatial import grid


def test_coordinate_report_counts_every_row():
    df = pd.DataFrame(
        {
            "lat": [34.05, np.nan, 0.0, 40.7, 34.10, None],
            "lon": [-118.25, -118.3, 0.0, -74.0, -118.30, -118.2],
        }
    )
    ok, report = grid.usable_mask(df)
    assert ok.tolist() == [True, False, False, False, True, False]
    assert (report.total, report.geocoded, report.no_coordinates, report.outside_la) == (6, 2, 3, 1)
    assert report.unusable == 4
    assert "4 of 6 incidents" in report.message() and "1 outside Los Angeles" in report.message()
    geo, _ = grid.split_geocoded(df)
    assert len(geo) == 2


def test_missing_coordinate_columns_are_a_clear_error():
    with pytest.raises(ConfigError, match="lat/lon"):
        grid.usable_mask(pd.DataFrame({"x": [1]}))


def test_cell_ids_equal_h3_one_by_one_and_counts_keep_totals():
    rng = np.random.default_rng(1)
    lat = rng.uniform(33.9, 34.2, 3000)
    lon = rng.uniform(-118.5, -118.2, 3000)
    ids = grid.cell_ids(lat, lon, 8)
    assert list(ids) == [h3.latlng_to_cell(a, b, 8) for a, b in zip(lat, lon, strict=True)]
    df = pd.DataFrame({"lat": np.r_[lat, np.nan], "lon": np.r_[lon, np.nan]})
    counts = grid.count_cells(df, 8)
    assert list(counts.columns) == ["h3", "n", "lat", "lon"]
    assert counts["n"].sum() == 3000  # every geocoded point in exactly one cell
    assert counts["h3"].is_unique
    assert counts["n"].is_monotonic_decreasing
    c = counts.iloc[0]
    assert (c["lat"], c["lon"]) == pytest.approx(h3.cell_to_latlng(c["h3"]))


@pytest.mark.parametrize("bad", [4, 11, "eight", None])
def test_resolution_is_checked(bad):
    with pytest.raises(ConfigError):
        grid.check_resolution(bad)


def test_study_cells_and_neighbours():
    centre = h3.latlng_to_cell(34.05, -118.25, 8)
    cells = grid.study_cells([centre], 8)
    assert len(cells) == 7 and centre in cells  # the cell and its ring of six
    nbs = grid.neighbour_lists(cells)
    pos = cells.index(centre)
    assert len(nbs[pos]) == 6
    for i, nb in enumerate(nbs):  # neighbourhoods are symmetric and exclude the cell itself
        assert i not in nb
        for j in nb:
            assert i in nbs[j]
    w = grid.weights(cells)
    assert w.n == 7 and w.cardinalities[centre] == 6


def test_study_cells_cover_the_divisions(data_dir):
    from crimecast.spatial import boundaries

    divisions, _ = boundaries.read_divisions(data_dir / "geo" / "LAPD_Divisions.geojson")
    outside = h3.latlng_to_cell(33.71, -118.69, 8)  # an occupied cell off the city's edge
    cells = grid.study_cells([outside], 8, divisions)
    assert outside in cells
    area = grid.cell_areas_km2(cells).sum()
    assert 1150 < area < 1450  # the city of Los Angeles is about 1,300 km²


def test_cells_geojson_is_valid_and_closed():
    cells = sorted(h3.grid_disk(h3.latlng_to_cell(34.05, -118.25, 8), 1))
    table = grid.cell_table(cells, np.arange(7)).assign(z=[np.nan, 1, 2, 3, 4, 5, 6])
    gj = json.loads(json.dumps(grid.cells_geojson(table)))
    assert len(gj["features"]) == 7
    ring = gj["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 7
    assert gj["features"][0]["properties"]["z"] is None
    assert gj["features"][3]["properties"]["n"] == 3


def test_nullable_and_text_coordinates_are_read():
    df = pd.DataFrame(
        {
            "lat": pd.array([34.05, None, 34.1], dtype="Float64"),
            "lon": ["-118.25", "-118.3", "not a number"],
        },
        index=[7, 7, 8],  # duplicated index labels do not matter
    )
    geo, report = grid.split_geocoded(df)
    assert (report.geocoded, report.no_coordinates) == (1, 2)
    assert geo["lat"].dtype == "float64" and geo["lon"].tolist() == [-118.25]
    assert grid.count_cells(df)["n"].sum() == 1


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.floats(33.0, 35.0), st.just(float("nan")), st.just(0.0)),
            st.one_of(st.floats(-119.0, -117.5), st.just(float("nan")), st.just(0.0)),
        ),
        max_size=60,
    )
)
def test_property_every_incident_is_counted_once(points):
    df = pd.DataFrame(points, columns=["lat", "lon"], dtype=float)
    ok, report = grid.usable_mask(df)
    assert report.geocoded + report.no_coordinates + report.outside_la == len(df)
    counts = grid.count_cells(df) if len(df) else pd.DataFrame({"n": []})
    assert counts["n"].sum() == report.geocoded == ok.sum()
