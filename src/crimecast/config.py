"""Settings, declared once. Each has a name, a default and help text; the environment variable
CRIMECAST_<NAME> overrides the default and a CLI flag overrides both. The README's settings table
and `crimecast settings` are generated from this list (a test keeps them in step)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    name: str
    default: str
    help: str

    @property
    def env(self) -> str:
        return f"CRIMECAST_{self.name.upper()}"


SETTINGS: tuple[Setting, ...] = (
    Setting("store", str(Path.home() / ".crimecast" / "store"), "data directory of the store"),
    Setting("out", "crimecast-out", "directory where reports, tables and figures are written"),
    Setting(
        "portal_url", "https://data.lacity.org", "base URL of the city's Socrata open-data portal"
    ),
    Setting("app_token", "", "Socrata app token (raises rate limits); never printed"),
    Setting("page_size", "50000", "rows per page when downloading from the portal"),
    Setting("http_retries", "6", "retries on HTTP 429/5xx and dropped connections"),
    Setting("http_timeout", "60", "seconds to wait for one portal response"),
    Setting(
        "http_backoff",
        "1.0",
        "seconds before the first retry of a portal request; doubles each retry",
    ),
    Setting("seed", "42", "random seed for simulation, permutations and sampling"),
    Setting(
        "forecast_intervals",
        "calibrated",
        "forecast intervals: calibrated (from each series' own backtest errors) or model "
        "(each model's own)",
    ),
    Setting(
        "lag_completeness",
        "0.9",
        "a month counts as complete when this share of its incidents is expected to be reported",
    ),
    # Scaling: S3 storage, Spark, the dashboard's access control (issue 7).
    Setting(
        "s3_endpoint_url",
        "",
        "S3-compatible endpoint (MinIO, moto); empty = AWS S3. Credentials: the AWS chain",
    ),
    Setting(
        "s3_cache",
        str(Path.home() / ".crimecast" / "s3-cache"),
        "local cache of stores and outputs kept in s3://",
    ),
    Setting("s3_keep_versions", "3", "published versions kept per s3:// location (older pruned)"),
    Setting("s3_retries", "3", "attempts per S3 request before giving up"),
    Setting("spark_master", "local[*]", "Spark master URL for --backend spark"),
    Setting("spark_connect_timeout", "10", "seconds to wait for a Spark master to answer"),
    Setting(
        "dashboard_token",
        "",
        "token (or basic-auth password) the dashboard requires off localhost; never printed",
    ),
    Setting("dashboard_user", "crimecast", "basic-auth user name for the dashboard"),
    # Hotspots (issue 4).
    Setting(
        "boundaries_url",
        "https://services5.arcgis.com/7nsPwEMP38bSkCjy/arcgis/rest/services/LAPD_Divisions/"
        "FeatureServer/0/query?where=1%3D1&outFields=*&outSR=4326&f=geojson",
        "GeoJSON of the 21 LAPD divisions (city GeoHub); downloaded once, cached in the store",
    ),
    Setting("h3_resolution", "8", "H3 hexagon resolution for hotspot grids (8 = about 0.74 km²)"),
    Setting("gi_permutations", "999", "conditional permutations for the Gi* pseudo p-values"),
    Setting("kde_bandwidth", "400", "kernel density bandwidth in metres (Gaussian sd)"),
)
_BY_NAME = {s.name: s for s in SETTINGS}


def get(name: str) -> str:
    """The value in force for a setting: environment variable, else default."""
    setting = _BY_NAME[name]
    return os.environ.get(setting.env, setting.default)


def get_int(name: str) -> int:
    return int(get(name))


def get_float(name: str) -> float:
    return float(get(name))
