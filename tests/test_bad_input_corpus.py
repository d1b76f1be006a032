"""The bad-input corpus: one table of malformed and awkward inputs, each with its outcome class
(the README's table): stored, stored with rows quarantined for a stated reason, or refused with a
message that names the file and says how to fix it. Every case runs through `crimecast ingest`
as a user would; none may end in a traceback, and every stored file reconciles exactly:
rows read = stored + quarantined + duplicates merged, and the store holds what the report says.

Detailed checks of single cases (which value was kept, which row number) are in
tests/test_bad_input.py; this file holds the whole corpus to one uniform standard."""

from __future__ import annotations

import gzip
import io
import json
import sqlite3
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from crimecast.cli import main as cli_main
from crimecast.store import Store

H = "DR_NO,Date Rptd,DATE OCC,TIME OCC,AREA,AREA NAME,Crm Cd,Crm Cd Desc,Vict Age,LAT,LON"


def r(dr=1, rptd="01/02/2020", occ="01/01/2020", t="1200", area="1", name="Central", code="624",
      desc="BATTERY - SIMPLE ASSAULT", age="30", lat="34.05", lon="-118.25"):  # fmt: skip
    return ",".join(map(str, [dr, rptd, occ, t, area, name, code, desc, age, lat, lon]))


def csv(*rows: str, header: str = H, end: str = "\n") -> str:
    return "\n".join([header, *rows]) + end


GOOD = csv(r(1), r(2, area="3", name="Southwest", code="510", desc="VEHICLE - STOLEN"))


def _zip(text: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("inner.csv", text)
    return buf.getvalue()


def _parquet(text: str) -> bytes:
    buf = io.BytesIO()
    pd.read_csv(io.StringIO(text), dtype=str).to_parquet(buf)
    return buf.getvalue()


def _records(*rows: dict) -> str:
    return json.dumps(list(rows))


BASE_JSON = {"dr_no": "1", "date_occ": "2020-01-01T00:00:00.000", "area": "01",
             "area_name": "Central", "crm_cd": "624", "lat": "34.05", "lon": "-118.25"}  # fmt: skip


@dataclass(frozen=True)
class Case:
    name: str
    file: str
    content: str | bytes | None  # None: the case makes its own path (see SPECIAL)
    outcome: str  # "stored" | "quarantined" | "refused"
    stored: int = 0
    quarantined: int = 0
    merged: int = 0
    says: str = ""  # in a quarantine reason, a warning, or the refusal message


def stored(name, file, content, n, merged=0, says=""):
    return Case(name, file, content, "stored", stored=n, merged=merged, says=says)


def quarantined(name, file, content, n, q, says):
    return Case(name, file, content, "quarantined", stored=n, quarantined=q, says=says)


def refused(name, file, content, says):
    return Case(name, file, content, "refused", says=says)


CASES = [
    # --- files that cannot be a table: refused, naming the file, with a fix ----------------------
    refused("empty file", "empty.csv", "", "empty"),
    refused("header only", "header.csv", H + "\n", "no data rows"),
    refused("binary garbage", "garbage.csv", bytes(range(256)) * 8, "binary"),
    refused("cut gzip", "cut.csv.gz", gzip.compress(GOOD.encode() * 300)[:400], "gzip"),
    refused("empty gzip", "empty.csv.gz", gzip.compress(b""), "empty"),
    refused("no required columns", "cols.csv", "DR_NO,Vict Age\n1,30\n", "occurred date"),
    refused("no crime column", "nocrime.csv", "DR_NO,DATE OCC,AREA\n1,01/01/2020,1\n", "crime"),
    refused("hash delimiter", "hash.csv", GOOD.replace(",", "#"), "delimiter"),
    refused("json numbers", "nums.json", "[1, 2, 3]", "list of records"),
    refused("json cut", "cut.json", '[{"DR_NO": 1, ', "json"),
    refused("json empty list", "none.json", "[]", "no records"),
    refused("R data", "x.RData", b"RDX3\n" + b"\x00" * 50, "R data"),
    refused("month-name dates", "months.csv",
            "DR_NO,DATE OCC,AREA,Crm Cd\n1,January,1,624\n2,June,2,510\n", "no usable dates"),
    refused("UTF-16 with BOM", "u16.csv", GOOD.encode("utf-16"), "UTF-8"),
    refused("UTF-16 without BOM", "u16le.csv", GOOD.encode("utf-16-le"), "UTF-8"),
    refused("zip archive", "data.zip", _zip(GOOD), "unzip"),
    refused("zip named csv", "data.csv", _zip(GOOD), "unzip"),
    refused("whitespace only", "blank.csv", "   \n  \n", "blank"),
    refused("HTML error page", "page.csv",
            "<!DOCTYPE html><html><body>Service unavailable</body></html>\n", "web page (HTML)"),
    refused("blank header names only", "noname.csv", ",,\n1,2,3\n", "occurred date"),
    refused("no such file", "missing.csv", None, "no such file"),
    refused("a directory", "adir", None, "directory"),
    refused("a named pipe", "pipe.csv", None, "not a regular file"),
    refused("a symlink loop", "loop.csv", None, "points back to itself"),
    refused("sqlite without tables", "empty.sqlite", None, "no tables"),
    refused("every row bad", "allbad.csv", csv(r(1, occ="x"), r(2, occ="y")), "no usable dates"),
    # --- stored as they are --------------------------------------------------------------------
    stored("two good rows", "good.csv", GOOD, 2),
    stored("BOM and CRLF", "bom.csv", "\ufeff" + GOOD.replace("\n", "\r\n"), 2),
    stored("latin-1 bytes", "latin.csv",
           csv(r(1) + ",CAF\xc9 ST", header=H + ",Cross Street").encode("latin-1"), 1, says="latin-1"),
    stored("duplicated column", "dupcol.csv", csv(r(1) + ",44119", header=H + ",DATE OCC"), 1),
    stored("extra columns", "extra.csv", csv(r(1) + ",a,b", header=H + ",Notes,More"), 1),
    stored("index column and blank names", "idx.csv",
           ",DR_NO,DATE OCC,AREA,Crm Cd,,\n0,5,01/01/2020,1,624,,\n1,6,01/02/2020,2,510,,\n", 2),
    stored("a 2 MB field", "huge.csv", csv(r(1) + "," + "X" * 2_000_000, header=H + ",LOCATION"), 1),
    stored("ISO timestamps", "iso.csv", csv(r(1, occ="2020-01-01T00:00:00.000", rptd="2020-01-02")), 1),
    stored("short dates", "short_dates.csv", csv(r(1, occ="1/1/20", rptd="1/2/20")), 1),
    stored("compact dates", "compact.csv", csv(r(1, occ="20200101", rptd="20200102")), 1),
    stored("dates with times", "times.csv",
           csv(r(1, occ="01/01/2020 12:00:00 AM", rptd="01/02/2020 12:00:00 AM")), 1),
    stored("day-first dates", "dmy.csv", csv(r(1, occ="25/12/2020", rptd="26/12/2020")), 1),
    stored("ages out of range become blank", "ages.csv",
           csv(r(1, age="-3"), r(2, age="0"), r(3, age="abc"), r(4, age="250")), 4),
    stored("newest copy wins in a file", "dups.csv", csv(r(1), r(1, code="510")), 1, merged=1),
    stored("padded ids are one record", "pad.csv", csv(r("0001"), r("1")), 1, merged=1),
    stored("identical rows twice", "twice.csv", csv(r(7), r(7)), 1, merged=1),
    stored("zero coordinates become blank", "zero.csv", csv(r(1, lat="0", lon="0")), 1),
    stored("coordinates outside LA become blank", "far.csv", csv(r(1, lat="51.5", lon="-0.1")), 1),
    stored("latitude without longitude", "halfpoint.csv", csv(r(1, lon="")), 1),
    stored("area by name only", "names.csv", csv(r(1, area="", name="77th Street")), 1),
    stored("description without code", "desc.csv", csv(r(1, code="", desc="VEHICLE - STOLEN")), 1),
    stored("a whole last line without newline", "noeol.csv", csv(r(1), r(2), end=""), 2),
    stored("an impossible time keeps the row", "time.csv", csv(r(1, t="2599"), r(2, t="x")), 2),
    stored("NA and NULL strings", "na.csv", csv(r(1, age="NA", lat="NULL", lon="null")), 1),
    stored("no id column", "noids.csv",
           "DATE OCC,AREA,Crm Cd\n01/01/2020,1,624\n01/02/2020,2,510\n", 2, says="no record ids"),
    stored("semicolons", "semi.csv", GOOD.replace(",", ";"), 2),
    stored("tabs", "tabs.tsv", GOOD.replace(",", "\t"), 2),
    stored("a Parquet file", "good.parquet", _parquet(GOOD), 2),
    stored("API JSON records", "api.json", _records(BASE_JSON, {**BASE_JSON, "dr_no": "2"}), 2),
    stored("a gzip file", "good.csv.gz", gzip.compress(GOOD.encode()), 2),
    stored("a quoted newline", "nl.csv",
           'DR_NO,DATE OCC,AREA,Crm Cd,LOCATION\n1,01/02/2020,1,510,"L1\nL2"\n2,01/02/2020,1,510,X\n', 2),
    stored("quoted numbers", "quoted.csv", csv('"1","01/02/2020","01/01/2020","1200","1","Central",'
                                               '"624","BATTERY","30","34.05","-118.25"'), 1),
    stored("spaces around values", "spaces.csv", csv(r(" 1 ", area=" 1 ", code=" 624 ")), 1),
    stored("header in other spelling", "spell.csv",
           "dr no,date_occ,Area,crm_cd\n1,01/01/2020,1,624\n", 1),
    stored("blank lines between rows", "gaps.csv", H + "\n" + r(1) + "\n\n\n" + r(2) + "\n", 2),
    stored("non-ASCII text", "utf8.csv", csv(r(1) + ",CALLE NIÑO 中", header=H + ",LOCATION"), 1),
    stored("an old export's (lat, lon) column", "old.csv",
           'DR_NO,DATE OCC,AREA,Crm Cd,Address,Location\n1,01/01/2013,1,310,100 MAIN ST,'
           '"(34.0578, -118.252)"\n', 1),
    stored("AREA that disagrees with AREA NAME is flagged", "disagree.csv",
           csv(r(1, area="3", name="Central")), 1, says="disagree"),
    stored("a mostly empty coordinate column is said", "nocoords.csv",
           csv(*[r(i, lat="", lon="") for i in range(1, 6)]), 5, says="coordinates"),
    stored("blank report date", "norptd.csv", csv(r(1, rptd="")), 1),
    # --- stored, with rows quarantined for their reason --------------------------------------------
    quarantined("unparseable date", "gdates.csv", csv(r(1), r(2, occ="not a date")), 1, 1,
                "unparseable occurred date"),
    quarantined("blank date", "nodate.csv", csv(r(1), r(2, occ="")), 1, 1, "unparseable occurred date"),
    quarantined("future date", "future.csv", csv(r(1), r(2, occ="01/01/2099", rptd="01/02/2099")),
                1, 1, "occurred in the future"),
    quarantined("reported in the future", "rfuture.csv", csv(r(1), r(2, rptd="01/01/2099")), 1, 1,
                "reported in the future"),
    quarantined("occurred after reported", "after.csv", csv(r(1), r(2, occ="01/05/2020")), 1, 1,
                "occurred after reported"),
    quarantined("placeholder year 1800", "y1800.csv",
                csv(r(1), r(2, occ="01/01/1800", rptd="01/02/1800")), 1, 1, "before 1900"),
    quarantined("unknown area number", "area99.csv", csv(r(1), r(2, area="99", name="")), 1, 1,
                "unknown area"),
    quarantined("fractional area", "area35.csv", csv(r(1), r(2, area="3.5", name="Southeast")), 1, 1,
                "area"),
    quarantined("negative crime code", "neg.csv", csv(r(1), r(2, code="-5")), 1, 1, "crime code"),
    quarantined("crime code out of range", "ovf.csv", csv(r(1), r(2, code="99999")), 1, 1,
                "crime code 99999 out of range"),
    quarantined("premise code out of range", "prem.csv",
                csv(r(1) + ",101", r(2) + ",70000", header=H + ",Premis Cd"), 1, 1, "premise code"),
    quarantined("weapon code out of range", "weap.csv",
                csv(r(1) + ",400", r(2) + ",99999", header=H + ",Weapon Used Cd"), 1, 1, "weapon code"),
    quarantined("reporting district out of range", "rd.csv",
                csv(r(1) + ",101", r(2) + ",1234567", header=H + ",Rpt Dist No"), 1, 1, "district"),
    quarantined("out-of-range code in JSON", "ovf.json",
                _records(BASE_JSON, {**BASE_JSON, "dr_no": "2", "crm_cd": "99999"}), 1, 1,
                "crime code 99999 out of range"),
    quarantined("blank record id", "noid.csv", csv(r(1), r("")), 1, 1, "blank record id"),
    quarantined("no crime at all", "nocrime2.csv", csv(r(1), r(2, code="", desc="")), 1, 1,
                "no crime code or description"),
    quarantined("no area and no coordinates", "nowhere.csv",
                csv(r(1), r(2, area="", name="", lat="", lon="")), 1, 1, "no area"),
    quarantined("a row with too many fields", "long.csv", csv(r(1) + ",extra", r(2)), 1, 1,
                "long row"),
    quarantined("a short row", "short.csv",
                "DR_NO,DATE OCC,AREA,Crm Cd,LAT,LON\n1,01/02/2020,1,510\n2,01/02/2020,1,510,34.05,-118.25\n",
                1, 1, "short row (4 of 6 fields)"),
    quarantined("an unterminated quote", "quote.csv", csv(r(1)) + '"9,01/01/2020\n', 1, 1,
                "malformed CSV line"),
    quarantined("a cut last line", "cut.csv", csv(r(1)) + "2,01/03/2020,01/02/20", 1, 1,
                "truncated last line"),
    quarantined("a cut inside the coordinates", "cutlon.csv", csv(r(1)) + r(2)[: r(2).rindex(",") - 3], 1, 1,
                "truncated last line"),
    quarantined("a cut last line in gzip", "cut2.csv.gz",
                gzip.compress((csv(r(1)) + "2,01/03/2020,01/0").encode()), 1, 1, "truncated last line"),
    quarantined("one bad row among many", "many.csv",
                csv(*[r(i) for i in range(1, 2001)], r(5000, occ="31/31/2020")), 2000, 1, "unparseable"),
]  # fmt: skip


def _special(case: Case, tmp_path: Path) -> Path:
    path = tmp_path / case.file
    if case.name == "a directory":
        path.mkdir()
    elif case.name == "a named pipe":
        import os

        os.mkfifo(path)
    elif case.name == "a symlink loop":
        other = tmp_path / "loop2.csv"
        path.symlink_to(other)
        other.symlink_to(path)
    elif case.name == "sqlite without tables":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (a)")
        con.execute("DROP TABLE t")
        con.close()
    return path  # "no such file": the path is left absent


def _ingest(path: Path, store: Path, capsys) -> tuple[int, str, str]:
    try:
        cli_main(["ingest", str(path), "--store", str(store), "--json"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_the_corpus_is_large_and_covers_every_outcome():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names)), "case names must be unique"
    assert len({c.file for c in CASES}) == len(CASES), "each case writes its own file"
    assert len(CASES) >= 70
    counts = pd.Series([c.outcome for c in CASES]).value_counts()
    assert set(counts.index) == {"stored", "quarantined", "refused"}
    assert counts.min() >= 15


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_case(case: Case, tmp_path, capsys):
    path = tmp_path / case.file
    if case.content is None:
        path = _special(case, tmp_path)
    else:
        path.write_bytes(case.content if isinstance(case.content, bytes) else case.content.encode())
    store = tmp_path / "store"
    code, out, err = _ingest(path, store, capsys)
    text = out + err
    assert "Traceback" not in text
    if case.outcome == "refused":
        assert code != 0, f"{case.name}: ingested, expected a refusal\n{text}"
        assert "error:" in err and "fix:" in err, err
        assert case.file in err, f"the message does not name {case.file}: {err}"
        assert case.says.lower() in err.lower(), err
        if (store / "crimecast.duckdb").exists():
            with Store(store, read_only=True) as st:
                assert st.count() == 0
        return
    assert code == 0, f"{case.name}: refused\n{text}"
    report = json.loads(out)[0]
    assert (
        report["rows_read"]
        == report["stored"] + report["quarantined"] + report["duplicates_merged"]
    )
    assert (report["stored"], report["quarantined"], report["duplicates_merged"]) == (
        case.stored,
        case.quarantined,
        case.merged,
    ), report
    with Store(store, read_only=True) as st:
        info = st.info()
        reasons = list(st.quarantine()["reason"])
    assert info["incidents"] == case.stored and info["quarantined"] == case.quarantined
    if case.outcome == "quarantined":
        assert len(reasons) == case.quarantined
        assert all(case.says.lower() in x.lower() for x in reasons), reasons
    elif case.says:
        assert any(case.says.lower() in w.lower() for w in report["warnings"]), report["warnings"]
