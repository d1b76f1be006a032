"""A simulated Los Angeles in the portal's 2020+ CSV export layout, for demos, tests and benchmarks.

Every figure below was computed once from the real aggregates in `../shared/data` (ABC7's yearly
area x crime-code rollups of 63jg-8b9z and 2nrs-mtv8, 2010-2022; the yearly area x hour table; the
LAPD division polygons) or from the real incident samples (premises, weapons, victims, status), and
pasted here as constants: nothing is read at run time.

The output is always labelled simulated:
- DR_NO is `YY9NNNNNN` (YY = two-digit report year, then 9, then a 6-digit sequence). Real LAPD ids
  are `YYAANNNNN` with the area 01-21 in digits 3-4, so a 3rd digit of 9 (90-99) never occurs in
  real data: `is_simulated_id` tells them apart.
- files are named `*.simulated.csv` by default, and `crimecast ingest` marks rows from such files
  `simulated=true` with a source name containing 'simulated'.

The generator is vectorised with numpy (one pass per column, loops only over small groups) and one
`numpy.random.Generator(seed)` draws everything in a fixed order, so the same seed gives the same
bytes.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimecast import codes, schema
from crimecast.errors import ConfigError, InputFileError

EXPORT_COLUMNS: tuple[str, ...] = (
    "DR_NO", "Date Rptd", "DATE OCC", "TIME OCC", "AREA", "AREA NAME", "Rpt Dist No", "Part 1-2",
    "Crm Cd", "Crm Cd Desc", "Mocodes", "Vict Age", "Vict Sex", "Vict Descent", "Premis Cd",
    "Premis Desc", "Weapon Used Cd", "Weapon Desc", "Status", "Status Desc", "Crm Cd 1",
    "Crm Cd 2", "Crm Cd 3", "Crm Cd 4", "LOCATION", "Cross Street", "LAT", "LON",
)  # fmt: skip
DEFAULT_START = "2010-01-01"
DEFAULT_END = "2024-12-31"  # fixed, so a seed gives the same file whatever day it runs
SIM_ID_DIGIT = 9  # 3rd digit of every simulated DR_NO (real ids carry the area 01-21 there)
NIBRS_KEEP = 0.15  # share of records reported after the switch that the legacy feed kept
ZERO_COORD_SHARE = 0.003  # rows with LAT/LON of 0, as in the real data

# --- Calibration (real LAPD figures) -----------------------------------------------------------
# Incidents per occurred year, citywide (ABC7 rollups of both datasets). 2023+ are assumptions of
# the level had the legacy feed kept everything (the real 2023+ counts are cut by lag and NIBRS).
YEARLY_TOTALS: dict[int, int] = {
    2010: 209229, 2011: 200792, 2012: 201621, 2013: 192689, 2014: 195628, 2015: 215641,
    2016: 225609, 2017: 231303, 2018: 229197, 2019: 218088, 2020: 199365, 2021: 209288,
    2022: 234060, 2023: 232000, 2024: 226000, 2025: 222000,
}  # fmt: skip
# Share of all 2010-2022 incidents per area.
AREA_SHARE: dict[int, float] = {
    1: 0.05098, 2: 0.04321, 3: 0.06211, 4: 0.03707, 5: 0.04308, 6: 0.04847, 7: 0.04304,
    8: 0.04302, 9: 0.04598, 10: 0.04221, 11: 0.04646, 12: 0.06751, 13: 0.04777, 14: 0.05435,
    15: 0.05297, 16: 0.03692, 17: 0.04439, 18: 0.05234, 19: 0.04695, 20: 0.04632, 21: 0.04485,
}  # fmt: skip
# Share of each year's incidents per area, per mille (areas 1-21): Central's volume doubled from
# 2010 to 2022 while Southwest and Mission fell. Years outside 2010-2022 use the nearest year.
AREA_YEAR_PERMILLE: dict[int, tuple[float, ...]] = {
    2010: (34.1, 41.6, 65.3, 35.4, 45.8, 44.0, 39.1, 39.2, 48.2, 44.3, 50.8, 69.0, 47.7, 53.0, 54.3, 44.7, 50.8, 52.9, 50.5, 41.9, 47.4),
    2011: (35.7, 42.0, 64.4, 32.6, 49.0, 46.0, 41.3, 42.9, 47.5, 44.0, 49.0, 71.0, 46.6, 51.7, 53.3, 42.5, 48.0, 55.1, 52.5, 39.8, 45.4),
    2012: (40.1, 42.7, 65.1, 35.1, 46.8, 46.3, 39.9, 42.6, 47.9, 44.8, 48.9, 70.9, 44.1, 51.2, 56.0, 39.4, 46.8, 52.6, 52.5, 42.3, 44.3),
    2013: (39.4, 42.3, 66.0, 34.8, 43.7, 44.4, 40.7, 42.4, 48.7, 43.7, 48.2, 71.3, 44.8, 52.4, 56.9, 38.9, 45.1, 52.9, 53.4, 43.0, 47.2),
    2014: (42.9, 43.7, 66.4, 35.3, 42.4, 43.8, 40.5, 41.8, 48.4, 40.6, 49.5, 71.9, 47.1, 55.0, 53.1, 36.6, 44.2, 54.0, 50.9, 46.8, 44.9),
    2015: (48.1, 43.1, 64.5, 37.2, 44.2, 45.4, 38.8, 45.1, 48.6, 40.4, 47.6, 68.0, 44.8, 54.4, 54.8, 35.9, 46.7, 51.5, 49.3, 45.7, 46.0),
    2016: (48.5, 40.8, 62.9, 40.8, 42.3, 47.1, 40.3, 41.6, 46.5, 42.9, 46.1, 68.4, 49.0, 52.2, 53.5, 35.3, 45.9, 51.0, 49.0, 46.9, 48.8),
    2017: (51.6, 41.7, 61.8, 39.2, 41.9, 48.8, 42.7, 39.1, 46.7, 42.2, 45.6, 67.1, 50.9, 52.2, 53.7, 35.4, 46.2, 51.3, 47.0, 48.2, 46.8),
    2018: (57.6, 42.2, 62.7, 38.5, 39.8, 49.8, 46.9, 44.0, 45.6, 41.4, 45.0, 65.3, 47.5, 53.2, 52.6, 35.3, 41.7, 52.2, 44.4, 48.1, 46.2),
    2019: (62.3, 43.7, 61.9, 38.3, 39.9, 51.2, 47.8, 42.4, 43.9, 39.8, 44.2, 65.1, 49.2, 56.2, 50.9, 34.9, 41.2, 53.8, 41.9, 46.9, 44.3),
    2020: (58.1, 45.2, 55.9, 39.1, 44.4, 50.9, 46.5, 46.6, 43.8, 40.5, 42.3, 66.7, 50.0, 58.0, 50.9, 35.6, 39.9, 54.3, 42.4, 48.3, 40.6),
    2021: (62.8, 45.1, 54.4, 38.3, 42.3, 57.7, 46.4, 47.2, 41.5, 40.7, 44.6, 62.4, 47.3, 61.7, 52.1, 33.6, 40.5, 49.7, 39.2, 51.6, 40.9),
    2022: (75.5, 47.7, 57.0, 36.3, 39.1, 53.4, 47.5, 44.6, 41.3, 43.7, 43.3, 62.0, 50.8, 55.5, 47.5, 33.4, 40.5, 50.0, 39.4, 51.3, 40.2),
}  # fmt: skip
CATEGORIES = schema.CATEGORIES
# Share of all 2010-2022 incidents per crimecast category (same order as schema.CATEGORIES).
CATEGORY_SHARE: dict[str, float] = dict(
    zip(
        CATEGORIES,
        (0.0014, 0.0083, 0.0440, 0.0683, 0.0731, 0.2787, 0.0854, 0.0019, 0.1561, 0.0935, 0.0842, 0.1051),
        strict=True,
    )
)  # fmt: skip
# Crime mix per area, per mille of the area's incidents, columns in schema.CATEGORIES order.
AREA_CATEGORY_PERMILLE: dict[int, tuple[float, ...]] = {
    1: (1.3, 10.6, 57.1, 84.0, 33.4, 345.8, 44.9, 2.4, 199.9, 88.0, 43.2, 89.5),
    2: (1.7, 10.8, 69.0, 86.4, 46.2, 243.3, 81.8, 2.0, 193.3, 94.8, 66.0, 104.7),
    3: (1.7, 9.2, 57.5, 82.9, 63.1, 265.5, 78.6, 2.0, 171.7, 90.4, 71.4, 106.0),
    4: (2.7, 8.6, 40.5, 88.8, 51.5, 212.7, 137.0, 2.3, 172.4, 106.9, 63.5, 113.2),
    5: (1.9, 7.6, 32.2, 73.1, 80.0, 239.9, 115.4, 2.0, 158.3, 106.5, 68.0, 115.2),
    6: (0.7, 12.5, 49.5, 61.9, 51.8, 331.4, 57.2, 1.7, 161.9, 98.4, 74.8, 98.1),
    7: (0.7, 7.2, 40.3, 47.3, 99.2, 331.5, 62.9, 1.7, 127.1, 89.3, 93.6, 99.1),
    8: (0.3, 6.8, 19.9, 24.4, 114.9, 364.7, 53.9, 1.1, 111.5, 86.5, 120.2, 95.8),
    9: (0.7, 6.3, 25.3, 45.6, 73.2, 313.7, 72.4, 1.6, 147.9, 92.9, 110.8, 109.5),
    10: (0.7, 7.1, 27.0, 49.4, 104.2, 276.1, 73.0, 1.3, 133.5, 89.9, 119.8, 117.9),
    11: (1.0, 6.6, 30.9, 51.2, 75.2, 302.8, 99.6, 1.8, 132.7, 104.6, 85.5, 107.9),
    12: (3.3, 9.5, 77.9, 121.1, 64.9, 174.3, 99.3, 2.7, 180.8, 92.8, 62.1, 111.5),
    13: (2.6, 7.5, 73.6, 101.5, 53.7, 215.9, 125.7, 3.1, 173.0, 92.2, 50.3, 101.1),
    14: (0.5, 7.1, 25.3, 40.2, 94.9, 357.7, 87.1, 1.5, 109.4, 88.2, 101.9, 86.2),
    15: (0.8, 7.1, 24.7, 48.3, 76.3, 330.8, 74.3, 1.7, 135.5, 96.1, 103.9, 100.6),
    16: (1.4, 8.5, 28.3, 63.9, 74.1, 239.9, 110.3, 2.2, 153.3, 100.8, 97.5, 119.7),
    17: (0.5, 6.5, 21.8, 39.9, 105.4, 325.1, 71.2, 1.2, 123.9, 84.6, 117.8, 102.0),
    18: (3.7, 9.2, 76.0, 117.2, 68.1, 167.3, 109.3, 2.9, 193.0, 96.9, 51.8, 104.6),
    19: (1.3, 8.4, 33.6, 64.3, 62.1, 242.6, 106.8, 2.1, 163.9, 96.4, 92.8, 125.6),
    20: (1.0, 9.0, 59.0, 63.5, 63.5, 268.4, 82.1, 1.7, 184.1, 91.4, 79.0, 97.2),
    21: (0.5, 7.3, 25.3, 44.9, 93.2, 330.2, 59.2, 1.1, 130.3, 80.7, 117.4, 109.9),
}
# Category mix per year in percent (citywide), schema.CATEGORIES order: aggravated assault rose
# through the 2010s, vehicle theft jumped in 2020, fraud in 2022.
YEAR_CATEGORY_PCT: dict[int, tuple[float, ...]] = {
    2010: (0.1, 0.7, 5.2, 4.8, 8.4, 26.5, 8.2, 0.2, 16.2, 9.6, 8.2, 12.0),
    2011: (0.1, 0.7, 5.0, 4.8, 8.6, 26.6, 7.7, 0.2, 16.2, 9.5, 8.7, 11.8),
    2012: (0.1, 0.8, 4.4, 4.5, 8.1, 27.9, 7.5, 0.2, 16.3, 9.3, 9.3, 11.5),
    2013: (0.1, 0.8, 4.1, 4.5, 8.1, 28.9, 7.4, 0.2, 16.2, 9.4, 9.4, 10.9),
    2014: (0.1, 0.9, 4.1, 5.4, 7.7, 27.9, 7.1, 0.2, 16.7, 9.6, 9.2, 11.0),
    2015: (0.1, 1.0, 4.2, 6.7, 7.5, 28.4, 7.6, 0.2, 15.5, 9.3, 9.4, 10.1),
    2016: (0.1, 1.0, 4.6, 7.1, 7.0, 28.7, 8.3, 0.2, 14.9, 9.6, 8.7, 9.8),
    2017: (0.1, 1.0, 4.7, 7.3, 7.2, 28.5, 8.3, 0.2, 15.3, 9.4, 8.0, 10.0),
    2018: (0.1, 0.9, 4.5, 7.4, 7.0, 29.7, 7.6, 0.2, 15.8, 9.3, 7.2, 10.3),
    2019: (0.1, 0.8, 4.4, 7.9, 6.3, 30.2, 7.2, 0.2, 16.2, 9.4, 7.0, 10.3),
    2020: (0.2, 0.8, 4.0, 9.3, 6.9, 25.9, 10.8, 0.3, 15.5, 10.0, 6.3, 10.1),
    2021: (0.2, 0.8, 4.1, 9.6, 6.2, 26.1, 11.7, 0.3, 14.6, 9.5, 7.0, 9.9),
    2022: (0.2, 0.7, 3.9, 8.6, 6.4, 26.7, 11.1, 0.2, 14.0, 7.9, 11.0, 9.3),
}
# The 60 most frequent crime codes, 2010-2022 (98.3% of incidents), as shares of all incidents.
CODE_SHARE: dict[int, float] = {
    624: 0.08729, 510: 0.08292, 330: 0.07333, 310: 0.06763, 440: 0.06635, 354: 0.06171,
    740: 0.05408, 626: 0.05335, 230: 0.047, 420: 0.04134, 745: 0.03939, 210: 0.03839,
    341: 0.03438, 930: 0.02531, 442: 0.02179, 331: 0.01956, 888: 0.01085, 901: 0.00997,
    956: 0.00971, 761: 0.00921, 946: 0.00918, 649: 0.00909, 900: 0.00887, 236: 0.0088,
    480: 0.00737, 350: 0.0064, 220: 0.00559, 320: 0.0055, 860: 0.00518, 121: 0.00481,
    662: 0.00477, 627: 0.00425, 668: 0.00386, 812: 0.00377, 625: 0.00258, 343: 0.00257,
    664: 0.00248, 623: 0.00242, 237: 0.00219, 813: 0.00214, 903: 0.0021, 753: 0.00205,
    648: 0.00194, 810: 0.00188, 520: 0.00187, 886: 0.00171, 850: 0.00157, 110: 0.00142,
    437: 0.00141, 940: 0.0014, 815: 0.0014, 251: 0.00136, 928: 0.00126, 410: 0.0012,
    910: 0.00093, 820: 0.0009, 845: 0.00089, 231: 0.00089, 951: 0.00086, 763: 0.00083,
}  # fmt: skip
# Incidents per TIME OCC hour, per mille, all areas 2010-2023. Hour 12 holds the 1200 default.
HOUR_PERMILLE: tuple[float, ...] = (
    41.8, 28.9, 24.5, 19.3, 15.3, 14.0, 19.0, 25.5, 40.7, 37.3, 42.8, 41.4,
    76.8, 43.9, 48.2, 52.0, 51.8, 56.4, 59.5, 55.9, 56.9, 52.7, 50.8, 44.5,
)  # fmt: skip
# Relative daily volume by month (summer high, February low) and weekday (Monday first).
MONTH_FACTOR: tuple[float, ...] = (1.00, 0.92, 0.99, 0.97, 1.02, 1.01, 1.06, 1.06, 1.01, 1.04, 0.97, 0.97)  # fmt: skip
WEEKDAY_FACTOR: tuple[float, ...] = (1.00, 0.98, 0.99, 0.98, 1.07, 1.02, 0.96)

# Per category: reporting delay (share same day, share within days, mean of those days, median of
# the long tail in days), the share of TIME OCC defaults (1200, 0001) and of day-1 dates.
DELAY: dict[str, tuple[float, float, float, float]] = {
    "homicide": (0.85, 0.13, 2, 60), "rape": (0.25, 0.35, 5, 250),
    "robbery": (0.80, 0.17, 1.5, 120), "aggravated assault": (0.78, 0.19, 2, 150),
    "burglary": (0.40, 0.55, 2, 60), "larceny/theft": (0.32, 0.63, 3, 90),
    "motor-vehicle theft": (0.35, 0.63, 1.5, 60), "arson": (0.55, 0.43, 2, 30),
    "simple assault": (0.70, 0.26, 3, 150), "vandalism": (0.50, 0.46, 2, 60),
    "fraud/identity theft": (0.08, 0.52, 20, 150), "other": (0.55, 0.33, 5, 200),
}  # fmt: skip
SEX_CRIME_CODES = (121, 122, 810, 812, 813, 815, 820, 821, 860, 760)  # reported late, like rape
DEFAULT_TIME: dict[str, tuple[float, float, float]] = {
    "fraud/identity theft": (0.12, 0.10, 0.15), "other": (0.05, 0.01, 0.03),
    "rape": (0.06, 0.01, 0.04), "larceny/theft": (0.035, 0.004, 0.015),
    "burglary": (0.03, 0.004, 0.01), "vandalism": (0.02, 0.003, 0.01),
}  # fmt: skip
DEFAULT_TIME_OTHER = (0.012, 0.002, 0.004)

# Victims per category: share blank (no person: sex/descent blank, age 0), share sex X, share age
# 0 among male/female victims, share female, median age, spread of log age.
VICTIM: dict[str, tuple[float, float, float, float, float, float]] = {
    "homicide": (0.0, 0.0, 0.0, 0.15, 32, 0.40), "rape": (0.0, 0.0, 0.0, 0.92, 22, 0.50),
    "robbery": (0.0, 0.13, 0.01, 0.26, 34, 0.40),
    "aggravated assault": (0.0, 0.03, 0.01, 0.37, 35, 0.38),
    "burglary": (0.0, 0.25, 0.05, 0.35, 44, 0.35),
    "larceny/theft": (0.04, 0.26, 0.05, 0.38, 38, 0.38),
    "motor-vehicle theft": (0.96, 0.005, 0.3, 0.31, 45, 0.35),
    "arson": (0.0, 0.30, 0.02, 0.45, 48, 0.35),
    "simple assault": (0.0, 0.015, 0.01, 0.56, 34, 0.40),
    "vandalism": (0.0, 0.19, 0.05, 0.40, 40, 0.38),
    "fraud/identity theft": (0.015, 0.03, 0.02, 0.48, 40, 0.38),
    "other": (0.0, 0.13, 0.03, 0.58, 32, 0.50),
}  # fmt: skip
DESCENT_WEIGHTS: dict[str, float] = {
    "H": 45, "W": 22, "B": 15, "O": 9, "A": 3, "X": 3, "K": 1, "F": 0.5, "C": 0.4, "J": 0.2,
    "V": 0.2, "I": 0.1, "Z": 0.1, "P": 0.05, "U": 0.03, "G": 0.02, "S": 0.02, "D": 0.02, "L": 0.01,
}  # fmt: skip

# Premises, weapons (None = no weapon), status (IC, AO, AA, JA, JO) and MO code strings per
# category, from the real 2020 samples.
PREMISES: dict[str, dict[int, float]] = {
    "homicide": {101: 50, 103: 12, 109: 8, 203: 8, 501: 12, 502: 10},
    "rape": {501: 43, 502: 21, 101: 7, 102: 6, 109: 4, 503: 4, 505: 4, 203: 3},
    "robbery": {101: 30, 102: 25, 502: 5, 108: 5, 203: 5, 402: 4, 501: 4, 210: 3, 404: 3},
    "aggravated assault": {101: 26, 102: 18, 502: 18, 501: 13, 108: 6, 203: 3, 103: 2},
    "burglary": {501: 27, 502: 16, 203: 14, 221: 8, 707: 5, 210: 4, 120: 2, 405: 2},
    "larceny/theft": {101: 40, 108: 15, 104: 6, 501: 6, 502: 5, 123: 4, 707: 3, 404: 3, 402: 2},
    "motor-vehicle theft": {101: 76, 108: 14, 707: 3, 104: 3, 123: 2, 103: 1},
    "arson": {102: 23, 101: 18, 203: 14, 104: 9, 501: 9, 502: 6},
    "simple assault": {502: 21, 501: 20, 102: 14, 101: 13, 108: 4, 203: 4, 210: 2},
    "vandalism": {122: 36, 101: 12, 502: 9, 501: 9, 203: 5, 108: 5, 210: 2},
    "fraud/identity theft": {501: 47, 502: 25, 203: 6, 750: 5, 710: 2, 101: 2, 602: 2},
    "other": {501: 33, 502: 24, 101: 11, 203: 4, 102: 4, 726: 3, 108: 2},
}
WEAPONS: dict[str, dict[int | None, float]] = {
    "homicide": {102: 45, 109: 15, 106: 10, 207: 10, 400: 8, 302: 6, 500: 6},
    "rape": {400: 93, 500: 4, 200: 1, 204: 1, 207: 1},
    "robbery": {400: 47, 102: 12, 500: 7, 200: 5, 109: 5, 511: 4, 106: 3, 207: 3, 113: 2},
    "aggravated assault": {
        400: 20,
        500: 14,
        102: 11,
        207: 7,
        200: 6,
        106: 5,
        109: 5,
        307: 4,
        302: 3,
        306: 3,
        212: 2,
    },  # noqa: E501
    "burglary": {None: 93, 500: 4, 400: 1},
    "larceny/theft": {None: 97.7, 400: 1, 500: 1},
    "motor-vehicle theft": {None: 99.9, 500: 0.1},
    "arson": {None: 64, 506: 27, 500: 5},
    "simple assault": {400: 88, 500: 10, 301: 0.5, 308: 0.5, 306: 0.5},
    "vandalism": {None: 92, 500: 3, 400: 2, 306: 1},
    "fraud/identity theft": {None: 99.9, 511: 0.1},
    "other": {None: 62, 511: 21, 400: 10, 500: 3, 102: 1.5, 106: 1},
}
STATUS_CODES = ("IC", "AO", "AA", "JA", "JO")
STATUS_WEIGHTS: dict[str, tuple[float, ...]] = {
    "homicide": (50, 15, 33, 2, 0), "rape": (61, 28, 6, 3, 2), "robbery": (72, 10, 15, 2.5, 0.5),
    "aggravated assault": (56.5, 17, 26, 0.4, 0.1), "burglary": (86, 4, 10, 0.2, 0),
    "larceny/theft": (95.9, 2.2, 1.8, 0.1, 0.05), "motor-vehicle theft": (92.6, 3.5, 3.6, 0.3, 0),
    "arson": (90, 5, 5, 0, 0), "simple assault": (62.8, 26, 10.6, 0.3, 0.3),
    "vandalism": (86.4, 6.7, 6.5, 0.4, 0.1), "fraud/identity theft": (97.4, 1.6, 1, 0, 0),
    "other": (64, 21, 14, 0.6, 0.2),
}  # fmt: skip
MOCODES: dict[str, dict[str | None, float]] = {
    "motor-vehicle theft": {None: 90, "1300": 5, "0329": 3, "1822": 2},
    "larceny/theft": {"0344": 40, "0344 1822": 15, "1300 0344": 15, "0385 0344": 12, "1606 0344": 8, None: 10},  # noqa: E501
    "burglary": {"0344 1822 1607": 30, "0344 1609": 20, "0321 0344": 15, "0344": 25, None: 10},
    "vandalism": {"0329": 60, "0329 1300": 20, "0329 1822": 15, None: 5},
    "simple assault": {"0416": 35, "0416 0913 2000": 25, "0400 1822": 20, "0444 0913": 15, None: 5},
    "aggravated assault": {"0416 1822": 35, "0334 0416": 25, "0913 2000 0416": 20, "0400": 15, None: 5},  # noqa: E501
    "fraud/identity theft": {"0100 1822": 40, "0930 0929": 25, "0928 1822": 20, "1202": 10, None: 5},  # noqa: E501
    "robbery": {"0344 0416 1822": 40, "0334 0344": 30, "0342 1309": 25, None: 5},
    "rape": {"0913 0527": 50, "0500 1402": 30, "1822 0522": 20},
}  # fmt: skip
MOCODES_OTHER: dict[str | None, float] = {"0913": 30, "1822": 25, "1501 2038": 20, None: 25}

# Locations: per area, the spread (degrees) of a broad component around the division's
# representative point, and six tight clusters (lat, lon, spread) at seeded random interior points
# of LAPD_Divisions.geojson, each spread half its distance to the division boundary.
AREA_CLUSTERS: dict[int, tuple[float, tuple[tuple[float, float, float], ...]]] = {
    1: (0.005, ((34.0548, -118.2422, 0.0047), (34.0589, -118.2343, 0.0035), (34.0443, -118.2396, 0.0032), (34.0454, -118.2595, 0.0027), (34.0406, -118.2383, 0.0022), (34.0627, -118.2329, 0.0028))),
    2: (0.0053, ((34.0648, -118.2666, 0.0058), (34.0792, -118.2778, 0.0026), (34.0593, -118.2708, 0.0054), (34.0686, -118.2607, 0.0040), (34.0847, -118.2892, 0.0028), (34.0575, -118.2645, 0.0032))),
    3: (0.008, ((34.0165, -118.3272, 0.0054), (34.0240, -118.3180, 0.0057), (34.0176, -118.3095, 0.0063), (34.0036, -118.3218, 0.0021), (34.0182, -118.3297, 0.0053), (34.0120, -118.2982, 0.0038))),
    4: (0.009, ((34.0628, -118.1958, 0.0018), (34.0508, -118.2010, 0.0039), (34.0475, -118.2040, 0.0052), (34.0872, -118.1880, 0.0069), (34.0942, -118.1745, 0.0020), (34.0699, -118.2105, 0.0063))),
    5: (0.0128, ((33.7879, -118.2672, 0.0050), (33.7213, -118.2676, 0.0074), (33.7696, -118.2833, 0.0094), (33.7186, -118.2536, 0.0046), (33.7485, -118.2875, 0.0048), (33.7558, -118.2540, 0.0023))),
    6: (0.0083, ((34.1094, -118.3491, 0.0041), (34.1190, -118.3226, 0.0061), (34.1003, -118.3325, 0.0056), (34.1154, -118.3322, 0.0046), (34.1084, -118.3210, 0.0053), (34.1166, -118.3141, 0.0022))),
    7: (0.0078, ((34.0610, -118.3462, 0.0106), (34.0546, -118.3428, 0.0086), (34.0738, -118.3642, 0.0040), (34.0541, -118.3706, 0.0025), (34.0411, -118.3416, 0.0029), (34.0703, -118.3545, 0.0076))),
    8: (0.0183, ((34.0793, -118.5099, 0.0148), (34.0858, -118.5020, 0.0164), (34.1208, -118.5367, 0.0039), (34.0837, -118.5519, 0.0106), (34.0916, -118.5617, 0.0104), (34.0925, -118.5692, 0.0073))),
    9: (0.0095, ((34.1717, -118.4408, 0.0121), (34.1907, -118.4463, 0.0092), (34.1671, -118.4236, 0.0045), (34.1867, -118.4306, 0.0049), (34.1852, -118.4507, 0.0088), (34.1892, -118.4349, 0.0059))),
    10: (0.0132, ((34.1737, -118.5149, 0.0194), (34.1581, -118.5178, 0.0129), (34.2142, -118.5258, 0.0030), (34.1401, -118.5511, 0.0053), (34.1448, -118.5431, 0.0064), (34.1723, -118.5087, 0.0169))),
    11: (0.0123, ((34.1146, -118.2406, 0.0051), (34.1429, -118.1972, 0.0028), (34.1204, -118.2295, 0.0039), (34.1149, -118.2980, 0.0043), (34.1156, -118.2664, 0.0048), (34.1378, -118.1937, 0.0035))),
    12: (0.0076, ((33.9711, -118.2947, 0.0052), (33.9705, -118.2698, 0.0019), (33.9892, -118.2913, 0.0049), (33.9863, -118.2935, 0.0059), (33.9859, -118.3245, 0.0041), (33.9794, -118.2893, 0.0038))),
    13: (0.0071, ((34.0073, -118.2603, 0.0083), (34.0152, -118.2576, 0.0068), (34.0177, -118.2681, 0.0047), (33.9917, -118.2633, 0.0033), (34.0210, -118.2282, 0.0019), (33.9961, -118.2639, 0.0046))),
    14: (0.0115, ((33.9740, -118.4021, 0.0042), (33.9561, -118.4464, 0.0021), (33.9706, -118.4313, 0.0020), (33.9370, -118.3801, 0.0028), (33.9995, -118.4568, 0.0040), (33.9776, -118.3999, 0.0023))),
    15: (0.0108, ((34.1681, -118.3846, 0.0105), (34.1439, -118.3835, 0.0074), (34.1440, -118.3833, 0.0074), (34.1903, -118.4027, 0.0053), (34.1517, -118.3803, 0.0096), (34.1325, -118.4014, 0.0024))),
    16: (0.0155, ((34.2545, -118.3446, 0.0115), (34.2594, -118.3420, 0.0099), (34.2610, -118.3716, 0.0090), (34.2816, -118.3042, 0.0020), (34.2660, -118.3928, 0.0092), (34.2406, -118.2832, 0.0075))),
    17: (0.0158, ((34.2773, -118.5320, 0.0106), (34.2717, -118.5517, 0.0113), (34.2682, -118.5773, 0.0083), (34.2640, -118.5169, 0.0192), (34.2654, -118.5494, 0.0143), (34.2880, -118.5383, 0.0050))),
    18: (0.0069, ((33.9172, -118.2869, 0.0021), (33.9430, -118.2677, 0.0064), (33.9437, -118.2862, 0.0025), (33.9417, -118.2797, 0.0054), (33.9348, -118.2595, 0.0035), (33.9345, -118.2741, 0.0051))),
    19: (0.0114, ((34.2723, -118.4547, 0.0038), (34.2326, -118.4687, 0.0020), (34.3256, -118.4459, 0.0020), (34.2439, -118.4295, 0.0025), (34.2229, -118.4353, 0.0057), (34.2416, -118.4519, 0.0096))),
    20: (0.0057, ((34.0601, -118.3014, 0.0074), (34.0543, -118.2922, 0.0036), (34.0613, -118.3085, 0.0043), (34.0420, -118.2989, 0.0023), (34.0720, -118.2961, 0.0020), (34.0554, -118.3077, 0.0046))),
    21: (0.013, ((34.1867, -118.6152, 0.0166), (34.2189, -118.5934, 0.0029), (34.2284, -118.6256, 0.0047), (34.1697, -118.6147, 0.0093), (34.1885, -118.6527, 0.0022), (34.1589, -118.6119, 0.0046))),
}  # fmt: skip
CLUSTER_WEIGHTS = (0.19, 0.15, 0.12, 0.11, 0.09, 0.09, 0.25)  # six clusters, then broad
STREETS: tuple[str, ...] = (
    "FIGUEROA ST", "BROADWAY", "VERMONT AV", "WESTERN AV", "SUNSET BL", "HOLLYWOOD BL",
    "WILSHIRE BL", "PICO BL", "OLYMPIC BL", "VENICE BL", "SEPULVEDA BL", "VAN NUYS BL",
    "SHERMAN WY", "VICTORY BL", "VENTURA BL", "ROSCOE BL", "RESEDA BL", "LANKERSHIM BL",
    "CRENSHAW BL", "MANCHESTER AV", "FLORENCE AV", "SLAUSON AV", "CENTRAL AV", "ALAMEDA ST",
    "MAIN ST", "SPRING ST", "HILL ST", "6TH ST", "7TH ST", "39TH PL", "GAFFEY ST", "PACIFIC AV",
    "LINCOLN BL", "SANTA MONICA BL", "LA BREA AV", "FAIRFAX AV", "NORMANDIE AV", "HOOVER ST",
    "CESAR E CHAVEZ AV", "FIRST ST", "EAGLE ROCK BL", "FIGUEROA TR", "TAMPA AV", "DEVONSHIRE ST",
    "NORDHOFF ST", "SAN FERNANDO RD", "FOOTHILL BL", "LAUREL CANYON BL", "TOPANGA CANYON BL",
)  # fmt: skip
CROSS_STREET_SHARE = 0.18
CRM_CD_2_SHARE = 0.06  # a second crime code, nearly always 998 (CRIME) in the real data

CALIBRATION: dict[str, object] = {
    "yearly_totals": YEARLY_TOTALS,
    "area_share": AREA_SHARE,
    "area_year_permille": AREA_YEAR_PERMILLE,
    "category_share": CATEGORY_SHARE,
    "area_category_permille": AREA_CATEGORY_PERMILLE,
    "year_category_pct": YEAR_CATEGORY_PCT,
    "code_share": CODE_SHARE,
    "hour_permille": HOUR_PERMILLE,
    "month_factor": MONTH_FACTOR,
    "weekday_factor": WEEKDAY_FACTOR,
    "zero_coord_share": ZERO_COORD_SHARE,
    "nibrs_keep": NIBRS_KEEP,
}


def is_simulated_id(dr_no) -> bool:
    """True for a DR_NO in the simulator's reserved range (9 digits, 3rd digit 9)."""
    s = str(dr_no).strip()
    return len(s) == 9 and s.isdigit() and s[2] == str(SIM_ID_DIGIT)


# --- Sampling helpers ----------------------------------------------------------------------------
def _norm(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """n draws of indices 0..len(p)-1 with probabilities p (inverse CDF, vectorised)."""
    cum = np.cumsum(p)
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(p) - 1)


def _choice_by_group(rng, group: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """For each row, one index drawn from probs[group[row]] (loops over groups, not rows)."""
    out = np.zeros(len(group), dtype=np.int64)
    order = np.argsort(group.astype(np.uint16), kind="stable")  # a radix sort for small ints
    bounds = np.searchsorted(group[order], np.arange(len(probs) + 1))
    u = rng.random(len(group))
    for g in range(len(probs)):
        idx = order[bounds[g] : bounds[g + 1]]
        if len(idx):
            cum = np.cumsum(probs[g])
            out[idx] = np.minimum(
                np.searchsorted(cum, u[idx] * cum[-1], side="right"), len(cum) - 1
            )
    return out


def _table(spec: dict[str, dict], keys: list | None = None) -> tuple[list, np.ndarray]:
    """A per-category weights dict -> (values, matrix categories x values)."""
    keys = keys or list(dict.fromkeys(k for d in spec.values() for k in d))
    mat = np.array([[spec.get(c, {}).get(k, 0.0) for k in keys] for c in CATEGORIES], float)
    return keys, mat / mat.sum(1, keepdims=True)


def _parse_date(value, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise ConfigError(
            f"--{name} {value!r} is not a date", hint=f"give --{name} as YYYY-MM-DD"
        ) from exc


def check_args(rows, start, end) -> tuple[dt.date, dt.date]:
    if not isinstance(rows, int | np.integer) or rows <= 0:
        raise ConfigError(
            f"--rows must be a positive number, got {rows!r}", hint="e.g. --rows 100000"
        )
    d0, d1 = _parse_date(start, "start"), _parse_date(end or DEFAULT_END, "end")
    if d1 < d0:
        raise ConfigError(
            f"--end {d1} is before --start {d0}", hint="give an end date on or after the start"
        )
    if d1 > dt.date.today():
        raise ConfigError(
            f"--end {d1} is in the future; ingest would quarantine reports dated after today",
            hint=f"use an end date up to {dt.date.today()}",
        )
    if d0.year < 1950:
        raise ConfigError(f"--start {d0} is too early", hint="use a start from 1950 on")
    return d0, d1


# --- The incidents' core: when, where, what, and when reported ---------------------------------
_CAT_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
_AREAS = np.array(sorted(AREA_SHARE), dtype=np.int64)
_AREA_CAT = np.array([_norm(AREA_CATEGORY_PERMILLE[a]) for a in _AREAS])
_CAT_OVERALL = _norm([CATEGORY_SHARE[c] for c in CATEGORIES])
_CODES_BY_CAT = [[c for c in CODE_SHARE if schema.crime_category(c) == cat] for cat in CATEGORIES]
_EPOCH = dt.date(1970, 1, 1)


def _daily_weights(d0: dt.date, d1: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Epoch day numbers from d0 to d1 and each day's expected relative volume."""
    days = pd.date_range(d0, d1, freq="D")
    years = np.clip(days.year.to_numpy(), min(YEARLY_TOTALS), max(YEARLY_TOTALS))
    level = np.array([YEARLY_TOTALS[y] for y in years], float) / 365.25
    w = level * np.take(MONTH_FACTOR, days.month - 1) * np.take(WEEKDAY_FACTOR, days.weekday)
    epoch_days = (days - pd.Timestamp(_EPOCH)).days.to_numpy().astype(np.int64)
    return epoch_days, w


def _year_category_probs(year: int) -> np.ndarray:
    """P(category | area, year) for every area: area mix times the year's tilt."""
    y = min(max(year, min(YEAR_CATEGORY_PCT)), max(YEAR_CATEGORY_PCT))
    tilt = _norm(YEAR_CATEGORY_PCT[y]) / _CAT_OVERALL
    p = _AREA_CAT * tilt
    return p / p.sum(1, keepdims=True)


def _delays(rng, cat: np.ndarray, code: np.ndarray) -> np.ndarray:
    """Days from occurrence to report: same day, a few days, or a long (lognormal) tail."""
    params = np.array([DELAY[c] for c in CATEGORIES], float)
    group = np.where(np.isin(code, SEX_CRIME_CODES), _CAT_INDEX["rape"], cat)
    p0, p1, mean1, tail_median = params[group].T
    u = rng.random(len(cat))
    short = 1 + rng.geometric(1.0 / np.maximum(mean1, 1.0001), len(cat)) - 1
    tail = 7 + np.exp(np.log(tail_median) + 1.1 * rng.standard_normal(len(cat)))
    delay = np.where(u < p0, 0, np.where(u < p0 + p1, short, np.minimum(tail, 365 * 12)))
    return delay.astype(np.int64)


def _core(rng, n: int, day_nums, day_w, d1_num: int, nibrs_break: bool) -> dict:
    """One batch of candidate incidents, keeping those reported by the end date (a snapshot)."""
    occ = day_nums[_choice(rng, day_w, n)]
    years = occ.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    y0, y1 = min(AREA_YEAR_PERMILLE), max(AREA_YEAR_PERMILLE)
    area_p = np.array([_norm(AREA_YEAR_PERMILLE[y]) for y in range(y0, y1 + 1)])
    area_i = _choice_by_group(rng, np.clip(years, y0, y1) - y0, area_p)
    cat = np.zeros(n, dtype=np.int64)
    for y in np.unique(years):
        m = years == y
        cat[m] = _choice_by_group(rng, area_i[m], _year_category_probs(int(y)))
    code_p = [np.array([CODE_SHARE[c] for c in cs]) for cs in _CODES_BY_CAT]
    within = _choice_by_group(rng, cat, code_p)
    code_lut = np.zeros((len(CATEGORIES), max(map(len, _CODES_BY_CAT))), np.int64)
    for i, cs in enumerate(_CODES_BY_CAT):
        code_lut[i, : len(cs)] = cs
    code = code_lut[cat, within]
    # Defaults LAPD uses when the date is unknown: the 1st of the month (mostly fraud).
    day1 = np.array([DEFAULT_TIME.get(c, DEFAULT_TIME_OTHER)[2] for c in CATEGORIES])[cat]
    to_first = rng.random(n) < day1
    month_start = occ.astype("datetime64[D]").astype("datetime64[M]").astype("datetime64[D]")
    occ = np.where(to_first, np.maximum(month_start.astype(np.int64), day_nums[0]), occ)
    rptd = occ + _delays(rng, cat, code)
    keep = rptd <= d1_num
    if nibrs_break:
        switch = (np.datetime64(schema.NIBRS_SWITCH) - np.datetime64("1970-01-01")).astype(int)
        keep &= (rptd < switch) | (rng.random(n) < NIBRS_KEEP)
    return {"occ": occ[keep], "rptd": rptd[keep], "area_i": area_i[keep], "cat": cat[keep],
            "code": code[keep]}  # fmt: skip


def _core_rows(rng, rows: int, d0: dt.date, d1: dt.date, nibrs_break: bool) -> dict:
    """Exactly `rows` incidents reported by d1 (batches until enough survive the snapshot)."""
    day_nums, day_w = _daily_weights(d0, d1)
    d1_num = (d1 - _EPOCH).days
    parts, have, rate = [], 0, 0.9
    for _ in range(60):
        need = rows - have
        batch = _core(rng, int(need / max(rate, 0.02) * 1.03) + 64, day_nums, day_w, d1_num,
                      nibrs_break)  # fmt: skip
        got = len(batch["occ"])
        rate = max(got / (int(need / max(rate, 0.02) * 1.03) + 64), 0.001)
        parts.append(batch)
        have += got
        if have >= rows:
            break
    else:
        raise ConfigError(
            f"could not place {rows:,} reports between {d0} and {d1}",
            hint="widen the date range (most reports of the last days arrive after --end)",
        )
    return {k: np.concatenate([p[k] for p in parts])[:rows] for k in parts[0]}


# --- Attributes ----------------------------------------------------------------------------------
def _lookup(values: list, idx: np.ndarray) -> pa.Array:
    """Strings by index into a small list (None entries become nulls, i.e. blank CSV fields), kept
    dictionary-encoded: DuckDB writes the values, and decoding 1M rows would cost seconds."""
    vals = np.array(["" if v is None else str(v) for v in values], dtype=object)
    isnull = np.array([v is None for v in values])
    arr = pa.DictionaryArray.from_arrays(
        pa.array(idx.astype(np.int32), mask=isnull[idx] if isnull.any() else None),
        pa.array(vals, pa.string()),
    )
    return arr


def _times(rng, cat: np.ndarray) -> np.ndarray:
    """Minutes after midnight: the hourly profile, round-minute heaping, and default times."""
    n = len(cat)
    base = np.array(HOUR_PERMILLE, float)
    base[12] = (base[11] + base[13]) / 2  # the excess at noon comes from the 1200 default below
    hour = _choice(rng, _norm(base), n)
    heap = _choice(rng, _norm([0.30, 0.12, 0.04, 0.04, 0.50]), n)
    minute = np.choose(heap, [0, 30, 15, 45, 0]) + np.where(heap == 4, rng.integers(0, 60, n), 0)
    defaults = np.array([DEFAULT_TIME.get(c, DEFAULT_TIME_OTHER)[:2] for c in CATEGORIES])[cat]
    u = rng.random(n)
    t = hour * 60 + minute
    t = np.where(u < defaults[:, 0], 12 * 60, t)
    return np.where((u >= defaults[:, 0]) & (u < defaults.sum(1)), 1, t)


def _victims(rng, cat: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Victim age, sex index into (M, F, X, blank) and descent index (last = blank)."""
    n = len(cat)
    p_blank, p_x, p_age0, p_female, median, spread = np.array(
        [VICTIM[c] for c in CATEGORIES], float
    )[cat].T
    u = rng.random(n)
    sex = np.where(u < p_blank, 3, np.where(u < p_blank + p_x, 2, 0))
    sex = np.where((sex == 0) & (rng.random(n) < p_female), 1, sex)
    age = np.clip(np.rint(median * np.exp(spread * rng.standard_normal(n))), 2, 99).astype(int)
    zero = (sex == 3) | ((sex == 2) & (rng.random(n) < 0.9)) | (rng.random(n) < p_age0)
    age = np.where(zero, 0, age)
    age = np.where(rng.random(n) < 0.0005, -1, age)  # the real data's negative placeholder ages
    descents = list(DESCENT_WEIGHTS)
    desc = _choice(rng, _norm(list(DESCENT_WEIGHTS.values())), n)
    x = descents.index("X")
    desc = np.where((sex == 2) & (rng.random(n) < 0.85), x, desc)
    desc = np.where(sex == 3, len(descents), desc)
    return age, sex, desc


def _places(rng, area_i: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """LAT, LON clustered inside each division, and a reporting district that follows them."""
    n = len(area_i)
    clusters = _choice(rng, _norm(CLUSTER_WEIGHTS), n)
    pts = np.array([AREA_CLUSTERS[a][1] for a in _AREAS])  # area x cluster x (lat, lon, spread)
    broad = np.array([AREA_CLUSTERS[a][0] for a in _AREAS])
    tight = clusters < pts.shape[1]
    k = np.where(tight, clusters, 0)  # the broad component is centred on the first point
    spread = np.where(tight, pts[area_i, k, 2], broad[area_i])
    z = np.clip(rng.standard_normal((n, 2)), -2.5, 2.5)
    lat = pts[area_i, k, 0] + spread * z[:, 0]
    lon = pts[area_i, k, 1] + spread * z[:, 1] / np.cos(np.radians(34.05))
    bb = schema.LA_BBOX
    lat = np.round(np.clip(lat, bb["lat_min"] + 0.005, bb["lat_max"] - 0.005), 4)
    lon = np.round(np.clip(lon, bb["lon_min"] + 0.005, bb["lon_max"] - 0.005), 4)
    zero = rng.random(n) < ZERO_COORD_SHARE
    lat, lon = np.where(zero, 0.0, lat), np.where(zero, 0.0, lon)
    # Reporting districts: 8 per cluster, by the quadrant and distance from the cluster centre.
    cell = (z[:, 0] > 0) * 1 + (z[:, 1] > 0) * 2 + (np.hypot(z[:, 0], z[:, 1]) > 1.2) * 4
    rd = _AREAS[area_i] * 100 + clusters * 8 + 1 + cell
    return lat, lon, rd


def _date_strings(day_nums: np.ndarray) -> pa.Array:
    """Epoch days -> '03/01/2020 12:00:00 AM' (formatted once per distinct day)."""
    lo = int(day_nums.min())
    span = pd.to_datetime(np.arange(lo, int(day_nums.max()) + 1), unit="D")
    labels = list(span.strftime("%m/%d/%Y 12:00:00 AM"))
    return _lookup(labels, day_nums - lo)


def _int_strings(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width=width, padding="0")


def simulate_table(
    rows: int, seed: int = 42, start=DEFAULT_START, end=None, nibrs_break: bool = False
) -> pa.Table:
    """The simulated export as an Arrow table (columns `EXPORT_COLUMNS`, sorted by DR_NO)."""
    d0, d1 = check_args(rows, start, end)
    rng = np.random.default_rng(seed)
    core = _core_rows(rng, int(rows), d0, d1, nibrs_break)
    # The portal numbers reports in report order within each report year.
    order = np.lexsort((core["area_i"], core["occ"], core["rptd"]))
    core = {k: v[order] for k, v in core.items()}
    occ, rptd, area_i, cat, code = (core[k] for k in ("occ", "rptd", "area_i", "cat", "code"))
    n = len(occ)
    ryear = rptd.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970
    first = np.r_[0, np.flatnonzero(np.diff(ryear)) + 1]
    sizes = np.diff(np.r_[first, n])
    if sizes.max() > 999_999:
        raise ConfigError(
            f"{rows:,} rows put more than 999,999 reports in one year, beyond the simulated id "
            "range (YY9NNNNNN)",
            hint="spread the rows over more years (--start/--end) or ask for fewer rows",
        )
    # Sequence numbers: a sorted random subset of 1..999,999 per report year, so ids rise with the
    # report date (as LAPD's do) and files of different seeds rarely share an id.
    seq = np.concatenate([np.sort(rng.choice(999_999, size=k, replace=False)) + 1 for k in sizes])
    dr = (ryear % 100) * 10_000_000 + SIM_ID_DIGIT * 1_000_000 + seq

    minutes = _times(rng, cat)
    age, sex, desc = _victims(rng, cat)
    prem_keys, prem_p = _table(PREMISES)
    premise = np.array(prem_keys)[_choice_by_group(rng, cat, prem_p)]
    weap_keys, weap_p = _table(WEAPONS)
    weapon_i = _choice_by_group(rng, cat, weap_p)
    status_p = np.array([_norm(STATUS_WEIGHTS[c]) for c in CATEGORIES])
    status_i = _choice_by_group(rng, cat, status_p)
    mo_spec = {c: MOCODES.get(c, MOCODES_OTHER) for c in CATEGORIES}
    mo_keys, mo_p = _table(mo_spec)
    mo_i = _choice_by_group(rng, cat, mo_p)
    lat, lon, rd = _places(rng, area_i)
    blocks = rng.integers(1, 200, n) * 100
    dirs = rng.integers(0, 5, n)
    street = rng.integers(0, len(STREETS), n)
    cross = np.where(rng.random(n) < CROSS_STREET_SHARE, rng.integers(0, len(STREETS), n), -1)
    crm2 = rng.random(n) < CRM_CD_2_SHARE

    loc_labels = [
        f"{b} {d} {s}".replace("  ", " ") if d else f"{b} {s}"
        for b in range(0, 20_000, 100)
        for d in ("", "N", "S", "E", "W")
        for s in STREETS
    ]
    loc_idx = ((blocks // 100) * 5 + dirs) * len(STREETS) + street
    weapon_codes = np.array([-1 if k is None else k for k in weap_keys])[weapon_i]
    has_weapon = weapon_codes >= 0
    crime_desc = {c: d for c, (d, _) in codes.CRIME_CODES.items()}
    code_list = sorted(set(CODE_SHARE))
    code_idx = np.searchsorted(code_list, code)
    area_codes = [f"{a:02d}" for a in _AREAS]
    sexes = ["M", "F", "X", None]
    descents = [*DESCENT_WEIGHTS, None]
    prem_list = sorted(set(prem_keys))
    weap_list = sorted(k for k in weap_keys if k is not None)
    time_labels = [f"{m // 60:02d}{m % 60:02d}" for m in range(1440)]
    cols = {
        "DR_NO": _int_strings(dr, 9),
        "Date Rptd": _date_strings(rptd),
        "DATE OCC": _date_strings(occ),
        "TIME OCC": _lookup(time_labels, minutes),
        "AREA": _lookup(area_codes, area_i),
        "AREA NAME": _lookup([schema.AREAS[a] for a in _AREAS], area_i),
        "Rpt Dist No": _int_strings(rd, 4),
        "Part 1-2": pa.array(np.array([codes.CRIME_CODES[c][1] for c in code_list])[code_idx]),
        "Crm Cd": pa.array(code),
        "Crm Cd Desc": _lookup([crime_desc[c] for c in code_list], code_idx),
        "Mocodes": _lookup(mo_keys, mo_i),
        "Vict Age": pa.array(age),
        "Vict Sex": _lookup(sexes, sex),
        "Vict Descent": _lookup(descents, desc),
        "Premis Cd": pa.array(premise),
        "Premis Desc": _lookup(
            [codes.PREMISES[p] for p in prem_list], np.searchsorted(prem_list, premise)
        ),
        "Weapon Used Cd": pa.array(weapon_codes, mask=~has_weapon),
        "Weapon Desc": _lookup(
            [codes.WEAPONS[w] for w in weap_list] + [None],
            np.where(has_weapon, np.searchsorted(weap_list, weapon_codes), len(weap_list)),
        ),
        "Status": _lookup(list(STATUS_CODES), status_i),
        "Status Desc": _lookup([schema.STATUS[s] for s in STATUS_CODES], status_i),
        "Crm Cd 1": pa.array(code),
        "Crm Cd 2": pa.array(np.full(n, 998), mask=~crm2),
        "Crm Cd 3": pa.nulls(n, pa.int64()),
        "Crm Cd 4": pa.nulls(n, pa.int64()),
        "LOCATION": _lookup(loc_labels, loc_idx),
        "Cross Street": _lookup([*STREETS, None], np.where(cross < 0, len(STREETS), cross)),
        "LAT": pa.array(lat),
        "LON": pa.array(lon),
    }
    return pa.table(cols)


_PANDAS_TYPES = {pa.string(): pd.StringDtype("pyarrow"), pa.int64(): pd.Int64Dtype()}


def simulate(
    rows: int, seed: int = 42, start=DEFAULT_START, end=None, nibrs_break: bool = False
) -> pd.DataFrame:
    """A simulated LAPD export (2020+ layout) as a frame: text as strings, codes as integers
    (nullable where the export has blanks), LAT/LON as floats."""
    table = simulate_table(rows, seed=seed, start=start, end=end, nibrs_break=nibrs_break)
    plain = [
        col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col for col in table.columns
    ]
    return pa.table(plain, names=table.column_names).to_pandas(types_mapper=_PANDAS_TYPES.get)


def default_name(rows: int, seed: int) -> str:
    """File name that `crimecast ingest` recognises as simulated."""
    return f"lapd-{rows}-seed{seed}.simulated.csv"


def check_writable(path: str | Path) -> Path:
    """Fail early, before minutes of work, when the output file cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise InputFileError(f"{path} is a directory", hint="give a file name for --out")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputFileError(
            f"cannot write {path}: {parent} is not a writable directory",
            hint="choose a directory you can write to for --out",
        )
    return path


def write_csv(data: pd.DataFrame | pa.Table, path: str | Path) -> Path:
    """Write the export CSV (header as the portal's, blanks for missing values)."""
    path = Path(path)
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    missing = [c for c in EXPORT_COLUMNS if c not in table.column_names]
    if missing:
        raise InputFileError(f"cannot write {path}: columns missing: {', '.join(missing)}")
    table = table.select(list(EXPORT_COLUMNS))
    check_writable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        # DuckDB quotes only the fields that need it, as the portal's export does.
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            con.register("_sim", table)
            target = str(tmp).replace("'", "''")
            con.execute(f"COPY _sim TO '{target}' (FORMAT CSV, HEADER)").fetchall()
        finally:
            con.close()
        tmp.replace(path)
    except (OSError, duckdb.IOException) as exc:
        raise InputFileError(
            f"cannot write {path}: {getattr(exc, 'strerror', None) or str(exc).splitlines()[0]}",
            hint="choose a directory you can write to for --out",
        ) from exc
    return path


def is_simulated_file(path: str | Path) -> bool:
    """Cheap check for a simulator file: its name (`*.simulated.*`), or the first data rows'
    DR_NO all in the reserved range (a renamed file). Never raises."""
    path = Path(path)
    if ".simulated." in path.name.lower():
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(65536).decode("utf-8", errors="replace").lstrip("\ufeff")
    except OSError:
        return False
    lines = [ln for ln in head.splitlines()[:6] if ln.strip()]
    if len(lines) < 2 or "DR_NO" not in lines[0].split(",")[:1]:
        return False
    return all(is_simulated_id(ln.split(",", 1)[0].strip('"')) for ln in lines[1:])
