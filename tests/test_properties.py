"""Property tests (hypothesis): ingest either loads or quarantines every row, and counts reconcile
whatever the rows hold."""

from __future__ import annotations

import datetime as dt
import tempfile

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crimecast.clean import REASONS, clean_frame
from crimecast.errors import InputFileError
from crimecast.store import Store


def _parses(text: str) -> bool:
    for fmt in ("%m/%d/%Y", "%Y-%m-%dT%H:%M:%S.%f"):
        try:
            dt.datetime.strptime(text, fmt)
            return True
        except ValueError:
            pass
    return False


dates = st.one_of(
    st.dates(dt.date(2010, 1, 1), dt.date(2025, 12, 31)).map(lambda d: d.strftime("%m/%d/%Y")),
    st.dates(dt.date(2010, 1, 1), dt.date(2025, 12, 31)).map(
        lambda d: d.isoformat() + "T00:00:00.000"
    ),
    st.sampled_from(["", "garbage", "13/45/2020", "01/01/2199", "1899-12-31"]),
)
rows = st.fixed_dictionaries(
    {
        "DR_NO": st.one_of(
            st.integers(1, 40).map(str), st.just(""), st.integers(1, 40).map(lambda i: f"00{i}")
        ),
        "Date Rptd": dates,
        "DATE OCC": dates,
        "TIME OCC": st.one_of(st.integers(-5, 2600).map(str), st.just("")),
        "AREA": st.one_of(st.integers(-1, 25).map(str), st.just(""), st.just("07")),
        "Crm Cd": st.one_of(st.sampled_from(["624", "510", "330", "999", "", "abc"])),
        "Vict Age": st.one_of(st.integers(-10, 130).map(str), st.just("")),
        "LAT": st.one_of(st.floats(33.0, 35.0).map(lambda f: f"{f:.4f}"), st.just("0")),
        "LON": st.one_of(st.floats(-119.0, -117.5).map(lambda f: f"{f:.4f}"), st.just("0")),
    }
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=1, max_size=40))
def test_clean_keeps_or_quarantines_every_row(records):
    raw = pd.DataFrame(records)
    out = clean_frame(raw, source="prop", today=dt.date(2026, 1, 1))
    assert len(out.incidents) + len(out.quarantine) == len(raw)
    rn = out.quarantine["row_number"]
    assert rn.is_unique and rn.between(1, len(raw)).all()
    for reason in out.quarantine["reason"]:
        assert reason.startswith(REASONS), reason
    inc = out.incidents
    assert inc["area_id"].dropna().between(1, 21).all()
    assert inc["victim_age"].dropna().between(1, 120).all()
    assert inc["hour"].dropna().between(0, 23).all()
    assert (inc["occurred_date"] <= pd.Timestamp("2026-01-01")).all()
    ok = inc["date_reported"].notna()
    assert (inc.loc[ok, "date_reported"] >= inc.loc[ok, "occurred_date"]).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(rows, min_size=1, max_size=30), min_size=1, max_size=3))
def test_store_reconciles_and_keeps_ids_unique(batches):
    with tempfile.TemporaryDirectory() as tmp, Store(tmp) as store:
        total_read = 0
        for i, batch in enumerate(batches):
            before = (store.count(), len(store.ingests()))
            try:
                rep = store.ingest_frame(
                    pd.DataFrame(batch), f"batch-{i}", today=dt.date(2026, 1, 1)
                )
            except InputFileError as exc:
                # Refused whole only when not one occurred date parses; nothing changes.
                assert "no usable dates" in str(exc)
                assert not any(_parses(r["DATE OCC"]) for r in batch)
                assert (store.count(), len(store.ingests())) == before
                continue
            assert rep.rows_read == rep.stored + rep.quarantined + rep.duplicates_merged
            total_read += rep.rows_read
        info = store.info()
        assert info["rows_read"] == total_read
        assert info["incidents"] + info["quarantined"] + info["duplicates_merged"] == total_read
        ids = store.query("SELECT record_id FROM incidents")["record_id"]
        assert ids.is_unique and not ids.str.startswith("0").any()
