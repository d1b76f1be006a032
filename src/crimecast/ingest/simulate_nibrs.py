"""The simulated city across LAPD's switch to NIBRS: a tapering legacy feed and a ramping NIBRS feed.

`simulate.py` draws the city's reports (when, where, what, when reported); this module decides
which system recorded each report made from 2024-03-07 on, and writes the NIBRS records in the
SODA API's field names (`caseno, uniquenibrno, date_rptd, date_occ, ... hndrdth_lon`):

- legacy reports only until each bureau goes live (`BUREAU_GO_LIVE`: Central on 2024-03-07, the
  last about two months later); after that a falling share of reports is still entered in the
  legacy system (`LEGACY_SHARE_AFTER_GO_LIVE`), none after the legacy feed froze;
- every other report is a NIBRS case; some of the legacy ones are in NIBRS too (the same case
  number, `BOTH_FEEDS_SHARE`), as when a report was entered in both systems during the change;
- a NIBRS case has one or more offenses (`OFFENSE_COUNT_P`, up to 10): one row each, with
  `uniquenibrno` = case number + NIBRS code + sequence and `totaloffensecount` = the case's rows;
- NIBRS records some categories at another level than the legacy system did
  (`NIBRS_LEVEL_SHIFT`, e.g. aggravated assault +18%): a change in recording, not in crime.

Pure: frames in, frames out (Arrow tables); `write_files` is the only part that touches disk.
The same seed gives the same tables; NIBRS draws use their own generator, so the legacy rows up to
the switch are those of `simulate_table` with the same seed and a `boost` of 1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crimecast import schema
from crimecast.errors import ConfigError
from crimecast.ingest import simulate as sim
from crimecast.ingest.sim_calibration import (
    BOTH_FEEDS_SHARE,
    BUREAU_GO_LIVE,
    CATEGORIES,
    LEGACY_LAST_OCCURRED,
    LEGACY_LAST_REPORT,
    LEGACY_SHARE_AFTER_GO_LIVE,
    NIBRS_FLAG_SHARE,
    NIBRS_LEVEL_SHIFT,
    NIBRS_OFFENSES,
    NIBRS_PRIMARY,
    NIBRS_SECONDARY,
    OFFENSE_COUNT_P,
)
from crimecast.ingest.sim_files import check_writable, write_csv

LAYOUTS = ("legacy", "nibrs", "both")
NIBRS_COLUMNS: tuple[str, ...] = (
    "caseno", "uniquenibrno", "date_rptd", "date_occ", "time_occ", "area", "area_name",
    "rpt_dist_no", "totaloffensecount", "group", "nibr_code", "nibr_description", "crime_against",
    "premis_cd", "premis_desc", "weapon_used_cd", "weapon_desc", "status", "status_desc",
    "totalvictimcount", "victim_shot", "domestic_violence_crime", "hate_crime",
    "gang_related_crime", "transit_related_crime", "homeless_victim_crime",
    "homeless_suspect_crime", "homeless_arrestee_crime", "hndrdth_loc_chk", "hndrdth_lat",
    "hndrdth_lon",
)  # fmt: skip
PLACEHOLDER_DATE_SHARE = 0.0002  # offenses with the feed's 1800 placeholder occurred date
WITHHELD_FROM = "2026-06-01"  # block-level locations may be withheld (empty) from mid-2026
WITHHELD_SHARE = 0.25
_EPOCH = dt.date(1970, 1, 1)
_PERSON_CATS = {"homicide", "rape", "aggravated assault", "simple assault"}


@dataclass
class Era:
    """What the simulator wrote for one layout: the legacy export (None for 'nibrs'), the NIBRS
    offenses (None for 'legacy'), and how many cases are in both feeds."""

    legacy: pa.Table | None
    nibrs: pa.Table | None
    cases_in_both: int = 0


def _day(value: str) -> int:
    return (dt.date.fromisoformat(value) - _EPOCH).days


def check_layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ConfigError(
            f"--layout {layout!r} is not a layout", hint=f"use one of: {', '.join(LAYOUTS)}"
        )
    return layout


def _route(rng, core: dict) -> tuple[np.ndarray, np.ndarray]:
    """(in legacy feed, in NIBRS feed) per report."""
    n = len(core["rptd"])
    area = core["area_i"] + 1  # areas 1-21 in order
    go_live = np.zeros(22, np.int64)
    for day, areas in BUREAU_GO_LIVE.values():
        go_live[list(areas)] = _day(day)
    live = go_live[area]
    rptd, occ = core["rptd"], core["occ"]
    after = rptd >= live
    end_2024 = _day("2024-12-31")
    frac = np.clip((rptd - live) / np.maximum(end_2024 - live, 1), 0.0, 1.0)
    first, last = LEGACY_SHARE_AFTER_GO_LIVE
    p_legacy = first + (last - first) * frac
    frozen = (rptd > _day(LEGACY_LAST_REPORT)) | (occ > _day(LEGACY_LAST_OCCURRED))
    p_legacy = np.where(frozen, 0.0, p_legacy)
    u, both = rng.random(n), rng.random(n)
    legacy = ~after | (u < p_legacy)
    nibrs = after & (~legacy | (both < BOTH_FEEDS_SHARE))
    # Occurrences from the switch on were drawn `boost` times as often: the legacy system keeps
    # 1/boost of them (its old level), NIBRS its own level per category.
    boost = max_boost()
    boosted = occ >= _day(schema.NIBRS_SWITCH)
    shift = np.array([NIBRS_LEVEL_SHIFT.get(c, 1.0) for c in CATEGORIES])[core["cat"]]
    v = rng.random(n)
    legacy &= ~boosted | (v < 1.0 / boost)
    nibrs &= ~boosted | (v < shift / boost)
    return legacy, nibrs


def max_boost() -> float:
    return max(1.0, *NIBRS_LEVEL_SHIFT.values())


def _iso_dates(day_nums: np.ndarray) -> pa.Array:
    """Epoch days -> '2024-03-07T00:00:00.000' (formatted once per distinct day)."""
    lo = int(day_nums.min()) if len(day_nums) else 0
    hi = int(day_nums.max()) if len(day_nums) else 0
    labels = [
        (_EPOCH + dt.timedelta(days=d)).strftime("%Y-%m-%dT00:00:00.000") for d in range(lo, hi + 1)
    ]
    return sim._lookup(labels, day_nums - lo)


def _labels(values: list[str], idx: np.ndarray) -> pa.Array:
    """Strings by index into a list that may repeat values (a dictionary of distinct ones)."""
    uniq, inverse = np.unique(np.array(values, dtype=object), return_inverse=True)
    return sim._lookup(list(uniq), inverse[idx])


def _yes_no(mask: np.ndarray) -> pa.Array:
    return sim._lookup(["No", "Yes"], mask.astype(np.int64))


def _offense_codes(rng, cat: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """The NIBRS code of each offense row: the case's own offense first, then further ones."""
    keys, probs = sim._table(NIBRS_PRIMARY)
    primary = np.array(keys)[sim._choice_by_group(rng, cat, probs)]
    sec_keys = list(NIBRS_SECONDARY)
    secondary = np.array(sec_keys)[
        sim._choice(rng, sim._norm(list(NIBRS_SECONDARY.values())), len(cat))
    ]
    return np.where(seq == 1, primary, secondary)


def nibrs_offenses(rng, export: pa.Table, core: dict, d1: dt.date) -> pa.Table:
    """The NIBRS offense rows (columns `NIBRS_COLUMNS`) of the reports in `export` (rows of the
    legacy export layout, with `core` the arrays they were drawn from, row for row)."""
    n_cases = export.num_rows
    k = sim._choice(rng, np.asarray(OFFENSE_COUNT_P, float), n_cases) + 1
    case = np.repeat(np.arange(n_cases), k)
    starts = np.repeat(np.cumsum(k) - k, k)
    seq = np.arange(len(case)) - starts + 1
    n = len(case)
    rows = export.take(pa.array(case))
    cat = core["cat"][case]
    code = _offense_codes(rng, cat, seq)
    code_list = sorted(NIBRS_OFFENSES)
    code_i = np.searchsorted(code_list, code)
    desc, against, group = (
        [NIBRS_OFFENSES[c][j] for c in code_list] for j in range(3)
    )  # description, crime against, group
    caseno = rows.column("DR_NO").combine_chunks()
    seq_txt = pc.utf8_lpad(pc.cast(pa.array(seq), pa.string()), width=2, padding="0")
    unique = pc.binary_join_element_wise(caseno, pa.array(code, pa.string()), seq_txt, "")
    occ = core["occ"][case]
    occ = np.where(rng.random(n) < PLACEHOLDER_DATE_SHARE, _day("1800-01-01"), occ)
    # victims: about one per case for person and property crimes, none for crimes against society
    society = np.array([a == "Society" for a in against])[code_i]
    victims = np.where(society, 0, 1 + (rng.random(n_cases) < 0.12)[case])
    cat_names = np.array(CATEGORIES)[core["cat"]]  # per case
    shot_p = np.select([cat_names == "homicide", cat_names == "aggravated assault"], [0.6, 0.08], 0)
    person = np.isin(cat_names, list(_PERSON_CATS))
    flags = {}
    for name, share in NIBRS_FLAG_SHARE.items():
        p = np.where(person, 0.25, 0.01) if name == "domestic_violence_crime" else share
        flags[name] = _yes_no((rng.random(n_cases) < p)[case])
    lat = pc.round(rows.column("LAT").combine_chunks(), 3).to_numpy(zero_copy_only=False)
    lon = pc.round(rows.column("LON").combine_chunks(), 3).to_numpy(zero_copy_only=False)
    withheld = (core["rptd"][case] >= _day(WITHHELD_FROM)) & (rng.random(n) < WITHHELD_SHARE)
    cols = {
        "caseno": caseno,
        "uniquenibrno": unique,
        "date_rptd": _iso_dates(core["rptd"][case]),
        "date_occ": _iso_dates(occ),
        "time_occ": rows.column("TIME OCC"),
        "area": rows.column("AREA"),
        "area_name": rows.column("AREA NAME"),
        "rpt_dist_no": rows.column("Rpt Dist No"),
        "totaloffensecount": pa.array(k[case]),
        "group": _labels(group, code_i),
        "nibr_code": sim._lookup(code_list, code_i),
        "nibr_description": sim._lookup(desc, code_i),
        "crime_against": _labels(against, code_i),
        "premis_cd": rows.column("Premis Cd"),
        "premis_desc": rows.column("Premis Desc"),
        "weapon_used_cd": rows.column("Weapon Used Cd"),
        "weapon_desc": rows.column("Weapon Desc"),
        "status": rows.column("Status"),
        "status_desc": rows.column("Status Desc"),
        "totalvictimcount": pa.array(victims),
        "victim_shot": _yes_no((rng.random(n_cases) < shot_p)[case]),
        **flags,
        "hndrdth_loc_chk": pc.if_else(
            pa.array(withheld), pa.nulls(n, pa.string()), rows.column("LOCATION").cast(pa.string())
        ),
        "hndrdth_lat": pa.array(lat, mask=withheld),
        "hndrdth_lon": pa.array(lon, mask=withheld),
    }
    return pa.table(cols)


def simulate_era(
    rows: int, seed: int = 42, start=sim.DEFAULT_START, end=None, layout: str = "both"
) -> Era:
    """The simulated city in `layout`: 'legacy' (today's export, every report), 'nibrs' (the NIBRS
    offenses from the switch on) or 'both' (the legacy feed tapering after the switch and the NIBRS
    feed ramping up). `rows`: reports drawn before they are shared between the two feeds."""
    check_layout(layout)
    if layout == "legacy":
        return Era(sim.simulate_table(rows, seed=seed, start=start, end=end), None)
    d0, d1 = sim.check_args(rows, start, end)
    export, core = sim.build(rows, seed=seed, start=d0, end=d1, boost=max_boost())
    rng = np.random.default_rng([seed, 2024])
    in_legacy, in_nibrs = _route(rng, core)
    idx = np.flatnonzero(in_nibrs)
    nibrs = nibrs_offenses(
        rng, export.take(pa.array(idx)), {k: v[idx] for k, v in core.items()}, d1
    )
    legacy = export.filter(pa.array(in_legacy)) if layout == "both" else None
    return Era(legacy, nibrs, int((in_legacy & in_nibrs).sum()))


def nibrs_name(rows: int, seed: int) -> str:
    """File name of the NIBRS file, which `crimecast ingest` recognises as simulated."""
    return f"lapd-nibrs-{rows}-seed{seed}.simulated.csv"


def write_files(era: Era, legacy_path: str | Path, nibrs_path: str | Path) -> list[Path]:
    """Write the era's tables (legacy export CSV, NIBRS CSV in the API's field names); the paths
    written, legacy first."""
    out = []
    if era.legacy is not None:
        out.append(write_csv(era.legacy, check_writable(legacy_path)))
    if era.nibrs is not None:
        out.append(write_csv(era.nibrs, check_writable(nibrs_path), NIBRS_COLUMNS))
    return out


def write_demo_files(
    rows: int, seed: int, start, end, workdir: str | Path, layout: str = "both"
) -> list[Path]:
    """Simulate and write the demo city's files into `workdir` under their default names (the
    legacy export first, then the NIBRS offenses): what `crimecast run --demo` ingests."""
    era = simulate_era(rows, seed=seed, start=start, end=end, layout=layout)
    workdir = Path(workdir)
    return write_files(
        era, workdir / sim.default_name(rows, seed), workdir / nibrs_name(rows, seed)
    )
