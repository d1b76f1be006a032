"""The real LAPD samples in ../shared/data/incidents: every file loads with counts that reconcile
or is refused with a message saying why; counts per month and per crime code equal an
independent count of the raw file."""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter

import pytest

from crimecast.errors import InputFileError
from crimecast.store import Store

REFUSED = {
    "mauropappaterra_2010_weapon_crimes_64k_monthonly.csv.gz": "no usable dates",
    "sigmaenigma_burglary_2014_2017.RData": "R data file",
}


def sample_files(incidents_dir):
    return sorted(p for p in incidents_dir.iterdir() if p.is_file() and not p.name.startswith("_"))


@pytest.fixture(scope="module")
def summary(incidents_dir):
    return json.loads((incidents_dir / "_verification_summary.json").read_text())


def test_there_are_real_samples(incidents_dir):
    assert len(sample_files(incidents_dir)) >= 24


def test_every_file_loads_and_reconciles_or_is_refused(tmp_path, incidents_dir, summary):
    store = Store(tmp_path / "store")
    loaded = 0
    for path in sample_files(incidents_dir):
        if path.name in REFUSED:
            with pytest.raises(InputFileError) as exc:
                store.ingest_files([path])
            assert REFUSED[path.name] in str(exc.value) and path.name in str(exc.value)
            continue
        report = store.ingest_files([path])[0]
        assert report.reconciles, report
        # The row count independently recorded when the samples were collected.
        assert report.rows_read == summary[path.name]["rows"], path.name
        loaded += 1
    info = store.info()
    assert loaded == len(sample_files(incidents_dir)) - len(REFUSED)
    assert info["rows_read"] == info["incidents"] + info["quarantined"] + info["duplicates_merged"]
    # Re-ingesting everything changes nothing.
    before = store.count()
    again = store.ingest_files([p for p in sample_files(incidents_dir) if p.name not in REFUSED])
    assert all(r.skipped for r in again) and store.count() == before
    store.close()


def _mdy(text: str) -> str | None:
    """'03/01/2020 12:00:00 AM' or '3/1/2020 0:00' -> '2020-03' (an independent parse)."""
    part = text.strip().split(" ")[0]
    m, _, y = part.split("/")
    return f"{int(y):04d}-{int(m):02d}"


STANDARD = [
    "ivanco19_citywide_2020_10k.csv.gz",
    "jetjagar_citywide_2020_1k.csv.gz",
    "pratiksha1821_13areas_2020_6k.csv.gz",
    "petrick312_citywide_2020_2024apr_selected_types_9k.csv.gz",
    "bdsj_westla_2020_2021.csv.gz",
    "rabellan_citywide_rptd_2023dec1_25_12k.csv.gz",
]


@pytest.mark.parametrize("name", STANDARD)
def test_counts_per_month_and_code_match_an_independent_count(tmp_path, incidents_dir, name):
    path = incidents_dir / name
    latest: dict[str, tuple[str, str]] = {}
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        i_id, i_occ, i_code = (
            header.index("DR_NO"),
            header.index("DATE OCC"),
            header.index("Crm Cd"),
        )
        rows = 0
        for rec in reader:
            rows += 1
            latest[rec[i_id].lstrip("0")] = (_mdy(rec[i_occ]), rec[i_code].strip())
    with Store(tmp_path / "s") as st:
        report = st.ingest_files([path])[0]
        quarantined_ids = set(st.quarantine()["record_id"].dropna())
        by_month = dict(
            st.query(
                "SELECT strftime(occurred_date, '%Y-%m') m, count(*) n FROM incidents GROUP BY 1"
            ).itertuples(index=False)
        )
        by_code = dict(
            st.query(
                "SELECT CAST(crime_code AS VARCHAR) c, count(*) n FROM incidents GROUP BY 1"
            ).itertuples(index=False)
        )
    assert report.rows_read == rows
    kept = {k: v for k, v in latest.items() if k not in quarantined_ids}
    assert report.duplicates_merged == rows - len(latest)
    assert Counter(m for m, _ in kept.values()) == Counter(by_month)
    assert Counter(c for _, c in kept.values()) == Counter(by_code)


def test_overlapping_files_store_each_record_once(tmp_path, incidents_dir):
    """ivanco19 and pratiksha1821 share 2,381 ids (SOURCES.md); pooled, each is stored once."""
    a = incidents_dir / "ivanco19_citywide_2020_10k.csv.gz"
    b = incidents_dir / "pratiksha1821_13areas_2020_6k.csv.gz"

    def ids(path):
        with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as fh:
            return {r["DR_NO"].lstrip("0") for r in csv.DictReader(fh)}

    union = ids(a) | ids(b)
    with Store(tmp_path / "s") as st:
        st.ingest_files([a, b])
        assert st.count() == len(union)
        stored = set(st.query("SELECT record_id FROM incidents")["record_id"])
    assert stored == union


def test_derived_fields_on_a_real_row(real_store):
    with Store(real_store, read_only=True) as st:
        row = st.query("SELECT * FROM incidents WHERE record_id = '10304468'").iloc[0]
    # ivanco19's first row: 010304468, 01/08/2020, 2230, area 03 Southwest, 624 battery, age 36 F B
    assert str(row["occurred_at"]) == "2020-01-08 22:30:00"
    assert row["hour"] == 22 and row["area_id"] == 3 and row["area_name"] == "Southwest"
    assert row["rpt_dist"] == 377 and row["crime_code"] == 624
    assert row["crime_category"] == "simple assault" and row["crime_class"] == "violent"
    assert row["victim_age"] == 36 and row["victim_sex"] == "Female"
    assert row["victim_descent"] == "Black" and row["premise_desc"] == "SINGLE FAMILY DWELLING"
    assert row["status"] == "AO" and not row["arrest"]
    assert row["location"] == "1100 W 39TH PL"
    assert row["lat"] == pytest.approx(34.0141) and not row["simulated"]
