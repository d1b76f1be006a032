"""`crimecast fetch` of NIBRS offenses into the store, against the replayed portal: the pages fetch
writes are read by the NIBRS ingest, and a record changed on the portal replaces the stored one
(same uniquenibrno) on the next refresh, while the counts still reconcile."""

from __future__ import annotations

import copy
import datetime as dt
import json

from crimecast.ingest import sources
from crimecast.store import Store
from replay_server import Portal, ReplayServer, nibrs_offense_rows, run_cli, stamp, use_portal

NIBRS = sources.get("lapd-nibrs-offenses")


def test_fetched_offenses_are_stored_and_a_changed_record_replaces_the_old_one(
    monkeypatch, tmp_path, capsys
):
    offenses = nibrs_offense_rows(60)
    portal = Portal({NIBRS.dataset_id: copy.deepcopy(offenses)})
    with ReplayServer(portal) as srv:
        use_portal(monkeypatch, srv.url)
        store = tmp_path / "store"
        args = ("fetch", "--store", store, "--dataset", "lapd-nibrs-offenses", "--json")
        assert run_cli(*args) == 0
        (first,) = json.loads(capsys.readouterr().out)
        assert first["ingest"]["rows_read"] == 120 and first["ingest"]["stored"] == 120
        with Store(store, read_only=True) as st:
            assert st.query("SELECT count(*) AS n FROM offenses")["n"][0] == 120
            assert st.query("SELECT count(*) AS n FROM incidents")["n"][0] == 60

        later = dt.datetime(2026, 9, 15, 8, 0)
        target = next(r for r in offenses if r["caseno"] == "240100050")
        fixed = dict(
            target, status="AA", status_desc="Adult Arrest", **{":updated_at": stamp(later)}
        )
        new = nibrs_offense_rows(5, start=60, updated=later)
        portal.upsert(NIBRS.dataset_id, [fixed, *new])
        assert run_cli(*args) == 0
        (second,) = json.loads(capsys.readouterr().out)
    ing = second["ingest"]
    assert second["mode"] == "incremental" and second["where"].startswith("date_rptd >= ")
    assert ing["rows_read"] == ing["stored"] + ing["quarantined"] + ing["duplicates_merged"]
    with Store(store, read_only=True) as st:
        assert st.query("SELECT count(*) AS n FROM offenses")["n"][0] == 120 + len(new)
        status = st.query(
            "SELECT status FROM offenses WHERE offense_id = ?", [target["uniquenibrno"]]
        )["status"]
        assert list(status) == ["AA"]
        assert st.query("SELECT count(*) AS n FROM incidents")["n"][0] == 65


def test_default_fetch_stores_legacy_reports_and_nibrs_offenses_and_skips_the_retired_id(
    monkeypatch, tmp_path, capsys, incidents_dir
):
    from replay_server import api_rows_from_export

    legacy = api_rows_from_export(incidents_dir / "ivanco19_citywide_2020_10k.csv.gz", 40)
    portal = Portal(
        {"63jg-8b9z": [], "2nrs-mtv8": legacy, NIBRS.dataset_id: nibrs_offense_rows(30)},
        retired={"y8y3-fqfu"},
    )
    with ReplayServer(portal) as srv:
        use_portal(monkeypatch, srv.url)
        store = tmp_path / "store"
        assert run_cli("fetch", "--store", store, "--json") == 0
        summary = {s["dataset"]: s for s in json.loads(capsys.readouterr().out)}
    assert summary["lapd-nibrs-2024-2025"]["mode"] == "retired"
    assert summary["lapd-2020-present"]["ingest"]["stored"] == 40
    assert summary["lapd-nibrs-offenses"]["ingest"]["stored"] == 60  # 30 cases, 60 offenses
    with Store(store, read_only=True) as st:
        info = st.info()
    assert info["sources"]["lapd-nibrs-offenses"]["offenses"] == 60
    assert info["sources"]["lapd-nibrs-offenses"]["incidents"] == 30
    assert info["sources"]["lapd-2020-present"]["incidents"] == 40
