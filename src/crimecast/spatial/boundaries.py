"""LAPD division boundaries: read, validate, download-and-cache, and point-in-polygon joins.

A *divisions frame* has one row per division: `area_id` (1-21, the crime data's AREA number),
`name` (crimecast's canonical name), `population` and `geometry` (a shapely (Multi)Polygon in
lon/lat degrees). Boundary files spell division names differently from the crime data, so rows are
keyed on the area NUMBER: the `PREC` property of the GeoHub layer, else a name recognised by
`schema.area_id_for_name` (`APREC`, `district`, `name`, ...).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
import shapely.affinity
import shapely.geometry

from crimecast import schema
from crimecast.errors import InputFileError, NetworkError

# Properties that may hold the division number / name, in order of preference (case-insensitive).
# `AREA` is NOT an id in the GeoHub layer (it is the area in square feet), so it is only used when
# its value is a whole number 1-21.
_ID_KEYS = ("prec", "area_id", "area", "division_number", "div_num")
_NAME_KEYS = ("aprec", "district", "name", "area_name", "division", "label")
_POP_KEYS = ("population", "pop", "pop2020", "residents")

# Metres per degree near Los Angeles (34 N): used to turn degree distances into metres.
M_PER_DEG_LAT = 110_950.0
M_PER_DEG_LON = 92_300.0


@dataclass
class DivisionJoin:
    """Result of joining points to divisions (one entry per input point)."""

    area_id: np.ndarray  # division number, 0 when the point is in none (within `snap_m`)
    inside: int = 0  # points strictly inside one polygon
    snapped: int = 0  # points just outside every polygon, given the nearest within `snap_m`
    outside: int = 0  # points farther than `snap_m` from every division
    on_border: int = 0  # points on a shared border (given the lowest area number)
    notes: list[str] = field(default_factory=list)


def _prop(props: dict, keys) -> object:
    lower = {str(k).lower(): v for k, v in (props or {}).items()}
    for k in keys:
        if k in lower and lower[k] not in (None, ""):
            return lower[k]
    return None


def _area_number(props: dict) -> int | None:
    for key in _ID_KEYS:
        value = _prop(props, (key,))
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if number.is_integer() and int(number) in schema.AREAS:
            return int(number)
    name = _prop(props, _NAME_KEYS)
    return schema.area_id_for_name(str(name)) if name is not None else None


def parse_divisions(geojson: dict, source: str = "boundaries") -> tuple[pd.DataFrame, list[str]]:
    """A GeoJSON FeatureCollection -> (divisions frame, warnings).

    Raises InputFileError naming the feature when a geometry is missing, unreadable or not a
    polygon, or when a feature cannot be matched to an LAPD area number. Invalid (for example
    self-intersecting) polygons are repaired with `shapely.make_valid`, with a warning.
    """
    if not isinstance(geojson, dict) or geojson.get("type") != "FeatureCollection":
        raise InputFileError(
            f"{source}: not a GeoJSON FeatureCollection",
            hint="pass the LAPD Divisions layer as GeoJSON (e.g. LAPD_Divisions.geojson)",
        )
    features = geojson.get("features") or []
    if not features:
        raise InputFileError(f"{source}: the FeatureCollection has no features")
    warnings: list[str] = []
    rows = []
    for i, feat in enumerate(features):
        props = feat.get("properties") or {}
        area = _area_number(props)
        label = f"{source}: feature #{i} ({_prop(props, _NAME_KEYS) or 'no name'})"
        if area is None:
            raise InputFileError(
                f"{label} has no LAPD area number (PREC 1-21) or recognisable division name; "
                f"properties are {sorted(props)}",
                hint="use the LAPD Divisions layer, whose PREC property is the area number",
            )
        geom_json = feat.get("geometry")
        if not geom_json:
            raise InputFileError(
                f"{label}: geometry is missing", hint="re-export the layer with geometries"
            )
        try:
            geom = shapely.geometry.shape(geom_json)
        except Exception as exc:  # shapely raises several types for malformed coordinates
            raise InputFileError(
                f"{label}: geometry cannot be read ({exc})",
                hint="check the coordinates of this feature or re-export the layer",
            ) from exc
        if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
            raise InputFileError(
                f"{label}: geometry is {geom.geom_type if not geom.is_empty else 'empty'}, "
                "not a polygon",
                hint="division boundaries must be Polygon or MultiPolygon features",
            )
        if not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            geom = shapely.make_valid(geom)
            # make_valid may return a collection; keep its polygonal parts
            if geom.geom_type == "GeometryCollection":
                geom = shapely.union_all(
                    [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
                )
            warnings.append(f"{label}: invalid geometry ({reason}) repaired")
        minx, miny, maxx, maxy = geom.bounds
        if not (-119.5 < minx and maxx < -117.5 and 33.0 < miny and maxy < 35.0):
            raise InputFileError(
                f"{label}: coordinates {geom.bounds} are not longitude/latitude in Los Angeles",
                hint="re-export the layer in WGS84 (EPSG:4326) degrees",
            )
        pop = _prop(props, _POP_KEYS)
        rows.append(
            {
                "area_id": area,
                "name": schema.AREAS[area],
                "population": float(pop) if pop is not None else float("nan"),
                "geometry": geom,
            }
        )
    df = pd.DataFrame(rows)
    if df["area_id"].duplicated().any():
        dup = sorted(df.loc[df["area_id"].duplicated(), "area_id"].unique())
        warnings.append(f"{source}: areas {dup} appear in several features; their parts are merged")
        df = (
            df.groupby("area_id", as_index=False)
            .agg({"name": "first", "population": "max", "geometry": list})
            .assign(geometry=lambda d: [shapely.union_all(g) for g in d["geometry"]])
        )
    missing = sorted(set(schema.AREAS) - set(df["area_id"]))
    if missing:
        warnings.append(
            f"{source}: no boundary for areas {missing}; their incidents join to no division"
        )
    # fall back to crimecast's populations where the file has none
    fallback = df["area_id"].map(schema.AREA_POPULATION).astype(float)
    df["population"] = df["population"].where(df["population"] > 0, fallback)
    return df.sort_values("area_id").reset_index(drop=True), warnings


def read_divisions(path: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a GeoJSON file of division boundaries (see `parse_divisions`)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"boundary file {path} does not exist", hint="check the path")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(
            f"{path}: not readable as GeoJSON ({exc})",
            hint="pass a .geojson file (shapefiles: convert with ogr2ogr -f GeoJSON)",
        ) from exc
    return parse_divisions(data, source=str(path))


def fetch_divisions(
    url: str, cache: Path, timeout: float = 60.0
) -> tuple[pd.DataFrame, list[str], str]:
    """Divisions from the cache file, else downloaded from `url` and cached.

    Returns (divisions, warnings, where they came from). Offline with no cache -> NetworkError
    telling the user to pass a file.
    """
    cache = Path(cache)
    stale: list[str] = []
    if cache.exists():
        try:
            divisions, warns = read_divisions(cache)
            return divisions, warns, f"cache {cache}"
        except InputFileError as exc:  # a damaged cache: fetch again rather than fail
            stale.append(f"the cached boundaries were unusable ({exc.message}); downloading again")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:  # noqa: S310 (a setting)
            body = resp.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise NetworkError(
            f"cannot download the LAPD division boundaries from {url}: {exc}",
            hint="pass a boundary file with --boundaries FILE (e.g. LAPD_Divisions.geojson "
            "from the city's GeoHub), or set CRIMECAST_BOUNDARIES_URL",
        ) from exc
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise NetworkError(
            f"{url} did not return GeoJSON ({body[:80]!r})",
            hint="pass a boundary file with --boundaries FILE, or fix CRIMECAST_BOUNDARIES_URL",
        ) from exc
    try:
        divisions, warns = parse_divisions(data, source=url)  # validate before caching
    except InputFileError as exc:  # e.g. an ArcGIS {"error": ...} reply
        raise NetworkError(
            f"{url} did not return usable division boundaries: {exc.message}",
            hint="pass a boundary file with --boundaries FILE, or fix CRIMECAST_BOUNDARIES_URL",
        ) from exc
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_suffix(".tmp")
    tmp.write_bytes(body)
    tmp.replace(cache)
    return divisions, stale + warns, f"downloaded from {url}"


BUILT_IN = Path(__file__).resolve().parent / "outlines" / "lapd_divisions.geojson"
BUILT_IN_LABEL = "crimecast's built-in simplified LAPD division outlines (City GeoHub, 2024)"


def cache_path(store: str | Path) -> Path:
    """Where a store keeps its division boundaries for later commands."""
    return Path(store) / "geo" / "lapd_divisions.geojson"


def resolve_divisions(
    path: str | Path | None, store: str | Path | None, url: str, timeout: float
) -> tuple[pd.DataFrame, list[str], str]:
    """Division boundaries for any command: the file given (kept in the store's cache for the
    store's later commands), else the store's cache, else downloaded from `url` (then cached),
    else the built-in outlines, so maps work offline.

    Returns (divisions, warnings, where they came from)."""
    cache = cache_path(store) if store is not None else None
    if path:
        divisions, warns = read_divisions(path)
        if cache is not None and Path(path).resolve() != cache.resolve():
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(".tmp")
            tmp.write_bytes(Path(path).read_bytes())
            tmp.replace(cache)
        return divisions, warns, f"file {path}"
    if cache is not None:
        try:
            return fetch_divisions(url, cache, timeout=timeout)
        except NetworkError as exc:
            divisions, warns = read_divisions(BUILT_IN)
            reason = exc.__cause__ or exc.message
            note = f"the city's GeoHub could not be reached ({reason}); maps use {BUILT_IN_LABEL}"
            return divisions, [note, *warns], BUILT_IN_LABEL
    divisions, warns = read_divisions(BUILT_IN)
    return divisions, warns, BUILT_IN_LABEL


def join_divisions(
    lat: np.ndarray, lon: np.ndarray, divisions: pd.DataFrame, snap_m: float = 500.0
) -> DivisionJoin:
    """The division number of each point (0 when none) by point-in-polygon.

    Points exactly on a shared border get the lowest area number. Geocoded LAPD incidents sit on
    street centrelines, so a few fall just outside the city's edge: those within `snap_m` metres
    of a division are given the nearest one, and counted as `snapped` (`snap_m=0`: none are).
    """
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    out = np.zeros(len(lat), dtype=np.int64)
    if len(lat) == 0 or len(divisions) == 0:
        return DivisionJoin(out, outside=len(lat))
    geoms = np.asarray(divisions["geometry"].to_list(), dtype=object)
    ids = divisions["area_id"].to_numpy()
    hits = np.zeros(len(lat), dtype=np.int64)
    # prepared polygons, each tested only on the points inside its bounding box (25x faster
    # than an STRtree query); in ascending area order so a border point keeps the lowest number
    for k in np.argsort(ids, kind="stable"):
        geom = geoms[k]
        shapely.prepare(geom)
        minx, miny, maxx, maxy = geom.bounds
        cand = np.flatnonzero((lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy))
        inside = cand[shapely.intersects_xy(geom, lon[cand], lat[cand])]
        hits[inside] += 1
        first = inside[out[inside] == 0]
        out[first] = ids[k]
    report = DivisionJoin(out, inside=int((hits == 1).sum()), on_border=int((hits > 1).sum()))
    miss = np.flatnonzero(hits == 0)
    if len(miss) and snap_m <= 0:
        report.outside = len(miss)
    elif len(miss):
        # nearest division in metres (scale degrees first so distances are isotropic); outlines
        # simplified to 10 m, which barely moves a 500 m snap but makes the search 10x faster
        scaled = [
            shapely.simplify(
                shapely.affinity.scale(g, M_PER_DEG_LON, M_PER_DEG_LAT, origin=(0, 0)), 10.0
            )
            for g in geoms
        ]
        mpts = shapely.points(lon[miss] * M_PER_DEG_LON, lat[miss] * M_PER_DEG_LAT)
        mtree = shapely.STRtree(scaled)
        near_p, near_g = mtree.query_nearest(mpts, max_distance=snap_m, all_matches=False)
        out[miss[near_p]] = ids[near_g]
        report.snapped = len(near_p)
        report.outside = len(miss) - len(near_p)
    if report.snapped:
        report.notes.append(
            f"{report.snapped:,} points lie just outside every division (within {snap_m:.0f} m) "
            "and were given the nearest one"
        )
    if report.outside:
        report.notes.append(
            f"{report.outside:,} points lie more than {snap_m:.0f} m from every division and "
            "join to none"
        )
    return report


def divisions_geojson(divisions: pd.DataFrame, extra: pd.DataFrame | None = None) -> dict:
    """Divisions (optionally with extra per-area columns) as a GeoJSON FeatureCollection."""
    table = divisions.drop(columns="geometry")
    if extra is not None:
        table = table.merge(extra, on="area_id", how="left", suffixes=("", "_x"))
    feats = []
    for row, geom in zip(table.to_dict("records"), divisions["geometry"], strict=True):
        props = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
        feats.append(
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
        )
    return {"type": "FeatureCollection", "features": feats}


def division_counts(
    incidents: pd.DataFrame,
    polygon_area: np.ndarray,
    geocoded: np.ndarray,
    divisions: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-division counts and rates.

    `incidents` needs `area_id` (the LAPD record's area); `geocoded` marks rows with usable
    coordinates and `polygon_area` holds, for those rows in order, the division their point lies
    in (0 = none). Returns DataFrame[area_id, name, population, incidents, rate_per_100k,
    geocoded, in_polygon, agree_share]: `incidents` counts every incident by its recorded area
    (so incidents without coordinates still count; one with no recorded area counts in the
    polygon its point lies in), `in_polygon` counts points by the polygon they fall in, and
    `agree_share` is the share of the division's geocoded incidents whose point lies in the
    division they are recorded in.
    """
    area = pd.to_numeric(incidents["area_id"], errors="coerce").astype("float64").to_numpy()
    geocoded = np.asarray(geocoded, dtype=bool)
    counted = area.copy()
    fill = np.isnan(counted)
    fill_geo = fill[geocoded]
    if fill_geo.any():
        idx = np.flatnonzero(geocoded)[fill_geo]
        counted[idx] = np.where(
            np.asarray(polygon_area)[fill_geo] > 0, np.asarray(polygon_area)[fill_geo], np.nan
        )
    ids = np.array(sorted(schema.AREAS))
    if divisions is not None and len(divisions):
        pop = dict(zip(divisions["area_id"], divisions["population"], strict=True))
    else:
        pop = {}
    rec = pd.Series(counted).value_counts()
    geo_rec = pd.Series(area[geocoded]).value_counts()
    poly = pd.Series(np.asarray(polygon_area)).value_counts()
    same = pd.Series(area[geocoded][np.asarray(polygon_area) == area[geocoded]]).value_counts()
    table = pd.DataFrame({"area_id": ids, "name": [schema.AREAS[i] for i in ids]})
    table["population"] = [float(pop.get(i, schema.AREA_POPULATION[i])) for i in ids]
    table["incidents"] = [int(rec.get(i, 0)) for i in ids]
    table["rate_per_100k"] = table["incidents"] / table["population"] * 1e5
    table["geocoded"] = [int(geo_rec.get(i, 0)) for i in ids]
    if divisions is None:  # no polygons: nothing to compare the recorded areas with
        table["in_polygon"] = np.nan
        table["agree_share"] = np.nan
        return table
    table["in_polygon"] = [int(poly.get(i, 0)) for i in ids]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["agree_share"] = np.array([same.get(i, 0) for i in ids]) / table["geocoded"]
    return table
