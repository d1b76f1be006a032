"""The H3 hexagon grid: which incidents have usable coordinates, cell ids, counts, the study area
and cell neighbourhoods.

Resolution 8 is the default (`CRIMECAST_H3_RESOLUTION`): hexagons of about 0.74 km², 460 m
from centre to corner, i.e. a few city blocks, so the city of Los Angeles (about 1,300 km²) is
covered by roughly 1,900 cells. Resolution 9 (0.11 km², about one block) and 7 (5.2 km²) are the
neighbours on either side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import h3
import h3.api.numpy_int as h3i
import numpy as np
import pandas as pd

from crimecast import schema
from crimecast.errors import ConfigError

DEFAULT_RESOLUTION = 8
# The city of Los Angeles lies within these bounds (the same box cleaning uses); coordinates
# outside them are geocoding errors or placeholders, counted as "outside Los Angeles".
LA_LAT = (schema.LA_BBOX["lat_min"], schema.LA_BBOX["lat_max"])
LA_LON = (schema.LA_BBOX["lon_min"], schema.LA_BBOX["lon_max"])


@dataclass
class CoordinateReport:
    """How many incidents could be placed on the map, and why the others could not."""

    total: int
    geocoded: int
    no_coordinates: int  # lat/lon missing or (0, 0)
    outside_la: int  # coordinates outside Los Angeles

    @property
    def unusable(self) -> int:
        return self.no_coordinates + self.outside_la

    def as_dict(self) -> dict:
        return {**asdict(self), "unusable": self.unusable}

    def message(self) -> str:
        if not self.unusable:
            return f"all {self.total:,} incidents have usable coordinates"
        share = self.unusable / self.total if self.total else 0.0
        return (
            f"{self.unusable:,} of {self.total:,} incidents ({share:.1%}) have no usable "
            f"coordinates ({self.no_coordinates:,} missing, {self.outside_la:,} outside Los "
            "Angeles): they are left off the maps and hotspot statistics but kept in the "
            "division counts (by their recorded area)"
        )


def check_resolution(resolution: int) -> int:
    try:
        res = int(resolution)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"H3 resolution {resolution!r} is not a whole number") from exc
    if not 5 <= res <= 10:
        raise ConfigError(
            f"H3 resolution {res} is out of range",
            hint="use 5-10 (7 = 5 km² districts, 8 = a few blocks (default), 9 = one block)",
        )
    return res


def usable_mask(incidents: pd.DataFrame) -> tuple[np.ndarray, CoordinateReport]:
    """Boolean mask of rows with coordinates inside Los Angeles, and the counts of the rest."""
    if "lat" not in incidents or "lon" not in incidents:
        raise ConfigError(
            "the incidents have no lat/lon columns",
            hint="hotspot analysis needs geocoded incidents (the LAT/LON of the LAPD export)",
        )
    # nullable (Float64), text or object columns all become float64 with NaN for missing
    lat = pd.to_numeric(incidents["lat"], errors="coerce").astype("float64").to_numpy()
    lon = pd.to_numeric(incidents["lon"], errors="coerce").astype("float64").to_numpy()
    missing = np.isnan(lat) | np.isnan(lon) | ((lat == 0) & (lon == 0))
    inside = (lat >= LA_LAT[0]) & (lat <= LA_LAT[1]) & (lon >= LA_LON[0]) & (lon <= LA_LON[1])
    ok = ~missing & inside
    report = CoordinateReport(
        total=len(incidents),
        geocoded=int(ok.sum()),
        no_coordinates=int(missing.sum()),
        outside_la=int((~missing & ~inside).sum()),
    )
    return ok, report


def split_geocoded(incidents: pd.DataFrame) -> tuple[pd.DataFrame, CoordinateReport]:
    """(incidents with usable coordinates, report of how many had none or were outside LA)."""
    ok, report = usable_mask(incidents)
    sub = incidents.loc[ok]
    # plain float64 coordinates downstream, whatever the input's dtypes
    return sub.assign(
        lat=pd.to_numeric(sub["lat"]).astype("float64"),
        lon=pd.to_numeric(sub["lon"]).astype("float64"),
    ), report


def cell_ids(lat, lon, resolution: int = DEFAULT_RESOLUTION) -> np.ndarray:
    """H3 cell id (hex string) of each point. Points must be valid coordinates.

    h3 has no vectorised call; the integer API in a list comprehension runs about 1.6M points/s
    here, and only the distinct cells are converted to strings.
    """
    res = check_resolution(resolution)
    lat = np.asarray(lat, dtype=float).tolist()
    lon = np.asarray(lon, dtype=float).tolist()
    ints = np.fromiter(
        (h3i.latlng_to_cell(a, b, res) for a, b in zip(lat, lon, strict=True)),
        dtype=np.uint64,
        count=len(lat),
    )
    uniq, inverse = np.unique(ints, return_inverse=True)
    names = np.array([h3.int_to_str(int(u)) for u in uniq], dtype=object)
    return names[inverse]


def centres(cells) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lon) of each cell's centre."""
    ll = np.array([h3.cell_to_latlng(c) for c in cells], dtype=float).reshape(-1, 2)
    return ll[:, 0], ll[:, 1]


def cell_table(cells, counts=None) -> pd.DataFrame:
    """DataFrame[h3, n, lat, lon] for the given cells (counts default to 0)."""
    cells = list(cells)
    lat, lon = centres(cells)
    n = np.zeros(len(cells), dtype=np.int64) if counts is None else np.asarray(counts)
    return pd.DataFrame({"h3": cells, "n": n, "lat": lat, "lon": lon})


def assign_cells(
    incidents: pd.DataFrame, resolution: int = DEFAULT_RESOLUTION
) -> tuple[pd.DataFrame, CoordinateReport]:
    """(the incidents with usable coordinates plus an `h3` column, coordinate report)."""
    sub, report = split_geocoded(incidents)
    sub = sub.assign(h3=cell_ids(sub["lat"].to_numpy(), sub["lon"].to_numpy(), resolution))
    return sub, report


def counts_of(ids) -> pd.DataFrame:
    """DataFrame[h3, n, lat, lon] from an array of cell ids, most incidents first."""
    counts = pd.Series(np.asarray(ids, dtype=object)).value_counts(sort=False)
    table = cell_table(counts.index.to_list(), counts.to_numpy())
    return table.sort_values(["n", "h3"], ascending=[False, True]).reset_index(drop=True)


def count_cells(incidents: pd.DataFrame, resolution: int = DEFAULT_RESOLUTION) -> pd.DataFrame:
    """Incident counts per occupied H3 cell: DataFrame[h3, n, lat, lon], most incidents first.

    Rows without usable coordinates are skipped; `split_geocoded` counts them.
    """
    sub, _ = split_geocoded(incidents)
    return counts_of(cell_ids(sub["lat"].to_numpy(), sub["lon"].to_numpy(), resolution))


def study_cells(
    occupied, resolution: int = DEFAULT_RESOLUTION, divisions: pd.DataFrame | None = None
) -> list[str]:
    """The cells a statistic is computed over, sorted.

    With division boundaries: every cell whose centre lies in a division, plus any occupied cell
    (points snapped onto the edge). Without: the occupied cells and their immediate neighbours,
    so that an isolated busy cell is compared with the empty ground around it.
    """
    res = check_resolution(resolution)
    cells = set(occupied)
    if divisions is not None and len(divisions):
        for geom in divisions["geometry"]:
            cells.update(h3.geo_to_cells(geom, res))
    else:
        for c in list(cells):
            cells.update(h3.grid_disk(c, 1))
    return sorted(cells)


def neighbour_lists(cells, ring: int = 1) -> list[np.ndarray]:
    """For each cell, the positions (in `cells`) of the other cells within `ring` steps."""
    pos = {c: i for i, c in enumerate(cells)}
    out = []
    for c in cells:
        nb = [pos[d] for d in h3.grid_disk(c, ring) if d != c and d in pos]
        out.append(np.array(sorted(nb), dtype=np.int64))
    return out


def weights(cells, ring: int = 1):
    """Binary libpysal W over `cells` from H3 k-ring neighbourhoods (no self-weights)."""
    from libpysal.weights import W

    cells = list(cells)
    nbs = neighbour_lists(cells, ring)
    neighbours = {c: [cells[j] for j in nb] for c, nb in zip(cells, nbs, strict=True)}
    return W(neighbours, id_order=cells, silence_warnings=True)


def cell_rings(cells) -> list[list[tuple[float, float]]]:
    """Each cell's hexagon as a closed ring of (lon, lat)."""
    rings = []
    for c in cells:
        ring = [(lon, lat) for lat, lon in h3.cell_to_boundary(c)]
        rings.append(ring + ring[:1])
    return rings


def cell_areas_km2(cells) -> np.ndarray:
    return np.array([h3.cell_area(c, unit="km^2") for c in cells], dtype=float)


def cells_geojson(table: pd.DataFrame) -> dict:
    """A table with an `h3` column as a GeoJSON FeatureCollection of hexagons (other columns
    become properties; NaN becomes null)."""
    props = table.astype(object).where(table.notna(), None).to_dict("records")
    feats = [
        {"type": "Feature", "properties": p, "geometry": {"type": "Polygon", "coordinates": [r]}}
        for p, r in zip(props, cell_rings(table["h3"]), strict=True)
    ]
    return {"type": "FeatureCollection", "features": feats}
