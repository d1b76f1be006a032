"""Raw LAPD column layouts, the canonical incident schema and the code tables.

Every raw layout in circulation (the portal's 2010-19 and 2020+ CSV exports, the older
`DR Number, Date Reported, ...` exports, the SODA API's snake_case fields, and re-saved copies) is
mapped onto one set of *raw field* names by `RAW_ALIASES`; `clean.py` turns raw fields into the
canonical incident schema `INCIDENT_COLUMNS`.
"""

from __future__ import annotations

import re

from crimecast.codes import CRIME_CODES, HIERARCHY, crosswalk

# --- Areas (LAPD geographic divisions). Join on the number; names differ between files. ---------
AREAS: dict[int, str] = {
    1: "Central",
    2: "Rampart",
    3: "Southwest",
    4: "Hollenbeck",
    5: "Harbor",
    6: "Hollywood",
    7: "Wilshire",
    8: "West LA",
    9: "Van Nuys",
    10: "West Valley",
    11: "Northeast",
    12: "77th Street",
    13: "Newton",
    14: "Pacific",
    15: "N Hollywood",
    16: "Foothill",
    17: "Devonshire",
    18: "Southeast",
    19: "Mission",
    20: "Olympic",
    21: "Topanga",
}

# Residents per division (ABC7's division populations, 2020 census blocks). Used for rates per
# 100,000 residents; a user can pass their own table instead.
AREA_POPULATION: dict[int, int] = {
    1: 81_500,
    2: 159_600,
    3: 192_900,
    4: 169_700,
    5: 180_800,
    6: 130_400,
    7: 153_200,
    8: 242_400,
    9: 187_900,
    10: 201_400,
    11: 217_600,
    12: 187_100,
    13: 149_400,
    14: 217_500,
    15: 210_600,
    16: 196_000,
    17: 229_900,
    18: 150_600,
    19: 249_400,
    20: 183_700,
    21: 207_100,
}


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# Spellings seen across files and boundary layers, keyed by a squashed lower-case form.
AREA_NAME_TO_ID: dict[str, int] = {_key(v): k for k, v in AREAS.items()}
AREA_NAME_TO_ID.update(
    {
        _key("North Hollywood"): 15,
        _key("West Los Angeles"): 8,
        _key("77th"): 12,
        _key("Seventy-Seventh Street"): 12,
        _key("Hollywood North"): 15,
    }
)


def area_id_for_name(name: str | None) -> int | None:
    """The area number for a division name in any of the spellings in circulation."""
    if name is None:
        return None
    return AREA_NAME_TO_ID.get(_key(str(name)))


# --- Code tables ---------------------------------------------------------------------------------
DESCENT: dict[str, str] = {
    "A": "Other Asian",
    "B": "Black",
    "C": "Chinese",
    "D": "Cambodian",
    "F": "Filipino",
    "G": "Guamanian",
    "H": "Hispanic/Latin/Mexican",
    "I": "American Indian/Alaskan Native",
    "J": "Japanese",
    "K": "Korean",
    "L": "Laotian",
    "O": "Other",
    "P": "Pacific Islander",
    "S": "Samoan",
    "U": "Hawaiian",
    "V": "Vietnamese",
    "W": "White",
    "X": "Unknown",
    "Z": "Asian Indian",
}
# Spelled-out descent labels found in re-saved copies, mapped back to the codes.
DESCENT_WORDS: dict[str, str] = {
    "hispanic": "H",
    "hispaniclatino": "H",
    "hispaniclatinmexican": "H",
    "latino": "H",
    "white": "W",
    "caucasian": "W",
    "black": "B",
    "africanamerican": "B",
    "otherasian": "A",
    "asian": "A",
    "other": "O",
    "unknown": "X",
    "chinese": "C",
    "cambodian": "D",
    "filipino": "F",
    "guamanian": "G",
    "americanindian": "I",
    "americanindianalaskannative": "I",
    "japanese": "J",
    "korean": "K",
    "laotian": "L",
    "pacificislander": "P",
    "samoan": "S",
    "hawaiian": "U",
    "vietnamese": "V",
    "asianindian": "Z",
}
SEX: dict[str, str] = {"M": "Male", "F": "Female", "X": "Unknown", "H": "Unknown", "N": "Unknown"}
STATUS: dict[str, str] = {
    "AA": "Adult Arrest",
    "AO": "Adult Other",
    "IC": "Invest Cont",
    "JA": "Juv Arrest",
    "JO": "Juv Other",
    "CC": "Unknown",
}
ARREST_STATUSES = ("AA", "JA")
UNKNOWN = "Unknown"

# --- Crime categories (UCR-style groups) and classes ----------------------------------------------
# In the UCR hierarchy's order (most serious first); see `codes.HIERARCHY`.
CATEGORIES: tuple[str, ...] = HIERARCHY
CATEGORY_CLASS: dict[str, str] = {
    "homicide": "violent",
    "rape": "violent",
    "robbery": "violent",
    "aggravated assault": "violent",
    "simple assault": "violent",
    "burglary": "property",
    "larceny/theft": "property",
    "motor-vehicle theft": "property",
    "arson": "property",
    "vandalism": "property",
    "fraud/identity theft": "property",
    "other": "other",
}
# LAPD crime code -> category, from the crosswalk (`data/crosswalk.csv`), which also maps the NIBRS
# offense codes.
CODE_CATEGORY: dict[int, str] = {
    int(e.code): e.category for (system, _), e in crosswalk().items() if system == "legacy"
}


def crime_category(code: int | None) -> str:
    """The crimecast category of an LAPD crime code; codes not listed are 'other'."""
    return CODE_CATEGORY.get(code, "other") if code is not None else "other"


def _desc_key(desc: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", desc.upper())


# Description -> code, for files that carry the description but not the code.
DESC_TO_CODE: dict[str, int] = {_desc_key(d): c for c, (d, _) in sorted(CRIME_CODES.items())}


def crime_code_for_desc(desc: str | None) -> int | None:
    return DESC_TO_CODE.get(_desc_key(desc)) if desc else None


# --- Raw layouts ---------------------------------------------------------------------------------
# Raw fields that clean.py understands; every input column is mapped onto one of them or ignored.
RAW_FIELDS: tuple[str, ...] = (
    "dr_no",
    "date_rptd",
    "date_occ",
    "time_occ",
    "area",
    "area_name",
    "rpt_dist_no",
    "part_1_2",
    "crm_cd",
    "crm_cd_desc",
    "mocodes",
    "vict_age",
    "vict_sex",
    "vict_descent",
    "premis_cd",
    "premis_desc",
    "weapon_used_cd",
    "weapon_desc",
    "status",
    "status_desc",
    "location",
    "cross_street",
    "lat",
    "lon",
    "location_point",  # old exports: "(34.05, -118.25)"
    "updated_at",  # the SODA API's :updated_at system field
) + (
    # The NIBRS offenses layout (SODA API names); date, time, area, premise, weapon and status
    # fields share the legacy raw fields above.
    "caseno",
    "uniquenibrno",
    "totaloffensecount",
    "nibr_group",
    "nibr_code",
    "nibr_description",
    "crime_against",
    "totalvictimcount",
    "victim_shot",
    "domestic_violence_crime",
    "hate_crime",
    "gang_related_crime",
    "transit_related_crime",
    "homeless_victim_crime",
    "homeless_suspect_crime",
    "homeless_arrestee_crime",
    "hndrdth_loc_chk",
    "hndrdth_lat",
    "hndrdth_lon",
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "dr_no": (
        "dr_no",
        "dr number",
        "drno",
        "dr_number",
        "crime_id",
        "division_number",
        "record_id",
    ),
    "date_rptd": ("date rptd", "date reported", "date_reported", "daterptd"),
    "date_occ": ("date occ", "date occurred", "date_occurred", "date_occured", "dateoccured"),
    "time_occ": ("time occ", "time occurred", "time_occurred", "time_occured"),
    "area": ("area", "area id", "area_id", "areacode", "area code"),
    "area_name": ("area name", "area_name", "areaname"),
    "rpt_dist_no": ("rpt dist no", "reporting district", "reporting_district", "rpt_dist_no"),
    "part_1_2": ("part 1-2", "part_1_2", "part 1 2"),
    "crm_cd": ("crm cd", "crime code", "crime_code", "crim_cd", "crimecode", "crm_cd"),
    "crm_cd_desc": (
        "crm cd desc",
        "crime code description",
        "crime_code_description",
        "crim_cd_desc",
        "crime_description",
        "crm_cd_desc",
    ),
    "mocodes": ("mocodes", "mo codes", "mo_codes"),
    "vict_age": ("vict age", "victim age", "victim_age", "vict_age"),
    "vict_sex": ("vict sex", "victim sex", "victim_sex", "vict_sex"),
    "vict_descent": (
        "vict descent",
        "victim descent",
        "victim_descent",
        "victim_descent_name",
        "vict_descent",
    ),
    "premis_cd": ("premis cd", "premise code", "premise_code", "premis_cd"),
    "premis_desc": (
        "premis desc",
        "premise description",
        "premise_description",
        "premise_desc",
        "premis_desc",
    ),
    "weapon_used_cd": ("weapon used cd", "weapon used code", "weapon_used_code", "weapon_used_cd"),
    "weapon_desc": ("weapon desc", "weapon description", "weapon_description", "weapon_desc"),
    "status": ("status", "status code", "status_code"),
    "status_desc": ("status desc", "status description", "status_description", "status_desc"),
    "location": ("location", "address"),
    "cross_street": ("cross street", "cross_street"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "long", "longitude", "lng"),
    "location_point": ("location_1",),
    "updated_at": (":updated_at", "updated_at"),
    # NIBRS offenses: the API's names and the portal export's display names (headers are matched
    # case-, space- and underscore-insensitively, so "Case No" is "caseno").
    "caseno": ("caseno", "case number", "case_no"),
    "uniquenibrno": ("uniquenibrno", "unique nibr number", "unique nibrs no", "uniquenibrsno"),
    "totaloffensecount": ("totaloffensecount", "total offense count", "offense count"),
    "nibr_group": ("group", "nibr group", "nibrs group", "offense group"),
    "nibr_code": ("nibr_code", "nibr cd", "nibrs code", "nibrs_code", "nibrs offense code"),
    "nibr_description": (
        "nibr_description",
        "nibr desc",
        "nibrs description",
        "nibrs_desc",
        "nibrs offense description",
    ),
    "crime_against": ("crime_against",),
    "totalvictimcount": ("totalvictimcount", "total victim count", "victim count"),
    "victim_shot": ("victim_shot",),
    "domestic_violence_crime": ("domestic_violence_crime", "domestic violence"),
    "hate_crime": ("hate_crime",),
    "gang_related_crime": ("gang_related_crime", "gang related"),
    "transit_related_crime": ("transit_related_crime", "transit related"),
    "homeless_victim_crime": ("homeless_victim_crime", "homeless victim"),
    "homeless_suspect_crime": ("homeless_suspect_crime", "homeless suspect"),
    "homeless_arrestee_crime": ("homeless_arrestee_crime", "homeless arrestee"),
    "hndrdth_loc_chk": ("hndrdth_loc_chk", "hundred block location", "hndrdth loc"),
    "hndrdth_lat": ("hndrdth_lat", "hundred block lat", "hundred block latitude"),
    "hndrdth_lon": ("hndrdth_lon", "hundred block lon", "hundred block longitude"),
}


def normalise_header(name: str) -> str:
    """Squash a header for matching: case, BOM, spaces, underscores, dots and dashes don't matter."""
    return re.sub(r"[\s_.\-]+", "", name.replace("\ufeff", "").strip().lower())


RAW_ALIASES: dict[str, str] = {
    normalise_header(alias): field for field, aliases in _ALIASES.items() for alias in aliases
}

# What a crime count cannot do without: an occurred date, the crime, and a place.
REQUIRED_GROUPS: dict[str, tuple[str, ...]] = {
    "occurred date": ("date_occ",),
    "crime (code or description)": ("crm_cd", "crm_cd_desc"),
    "area (number or name) or coordinates": ("area", "area_name", "lat", "location_point"),
}

# A NIBRS offenses file (one row per offense) is told by its NIBRS code column; what it needs.
NIBRS_MARKERS = ("nibr_code", "uniquenibrno")
NIBRS_REQUIRED_GROUPS: dict[str, tuple[str, ...]] = {
    "case number (caseno)": ("caseno",),
    "occurred date": ("date_occ",),
    "NIBRS offense code (nibr_code)": ("nibr_code",),
    "area (number or name) or coordinates": ("area", "area_name", "hndrdth_lat", "lat"),
}


def record_system(mapping: dict[str, str]) -> str:
    """'nibrs' for a NIBRS offenses layout, else 'legacy' (one row per report)."""
    return "nibrs" if any(f in mapping for f in NIBRS_MARKERS) else "legacy"


# --- The canonical incident schema --------------------------------------------------------------
# (column, DuckDB type, meaning). Documented in the README; `store.py` creates tables from it.
INCIDENT_SCHEMA: tuple[tuple[str, str, str], ...] = (
    ("record_id", "VARCHAR", "DR_NO without leading zeros; 'h:<hash>' when the file had no ids"),
    ("date_reported", "DATE", "Date Rptd"),
    ("occurred_at", "TIMESTAMP", "DATE OCC + TIME OCC (midnight when the time is unknown)"),
    ("occurred_date", "DATE", "the date part of occurred_at"),
    ("hour", "TINYINT", "hour of TIME OCC, null when unknown"),
    ("time_is_noon_default", "BOOLEAN", "TIME OCC was exactly 1200, LAPD's frequent default time"),
    ("area_id", "TINYINT", "LAPD geographic area 1-21 (null when only coordinates were given)"),
    ("area_name", "VARCHAR", "canonical area name"),
    ("rpt_dist", "SMALLINT", "reporting district"),
    ("part", "TINYINT", "UCR Part 1 or 2"),
    ("crime_code", "SMALLINT", "Crm Cd"),
    ("crime_desc", "VARCHAR", "Crm Cd Desc"),
    ("crime_category", "VARCHAR", "crimecast category (UCR-style group, see CATEGORIES)"),
    ("crime_class", "VARCHAR", "violent / property / other"),
    ("mocodes", "VARCHAR", "space-separated MO codes"),
    ("victim_age", "TINYINT", "null for 0, negative or over 120 (placeholders)"),
    ("victim_sex", "VARCHAR", "Male / Female / Unknown"),
    ("victim_descent", "VARCHAR", "descent label, Unknown for X, - or blank"),
    ("premise_code", "SMALLINT", "Premis Cd"),
    ("premise_desc", "VARCHAR", "Premis Desc"),
    ("weapon_code", "SMALLINT", "Weapon Used Cd"),
    ("weapon_desc", "VARCHAR", "Weapon Desc"),
    ("status", "VARCHAR", "status code (AA, AO, IC, JA, JO, CC)"),
    ("status_desc", "VARCHAR", "status label"),
    ("arrest", "BOOLEAN", "an adult or juvenile arrest was made"),
    ("location", "VARCHAR", "street address (block level), whitespace collapsed"),
    ("cross_street", "VARCHAR", "cross street"),
    ("lat", "DOUBLE", "latitude, null for 0 or outside Los Angeles"),
    ("lon", "DOUBLE", "longitude, null for 0 or outside Los Angeles"),
    ("source", "VARCHAR", "source dataset (portal id, file name, or 'simulated')"),
    ("simulated", "BOOLEAN", "the row came from crimecast's simulator"),
    ("year", "SMALLINT", "year of occurred_date (Parquet partition)"),
    ("record_system", "VARCHAR", "legacy (one row per report) or nibrs (one row per case)"),
    ("offense_code", "VARCHAR", "Crm Cd, or the NIBRS code of the case's most serious offense"),
    ("offenses", "SMALLINT", "offenses in the case (1 for a legacy report)"),
)
# Columns added to the incident table after stores were first made: (name, type, default).
INCIDENT_ADDED = (
    ("record_system", "VARCHAR", "'legacy'"),
    ("offense_code", "VARCHAR", "CAST(crime_code AS VARCHAR)"),
    ("offenses", "SMALLINT", "1"),
)
INCIDENT_COLUMNS: tuple[str, ...] = tuple(c for c, _, _ in INCIDENT_SCHEMA)

QUARANTINE_SCHEMA: tuple[tuple[str, str, str], ...] = (
    ("source", "VARCHAR", "file or dataset the row came from"),
    ("row_number", "BIGINT", "1-based data row number in that file"),
    ("record_id", "VARCHAR", "the id if one could be read"),
    ("reason", "VARCHAR", "why the row was not stored"),
    ("raw", "VARCHAR", "the raw row as JSON"),
)

# Bounding box of the City of Los Angeles (with a small margin), for coordinate sanity checks.
LA_BBOX = {"lat_min": 33.70, "lat_max": 34.35, "lon_min": -118.70, "lon_max": -118.15}

# LAPD moved to NIBRS on this day; the legacy 2020-present feed lost most records afterwards.
NIBRS_SWITCH = "2024-03-07"


# The raw fields each optional stored column is made from. When a later copy of a record comes
# from a file without any of them, the stored copy's value is kept instead of being erased.
DERIVED_FROM = {
    "date_reported": ("date_rptd",),
    "occurred_at": ("time_occ",),
    "hour": ("time_occ",),
    "time_is_noon_default": ("time_occ",),
    "area_id": ("area", "area_name"),
    "area_name": ("area", "area_name"),
    "rpt_dist": ("rpt_dist_no",),
    "mocodes": ("mocodes",),
    "victim_age": ("vict_age",),
    "victim_sex": ("vict_sex",),
    "victim_descent": ("vict_descent",),
    "premise_code": ("premis_cd",),
    "premise_desc": ("premis_cd", "premis_desc"),
    "weapon_code": ("weapon_used_cd",),
    "weapon_desc": ("weapon_used_cd", "weapon_desc"),
    "status": ("status", "status_desc"),
    "status_desc": ("status", "status_desc"),
    "arrest": ("status", "status_desc"),
    "location": ("location",),
    "cross_street": ("cross_street",),
    "lat": ("lat", "location_point"),
    "lon": ("lon", "location_point"),
}


def fields_lacking(mapping: dict[str, str]) -> list[str]:
    """Stored columns a file with this column mapping cannot fill."""
    return [col for col, raw in DERIVED_FROM.items() if not any(f in mapping for f in raw)]
