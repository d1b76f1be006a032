"""Calibration of the simulator: real LAPD figures, computed once and pasted here as constants.

Sources (in `../shared/data`, read only when these figures were computed, never at run time):
ABC7's yearly area x crime-code rollups of the portal's two datasets (2010-2019, 2020-2022), the
yearly area x hour table, the LAPD division polygons (`LAPD_Divisions.geojson`), and the real 2020
incident samples (premises, weapons, victims, status, MO codes, delays). `simulate.py` draws from
these; tests check its output against them.
"""

from __future__ import annotations

from crimecast import schema

NIBRS_KEEP = 0.15  # share of reports after 2024-03-07 the legacy feed kept (--nibrs-break)
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
# How each category's hours differ from the citywide profile (ratio per hour 0-23), from 27k real
# 2020 and Dec 2023 incidents without a default time, shrunk toward 1 (a prior of 200 incidents):
# burglary before dawn, fraud in office hours, vehicle theft in the evening, rape at night.
HOUR_TILT: dict[str, tuple[float, ...]] = {
    "homicide": (1.30, 1.20, 0.89, 1.08, 0.89, 1.33, 0.89, 1.40, 1.01, 0.89, 0.89, 0.89, 0.89, 1.06, 0.97, 0.97, 0.89, 0.96, 0.89, 1.03, 0.96, 0.89, 1.15, 1.19),
    "rape": (1.57, 1.50, 2.45, 1.69, 1.89, 0.89, 1.22, 1.00, 0.78, 0.77, 0.79, 0.68, 0.68, 0.76, 0.75, 0.88, 0.88, 0.75, 0.85, 0.96, 1.03, 0.86, 1.06, 1.44),
    "robbery": (1.41, 1.11, 1.19, 1.16, 1.62, 1.38, 0.91, 0.62, 0.57, 0.81, 0.97, 1.03, 1.14, 0.84, 1.14, 0.88, 1.06, 0.92, 0.96, 1.03, 0.92, 0.85, 0.97, 1.38),
    "aggravated assault": (1.93, 1.20, 1.34, 1.07, 1.06, 0.81, 0.68, 0.83, 0.77, 0.87, 1.10, 1.00, 1.11, 0.96, 1.00, 1.06, 0.93, 0.75, 0.76, 0.96, 1.08, 0.97, 1.18, 1.16),
    "burglary": (0.88, 1.23, 1.55, 1.82, 2.25, 1.95, 1.26, 0.98, 0.90, 0.80, 0.78, 0.76, 0.49, 0.77, 0.86, 0.97, 1.12, 1.21, 1.22, 1.02, 0.78, 0.84, 0.56, 0.80),
    "larceny/theft": (0.59, 0.88, 0.86, 0.98, 0.85, 0.83, 0.87, 0.87, 0.88, 0.93, 0.99, 0.93, 1.05, 1.00, 1.04, 1.05, 1.07, 1.10, 1.21, 1.07, 1.03, 1.04, 1.03, 0.98),
    "motor-vehicle theft": (0.94, 1.04, 1.17, 1.01, 1.13, 1.48, 1.11, 1.09, 0.74, 0.69, 0.63, 0.67, 0.38, 0.63, 0.74, 0.80, 0.94, 1.12, 1.12, 1.20, 1.29, 1.42, 1.42, 1.18),
    "arson": (1.23, 0.98, 1.00, 1.64, 1.32, 1.81, 1.40, 1.15, 1.11, 0.91, 0.89, 0.89, 0.85, 1.01, 1.01, 0.86, 0.99, 0.90, 0.95, 0.90, 0.84, 0.87, 0.80, 1.22),
    "simple assault": (1.41, 1.11, 0.94, 0.81, 0.89, 0.89, 0.87, 1.14, 0.91, 1.06, 1.10, 1.14, 0.92, 1.12, 0.97, 1.05, 0.97, 0.84, 0.83, 0.86, 1.02, 1.13, 1.09, 1.03),
    "vandalism": (0.93, 1.08, 1.03, 1.22, 1.13, 1.12, 0.95, 1.04, 1.02, 1.08, 0.97, 1.01, 0.86, 0.85, 0.73, 0.91, 0.86, 1.02, 0.83, 1.08, 1.21, 0.99, 1.14, 1.21),
    "fraud/identity theft": (0.89, 0.65, 0.49, 0.46, 0.39, 0.53, 1.88, 1.21, 2.46, 2.01, 1.48, 1.69, 2.02, 1.51, 1.37, 1.14, 0.91, 0.84, 0.64, 0.47, 0.45, 0.42, 0.35, 0.41),
    "other": (1.20, 0.99, 0.82, 0.70, 0.61, 0.72, 1.06, 1.26, 1.30, 1.12, 1.16, 1.18, 1.29, 1.31, 1.26, 0.99, 1.03, 0.96, 0.83, 1.00, 0.83, 0.80, 0.74, 0.78),
}  # fmt: skip
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
# Victim descent of male/female victims per area, percent (H, W, B, O, then A = Asian and other
# small groups), from the real 2020 and Dec 2023 samples (521+ victims per area): Hispanic victims
# dominate Hollenbeck and Mission, Black victims 77th Street and Southeast, White victims West LA.
DESCENT_GROUPS = ("H", "W", "B", "O", "A")
AREA_DESCENT_PCT: dict[int, tuple[float, ...]] = {
    1: (33, 26, 22, 9, 8),
    2: (52, 21, 15, 7, 5),
    3: (36, 13, 40, 5, 5),
    4: (66, 15, 4, 4, 4),
    5: (51, 24, 11, 10, 4),
    6: (27, 39, 17, 12, 5),
    7: (22, 41, 15, 13, 8),
    8: (12, 58, 5, 15, 10),
    9: (38, 35, 8, 13, 5),
    10: (29, 41, 5, 20, 4),
    11: (38, 41, 5, 8, 7),
    12: (42, 3, 51, 2, 1),
    13: (57, 14, 20, 4, 4),
    14: (17, 49, 13, 13, 7),
    15: (30, 43, 9, 13, 4),
    16: (56, 23, 3, 15, 3),
    17: (36, 30, 9, 15, 9),
    18: (48, 3, 46, 2, 1),
    19: (65, 14, 6, 10, 3),
    20: (42, 17, 14, 10, 17),
    21: (22, 43, 9, 12, 5),
}  # fmt: skip
DESCENT_X_SHARE = 0.03  # descent X (unknown) although the sex is known
# How the "A" group splits into descent codes (citywide relative weights).
SMALL_DESCENT_WEIGHTS: dict[str, float] = {
    "A": 3, "K": 1, "F": 0.5, "C": 0.4, "J": 0.2, "V": 0.2, "I": 0.1, "Z": 0.1, "P": 0.05,
    "U": 0.03, "G": 0.02, "S": 0.02, "D": 0.02, "L": 0.01,
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

# --- The NIBRS era (assumptions of the simulator, not measured figures) ---------------------------
# LAPD's four bureaus went live on NIBRS one after another over about two months from 2024-03-07
# (the order and dates here are the simulator's, not LAPD's published schedule).
BUREAU_GO_LIVE: dict[str, tuple[str, tuple[int, ...]]] = {
    "Central": ("2024-03-07", (1, 2, 4, 11, 13)),
    "West": ("2024-03-28", (6, 7, 8, 14, 20)),
    "Valley": ("2024-04-18", (9, 10, 15, 16, 17, 19, 21)),
    "South": ("2024-05-09", (3, 5, 12, 18)),
}
# After its bureau's go-live, the share of reports still entered in the legacy system: from the
# first value at go-live to the second on 2024-12-31 (the real feed fell from about 16k reports in
# March 2024 to 4.7k in December). The legacy feed took no reports after LEGACY_LAST_REPORT.
LEGACY_SHARE_AFTER_GO_LIVE = (0.45, 0.20)
LEGACY_LAST_OCCURRED = "2024-12-30"
LEGACY_LAST_REPORT = "2025-03-28"
BOTH_FEEDS_SHARE = 0.30  # of the reports kept in the legacy feed after go-live, also in NIBRS
# NIBRS against the legacy system, incidents per category (1.0 = same level): NIBRS records
# intimidation as assault and more offense types as 'other', and files some fraud elsewhere.
NIBRS_LEVEL_SHIFT: dict[str, float] = {
    "robbery": 1.12, "aggravated assault": 1.18, "simple assault": 1.10, "vandalism": 0.92,
    "fraud/identity theft": 0.85, "other": 1.25,
}  # fmt: skip
# Offenses per case: 1, 2, 3, ... 10 (most cases have one).
OFFENSE_COUNT_P = (0.78, 0.15, 0.045, 0.013, 0.005, 0.003, 0.002, 0.001, 0.0005, 0.0005)
# NIBRS offense: (code, description, crime against, group).
NIBRS_OFFENSES: dict[str, tuple[str, str, str]] = {
    "09A": ("Murder & Nonnegligent Manslaughter", "Person", "A"),
    "11A": ("Rape", "Person", "A"), "11B": ("Sodomy", "Person", "A"),
    "11C": ("Sexual Assault With An Object", "Person", "A"), "11D": ("Fondling", "Person", "A"),
    "120": ("Robbery", "Property", "A"), "13A": ("Aggravated Assault", "Person", "A"),
    "13B": ("Simple Assault", "Person", "A"), "13C": ("Intimidation", "Person", "A"),
    "220": ("Burglary/Breaking & Entering", "Property", "A"),
    "23A": ("Pocket-picking", "Property", "A"), "23B": ("Purse-snatching", "Property", "A"),
    "23C": ("Shoplifting", "Property", "A"), "23D": ("Theft From Building", "Property", "A"),
    "23F": ("Theft From Motor Vehicle", "Property", "A"),
    "23G": ("Theft of Motor Vehicle Parts or Accessories", "Property", "A"),
    "23H": ("All Other Larceny", "Property", "A"), "240": ("Motor Vehicle Theft", "Property", "A"),
    "200": ("Arson", "Property", "A"),
    "290": ("Destruction/Damage/Vandalism of Property", "Property", "A"),
    "26A": ("False Pretenses/Swindle/Confidence Game", "Property", "A"),
    "26B": ("Credit Card/Automated Teller Machine Fraud", "Property", "A"),
    "26F": ("Identity Theft", "Property", "A"), "250": ("Counterfeiting/Forgery", "Property", "A"),
    "280": ("Stolen Property Offenses", "Property", "A"),
    "35A": ("Drug/Narcotic Violations", "Society", "A"),
    "520": ("Weapon Law Violations", "Society", "A"), "100": ("Kidnapping/Abduction", "Person", "A"),
    "210": ("Extortion/Blackmail", "Property", "A"),
    "90C": ("Disorderly Conduct", "Society", "B"), "90D": ("Driving Under the Influence", "Society", "B"),
    "90F": ("Family Offenses, Nonviolent", "Society", "B"), "90J": ("Trespass of Real Property", "Society", "B"),
    "90Z": ("All Other Offenses", "Person,Property,Society", "B"),
}  # fmt: skip
# The first offense of a case, per crimecast category (NIBRS code: weight).
NIBRS_PRIMARY: dict[str, dict[str, float]] = {
    "homicide": {"09A": 1},
    "rape": {"11A": 0.55, "11D": 0.35, "11C": 0.05, "11B": 0.05},
    "robbery": {"120": 1},
    "aggravated assault": {"13A": 1},
    "burglary": {"220": 1},
    "larceny/theft": {"23H": 0.35, "23F": 0.3, "23C": 0.15, "23D": 0.1, "23G": 0.08, "23A": 0.01, "23B": 0.01},
    "motor-vehicle theft": {"240": 1},
    "arson": {"200": 1},
    "simple assault": {"13B": 0.75, "13C": 0.25},
    "vandalism": {"290": 1},
    "fraud/identity theft": {"26F": 0.45, "26A": 0.35, "26B": 0.15, "250": 0.05},
    "other": {"90Z": 0.3, "90C": 0.1, "35A": 0.1, "520": 0.1, "90J": 0.1, "90F": 0.08, "280": 0.08, "100": 0.05, "90D": 0.05, "210": 0.04},
}  # fmt: skip
# Further offenses of a case with more than one.
NIBRS_SECONDARY: dict[str, float] = {
    "13B": 0.2, "290": 0.2, "23H": 0.15, "90Z": 0.15, "35A": 0.1, "520": 0.1, "13A": 0.05, "26F": 0.05,
}  # fmt: skip
NIBRS_FLAG_SHARE: dict[str, float] = {  # share of offenses with the flag set to Yes
    "domestic_violence_crime": 0.06, "hate_crime": 0.002, "gang_related_crime": 0.01,
    "transit_related_crime": 0.008, "homeless_victim_crime": 0.02,
    "homeless_suspect_crime": 0.03, "homeless_arrestee_crime": 0.01,
}  # fmt: skip

CALIBRATION: dict[str, object] = {
    "yearly_totals": YEARLY_TOTALS,
    "area_share": AREA_SHARE,
    "area_descent_pct": AREA_DESCENT_PCT,
    "area_year_permille": AREA_YEAR_PERMILLE,
    "category_share": CATEGORY_SHARE,
    "area_category_permille": AREA_CATEGORY_PERMILLE,
    "year_category_pct": YEAR_CATEGORY_PCT,
    "code_share": CODE_SHARE,
    "hour_permille": HOUR_PERMILLE,
    "hour_tilt": HOUR_TILT,
    "month_factor": MONTH_FACTOR,
    "weekday_factor": WEEKDAY_FACTOR,
    "zero_coord_share": ZERO_COORD_SHARE,
    "nibrs_keep": NIBRS_KEEP,
    "bureau_go_live": BUREAU_GO_LIVE,
    "legacy_share_after_go_live": LEGACY_SHARE_AFTER_GO_LIVE,
    "both_feeds_share": BOTH_FEEDS_SHARE,
    "nibrs_level_shift": NIBRS_LEVEL_SHIFT,
    "offense_count_p": OFFENSE_COUNT_P,
}
