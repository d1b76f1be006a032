"""Division boundaries: reading both real layers, validation, download and cache, and joining
real incidents to divisions (checked against an independent shapely count)."""

from __future__ import annotations

import http.server
import json
import threading

import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.geometry

from crimecast import schema
from crimecast.errors import InputFileError, NetworkError
from crimecast.spatial import boundaries, grid


@pytest.fixture(scope="module")
def geohub(data_dir):
    return data_dir / "geo" / "LAPD_Divisions.geojson"


@pytest.fixture(scope="module")
def divisions(geohub):
    frame, warns = boundaries.read_divisions(geohub)
    assert warns == []
    return frame


@pytest.fixture(scope="module")
def real_points(real_store):
    from crimecast.store import Store

    with Store(real_store, read_only=True) as st:
        return st.incidents(columns=["record_id", "area_id", "lat", "lon"])


def test_geohub_layer_is_keyed_on_the_area_number(divisions):
    assert divisions["area_id"].tolist() == list(range(1, 22))
    # PREC 15 is "NORTH HOLLYWOOD" in the file and "N Hollywood" in the crime data
    assert divisions.set_index("area_id").loc[15, "name"] == "N Hollywood"
    assert divisions.set_index("area_id").loc[8, "name"] == "West LA"
    # no population in this layer: crimecast's table fills it
    assert divisions["population"].tolist() == [schema.AREA_POPULATION[i] for i in range(1, 22)]
    assert all(g.is_valid for g in divisions["geometry"])


def test_abc7_layer_matches_names_and_keeps_its_population(data_dir, divisions):
    abc7, warns = boundaries.read_divisions(
        data_dir / "geo" / "lapd_divisions_abc7_with_population.geojson"
    )
    assert warns == []
    assert abc7["area_id"].tolist() == list(range(1, 22))
    raw = json.loads((data_dir / "geo" / "lapd_divisions_abc7_with_population.geojson").read_text())
    by_name = {f["properties"]["district"]: f["properties"]["population"] for f in raw["features"]}
    pops = abc7.set_index("area_id")["population"]
    assert pops[1] == by_name["Central"] == 81_500
    assert pops[15] == by_name["North Hollywood"]  # "N Hollywood" in the crime data
    assert pops.sum() == pytest.approx(sum(by_name.values()))
    # the two layers agree: every division's representative point lies in the same division
    pts = [g.representative_point() for g in abc7["geometry"]]
    join = boundaries.join_divisions(
        np.array([p.y for p in pts]), np.array([p.x for p in pts]), divisions
    )
    assert join.area_id.tolist() == abc7["area_id"].tolist()


def test_each_police_station_lies_in_its_own_division(data_dir, divisions):
    stations = pd.read_csv(data_dir / "geo" / "LAPD_Police_Stations.csv")
    join = boundaries.join_divisions(stations["Y"], stations["X"], divisions)
    assert (join.area_id == stations["PREC"].to_numpy()).all()
    assert join.inside == len(stations) and join.outside == 0


def test_real_incidents_join_exactly_one_division_matching_an_independent_count(
    real_points, divisions
):
    geo, report = boundaries_and_report(real_points)
    assert report.geocoded + report.unusable == len(real_points)
    join = boundaries.join_divisions(geo["lat"], geo["lon"], divisions)
    # every geocoded incident lands in exactly one division (a few are snapped from the edge)
    assert join.outside == 0
    assert (join.area_id >= 1).all() and (join.area_id <= 21).all()
    assert join.inside + join.snapped + join.on_border == len(geo)
    assert join.snapped < 0.01 * len(geo)
    # independent count, straight shapely: points strictly inside each polygon
    pts = shapely.points(geo["lon"].to_numpy(), geo["lat"].to_numpy())
    inside_any = np.zeros(len(geo), dtype=bool)
    for area, geom in zip(divisions["area_id"], divisions["geometry"], strict=True):
        inside = shapely.contains(geom, pts) | shapely.touches(geom, pts)
        assert (join.area_id[inside] == area).all() or inside.sum() == 0
        ours = int(((join.area_id == area) & inside).sum())
        assert ours == int(inside.sum()), f"area {area}"
        inside_any |= inside
    assert int(inside_any.sum()) == join.inside + join.on_border
    # the incidents' recorded AREA agrees with the polygon for the vast majority
    agree = (join.area_id == geo["area_id"].to_numpy()).mean()
    assert agree > 0.97


def boundaries_and_report(frame):
    return grid.split_geocoded(frame)


def test_division_counts_by_record_and_by_polygon(divisions):
    incidents = pd.DataFrame({"area_id": [1, 1, 1, 2, 2, 21]})
    geocoded = np.array([True, True, False, True, True, False])
    polygon = np.array([1, 2, 2, 2])  # for the geocoded rows, in order
    no_polygons = boundaries.division_counts(incidents, polygon, geocoded)
    assert no_polygons["in_polygon"].isna().all() and no_polygons["incidents"].sum() == 6
    table = boundaries.division_counts(incidents, polygon, geocoded, divisions)
    table = table.set_index("area_id")
    assert table.loc[1, "incidents"] == 3 and table.loc[21, "incidents"] == 1
    assert table.loc[1, "geocoded"] == 2 and table.loc[1, "in_polygon"] == 1
    assert table.loc[2, "in_polygon"] == 3
    assert table.loc[1, "agree_share"] == 0.5 and table.loc[2, "agree_share"] == 1.0
    assert table.loc[1, "rate_per_100k"] == pytest.approx(3 / 81_500 * 1e5)
    assert table["incidents"].sum() == len(incidents)
    # no recorded area: counted in the division its point lies in
    blank = pd.DataFrame({"area_id": pd.array([1, None, None], dtype="Int64")})
    t2 = boundaries.division_counts(
        blank, np.array([1, 7]), np.array([True, True, False]), divisions
    )
    assert t2.set_index("area_id").loc[7, "incidents"] == 1 and t2["incidents"].sum() == 2


def _collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[-118.3, 34.0], [-118.2, 34.0], [-118.2, 34.1], [-118.3, 34.1], [-118.3, 34.0]]
    ],
}


def test_bad_boundary_files_say_which_feature_and_how_to_fix(tmp_path):
    ok = {"type": "Feature", "properties": {"PREC": 1}, "geometry": SQUARE}
    with pytest.raises(InputFileError, match=r"feature #1 .*geometry is missing"):
        boundaries.parse_divisions(
            _collection(ok, {"type": "Feature", "properties": {"PREC": 2}, "geometry": None})
        )
    point = {"type": "Point", "coordinates": [-118.25, 34.05]}
    with pytest.raises(InputFileError, match="not a polygon"):
        boundaries.parse_divisions(
            _collection({"type": "Feature", "properties": {"PREC": 2}, "geometry": point})
        )
    with pytest.raises(InputFileError, match="no LAPD area number"):
        boundaries.parse_divisions(
            _collection({"type": "Feature", "properties": {"name": "Narnia"}, "geometry": SQUARE})
        )
    broken = {"type": "Polygon", "coordinates": [[[-118.3, 34.0], [-118.2]]]}
    with pytest.raises(InputFileError, match="cannot be read"):
        boundaries.parse_divisions(
            _collection({"type": "Feature", "properties": {"PREC": 3}, "geometry": broken})
        )
    feet = {
        "type": "Polygon",
        "coordinates": [[[6.4e6, 1.8e6], [6.5e6, 1.8e6], [6.5e6, 1.9e6], [6.4e6, 1.8e6]]],
    }
    with pytest.raises(InputFileError, match="WGS84"):
        boundaries.parse_divisions(
            _collection({"type": "Feature", "properties": {"PREC": 4}, "geometry": feet})
        )
    with pytest.raises(InputFileError, match="FeatureCollection"):
        boundaries.parse_divisions({"type": "Feature"})
    bad = tmp_path / "divisions.geojson"
    bad.write_text("<html>not json</html>")
    with pytest.raises(InputFileError, match=str(bad)):
        boundaries.read_divisions(bad)
    with pytest.raises(InputFileError, match="does not exist"):
        boundaries.read_divisions(tmp_path / "missing.geojson")


def test_invalid_geometry_is_repaired_with_a_warning():
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[-118.3, 34.0], [-118.2, 34.1], [-118.2, 34.0], [-118.3, 34.1], [-118.3, 34.0]]
        ],
    }
    frame, warns = boundaries.parse_divisions(
        _collection({"type": "Feature", "properties": {"APREC": "CENTRAL"}, "geometry": bowtie})
    )
    assert frame["area_id"].tolist() == [1]
    assert frame["geometry"].iat[0].is_valid
    assert any("invalid geometry" in w and "repaired" in w for w in warns)
    assert any("no boundary for areas" in w for w in warns)  # 20 divisions missing


class _Handler(http.server.BaseHTTPRequestHandler):
    body = b""
    hits = 0

    def do_GET(self):  # noqa: N802
        type(self).hits += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).body)

    def log_message(self, *args):
        pass


def _serve(body: bytes):
    handler = type("H", (_Handler,), {"body": body, "hits": 0})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, handler, f"http://127.0.0.1:{server.server_port}/divisions.geojson"


def test_download_is_cached_and_used_offline(tmp_path, geohub):
    server, handler, url = _serve(geohub.read_bytes())
    cache = tmp_path / "store" / "geo" / "lapd_divisions.geojson"
    try:
        frame, _, origin = boundaries.fetch_divisions(url, cache, timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert handler.hits == 1 and "downloaded" in origin
    assert cache.exists() and len(frame) == 21
    # the server is gone: the cache serves
    again, _, origin2 = boundaries.fetch_divisions(url, cache, timeout=2)
    assert origin2.startswith("cache") and again["area_id"].tolist() == frame["area_id"].tolist()


def test_offline_without_cache_says_to_pass_a_file(tmp_path):
    server, _, url = _serve(b"")
    server.shutdown()
    server.server_close()  # nothing listens on that port any more
    with pytest.raises(NetworkError) as exc:
        boundaries.fetch_divisions(url, tmp_path / "geo" / "x.geojson", timeout=2)
    assert "--boundaries FILE" in exc.value.hint
    assert not (tmp_path / "geo" / "x.geojson").exists()


def test_a_portal_error_page_is_not_cached(tmp_path):
    server, _, url = _serve(b"<html>maintenance</html>")
    try:
        with pytest.raises(NetworkError, match="did not return GeoJSON"):
            boundaries.fetch_divisions(url, tmp_path / "d.geojson", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    assert not (tmp_path / "d.geojson").exists()


def test_divisions_geojson_round_trips(divisions):
    table = pd.DataFrame({"area_id": [1, 2], "incidents": [10, 20]})
    gj = json.loads(json.dumps(boundaries.divisions_geojson(divisions, table)))
    assert len(gj["features"]) == 21
    props = {f["properties"]["area_id"]: f["properties"] for f in gj["features"]}
    assert props[2]["incidents"] == 20 and props[3]["incidents"] is None
    back = shapely.geometry.shape(gj["features"][0]["geometry"])
    assert back.equals_exact(divisions["geometry"].iat[0], 1e-9)


def test_an_arcgis_error_reply_and_a_damaged_cache(tmp_path, geohub):
    server, _, url = _serve(b'{"error": {"code": 400, "message": "Invalid URL"}}')
    try:
        with pytest.raises(NetworkError, match="did not return usable division boundaries"):
            boundaries.fetch_divisions(url, tmp_path / "d.geojson", timeout=5)
    finally:
        server.shutdown()
        server.server_close()
    # a truncated cache file is replaced by a fresh download, with a warning
    cache = tmp_path / "geo" / "lapd_divisions.geojson"
    cache.parent.mkdir()
    cache.write_text('{"type": "FeatureCollection", "features": [')
    server, handler, url = _serve(geohub.read_bytes())
    try:
        frame, warns, origin = boundaries.fetch_divisions(url, cache, timeout=10)
    finally:
        server.shutdown()
        server.server_close()
    assert handler.hits == 1 and len(frame) == 21 and "downloaded" in origin
    assert any("cached boundaries were unusable" in w for w in warns)
    assert len(boundaries.read_divisions(cache)[0]) == 21


def _dead_url() -> str:
    server, _, url = _serve(b"")
    server.shutdown()
    server.server_close()  # nothing listens on that port any more
    return url


def test_built_in_outlines_serve_offline_and_match_the_official_layer(tmp_path, divisions):
    frame, warns, origin = boundaries.resolve_divisions(None, tmp_path / "store", _dead_url(), 2)
    assert "built-in" in origin and any("GeoHub could not be reached" in w for w in warns)
    assert frame["area_id"].tolist() == list(range(1, 22))
    assert frame["population"].sum() > 3_500_000
    assert boundaries.BUILT_IN.stat().st_size < 400_000  # simplified, small enough to ship
    official = divisions.set_index("area_id")["geometry"]
    for aid, geom in frame.set_index("area_id")["geometry"].items():
        # the simplified outline covers nearly the same ground as the official one
        overlap = geom.intersection(official[aid]).area / official[aid].area
        assert 0.98 < overlap <= 1.0 + 1e-9, (aid, overlap)
        assert abs(geom.area / official[aid].area - 1) < 0.02


def test_a_boundaries_file_is_kept_for_the_stores_later_commands(tmp_path, geohub):
    store = tmp_path / "store"
    frame, _, origin = boundaries.resolve_divisions(geohub, store, _dead_url(), 2)
    assert origin == f"file {geohub}" and boundaries.cache_path(store).exists()
    again, _, origin2 = boundaries.resolve_divisions(None, store, _dead_url(), 2)
    assert origin2.startswith("cache") and len(again) == 21
    assert again["geometry"].iloc[0].equals(frame["geometry"].iloc[0])
