"""The store: idempotent, atomic, newest version wins, Parquet mirror, info."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from crimecast import schema
from crimecast.errors import StoreError
from crimecast.store import Store

HEADER = "DR_NO,Date Rptd,DATE OCC,TIME OCC,AREA,AREA NAME,Crm Cd,Crm Cd Desc,LAT,LON"


def csv_file(path: Path, rows: list[tuple]) -> Path:
    lines = [HEADER] + [
        f"{dr},{rptd},{occ},1200,{area},,{code},,34.05,-118.25"
        for dr, rptd, occ, area, code in rows
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def big_csv(path: Path, n: int, first_id: int = 1) -> Path:
    """n rows written by DuckDB (fast), ids first_id.., dates spread over 2019-2022."""
    duckdb.sql(
        f"""COPY (SELECT i AS DR_NO,
                  strftime(DATE '2019-01-01' + CAST(i % 1400 AS INTEGER) + 1, '%m/%d/%Y') AS "Date Rptd",
                  strftime(DATE '2019-01-01' + CAST(i % 1400 AS INTEGER), '%m/%d/%Y') AS "DATE OCC",
                  1 + i % 21 AS AREA, 624 AS "Crm Cd"
                FROM range({first_id}, {first_id} + {n}) t(i)) TO '{path}' (HEADER, DELIMITER ',')"""
    )
    return path


def test_ingest_twice_changes_nothing(tmp_path):
    f = csv_file(tmp_path / "a.csv", [(1, "01/02/2020", "01/01/2020", 1, 624)])
    with Store(tmp_path / "s") as st:
        first = st.ingest_files([f])[0]
        second = st.ingest_files([f])[0]
        assert first.stored == 1 and not first.skipped
        assert second.skipped and st.count() == 1
        assert len(st.ingests()) == 1


def test_newest_version_wins_across_files(tmp_path):
    a = csv_file(
        tmp_path / "a.csv",
        [(1, "01/02/2020", "01/01/2020", 1, 624), (2, "01/02/2020", "01/01/2020", 2, 624)],
    )
    b = csv_file(tmp_path / "b.csv", [(1, "01/05/2020", "01/01/2020", 1, 510)])
    with Store(tmp_path / "s") as st:
        st.ingest_files([a])
        rep = st.ingest_files([b])[0]
        assert rep.stored == 0 and rep.duplicates_merged == 1
        df = st.incidents().set_index("record_id")
        assert len(df) == 2 and df.loc["1", "crime_code"] == 510
        assert df.loc["1", "source"] == "b.csv"
        info = st.info()
        assert info["duplicates_merged"] == 1 and info["rows_read"] == 3


def test_info_json_has_the_keys(tmp_path, incidents_dir):
    store = tmp_path / "s"
    with Store(store) as st:
        st.ingest_files([incidents_dir / "jetjagar_citywide_2020_1k.csv.gz"])
    res = subprocess.run(
        [sys.executable, "-m", "crimecast.cli", "info", "--store", str(store), "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    data = json.loads(res.stdout)
    for key in (
        "incidents",
        "quarantined",
        "duplicates_merged",
        "date_min",
        "date_max",
        "complete_through",
    ):
        assert key in data
    assert data["incidents"] == 1000 and data["duplicates_merged"] == 0
    assert data["date_min"].startswith("2020-01") and data["date_max"].startswith("2020-")
    assert data["per_source"] == {"jetjagar_citywide_2020_1k.csv.gz": 1000}
    human = subprocess.run(
        [sys.executable, "-m", "crimecast.cli", "info", "--store", str(store)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "1,000" in human.stdout and "complete through" in human.stdout


def test_parquet_mirror_matches_the_database(tmp_path, incidents_dir):
    with Store(tmp_path / "s") as st:
        st.ingest_files([incidents_dir / "rudraxdave_citywide_2014_2019_2k_per_year.csv.gz"])
        years = sorted(p.name for p in st.parquet_dir.iterdir())
        assert years == [f"year={y}" for y in range(2014, 2020)]
        counts = duckdb.sql(
            f"SELECT year, count(*) FROM read_parquet('{st.parquet_dir}/*/*.parquet', "
            "hive_partitioning=true) GROUP BY 1 ORDER BY 1"
        ).fetchall()
        assert [n for _, n in counts] == [2000] * 6
        assert st.ensure_parquet() == st.parquet_dir


def test_parquet_mirror_is_rewritten_when_missing(tmp_path):
    f = csv_file(tmp_path / "a.csv", [(1, "01/02/2020", "01/01/2020", 1, 624)])
    with Store(tmp_path / "s") as st:
        st.ingest_files([f])
        import shutil

        shutil.rmtree(st.parquet_dir)
        assert st.ensure_parquet().exists()
    with Store(tmp_path / "s", read_only=True) as ro:
        assert ro.ensure_parquet().exists()


def test_read_only_store_that_does_not_exist(tmp_path):
    with pytest.raises(StoreError, match="no store"):
        Store(tmp_path / "nothing", read_only=True)


def test_locked_store_gives_a_clear_error(tmp_path):
    store = tmp_path / "s"
    Store(store).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from crimecast.store import Store; s = Store({str(store)!r}); print('ready', flush=True);"
            " import time; time.sleep(30)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreError, match="another crimecast process"):
            Store(store)
    finally:
        holder.kill()
        holder.wait()


def _state(store: Path) -> tuple[int, int]:
    with Store(store, read_only=True) as st:
        return st.count(), len(st.ingests())


def test_killed_ingest_leaves_the_store_before_or_after_never_between(tmp_path):
    """Kill a large ingest at several moments: the store is always exactly the old one or the
    complete new one."""
    store = tmp_path / "s"
    small = csv_file(tmp_path / "small.csv", [(10**9, "01/02/2020", "01/01/2020", 1, 624)])
    with Store(store) as st:
        st.ingest_files([small])
    big = big_csv(tmp_path / "big.csv", 400_000)
    outcomes = set()
    for delay in (0.8, 1.4, 2.0, 2.6):
        proc = subprocess.Popen(
            [sys.executable, "-m", "crimecast.cli", "ingest", str(big), "--store", str(store)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        state = _state(store)
        assert state in {(1, 1), (400_001, 2)}, state
        outcomes.add(state)
        if state == (400_001, 2):
            break
    assert (1, 1) in outcomes, "no kill landed mid-ingest; make the file bigger"
    with Store(store) as st:  # the next ingest completes normally
        rep = st.ingest_files([big])[0]
        assert rep.reconciles and st.count() == 400_001
        par = st.ensure_parquet()
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{par}/*/*.parquet')").fetchall()[0][0]
        assert n == 400_001


def test_ingest_frame(tmp_path):
    raw = pd.DataFrame(
        {
            "dr_no": ["5", "6"],
            "date_occ": ["2021-05-01T00:00:00.000", "garbage"],
            "area": ["7", "7"],
            "crm_cd": ["510", "510"],
        }
    )
    with Store(tmp_path / "s") as st:
        rep = st.ingest_frame(raw, "page-1")
        assert (rep.stored, rep.quarantined) == (1, 1)
        assert st.incidents()["area_name"].tolist() == ["Wilshire"]


def _big_file_with_faults(path: Path, n: int) -> tuple[Path, list[int], int]:
    """n generated rows (about 40 MB, so DuckDB reads it on several threads) with garbage
    dates at known rows, one malformed line, and two ids repeated at the end with a new crime
    code. Returns the file, the data rows (1-based) that must be quarantined for their dates,
    and the malformed line's data row."""
    gen = path.with_suffix(".gen.csv")
    bad = [7, 123_457, 299_999, 512_345, n]
    duckdb.sql(
        f"""COPY (SELECT i AS DR_NO, '01/02/2019' AS "Date Rptd",
                  CASE WHEN i IN ({", ".join(map(str, bad))}) THEN 'garbage'
                       ELSE '01/01/2019' END AS "DATE OCC",
                  1 + i % 21 AS AREA, 624 AS "Crm Cd",
                  (i % 9000) || ' S FIGUEROA ST AND A LONGER STREET NAME' AS LOCATION
                FROM range(1, {n} + 1) t(i)) TO '{gen}' (HEADER, DELIMITER ',')"""
    )
    lines = gen.read_text().splitlines()
    gen.unlink()
    malformed = 250_000  # inserted as this data row; the rows after it move down by one
    lines.insert(malformed, "1,2,3,4,5,6,7,8")
    lines += [
        "5,01/02/2019,01/01/2019,6,510,NEWER VERSION",
        "400000,01/02/2019,01/01/2019,11,510,NEWER VERSION",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path, [r if r < malformed else r + 1 for r in bad], malformed


@pytest.mark.parametrize("store_empty", [True, False], ids=["bulk-load", "merge"])
def test_large_file_keeps_row_numbers_and_newest_versions(tmp_path, store_empty):
    """Both ingest paths (bulk load into an empty store, merge into a filled one) read a file
    on several threads; quarantined rows must still name their row in the file, and the later
    copy of a repeated id must win."""
    n = 600_000
    path, bad_rows, malformed = _big_file_with_faults(tmp_path / "big.csv", n)
    with Store(tmp_path / "s") as st:
        if not store_empty:
            st.ingest_files(
                [
                    csv_file(
                        tmp_path / "other.csv", [(999_999_999, "01/02/2020", "01/01/2020", 1, 624)]
                    )
                ]
            )
        rep = st.ingest_files([path])[0]
        assert rep.reconciles
        assert (rep.rows_read, rep.quarantined, rep.duplicates_merged) == (n + 3, 6, 2)
        assert rep.stored == n - len(bad_rows)
        q = st.quarantine()
        dates = q[q["reason"].str.startswith("unparseable occurred date")]
        assert sorted(dates["row_number"].astype(int)) == bad_rows
        long_rows = q[q["reason"].str.startswith("long row (more than 6 fields)")]
        assert long_rows["row_number"].astype(int).tolist() == [malformed]
        raw = json.loads(dates.sort_values("row_number")["raw"].iloc[0])
        assert raw["DR_NO"] == "7" and raw["DATE OCC"] == "garbage"
        newer = st.query(
            "SELECT record_id, crime_code, area_id, location FROM incidents "
            "WHERE record_id IN ('5', '400000') ORDER BY 1"
        )
        assert newer["crime_code"].tolist() == [510, 510]
        assert newer["location"].tolist() == ["NEWER VERSION"] * 2
        assert st.count() == n - len(bad_rows) + (0 if store_empty else 1)
        described = st.query("DESCRIBE incidents")
        assert list(zip(described["column_name"], described["column_type"], strict=True)) == [
            (name, typ) for name, typ, _ in schema.INCIDENT_SCHEMA
        ]
        mirrored = duckdb.sql(
            f"SELECT count(*) FROM read_parquet('{st.parquet_dir}/*/*.parquet')"
        ).fetchall()[0][0]
        assert mirrored == st.count()


def _mirror(st: Store) -> list[tuple]:
    return duckdb.sql(
        f"SELECT record_id, crime_code, year FROM read_parquet('{st.parquet_dir}/*/*.parquet', "
        "hive_partitioning=true) ORDER BY 1"
    ).fetchall()


def test_parquet_mirror_rewrites_only_the_years_an_ingest_touched(tmp_path):
    a = csv_file(
        tmp_path / "a.csv",
        [
            (1, "01/02/2019", "01/01/2019", 1, 624),
            (2, "01/02/2020", "01/01/2020", 2, 624),
            (3, "01/02/2021", "01/01/2021", 3, 624),
        ],
    )
    # record 1 moves from 2019 to 2022 (a corrected date); 2020 and 2021 are not touched
    b = csv_file(tmp_path / "b.csv", [(1, "01/02/2022", "01/01/2022", 1, 510)])
    with Store(tmp_path / "s") as st:
        st.ingest_files([a])
        inode = {p.parent.name: p.stat().st_ino for p in st.parquet_dir.glob("*/*.parquet")}
        st.ingest_files([b])
        after = {p.parent.name: p.stat().st_ino for p in st.parquet_dir.glob("*/*.parquet")}
        assert sorted(after) == ["year=2020", "year=2021", "year=2022"]  # 2019 is now empty
        assert after["year=2020"] == inode["year=2020"] and after["year=2021"] == inode["year=2021"]
        expected = st.query("SELECT record_id, crime_code, year FROM incidents ORDER BY 1")
        assert _mirror(st) == list(expected.itertuples(index=False, name=None))
        assert _mirror(st)[0] == ("1", 510, 2022)
        assert st.ensure_parquet() == st.parquet_dir  # the meta says it is current


def test_a_stale_mirror_is_rewritten_whole_by_the_next_ingest(tmp_path):
    a = csv_file(tmp_path / "a.csv", [(1, "01/02/2019", "01/01/2019", 1, 624)])
    b = csv_file(tmp_path / "b.csv", [(2, "01/02/2020", "01/01/2020", 1, 624)])
    with Store(tmp_path / "s") as st:
        st.ingest_files([a])
        for f in st.parquet_dir.glob("year=2019/*.parquet"):
            f.unlink()  # e.g. a killed export or a user's mistake: the mirror no longer matches
        st._set_meta("parquet_version", "stale")
        st.ingest_files([b])
        assert [r[0] for r in _mirror(st)] == ["1", "2"]


def _mirror_count(store: Path) -> int:
    return duckdb.sql(
        f"SELECT count(*) FROM read_parquet('{store / 'parquet' / 'incidents'}/*/*.parquet')"
    ).fetchall()[0][0]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "crimecast.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_a_kill_mid_mirror_is_detected_and_repaired(tmp_path):
    """SIGKILL an ingest after its COMMIT, while it writes the Parquet mirror: reading commands
    say so with the command to run, and the next writer (or info --repair) rewrites the mirror
    and removes the half-written folders."""
    store = tmp_path / "s"
    first = big_csv(tmp_path / "first.csv", 300_000)
    with Store(store) as st:
        st.ingest_files([first])
    assert _mirror_count(store) == 300_000
    second = big_csv(tmp_path / "second.csv", 300_000, first_id=10**6)
    proc = subprocess.Popen(
        [sys.executable, "-m", "crimecast.cli", "ingest", str(second), "--store", str(store)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    parent = store / "parquet"
    deadline = time.time() + 120
    while time.time() < deadline and not list(parent.glob(".incidents-*")):
        if proc.poll() is not None:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "the ingest ended before it wrote the mirror"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with Store(store, read_only=True) as st:
        in_db = st.count()
    assert in_db == 600_000 and _mirror_count(store) == 300_000  # the kill landed mid-mirror

    info = json.loads(_cli("info", "--json", "--store", str(store)).stdout)
    assert info["parquet_mirror_current"] is False
    assert any("crimecast info --repair" in w for w in info["warnings"])
    with Store(store, read_only=True) as st, pytest.raises(StoreError, match="out of date"):
        st.ensure_parquet()

    res = _cli("info", "--repair", "--json", "--store", str(store))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["parquet_mirror_current"] is True
    assert _mirror_count(store) == in_db
    assert not list(parent.glob(".incidents-*")) and not list(parent.glob(".old-*"))
    # the same ingest again is recognised as done, and leaves the mirror equal to the database
    res = _cli("ingest", str(second), "--store", str(store))
    assert "already ingested" in res.stdout + res.stderr and _mirror_count(store) == in_db


def test_a_writer_repairs_a_stale_mirror_on_opening(tmp_path):
    store = tmp_path / "s"
    with Store(store) as st:
        st.ingest_files([csv_file(tmp_path / "a.csv", [(1, "01/02/2020", "01/01/2020", 1, 624)])])
    shutil.rmtree(store / "parquet" / "incidents")
    (store / "parquet" / ".incidents-dead").mkdir()
    with Store(store) as st:
        assert st.mirror_is_current()
    assert _mirror_count(store) == 1 and not (store / "parquet" / ".incidents-dead").exists()


def test_a_poorer_later_copy_does_not_erase_fields_it_lacks(tmp_path, incidents_dir):
    """falconpunch082's renamed file has no coordinates, MO codes or premise codes; the 8 records
    it shares with ivanco19 keep those from the stored copy, and take its other fields."""
    with Store(tmp_path / "s") as st:
        st.ingest_files([incidents_dir / "ivanco19_citywide_2020_10k.csv.gz"])
        before = st.incidents().set_index("record_id")
        rep = st.ingest_files(
            [incidents_dir / "falconpunch082_citywide_2020_2023_4k_renamed.csv.gz"]
        )[0]
        after = st.incidents().set_index("record_id")
    assert rep.duplicates_merged == 8 and rep.reconciles
    assert any("8 merged record(s) kept stored values" in w and "lat" in w for w in rep.warnings)
    shared = before.index.intersection(after[after["source"].str.startswith("falcon")].index)
    assert len(shared) == 8
    for col in ("lat", "lon", "mocodes", "premise_code"):
        pd.testing.assert_series_equal(
            after.loc[shared, col], before.loc[shared, col], check_dtype=False
        )
    assert before.loc[shared, "lat"].notna().all()
    assert (after.loc[shared, "source"] != before.loc[shared, "source"]).all()  # newest wins
