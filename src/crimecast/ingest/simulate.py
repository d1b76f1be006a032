"""A simulated Los Angeles in the portal's 2020+ CSV export layout, for demos, tests and benchmarks.

What it draws from is in `sim_calibration.py`: figures computed once from the real aggregates in
`../shared/data` and the real incident samples, pasted there as constants (nothing is read at run
time).

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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crimecast import codes, schema
from crimecast.errors import ConfigError
from crimecast.ingest.sim_calibration import (  # noqa: F401  (CALIBRATION etc. re-exported)
    AREA_CATEGORY_PERMILLE,
    AREA_CLUSTERS,
    AREA_DESCENT_PCT,
    AREA_SHARE,
    AREA_YEAR_PERMILLE,
    CALIBRATION,
    CATEGORIES,
    CATEGORY_SHARE,
    CLUSTER_WEIGHTS,
    CODE_SHARE,
    CRM_CD_2_SHARE,
    CROSS_STREET_SHARE,
    DEFAULT_TIME,
    DEFAULT_TIME_OTHER,
    DELAY,
    DESCENT_GROUPS,
    DESCENT_X_SHARE,
    HOUR_PERMILLE,
    HOUR_TILT,
    MOCODES,
    MOCODES_OTHER,
    MONTH_FACTOR,
    NIBRS_KEEP,
    PREMISES,
    SEX_CRIME_CODES,
    SMALL_DESCENT_WEIGHTS,
    STATUS_CODES,
    STATUS_WEIGHTS,
    STREETS,
    VICTIM,
    WEAPONS,
    WEEKDAY_FACTOR,
    YEAR_CATEGORY_PCT,
    YEARLY_TOTALS,
    ZERO_COORD_SHARE,
)
from crimecast.ingest.sim_files import (  # noqa: F401  (the file helpers are part of this API)
    EXPORT_COLUMNS,
    SIM_ID_DIGIT,
    check_writable,
    default_name,
    is_simulated_file,
    is_simulated_id,
    write_csv,
)

DEFAULT_START = "2010-01-01"
DEFAULT_END = "2024-12-31"  # fixed, so a seed gives the same file whatever day it runs


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
# descent codes in lookup order: the main groups, the small ones, then X
_DESCENTS = [*DESCENT_GROUPS[:-1], *SMALL_DESCENT_WEIGHTS, "X"]
_AREAS = np.array(sorted(AREA_SHARE), dtype=np.int64)
_AREA_CAT = np.array([_norm(AREA_CATEGORY_PERMILLE[a]) for a in _AREAS])
_CAT_OVERALL = _norm([CATEGORY_SHARE[c] for c in CATEGORIES])
_CODES_BY_CAT = [[c for c in CODE_SHARE if schema.crime_category(c) == cat] for cat in CATEGORIES]
_EPOCH = dt.date(1970, 1, 1)


def _daily_weights(d0: dt.date, d1: dt.date, boost: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Epoch day numbers from d0 to d1 and each day's expected relative volume (times `boost`
    from the NIBRS switch on: room for NIBRS to record more than the legacy system did)."""
    days = pd.date_range(d0, d1, freq="D")
    years = np.clip(days.year.to_numpy(), min(YEARLY_TOTALS), max(YEARLY_TOTALS))
    level = np.array([YEARLY_TOTALS[y] for y in years], float) / 365.25
    level = np.where(days >= pd.Timestamp(schema.NIBRS_SWITCH), level * boost, level)
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
    # the tail starts after a week; lognormal, capped at 12 years
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


def _core_rows(rng, rows: int, d0: dt.date, d1: dt.date, nibrs_break: bool, boost: float) -> dict:
    """Exactly `rows` incidents reported by d1 (batches until enough survive the snapshot)."""
    day_nums, day_w = _daily_weights(d0, d1, boost)
    d1_num = (d1 - _EPOCH).days
    parts, have, rate = [], 0, 0.9  # rate: share of a batch reported by d1 (learned per batch)
    for _ in range(60):
        size = int((rows - have) / rate * 1.03) + 64
        batch = _core(rng, size, day_nums, day_w, d1_num, nibrs_break)
        got = len(batch["occ"])
        rate = max(got / size, 0.001)
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
    # the excess at noon and midnight comes from the 1200 and 0001 defaults below (about 3.4% and
    # 1.2% of incidents), so the hour profile leaves it out
    base[12] = (base[11] + base[13]) / 2
    base[0] -= 12.0
    hour_p = np.array([_norm(base * np.array(HOUR_TILT[c])) for c in CATEGORIES])
    hour = _choice_by_group(rng, cat, hour_p)
    heap = _choice(rng, _norm([0.30, 0.12, 0.04, 0.04, 0.50]), n)
    minute = np.choose(heap, [0, 30, 15, 45, 0]) + np.where(heap == 4, rng.integers(0, 60, n), 0)
    defaults = np.array([DEFAULT_TIME.get(c, DEFAULT_TIME_OTHER)[:2] for c in CATEGORIES])[cat]
    u = rng.random(n)
    t = hour * 60 + minute
    t = np.where(u < defaults[:, 0], 12 * 60, t)
    return np.where((u >= defaults[:, 0]) & (u < defaults.sum(1)), 1, t)


def _victims(rng, cat: np.ndarray, area_i: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
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
    # descent: the area's mix, the small groups split citywide, X for some known-sex victims
    group_p = np.array([_norm(AREA_DESCENT_PCT[a]) for a in _AREAS])
    desc = _choice_by_group(rng, area_i, group_p)  # index into DESCENT_GROUPS
    small = _choice(rng, _norm(list(SMALL_DESCENT_WEIGHTS.values())), n)
    desc = np.where(desc == len(DESCENT_GROUPS) - 1, len(DESCENT_GROUPS) - 1 + small, desc)
    x = len(_DESCENTS) - 1  # index of "X"
    desc = np.where(rng.random(n) < DESCENT_X_SHARE, x, desc)
    desc = np.where((sex == 2) & (rng.random(n) < 0.85), x, desc)
    desc = np.where(sex == 3, len(_DESCENTS), desc)  # blank
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
    return build(rows, seed, start, end, nibrs_break)[0]


def build(
    rows: int, seed: int = 42, start=DEFAULT_START, end=None, nibrs_break=False, boost=1.0
) -> tuple[pa.Table, dict]:
    """Every report in the export layout, and the arrays it was drawn from, row for row: `occ`
    and `rptd` (epoch days), `cat` (index into CATEGORIES), `area_i` (index into the areas)."""
    d0, d1 = check_args(rows, start, end)
    rng = np.random.default_rng(seed)
    core = _core_rows(rng, int(rows), d0, d1, nibrs_break, boost)
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
    age, sex, desc = _victims(rng, cat, area_i)
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
        "Vict Descent": _lookup([*_DESCENTS, None], desc),
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
    return pa.table(cols), core


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
