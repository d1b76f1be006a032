"""Kernel density of incidents: a binned Gaussian KDE on a metric raster.

Points are binned on a square raster (`step_m`, default 100 m) in a local metric projection of
Los Angeles and smoothed with an isotropic Gaussian of standard deviation `bandwidth_m` (default
400 m, `CRIMECAST_KDE_BANDWIDTH`: about four short city blocks, wide enough to join incidents on
the same few streets, narrow enough to keep separate commercial strips apart). To within the
binning error this equals `scipy.stats.gaussian_kde` with that fixed bandwidth (a test checks),
but it costs one histogram and one filter however many points there are. Densities are incidents
per km² (weighted when weights are given, e.g. a time decay).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import ndimage

from crimecast.spatial import grid
from crimecast.spatial.boundaries import M_PER_DEG_LAT, M_PER_DEG_LON

DEFAULT_BANDWIDTH_M = 400.0


@dataclass(frozen=True)
class Raster:
    """A regular grid in metres: south-west corner (lat0, lon0), `step_m`, ny rows x nx cols."""

    lat0: float
    lon0: float
    step_m: float
    ny: int
    nx: int

    @property
    def lat_centres(self) -> np.ndarray:
        return self.lat0 + (np.arange(self.ny) + 0.5) * self.step_m / M_PER_DEG_LAT

    @property
    def lon_centres(self) -> np.ndarray:
        return self.lon0 + (np.arange(self.nx) + 0.5) * self.step_m / M_PER_DEG_LON

    @property
    def bin_km2(self) -> float:
        return (self.step_m / 1000.0) ** 2


def raster_for(lat, lon, step_m: float = 100.0, pad_m: float = 2000.0) -> Raster:
    """A raster covering the points plus a margin (defaults to the city's bounds if empty)."""
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    if len(lat):
        s, n, w, e = lat.min(), lat.max(), lon.min(), lon.max()
    else:
        (s, n), (w, e) = grid.LA_LAT, grid.LA_LON
    s -= pad_m / M_PER_DEG_LAT
    w -= pad_m / M_PER_DEG_LON
    ny = int(np.ceil((n - s) * M_PER_DEG_LAT / step_m + pad_m / step_m)) + 1
    nx = int(np.ceil((e - w) * M_PER_DEG_LON / step_m + pad_m / step_m)) + 1
    return Raster(float(s), float(w), float(step_m), ny, nx)


def density(
    raster: Raster, lat, lon, bandwidth_m: float = DEFAULT_BANDWIDTH_M, weights=None
) -> np.ndarray:
    """Kernel density (ny, nx), incidents per km², of the points on `raster`."""
    if bandwidth_m <= 0:
        raise ValueError("the KDE bandwidth must be positive (metres)")
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    iy = np.floor((lat - raster.lat0) * M_PER_DEG_LAT / raster.step_m).astype(np.int64)
    ix = np.floor((lon - raster.lon0) * M_PER_DEG_LON / raster.step_m).astype(np.int64)
    ok = (iy >= 0) & (iy < raster.ny) & (ix >= 0) & (ix < raster.nx)
    w = np.ones(len(lat)) if weights is None else np.asarray(weights, dtype=float)
    counts = np.bincount(
        iy[ok] * raster.nx + ix[ok], weights=w[ok], minlength=raster.ny * raster.nx
    ).reshape(raster.ny, raster.nx)
    smooth = ndimage.gaussian_filter(
        counts, sigma=bandwidth_m / raster.step_m, mode="constant", truncate=4.0
    )
    return smooth / raster.bin_km2


def bin_cells(raster: Raster, cells: list[str], resolution: int) -> np.ndarray:
    """For each raster bin (flattened), the position in `cells` of the H3 cell holding its
    centre, or -1. Compute once per raster and reuse across forecasts."""
    lat, lon = np.meshgrid(raster.lat_centres, raster.lon_centres, indexing="ij")
    ids = grid.cell_ids(lat.ravel(), lon.ravel(), resolution)
    pos = pd.Series(np.arange(len(cells)), index=list(cells))
    return pd.Series(ids).map(pos).fillna(-1).to_numpy(dtype=np.int64)


def cell_mass(raster: Raster, dens: np.ndarray, mapping: np.ndarray, n_cells: int) -> np.ndarray:
    """Expected incidents in each cell: the density integrated over the bins inside it."""
    flat = dens.ravel() * raster.bin_km2
    ok = mapping >= 0
    return np.bincount(mapping[ok], weights=flat[ok], minlength=n_cells)


def surface_frame(raster: Raster, dens: np.ndarray, min_share: float = 1e-3) -> pd.DataFrame:
    """DataFrame[lat, lon, density] of the bins above `min_share` of the peak (for maps)."""
    lat, lon = np.meshgrid(raster.lat_centres, raster.lon_centres, indexing="ij")
    keep = dens >= dens.max() * min_share if dens.size and dens.max() > 0 else dens > 0
    return pd.DataFrame({"lat": lat[keep], "lon": lon[keep], "density": dens[keep]})
