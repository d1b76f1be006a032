"""One consistent read per run: `Store.snapshot` copies every table in one transaction and lets
go of the file, so an ingest that starts mid-run neither aborts the run nor changes what it
sees; while an ingest holds the file, the snapshot waits for it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crimecast.errors import StoreError
from crimecast.store import Store

CRIMECAST = [str(Path(sys.executable).parent / "crimecast")]


def _csv(path: Path, first_id: int, n: int) -> Path:
    rows = ["DR_NO,DATE OCC,AREA,AREA NAME,Crm Cd"]
    rows += [
        f"{first_id + i},{1 + i % 12:02d}/{1 + i % 28:02d}/2021,1,Central,510" for i in range(n)
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def _writer(store: Path, extra: Path, before: float = 0, after: float = 0) -> list[str]:
    """A process that opens the store for writing, says so, waits `before` seconds, ingests
    `extra`, and keeps the store open `after` seconds more."""
    code = (
        "import sys, time\n"
        "from crimecast.store import Store\n"
        "with Store(sys.argv[1]) as st:\n"
        "    print('open', flush=True)\n"
        f"    time.sleep({before})\n"
        "    st.ingest_files([sys.argv[2]])\n"
        f"    time.sleep({after})\n"
    )
    return [sys.executable, "-c", code, str(store), str(extra)]


def test_a_snapshot_keeps_what_it_read_while_an_ingest_commits(tmp_path):
    store = tmp_path / "s"
    with Store(store) as st:
        st.ingest_files([_csv(tmp_path / "a.csv", 1, 50)])
    snap = Store.snapshot(store)
    try:
        # the file is free: a writer opens it at once and commits new incidents
        with Store(store) as st:
            st.ingest_files([_csv(tmp_path / "b.csv", 1000, 30)])
            assert st.count() == 80
        assert snap.count() == 50
        assert len(snap.ingests()) == 1
        assert snap.info()["incidents"] == 50
        with pytest.raises(StoreError, match="read-only"):
            snap.ingest_files([tmp_path / "b.csv"])
    finally:
        snap.close()
    with Store(store, read_only=True) as st:
        assert st.count() == 80


def test_a_snapshot_waits_for_a_writer_then_reads_what_it_committed(tmp_path):
    store = tmp_path / "s"
    with Store(store) as st:
        st.ingest_files([_csv(tmp_path / "a.csv", 1, 10)])
    extra = _csv(tmp_path / "b.csv", 500, 5)
    holder = subprocess.Popen(_writer(store, extra, before=2), stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "open"
    t0 = time.monotonic()
    snap = Store.snapshot(store, wait=60)
    waited = time.monotonic() - t0
    try:
        assert waited >= 1.0, "the snapshot did not wait for the writer"
        assert snap.count() == 15
    finally:
        snap.close()
    assert holder.wait(30) == 0


def test_a_snapshot_gives_up_with_the_lock_message(tmp_path):
    store = tmp_path / "s"
    with Store(store) as st:
        st.ingest_files([_csv(tmp_path / "a.csv", 1, 3)])
        # DuckDB locks per process: a second process is needed to see the lock
        probe = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys\nfrom crimecast.store import Store\n"
                "try:\n    Store.snapshot(sys.argv[1], wait=1)\n"
                "except Exception as exc:\n    print(type(exc).__name__, exc.message)\n",
                str(store),
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert probe.stdout.startswith("StoreError"), probe.stdout + probe.stderr
    assert "another crimecast process" in probe.stdout


def test_a_snapshot_of_a_missing_store_says_how_to_load_one(tmp_path):
    with pytest.raises(StoreError, match="no store at") as err:
        Store.snapshot(tmp_path / "nothing")
    assert "crimecast ingest" in err.value.hint


def test_an_ingest_mid_run_neither_aborts_the_run_nor_fails(tmp_path, incidents_dir):
    """The run reads its snapshot after its data step; an ingest started afterwards gets the
    store at once and may hold it for as long as it likes: the run finishes on what it read."""
    store, out = tmp_path / "store", tmp_path / "out"
    source = incidents_dir / "ivanco19_citywide_2020_10k.csv.gz"
    env = {**os.environ, "CRIMECAST_SEED": "1"}
    run = subprocess.Popen(
        [*CRIMECAST, "run", "--source", str(source), "--store", str(store), "--out", str(out)]
        + ["--models", "naive,seasonal_naive", "--horizon", "6"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    # wait until the analyses have started: the data step is over and the snapshot taken
    seen = []
    for line in run.stdout:
        seen.append(line)
        if "exploratory analysis" in line or "data fitness" in line:
            break
    extra = _csv(tmp_path / "late.csv", 9_000_000, 40)
    # a long ingest: it commits, then keeps the store open for writing well into the run
    ingest = subprocess.run(
        _writer(store, extra, after=15),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    rest = run.stdout.read()
    code = run.wait(600)
    output = "".join(seen) + rest
    assert ingest.returncode == 0, ingest.stdout + ingest.stderr
    assert code == 0, output[-3000:]
    run_json = json.loads((out / "run.json").read_text())
    # the run describes the store as it read it, without the late file
    stored_then = run_json["data"]["incidents"]
    with Store(store, read_only=True) as st:
        assert st.count() == stored_then + 40
