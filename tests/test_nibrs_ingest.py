"""NIBRS offense files (the API's JSON and CSV, the portal's CSV export): layout detection,
offenses and incidents in the store, the most serious offense per case, cases in both feeds
counted once, and bad rows quarantined or flagged with their reason; counts always reconcile."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crimecast import codes
from crimecast.errors import InputFileError
from crimecast.store import Store

API_FIELDS = [
    "caseno",
    "uniquenibrno",
    "date_rptd",
    "date_occ",
    "time_occ",
    "area",
    "area_name",
    "rpt_dist_no",
    "totaloffensecount",
    "group",
    "nibr_code",
    "nibr_description",
    "crime_against",
    "premis_cd",
    "premis_desc",
    "weapon_used_cd",
    "weapon_desc",
    "status",
    "status_desc",
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
]
# The portal's CSV export names the same columns for display.
EXPORT_NAMES = {
    "caseno": "Case No",
    "uniquenibrno": "Unique NIBR No",
    "date_rptd": "Date Rptd",
    "date_occ": "DATE OCC",
    "time_occ": "TIME OCC",
    "area": "AREA",
    "area_name": "AREA NAME",
    "rpt_dist_no": "Rpt Dist No",
    "totaloffensecount": "Total Offense Count",
    "group": "Group",
    "nibr_code": "NIBR Code",
    "nibr_description": "NIBR Description",
    "crime_against": "Crime Against",
    "premis_cd": "Premis Cd",
    "premis_desc": "Premis Desc",
    "weapon_used_cd": "Weapon Used Cd",
    "weapon_desc": "Weapon Desc",
    "status": "Status",
    "status_desc": "Status Desc",
    "totalvictimcount": "Total Victim Count",
    "victim_shot": "Victim Shot",
    "domestic_violence_crime": "Domestic Violence Crime",
    "hate_crime": "Hate Crime",
    "gang_related_crime": "Gang Related Crime",
    "transit_related_crime": "Transit Related Crime",
    "homeless_victim_crime": "Homeless Victim Crime",
    "homeless_suspect_crime": "Homeless Suspect Crime",
    "homeless_arrestee_crime": "Homeless Arrestee Crime",
    "hndrdth_loc_chk": "Hndrdth Loc Chk",
    "hndrdth_lat": "Hndrdth Lat",
    "hndrdth_lon": "Hndrdth Lon",
}


def offense(case="241204001", code="13A", seq=1, total=1, **over) -> dict:
    """One NIBRS offense row in the API's fields."""
    entry = codes.lookup("nibrs", code)
    row = {
        "caseno": case,
        "uniquenibrno": f"{case}{code}{seq:02d}",
        "date_rptd": "2024-06-02T00:00:00.000",
        "date_occ": "2024-06-01T00:00:00.000",
        "time_occ": "2130",
        "area": "12",
        "area_name": "77th Street",
        "rpt_dist_no": "1241",
        "totaloffensecount": str(total),
        "group": "A",
        "nibr_code": code,
        "nibr_description": entry.description if entry else "SOMETHING",
        "crime_against": (entry.crime_against if entry else None) or "Person",
        "premis_cd": "101",
        "premis_desc": "STREET",
        "weapon_used_cd": "400",
        "weapon_desc": "STRONG-ARM (HANDS, FIST, FEET OR BODILY FORCE)",
        "status": "IC",
        "status_desc": "Invest Cont",
        "totalvictimcount": "1",
        "victim_shot": "N",
        "domestic_violence_crime": "N",
        "hate_crime": "N",
        "gang_related_crime": "N",
        "transit_related_crime": "N",
        "homeless_victim_crime": "N",
        "homeless_suspect_crime": "N",
        "homeless_arrestee_crime": "N",
        "hndrdth_loc_chk": "7700 S  FIGUEROA ST",
        "hndrdth_lat": "33.9700",
        "hndrdth_lon": "-118.2800",
    }
    row.update(over)
    return row


def write_csv(path: Path, rows: list[dict], names: dict | None = None) -> Path:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([(names or {}).get(f, f) for f in API_FIELDS])
        for r in rows:
            w.writerow([r.get(f, "") for f in API_FIELDS])
    return path


def write_json(path: Path, rows: list[dict]) -> Path:
    # The API leaves out null fields, as SODA does.
    path.write_text(json.dumps([{k: v for k, v in r.items() if v != ""} for r in rows]))
    return path


# A robbery with an aggravated assault and a simple assault (one case), a lone burglary, and a
# theft plus a vehicle theft.
CASES = [
    offense("241204001", "13B", 1, 3),
    offense("241204001", "120", 2, 3, crime_against="Property"),
    offense("241204001", "13A", 3, 3),
    offense("241204002", "220", 1, 1, crime_against="Property"),
    offense("241204003", "240", 1, 2, crime_against="Property"),
    offense("241204003", "23H", 2, 2, crime_against="Property"),
]


def _export_date(iso: str) -> str:
    y, m, d = iso[:10].split("-")
    return f"{m}/{d}/{y} 12:00:00 AM"


@pytest.mark.parametrize("layout", ["api-csv", "api-json", "portal-export"])
def test_every_layout_gives_offenses_and_one_incident_per_case(tmp_path, layout):
    if layout == "api-json":
        path = write_json(tmp_path / "k7nn-b2ep.json", CASES)
    elif layout == "api-csv":
        path = write_csv(tmp_path / "k7nn-b2ep.csv", CASES)
    else:
        rows = [
            r | {"date_occ": _export_date(r["date_occ"]), "date_rptd": _export_date(r["date_rptd"])}
            for r in CASES
        ]
        path = write_csv(tmp_path / "NIBRS_Offenses_export.csv", rows, EXPORT_NAMES)
    with Store(tmp_path / "s") as st:
        rep = st.ingest_files([path])[0]
        assert rep.reconciles and rep.system == "nibrs"
        assert (rep.rows_read, rep.stored, rep.quarantined, rep.incidents) == (6, 6, 0, 3)
        assert ("portal export" if layout == "portal-export" else "API fields") in rep.layout
        inc = st.query(
            "SELECT record_id, crime_category, offense_code, offenses, record_system, "
            "occurred_date, hour, area_id, location, lat FROM incidents ORDER BY 1"
        )
        # The most serious offense by the UCR hierarchy: robbery over aggravated assault; theft
        # over motor vehicle theft.
        assert inc["crime_category"].tolist() == ["robbery", "burglary", "larceny/theft"]
        assert inc["offense_code"].tolist() == ["120", "220", "23H"]
        assert inc["offenses"].tolist() == [3, 1, 2]
        assert set(inc["record_system"]) == {"nibrs"}
        assert str(inc["occurred_date"].iloc[0])[:10] == "2024-06-01" and inc["hour"].iloc[0] == 21
        assert inc["area_id"].tolist() == [12, 12, 12]
        assert inc["location"].iloc[0] == "7700 S FIGUEROA ST" and inc["lat"].iloc[0] == 33.97
        off = st.query("SELECT nibrs_code, crime_category, rank FROM offenses ORDER BY offense_id")
        assert off["nibrs_code"].tolist() == ["120", "13A", "13B", "220", "23H", "240"]
        assert off["rank"].tolist() == [3, 4, 9, 5, 6, 7]
        info = st.info()
        assert info["incidents"] == 3 and info["offenses"] == 6
        src = info["sources"][path.name]
        assert (src["system"], src["offenses"], src["incidents"]) == ("nibrs", 6, 3)
        assert (src["date_min"], src["date_max"]) == ("2024-06-01", "2024-06-01")
        # The analyses' incident reads work unchanged on NIBRS incidents.
        assert st.count() == 3 and len(st.incidents()) == 3


def test_510_is_bribery_in_nibrs_files(tmp_path):
    path = write_csv(tmp_path / "n.csv", [offense("241204010", "510", crime_against="Property")])
    with Store(tmp_path / "s") as st:
        st.ingest_files([path])
        row = st.query("SELECT crime_category, crime_desc, part FROM incidents").iloc[0]
        assert (row["crime_category"], row["crime_desc"], row["part"]) == ("other", "Bribery", 2)


LEGACY_HEADER = "DR_NO,Date Rptd,DATE OCC,TIME OCC,AREA,AREA NAME,Crm Cd,Crm Cd Desc,LAT,LON"


def _legacy(path: Path, drs: list[str]) -> Path:
    lines = [LEGACY_HEADER] + [
        f"{dr},06/02/2024 12:00:00 AM,06/01/2024 12:00:00 AM,2130,12,77th Street,210,ROBBERY,"
        "33.97,-118.28"
        for dr in drs
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("nibrs_first", [True, False])
def test_a_case_in_both_feeds_counts_once(tmp_path, nibrs_first):
    nibrs = write_csv(tmp_path / "nibrs.csv", CASES)
    legacy = _legacy(tmp_path / "legacy.csv", ["0241204001", "241204002", "241299999"])
    order = [nibrs, legacy] if nibrs_first else [legacy, nibrs]
    with Store(tmp_path / "s") as st:
        reps = [st.ingest_files([p])[0] for p in order]
        assert all(r.reconciles for r in reps)
        # two legacy reports are NIBRS cases; one is legacy only
        assert sum(r.matched_cases for r in reps) == 2
        assert st.count() == 4
        systems = st.query(
            "SELECT record_id, record_system FROM incidents ORDER BY 1"
        ).values.tolist()
        assert systems == [
            ["241204001", "nibrs"],
            ["241204002", "nibrs"],
            ["241204003", "nibrs"],
            ["241299999", "legacy"],
        ]
        info = st.info()
        assert info["cases_in_both_feeds"] == 2
        assert info["sources"]["legacy.csv"]["matched_to_nibrs"] == 2
        assert info["sources"]["legacy.csv"]["incidents"] == 1
        assert info["offenses"] == 6 + 1
        assert (info["rows_read"], info["quarantined"]) == (9, 0)


def test_a_changed_offense_replaces_the_stored_one_and_its_case_is_derived_again(tmp_path):
    with Store(tmp_path / "s") as st:
        st.ingest_files([write_csv(tmp_path / "a.csv", CASES)])
        # the robbery of case 001 is corrected to a homicide under the same uniquenibrno
        changed = offense("241204001", "120", 2, 3) | {"nibr_code": "09A"}
        rep = st.ingest_files([write_csv(tmp_path / "b.csv", [changed])])[0]
        assert (rep.stored, rep.duplicates_merged, rep.reconciles) == (0, 1, True)
        assert st.query("SELECT count(*) AS n FROM offenses")["n"].iloc[0] == 6
        row = st.query("SELECT * FROM incidents WHERE record_id = '241204001'").iloc[0]
        assert (row["crime_category"], row["offenses"]) == ("homicide", 3)


# (what is wrong, the rows, reason expected in the quarantine or None, warning expected or None)
BAD = [
    (
        "1800 placeholder date",
        [offense(date_occ="1800-01-01T00:00:00.000")],
        "placeholder occurred date (1800-01-01)",
        None,
    ),
    (
        "pre-2010 date",
        [offense(date_occ="2009-12-31T00:00:00.000")],
        "occurred date before 2010 (2009-12-31)",
        None,
    ),
    ("unknown code", [offense(nibr_code="99X")], "unknown NIBRS offense code (99X)", None),
    ("legacy code in a NIBRS file", [offense(nibr_code="624")], "unknown NIBRS offense code", None),
    ("blank code", [offense(nibr_code="")], "no NIBRS offense code", None),
    ("empty caseno", [offense(caseno="")], "blank case number (caseno)", None),
    ("blank uniquenibrno", [offense(uniquenibrno="")], "blank offense id (uniquenibrno)", None),
    ("unknown area", [offense(area="99", area_name="Atlantis")], "unknown area (99)", None),
    (
        "crime_against list",
        [offense(crime_against="Person,Property")],
        None,
        "list several crimes against",
    ),
    (
        "totaloffensecount disagrees",
        [offense(total=3), offense(code="13B", seq=2, total=3)],
        None,
        "1 case(s) state a totaloffensecount",
    ),
    (
        "(0,0) coordinates",
        [offense(hndrdth_lat="0", hndrdth_lon="0")],
        None,
        "no coordinates for 1 of 2 offenses (1 at 0,0",
    ),
    (
        "withheld coordinates",
        [offense(hndrdth_lat="", hndrdth_lon="", hndrdth_loc_chk="")],
        None,
        "0 at 0,0 or outside Los Angeles, 1 empty",
    ),
]


@pytest.mark.parametrize(("what", "rows", "reason", "warning"), BAD, ids=[b[0] for b in BAD])
def test_bad_nibrs_rows_are_quarantined_or_flagged(tmp_path, what, rows, reason, warning):
    good = offense("241204099", "23H", 1, 1, crime_against="Property")
    path = write_csv(tmp_path / "bad.csv", [good, *rows])
    with Store(tmp_path / "s") as st:
        rep = st.ingest_files([path])[0]
        assert rep.reconciles, rep
        assert rep.rows_read == 1 + len(rows)
        q = st.quarantine()
        if reason:
            assert rep.quarantined == len(rows), what
            assert q["reason"].str.startswith(reason).all(), q["reason"].tolist()
            assert q["row_number"].tolist() == [2]  # the data row in the file
            assert (json.loads(q["raw"].iloc[0])["nibr_code"] or "") == rows[0]["nibr_code"]
        else:
            assert rep.quarantined == 0 and st.count() >= 2, what
            assert any(warning in w for w in rep.warnings), rep.warnings
        if what.endswith("coordinates"):
            assert st.info()["sources"]["bad.csv"]["no_coordinates"] == 1
            assert st.query("SELECT count(lat) AS n FROM incidents")["n"].iloc[0] == 1


def test_duplicate_uniquenibrno_identical_merges_different_quarantines(tmp_path):
    a = offense("241204050", "13B")
    rows = [a, dict(a), a | {"weapon_used_cd": "200", "weapon_desc": "KNIFE"}, dict(a)]
    # rows 1, 2 and 4 are identical, row 3 differs; the last row (4) wins, so row 3 is the one
    # superseded with different content; the identical rows merge.
    path = write_csv(tmp_path / "dup.csv", rows)
    with Store(tmp_path / "s") as st:
        rep = st.ingest_files([path])[0]
        assert rep.reconciles
        assert (rep.rows_read, rep.stored, rep.quarantined, rep.duplicates_merged) == (4, 1, 1, 2)
        q = st.quarantine()
        assert q["reason"].iloc[0].startswith("duplicate uniquenibrno with different content")
        assert q["row_number"].tolist() == [3]
        assert st.query("SELECT weapon_code FROM offenses")["weapon_code"].tolist() == [400]


def test_a_nibrs_file_without_a_case_number_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "nocase.csv"
    path.write_text("uniquenibrno,date_occ,nibr_code,area\nX1,2024-06-01,13A,1\n")
    with Store(tmp_path / "s") as st, pytest.raises(InputFileError) as exc:
        st.ingest_files([path])
    assert "NIBRS offenses file" in str(exc.value) and "caseno" in str(exc.value)


def test_info_json_carries_offenses_and_incidents_per_source(tmp_path):
    import subprocess
    import sys

    nibrs = write_csv(tmp_path / "nibrs.csv", CASES)
    legacy = _legacy(tmp_path / "legacy.csv", ["241204002", "241299999"])
    store = tmp_path / "s"
    run = [sys.executable, "-m", "crimecast.cli"]
    for p in (legacy, nibrs):
        res = subprocess.run([*run, "ingest", str(p), "--store", str(store)], capture_output=True)
        assert res.returncode == 0, res.stderr
    res = subprocess.run(
        [*run, "info", "--store", str(store), "--json"], capture_output=True, text=True
    )
    data = json.loads(res.stdout)
    nib = data["sources"]["nibrs.csv"]
    assert (nib["system"], nib["offenses"], nib["incidents"]) == ("nibrs", 6, 3)
    assert data["sources"]["legacy.csv"]["offenses"] == 1
    assert data["sources"]["legacy.csv"]["incidents"] == 1
    assert data["sources"]["legacy.csv"]["matched_to_nibrs"] == 1
    assert (data["incidents"], data["offenses"], data["cases_in_both_feeds"]) == (4, 7, 1)
    text = subprocess.run(
        [*run, "info", "--store", str(store)], capture_output=True, text=True
    ).stdout
    assert "offenses 7" in text and "in both the legacy and the NIBRS feed" in text


def test_a_store_made_before_nibrs_reads_and_is_migrated(tmp_path):
    import duckdb

    with Store(tmp_path / "s") as st:
        st.ingest_files([_legacy(tmp_path / "legacy.csv", ["241204001", "241299999"])])
    # the store as it was before offenses: no NIBRS tables, no incident columns for them
    con = duckdb.connect(str(tmp_path / "s" / "crimecast.duckdb"))
    con.execute("DROP TABLE offenses")
    con.execute("DROP TABLE legacy_matched")
    for col in ("record_system", "offense_code", "offenses"):
        con.execute(f"ALTER TABLE incidents DROP COLUMN {col}")
    con.close()
    with Store(tmp_path / "s", read_only=True) as st:
        info = st.info()
        assert (info["offenses"], info["incidents"]) == (2, 2)
        assert info["sources"]["legacy.csv"]["system"] == "legacy"
    with Store(tmp_path / "s") as st:  # a writer adds what is missing
        got = st.query("SELECT record_system, offense_code, offenses FROM incidents")
        assert got.values.tolist() == [["legacy", "210", 1]] * 2
        st.ingest_files([write_csv(tmp_path / "nibrs.csv", CASES)])
        assert st.count() == 4 and st.info()["cases_in_both_feeds"] == 1


_BAD_ROWS = [rows[0] for _, rows, reason, _ in BAD if reason]


@settings(max_examples=15, deadline=None)
@given(
    picks=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, len(_BAD_ROWS)), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
def test_every_row_is_stored_quarantined_or_merged_and_each_case_counts_once(picks):
    """Random mixes of good offenses (some repeated), bad rows and changed repeats: rows read
    always equal stored + quarantined + merged, and the incidents are exactly the cases with a
    stored offense."""
    rows = []
    for case, bad, changed in picks:
        if bad < len(_BAD_ROWS):
            rows.append(dict(_BAD_ROWS[bad]))
        else:
            r = offense(f"24120{case:04d}", ["13A", "23H", "120"][case % 3], 1 + case % 2)
            rows.append(r | ({"weapon_used_cd": "200"} if changed else {}))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_csv(Path(tmp) / "mix.csv", rows)
        with Store(Path(tmp) / "s") as store:
            rep = store.ingest_files([path])[0]
            assert rep.reconciles and rep.rows_read == len(rows)
            cases = store.query("SELECT count(DISTINCT case_id) AS n FROM offenses")["n"].iloc[0]
            assert store.count() == cases
            total = store.query("SELECT coalesce(sum(offenses), 0) AS n FROM incidents")["n"][0]
            assert total == rep.stored
