"""Malformed inputs: each gives a clear error naming the file (and the field), or quarantined rows
with their reasons; never a traceback; counts always reconcile."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from crimecast.store import Store

HEADER = "DR_NO,Date Rptd,DATE OCC,TIME OCC,AREA,AREA NAME,Crm Cd,Crm Cd Desc,Vict Age,LAT,LON"


def row(
    dr="200100001",
    rptd="01/02/2020 12:00:00 AM",
    occ="01/01/2020 12:00:00 AM",
    time="1200",
    area="1",
    name="Central",
    code="624",
    desc="BATTERY - SIMPLE ASSAULT",
    age="30",
    lat="34.05",
    lon="-118.25",
):
    return ",".join([dr, rptd, occ, time, area, name, code, desc, age, lat, lon])


GOOD = [row(), row(dr="200100002", area="3", name="Southwest", code="510", desc="VEHICLE - STOLEN")]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return p


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crimecast.cli", *args], capture_output=True, text=True, timeout=120
    )


def ingest_ok(tmp_path: Path, path: Path) -> dict:
    """Ingest through the CLI; it must succeed and reconcile. Returns the file's report."""
    store = tmp_path / "store"
    res = run_cli("ingest", str(path), "--store", str(store), "--json")
    assert res.returncode == 0, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    report = json.loads(res.stdout)[0]
    assert report["reconciles"]
    assert report["rows_read"] == (
        report["stored"] + report["quarantined"] + report["duplicates_merged"]
    )
    with Store(store, read_only=True) as st:
        info = st.info()
        assert info["incidents"] == report["stored"]
        assert info["quarantined"] == report["quarantined"]
        report["_quarantine"] = st.quarantine()
        report["_incidents"] = st.incidents()
    return report


def ingest_refused(tmp_path: Path, path: Path, *words: str) -> str:
    """Ingest through the CLI; it must fail with a message naming the file, no traceback."""
    res = run_cli("ingest", str(path), "--store", str(tmp_path / "store"))
    out = res.stderr + res.stdout
    assert res.returncode != 0
    assert "Traceback" not in out
    assert "error:" in out and "fix:" in out
    assert path.name in out
    for w in words:
        assert w.lower() in out.lower(), out
    return out


def reasons(report) -> list[str]:
    return list(report["_quarantine"]["reason"])


# --- refused files --------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    ingest_refused(tmp_path, write(tmp_path, "empty.csv", ""), "empty")


def test_header_only(tmp_path):
    ingest_refused(tmp_path, write(tmp_path, "header.csv", HEADER + "\n"), "no data rows")


def test_binary_garbage(tmp_path):
    ingest_refused(tmp_path, write(tmp_path, "garbage.csv", bytes(range(256)) * 8), "binary")


def test_truncated_gzip(tmp_path):
    data = gzip.compress(("\n".join([HEADER, *GOOD * 200]) + "\n").encode())
    ingest_refused(tmp_path, write(tmp_path, "cut.csv.gz", data[: len(data) // 2]), "gzip")


def test_empty_gzip(tmp_path):
    ingest_refused(tmp_path, write(tmp_path, "empty.csv.gz", gzip.compress(b"")), "empty")


def test_missing_required_columns_are_listed(tmp_path):
    text = "DR_NO,Vict Age,LOCATION\n1,30,MAIN ST\n"
    out = ingest_refused(tmp_path, write(tmp_path, "missing.csv", text), "occurred date", "crime")
    assert "area" in out.lower()


def test_missing_only_the_crime(tmp_path):
    text = "DR_NO,DATE OCC,AREA\n1,01/01/2020,1\n"
    out = ingest_refused(tmp_path, write(tmp_path, "nocrime.csv", text), "crime")
    assert "occurred date;" not in out


def test_wrong_delimiter(tmp_path):
    text = HEADER.replace(",", "#") + "\n" + GOOD[0].replace(",", "#") + "\n"
    ingest_refused(tmp_path, write(tmp_path, "hash.csv", text), "delimiter")


def test_json_not_records(tmp_path):
    ingest_refused(tmp_path, write(tmp_path, "x.json", "[1, 2, 3]"), "list of records")


def test_json_malformed(tmp_path):
    ingest_refused(tmp_path, write(tmp_path, "bad.json", '[{"DR_NO": 1, '), "json")


def test_no_such_file(tmp_path):
    res = run_cli("ingest", str(tmp_path / "nope.csv"), "--store", str(tmp_path / "s"))
    assert res.returncode != 0 and "no such file" in res.stderr and "Traceback" not in res.stderr


def test_directory_instead_of_file(tmp_path):
    d = tmp_path / "adir"
    d.mkdir()
    res = run_cli("ingest", str(d), "--store", str(tmp_path / "s"))
    assert res.returncode != 0 and "directory" in res.stderr and "Traceback" not in res.stderr


def test_r_data_file(tmp_path):
    ingest_refused(tmp_path, write(tmp_path, "x.RData", b"RDX3\n" + b"\x00" * 50), "R data")


def test_month_name_dates_refused(tmp_path):
    text = "DR Number,Date Occurred,Area ID,Crime Code\n1,January,1,624\n2,June,2,510\n"
    ingest_refused(tmp_path, write(tmp_path, "months.csv", text), "no usable dates", "January")


# --- files that load, with rows quarantined or repaired ---------------------------------------------


def test_bom_and_crlf(tmp_path):
    text = "\ufeff" + "\r\n".join([HEADER, *GOOD]) + "\r\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "bom.csv", text))
    assert rep["stored"] == 2 and rep["quarantined"] == 0
    assert set(rep["_incidents"]["record_id"]) == {"200100001", "200100002"}


def test_latin1_bytes(tmp_path):
    text = HEADER + ",Cross Street\n" + GOOD[0] + ",CAF\xc9 ST\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "latin.csv", text.encode("latin-1")))
    assert rep["stored"] == 1
    assert rep["_incidents"]["cross_street"].iloc[0] == "CAFÉ ST"
    assert any("latin-1" in w for w in rep["warnings"])


def test_extra_and_duplicated_columns(tmp_path):
    text = HEADER + ",DATE OCC,Notes\n" + GOOD[0] + ",44119,hello\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "dup.csv", text))
    assert rep["stored"] == 1
    assert str(rep["_incidents"]["occurred_date"].iloc[0])[:10] == "2020-01-01"  # first one wins


def test_blank_header_names_and_index_column(tmp_path):
    text = ",DR_NO,DATE OCC,AREA,Crm Cd,,\n0,5,01/01/2020,1,624,,\n1,6,01/02/2020,2,510,,\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "blank.csv", text))
    assert rep["stored"] == 2


def test_huge_field(tmp_path):
    big = "X" * 2_000_000
    text = HEADER + ",LOCATION\n" + GOOD[0] + "," + big + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "huge.csv", text))
    assert rep["stored"] == 1
    assert len(rep["_incidents"]["location"].iloc[0]) == 2_000_000


@pytest.mark.parametrize(
    "occ",
    ["01/01/2020 12:00:00 AM", "1/1/2020 0:00", "2020-01-01T00:00:00.000", "1/1/20", "20200101"],
)
def test_date_formats(tmp_path, occ):
    text = HEADER + "\n" + row(occ=occ, rptd=occ) + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "dates.csv", text))
    assert rep["stored"] == 1
    assert str(rep["_incidents"]["occurred_date"].iloc[0])[:10] == "2020-01-01"


def test_day_first_file(tmp_path):
    text = HEADER + "\n" + row(occ="25/12/2020", rptd="26/12/2020") + "\n"
    text += row(dr="2", occ="1/02/2021", rptd="1/02/2021") + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "dmy.csv", text))
    dates = sorted(str(d)[:10] for d in rep["_incidents"]["occurred_date"])
    assert dates == ["2020-12-25", "2021-02-01"]


def test_garbage_dates(tmp_path):
    text = HEADER + "\n" + GOOD[0] + "\n" + row(dr="2", occ="not a date") + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "gdates.csv", text))
    assert rep["stored"] == 1 and rep["quarantined"] == 1
    assert reasons(rep)[0].startswith("unparseable occurred date (not a date)")
    assert int(rep["_quarantine"]["row_number"].iloc[0]) == 2


def test_future_dates(tmp_path):
    text = HEADER + "\n" + row(occ="01/01/2099", rptd="01/02/2099") + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "future.csv", text))
    assert reasons(rep) == ["occurred in the future"]


def test_occurred_after_reported(tmp_path):
    text = HEADER + "\n" + row(occ="01/05/2020", rptd="01/01/2020") + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "after.csv", text))
    assert reasons(rep) == ["occurred after reported"]


def test_negative_and_zero_ages_become_null(tmp_path):
    text = "\n".join([HEADER, row(age="-3"), row(dr="2", age="0"), row(dr="3", age="abc")]) + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "ages.csv", text))
    assert rep["stored"] == 3 and rep["_incidents"]["victim_age"].isna().all()


def test_duplicate_record_ids_newest_wins(tmp_path):
    text = "\n".join([HEADER, row(code="624"), row(code="510", desc="VEHICLE - STOLEN")]) + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "dups.csv", text))
    assert rep["stored"] == 1 and rep["duplicates_merged"] == 1
    assert int(rep["_incidents"]["crime_code"].iloc[0]) == 510


def test_padded_ids_are_the_same_record(tmp_path):
    text = "\n".join([HEADER, row(dr="010304468"), row(dr="10304468")]) + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "pad.csv", text))
    assert rep["stored"] == 1 and rep["duplicates_merged"] == 1
    assert rep["_incidents"]["record_id"].iloc[0] == "10304468"


def test_zero_and_outside_coordinates_become_null(tmp_path):
    text = "\n".join([HEADER, row(lat="0", lon="0"), row(dr="2", lat="40.7", lon="-74.0")]) + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "coords.csv", text))
    assert rep["stored"] == 2
    assert rep["_incidents"]["lat"].isna().all() and rep["_incidents"]["lon"].isna().all()


def test_unknown_area_number(tmp_path):
    text = HEADER + "\n" + row(area="42", name="Atlantis") + "\n" + GOOD[1] + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "area.csv", text))
    assert reasons(rep) == ["unknown area (42)"]


def test_area_name_only_spellings(tmp_path):
    text = "DR_NO,DATE OCC,AREA NAME,Crm Cd\n1,01/01/2020,N Hollywood,624\n"
    text += "2,01/01/2020,North Hollywood,624\n3,01/01/2020,WEST LOS ANGELES,624\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "names.csv", text))
    assert sorted(rep["_incidents"]["area_id"]) == [8, 15, 15]
    assert set(rep["_incidents"]["area_name"]) == {"N Hollywood", "West LA"}


def test_blank_record_id(tmp_path):
    text = HEADER + "\n" + row(dr="") + "\n" + GOOD[1] + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "blankid.csv", text))
    assert reasons(rep) == ["blank record id"]


def test_no_crime(tmp_path):
    text = HEADER + "\n" + row(code="", desc="") + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "nocrime.csv", text))
    assert reasons(rep) == ["no crime code or description"]


def test_description_without_code_is_mapped(tmp_path):
    text = "DR_NO,DATE OCC,AREA,Crm Cd Desc\n1,01/01/2020,1,VEHICLE - STOLEN\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "desc.csv", text))
    inc = rep["_incidents"].iloc[0]
    assert int(inc["crime_code"]) == 510 and inc["crime_category"] == "motor-vehicle theft"


def test_row_with_too_many_fields(tmp_path):
    text = HEADER + "\n" + GOOD[0] + ",extra\n" + GOOD[1] + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "many.csv", text))
    assert rep["stored"] == 1 and rep["quarantined"] == 1
    assert reasons(rep)[0] == "long row (more than 11 fields)"


def test_unterminated_quote(tmp_path):
    text = HEADER + "\n" + GOOD[0] + '\n"200100009,01/01/2020\n'
    rep = ingest_ok(tmp_path, write(tmp_path, "quote.csv", text))
    assert rep["stored"] == 1 and rep["quarantined"] == 1
    assert "malformed CSV line" in reasons(rep)[0]


def test_truncated_last_line(tmp_path):
    text = HEADER + "\n" + GOOD[0] + "\n200100002,01/03/2020 12:00:00 AM,01/02/20"
    rep = ingest_ok(tmp_path, write(tmp_path, "cut.csv", text))
    assert rep["stored"] == 1 and rep["quarantined"] == 1
    assert rep["_quarantine"]["row_number"].iloc[0] == 2
    assert reasons(rep) == ["truncated last line: the file ends in the middle of this row"]


def test_cut_in_the_coordinates_is_not_stored(tmp_path):
    """Cut inside LAT: the date, crime and area are all there, but a cut row is not trusted."""
    whole = row(dr="2")
    text = HEADER + "\n" + GOOD[0] + "\n" + whole[: whole.rindex(",") - 3]
    rep = ingest_ok(tmp_path, write(tmp_path, "cut_lon.csv", text))
    assert rep["stored"] == 1 and rep["quarantined"] == 1
    assert reasons(rep)[0].startswith("truncated last line")


def test_last_line_without_newline_but_whole_is_stored(tmp_path):
    text = HEADER + "\n" + GOOD[0] + "\n" + row(dr="2")
    rep = ingest_ok(tmp_path, write(tmp_path, "no_eol.csv", text))
    assert rep["stored"] == 2 and rep["quarantined"] == 0


def test_bad_time_keeps_the_row(tmp_path):
    text = "\n".join([HEADER, row(time="2599"), row(dr="2", time="x")]) + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "time.csv", text))
    assert rep["stored"] == 2 and rep["_incidents"]["hour"].isna().all()


def test_na_and_null_strings(tmp_path):
    text = HEADER + ",Weapon Desc\n" + GOOD[0] + ",NA\n" + GOOD[1] + ",null\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "na.csv", text))
    assert rep["stored"] == 2 and rep["_incidents"]["weapon_desc"].isna().all()


def test_no_ids_is_a_warning_and_idempotent(tmp_path):
    text = "DATE OCC,AREA,Crm Cd\n01/01/2020,1,624\n01/02/2020,2,510\n"
    path = write(tmp_path, "noid.csv", text)
    rep = ingest_ok(tmp_path, path)
    assert rep["stored"] == 2 and any("no record ids" in w for w in rep["warnings"])
    assert all(r.startswith("h:") for r in rep["_incidents"]["record_id"])
    # The same rows in another file (different bytes) merge into the same records.
    again = write(tmp_path, "noid2.csv", text + "\n")
    with Store(tmp_path / "store") as st:
        r2 = st.ingest_files([again])[0]
        assert r2.stored == 0 and r2.duplicates_merged == 2 and st.count() == 2


def test_all_rows_bad_changes_no_incidents(tmp_path):
    text = HEADER + "\n" + row(occ="garbage") + "\n" + row(dr="2", area="99", name="x") + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "allbad.csv", text))
    assert rep["stored"] == 0 and rep["quarantined"] == 2


def test_semicolon_and_tab_delimiters(tmp_path):
    for name, d in (("semi.csv", ";"), ("tab.tsv", "\t")):
        text = "\n".join(line.replace(",", d) for line in [HEADER, *GOOD]) + "\n"
        sub = tmp_path / name.split(".")[0]
        sub.mkdir()
        rep = ingest_ok(sub, write(sub, name, text))
        assert rep["stored"] == 2


def test_parquet_file(tmp_path):
    df = pd.DataFrame([r.split(",") for r in GOOD], columns=HEADER.split(","))
    path = tmp_path / "x.parquet"
    df.to_parquet(path)
    rep = ingest_ok(tmp_path, path)
    assert rep["stored"] == 2


def test_json_api_records(tmp_path):
    recs = [
        {"dr_no": "1", "date_occ": "2020-01-01T00:00:00.000", "area": "01", "crm_cd": "624"},
        {"dr_no": "2", "date_occ": "2020-01-02T00:00:00.000", "area": "02", "crm_cd": "510"},
    ]
    rep = ingest_ok(tmp_path, write(tmp_path, "api.json", json.dumps(recs)))
    assert rep["stored"] == 2 and sorted(rep["_incidents"]["area_id"]) == [1, 2]


def test_old_export_location_column(tmp_path):
    text = (
        "DR Number,Date Reported,Date Occurred,Time Occurred,Area ID,Crime Code,Location \n"
        '131407448,02/22/2013,02/21/2013,1700,14,310,"(33.9783, -118.3991)"\n'
    )
    rep = ingest_ok(tmp_path, write(tmp_path, "old.csv", text))
    inc = rep["_incidents"].iloc[0]
    assert inc["lat"] == pytest.approx(33.9783) and inc["lon"] == pytest.approx(-118.3991)


def test_truncated_last_line_in_gzip(tmp_path):
    text = HEADER + "\n" + GOOD[0] + "\n200100002,01/03/2020 12:00:00 AM,01/02/20"
    rep = ingest_ok(tmp_path, write(tmp_path, "cut.csv.gz", gzip.compress(text.encode())))
    assert rep["stored"] == 1 and reasons(rep)[0].startswith("truncated last line")


# --- one bad value quarantines its row, never the file -------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("code", "99999", "crime code 99999 out of range"),
        ("code", "-5", "code not a whole number: crime code -5"),
        ("area", "3.5", "code not a whole number: area 3.5"),
        ("area", "-2", "code not a whole number: area -2"),
    ],
)
def test_an_unusable_code_quarantines_only_its_row(tmp_path, field, value, reason):
    text = "\n".join([HEADER, row(**{field: value}), GOOD[1]]) + "\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "codes.csv", text))
    assert rep["stored"] == 1 and rep["quarantined"] == 1
    assert reasons(rep) == [reason]
    assert rep["_incidents"]["record_id"].tolist() == ["200100002"]


def test_an_out_of_range_code_in_json_quarantines_its_row(tmp_path):
    records = [
        {"DR_NO": 1, "DATE OCC": "01/02/2020", "AREA": 1, "Crm Cd": 99999},
        {"DR_NO": 2, "DATE OCC": "01/02/2020", "AREA": 1, "Crm Cd": 510},
    ]
    rep = ingest_ok(tmp_path, write(tmp_path, "ovf.json", json.dumps(records)))
    assert rep["stored"] == 1 and reasons(rep) == ["crime code 99999 out of range"]


def test_a_newline_inside_a_quoted_field_is_read(tmp_path):
    text = (
        'DR_NO,DATE OCC,AREA,Crm Cd,LOCATION\n1,01/02/2020,1,510,"L1\nL2"\n2,01/02/2020,1,510,X\n'
    )
    rep = ingest_ok(tmp_path, write(tmp_path, "nl.csv", text))
    assert rep["stored"] == 2 and rep["quarantined"] == 0
    locations = rep["_incidents"].set_index("record_id")["location"]
    assert locations["1"] == "L1\nL2" and locations["2"] == "X"


def test_a_short_row_inside_a_file_is_quarantined_not_padded(tmp_path):
    text = (
        "DR_NO,DATE OCC,AREA,Crm Cd,LAT,LON\n1,01/02/2020,1,510\n"
        "2,01/02/2020,1,510,34.05,-118.25\n3,01/03/2020,1,510,34.06,-118.26\n"
    )
    rep = ingest_ok(tmp_path, write(tmp_path, "short.csv", text))
    assert rep["stored"] == 2 and reasons(rep) == ["short row (4 of 6 fields)"]
    assert rep["_quarantine"]["row_number"].tolist() == [1]


def test_a_point_column_beside_an_address_gives_the_coordinates(tmp_path):
    text = (
        "DR Number,Date Occurred,Area ID,Crime Code,Address,Location \n"
        '131407448,02/21/2013,14,310,6400    RIGGS  PL,"(33.9783, -118.3991)"\n'
        '130111421,04/29/2013,01,310,100 S  FIGUEROA ST,"(34.0578, -118.252)"\n'
    )
    rep = ingest_ok(tmp_path, write(tmp_path, "old.csv", text))
    inc = rep["_incidents"].set_index("record_id")
    assert inc.loc["131407448", ["lat", "lon"]].tolist() == [33.9783, -118.3991]
    assert inc.loc["130111421", "location"] == "100 S FIGUEROA ST"


def test_the_real_2013_export_keeps_its_coordinates(tmp_path, incidents_dir):
    rep = ingest_ok(tmp_path, incidents_dir / "sigmaenigma_burglary_2013_full_year.csv.gz")
    inc = rep["_incidents"]
    assert rep["stored"] == 7415
    assert inc["lat"].notna().mean() > 0.99 and inc["lat"].between(33.7, 34.35).all()


def test_special_files_are_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    ingest_refused(tmp_path, fifo, "not a regular file")
    out = ingest_refused(tmp_path, Path("/dev/zero"), "not a regular file")
    assert "save the data to a file" in out
    loop = tmp_path / "loop.csv"
    loop.symlink_to(tmp_path / "loop2.csv")
    (tmp_path / "loop2.csv").symlink_to(loop)
    ingest_refused(tmp_path, loop, "points back to itself")


def test_a_multi_file_ingest_keeps_the_good_files_and_says_which_failed(tmp_path):
    good = write(tmp_path, "good.csv", "\n".join([HEADER, *GOOD]) + "\n")
    bad = write(tmp_path, "bad.csv", "")
    later = write(tmp_path, "later.csv", "\n".join([HEADER, row(dr="200100009")]) + "\n")
    store = tmp_path / "store"
    res = run_cli("ingest", str(good), str(bad), str(later), "--store", str(store))
    out = res.stdout + res.stderr
    assert res.returncode != 0 and "Traceback" not in out
    assert "1 of 3 file(s) not ingested" in out and "bad.csv" in out
    assert "2 other file(s) were stored (3 incidents)" in out
    with Store(store, read_only=True) as st:
        assert st.count() == 3
        assert sorted(st.incidents()["record_id"]) == ["200100001", "200100002", "200100009"]
    # the same run again: the kept files are recognised, the bad one is still named
    res = run_cli("ingest", str(good), str(bad), str(later), "--store", str(store))
    out = res.stdout + res.stderr
    assert "already ingested" in out and "2 other file(s) were already in the store" in out


# --- messages that say what to do ----------------------------------------------------------------
def test_utf16_zip_blank_and_tableless_files_say_how_to_fix_them(tmp_path):
    text = "\n".join([HEADER, *GOOD]) + "\n"
    out = ingest_refused(tmp_path, write(tmp_path, "u16.csv", text.encode("utf-16")), "UTF-16")
    assert "UTF-8" in out
    bom_less = text.encode("utf-16-le")
    ingest_refused(tmp_path, write(tmp_path, "u16le.csv", bom_less), "UTF-16", "UTF-8")
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner.csv", text)
    ingest_refused(tmp_path, write(tmp_path, "data.zip", buf.getvalue()), "zip archive", "unzip")
    ingest_refused(tmp_path, write(tmp_path, "blank.csv", "   \n  \n"), "blank", "header")
    import sqlite3

    db = tmp_path / "empty.sqlite"
    sqlite3.connect(db).execute("CREATE TABLE t (a)").execute("DROP TABLE t").connection.close()
    ingest_refused(tmp_path, db, "no tables")


def test_values_set_blank_on_ingest_are_counted(tmp_path):
    text = (
        "DR_NO,DATE OCC,TIME OCC,AREA,Crm Cd,Vict Age,LAT,LON\n"
        "1,01/02/2020,2561,1,510,-1,0,0\n2,01/02/2020,1200,1,510,30,34.05,-118.25\n"
        "3,01/03/2020,0930,1,510,0,0,0\n"
    )
    rep = ingest_ok(tmp_path, write(tmp_path, "nulls.csv", text))
    said = " | ".join(rep["warnings"])
    assert "1 of 3 rows had times of day that are not a clock time" in said
    assert "2 of 3 rows had victim ages of 0" in said
    assert "2 of 3 rows had coordinates of 0,0 or outside Los Angeles" in said
    assert rep["_incidents"]["lat"].notna().sum() == 1


def test_a_coordinate_column_that_gives_nothing_is_said(tmp_path):
    text = "DR_NO,DATE OCC,AREA,Crm Cd,LAT,LON\n1,01/02/2020,1,510,0,0\n2,01/02/2020,2,510,0,0\n"
    rep = ingest_ok(tmp_path, write(tmp_path, "nocoords.csv", text))
    assert any("gave no usable coordinates for any row" in w for w in rep["warnings"])


def test_a_store_of_one_month_says_no_month_is_complete(tmp_path):
    path = write(tmp_path, "one.csv", "\n".join([HEADER, *GOOD]) + "\n")
    res = run_cli("ingest", str(path), "--store", str(tmp_path / "store"))
    said = res.stdout + res.stderr
    assert res.returncode == 0 and "None" not in said
    assert "no month is complete yet" in said


def test_an_area_number_that_disagrees_with_its_name_is_flagged(tmp_path):
    text = (
        "DR_NO,DATE OCC,AREA,AREA NAME,Crm Cd\n1,01/02/2020,4,Southeast,510\n"
        "2,01/02/2020,1,Central,510\n3,01/02/2020,15,N Hollywood,510\n"
    )
    rep = ingest_ok(tmp_path, write(tmp_path, "disagree.csv", text))
    assert rep["stored"] == 3
    assert any(
        "1 stored row(s) have an AREA number that names another area" in w for w in rep["warnings"]
    )
