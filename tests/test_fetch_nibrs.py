"""`crimecast fetch` in the NIBRS era, against a real local HTTP server replaying the portal
(tests/replay_server.py): every dataset known by name, metadata read and said in words (frozen,
renamed, retired), a 403 for the retired id that names its successor and stops nothing else, NIBRS
offenses paged, resumed after a cut, retried on 429s and cut connections, and refreshed by a
trailing window of report dates (no :updated_at guarantee) so a changed record comes again.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from crimecast.commands.fetch import check_dataset
from crimecast.errors import NetworkError
from crimecast.ingest import dataset_status, nibrs_victims, socrata, sources
from crimecast.store import Store
from replay_server import (
    Fault,
    Portal,
    ReplayServer,
    api_rows_from_export,
    nibrs_offense_rows,
    run_cli,
    stamp,
    use_portal,
)

NIBRS = sources.get("lapd-nibrs-offenses")
RETIRED = sources.get("lapd-nibrs-2024-2025")
LEGACY = sources.get("lapd-2020-present")
VICTIMS = sources.get("lapd-nibrs-victims")
ISSUE_FIELDS = {
    "caseno", "uniquenibrno", "date_rptd", "date_occ", "time_occ", "area", "area_name",
    "rpt_dist_no", "totaloffensecount", "group", "nibr_code", "nibr_description", "crime_against",
    "premis_cd", "premis_desc", "status", "status_desc", "totalvictimcount", "victim_shot",
    "domestic_violence_crime", "hate_crime", "gang_related_crime", "transit_related_crime",
    "homeless_victim_crime", "homeless_suspect_crime", "homeless_arrestee_crime",
    "hndrdth_loc_chk", "hndrdth_lat", "hndrdth_lon",
}  # fmt: skip
FROZEN_AT = int(dt.datetime(2025, 3, 28, 6, 0, tzinfo=dt.UTC).timestamp())


@pytest.fixture(scope="module")
def offenses() -> list[dict]:
    return nibrs_offense_rows(60)  # 60 cases, 120 offenses


@pytest.fixture(scope="module")
def legacy_rows(incidents_dir) -> list[dict]:
    return api_rows_from_export(incidents_dir / "ivanco19_citywide_2020_10k.csv.gz", 50)


@pytest.fixture
def portal(offenses, legacy_rows) -> Portal:
    p = Portal(
        {
            NIBRS.dataset_id: copy.deepcopy(offenses),
            LEGACY.dataset_id: legacy_rows,
            "63jg-8b9z": [],  # a dataset with no rows: one empty page
        }
    )
    p.meta[NIBRS.dataset_id] = {"name": "LAPD NIBRS Offenses Dataset"}
    p.meta[LEGACY.dataset_id] = {"name": "Crime Data from 2020 to 2024", "rowsUpdatedAt": FROZEN_AT}
    p.retired.add(RETIRED.dataset_id)
    return p


@pytest.fixture
def server(portal):
    with ReplayServer(portal) as srv:
        yield srv


@pytest.fixture
def cli_env(monkeypatch, server):
    use_portal(monkeypatch, server.url)
    return server


def client_for(url: str, **kw) -> socrata.PortalClient:
    return socrata.PortalClient(url, **({"timeout": 1.0, "retries": 4, "backoff": 0.01} | kw))


def on_disk(batch_dir: Path) -> list[dict]:
    out: list[dict] = []
    for p in sorted(batch_dir.glob("page-*.json")):
        out.extend(json.loads(p.read_bytes()))
    return out


def by_id(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: r[":id"])


def words(text: str) -> str:
    return " ".join(text.split())


# --- the records the replay server holds are NIBRS offenses as the issue lists them ----------------
def test_replayed_offenses_carry_the_nibrs_fields_and_consistent_cases(offenses):
    assert ISSUE_FIELDS <= set(offenses[0])
    cases: dict[str, list[dict]] = {}
    for r in offenses:
        cases.setdefault(r["caseno"], []).append(r)
    assert len(cases) == 60 and len(offenses) == 120
    assert {len(v) for v in cases.values()} == {1, 2, 3}
    for caseno, rows in cases.items():
        assert all(int(r["totaloffensecount"]) == len(rows) for r in rows)
        assert all(r["uniquenibrno"] == f"{caseno}{r['nibr_code']}{i:02d}" for i, r in
                   enumerate(rows, 1))  # fmt: skip
    assert len({r["uniquenibrno"] for r in offenses}) == 120


# --- metadata -----------------------------------------------------------------------------------
def test_metadata_says_frozen_renamed_retired_and_stale(server, portal):
    client = client_for(server.url)
    frozen = check_dataset(LEGACY, client)
    assert frozen.download and frozen.rows_updated_at == FROZEN_AT
    assert frozen.rows_updated == "2025-03-28"
    assert "frozen: no new records will be entered (rows last updated 2025-03-28)" in frozen.notices
    assert "renamed: formerly 'Crime Data from 2020 to Present'" in frozen.notices

    retired = check_dataset(RETIRED, client)
    assert not retired.download and not retired.refused and retired.successor is NIBRS
    (note,) = retired.notices
    assert note.startswith("retired: y8y3-fqfu answers HTTP 403")
    assert "lapd-nibrs-offenses (k7nn-b2ep" in note and "fetched instead" in note
    assert [s.outcome for s in portal.seen if s.is_metadata][-1] == "403"

    # a title crimecast does not know is a rename to check; a live feed a month behind is stale
    portal.meta[NIBRS.dataset_id] = {"name": "LAPD NIBRS Offenses 2026 to Present"}
    live = check_dataset(NIBRS, client)
    assert live.download and any(
        n.startswith("renamed on the portal: now 'LAPD NIBRS Offenses 2026 to Present'")
        for n in live.notices
    )
    stale = dataset_status.assess(
        NIBRS,
        {"name": NIBRS.title, "rowsUpdatedAt": FROZEN_AT},
        now=dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
    )
    assert stale.notices == [
        "live, but not updated for 64 days (rows last updated 2025-03-28); LAPD refreshes it "
        "every two weeks, so the portal may be behind"
    ]


def test_a_portal_without_metadata_still_downloads(server, portal, offenses, tmp_path):
    portal.meta.clear()
    portal.datasets.pop(LEGACY.dataset_id)
    status = check_dataset(LEGACY, client_for(server.url))  # the portal answers 404 for it
    assert status.download and status.notices == [
        "no metadata from the portal; downloading without checking its state"
    ]


# --- every dataset by default; the retired one stops nothing ------------------------------------
def test_default_fetch_checks_every_dataset_and_skips_the_retired_one(
    cli_env, portal, offenses, legacy_rows, tmp_path, capsys
):
    store = tmp_path / "store"
    code = run_cli("fetch", "--store", store, "--download-only", "--page-size", 50, "--json")
    out = capsys.readouterr()
    assert code == 0, out.err
    summary = json.loads(out.out)
    assert [(s["dataset"], s["mode"], s["rows_fetched"]) for s in summary] == [
        ("lapd-2010-2019", "full", 0),
        ("lapd-2020-present", "full", 50),
        ("lapd-nibrs-offenses", "full", 120),
        ("lapd-nibrs-2024-2025", "retired", 0),
    ]
    assert summary[3]["status"]["successor"] == "lapd-nibrs-offenses"
    assert summary[1]["status"]["state"] == "frozen"
    assert summary[2]["incremental_key"].startswith("every record with date_rptd in the last 120")
    assert all(s["ingest"] is None for s in summary)  # --download-only
    # the retired id was asked for its metadata only, never for rows; victims not at all
    retired = [s for s in portal.seen if RETIRED.dataset_id in s.path]
    assert [s.is_metadata for s in retired] == [True]
    assert not [s for s in portal.seen if VICTIMS.dataset_id in s.path]
    dl = store / "downloads" / "lapd-nibrs-offenses"
    assert by_id(on_disk(dl / "batch-0001-full")) == by_id(offenses)
    state = json.loads((dl / "state.json").read_text())
    assert state["watermark_field"] == "date_rptd"
    assert state["watermark"] == max(r["date_rptd"] for r in offenses)
    assert state["pending_ingest"] == ["batch-0001-full"]  # the next fetch ingests it


def test_naming_the_retired_dataset_fetches_its_successor(
    cli_env, portal, offenses, tmp_path, capsys
):
    store = tmp_path / "store"
    args = ("fetch", "--store", store, "--dataset", "lapd-nibrs-2024-2025", "--download-only")
    assert run_cli(*args) == 0
    err = words(capsys.readouterr().err)
    assert "lapd-nibrs-2024-2025 (y8y3-fqfu): retired: y8y3-fqfu answers HTTP 403" in err
    assert "merged into the LAPD NIBRS Offenses Dataset (k7nn-b2ep) in August 2026" in err
    assert "lapd-nibrs-offenses: 120 rows fetched in 1 page(s) (full download)" in err
    assert (store / "downloads" / "lapd-nibrs-offenses" / "batch-0001-full").is_dir()
    assert not (store / "downloads" / "lapd-nibrs-2024-2025").exists()


def test_a_403_from_a_dataset_not_known_retired_is_reported_after_the_others(
    cli_env, portal, tmp_path, capsys
):
    portal.retired.add(LEGACY.dataset_id)  # the portal withdrew it without notice
    store = tmp_path / "store"
    ds = ("--dataset", "lapd-2020-present", "--dataset", "lapd-nibrs-offenses")
    code = run_cli("fetch", "--store", store, *ds, "--download-only")
    err = words(capsys.readouterr().err)
    assert code == 4
    assert "lapd-nibrs-offenses: 120 rows fetched" in err  # the other dataset went on
    assert "the portal refused lapd-2020-present (2nrs-mtv8)" in err
    assert "HTTP 403: You must be logged in to access this dataset" in err
    assert "(fetched and stored: lapd-nibrs-offenses)" in err and "Traceback" not in err
    assert not [s for s in portal.seen if s.path == LEGACY.resource_path()]


# --- paging, retries, cuts, resume --------------------------------------------------------------
def test_nibrs_pages_with_429s_and_a_connection_cut_mid_page(server, portal, offenses, tmp_path):
    portal.fail(
        Fault("429", on="count", retry_after="0"),
        Fault("429", retry_after="0"),
        Fault("drop-body"),  # Content-Length says more than arrives: cut mid-page
        Fault("cut-json"),  # no Content-Length: the JSON just stops
        Fault("429", retry_after="0"),
    )
    client = client_for(server.url)
    result = socrata.download(NIBRS, client, tmp_path, page_size=25)
    assert result.rows_fetched == 120 and result.pages_fetched == 5 and result.expected == 120
    assert client.retried == 5
    pages = portal.pages()
    assert [p.outcome for p in pages][:5] == ["429", "drop-body", "cut-json", "429", "ok"]
    assert [p.offset for p in pages if p.outcome == "ok"] == [0, 25, 50, 75, 100]
    assert on_disk(tmp_path / NIBRS.name / "batch-0001-full") == by_id(offenses)


def test_cut_nibrs_download_resumes_at_the_next_page(server, portal, offenses, tmp_path):
    portal.die_after_pages = 2
    with pytest.raises(NetworkError):
        socrata.download(NIBRS, client_for(server.url, retries=1), tmp_path, page_size=30)
    state = json.loads((tmp_path / NIBRS.name / "state.json").read_text())
    assert (state["pages_done"], state["next_offset"], state["finished"]) == (2, 60, False)
    portal.die_after_pages = None
    with ReplayServer(portal) as again:
        before = len(portal.seen)
        result = socrata.download(NIBRS, client_for(again.url), tmp_path, page_size=30)
    assert result.resumed and result.rows_fetched == 60
    assert [s.offset for s in portal.seen[before:] if s.is_page] == [60, 90, 120]  # 120: empty
    assert on_disk(tmp_path / NIBRS.name / "batch-0001-full") == by_id(offenses)


# --- incremental: a trailing window of report dates, keyed by uniquenibrno ------------------------
def test_refresh_fetches_the_report_window_again_so_a_changed_record_replaces_the_old_one(
    server, portal, offenses, tmp_path
):
    client = client_for(server.url)
    first = socrata.download(NIBRS, client, tmp_path, page_size=1000)
    newest = max(r["date_rptd"] for r in offenses)  # case 59, reported 2024-05-05
    assert first.watermark == newest

    # LAPD republishes: every :updated_at moves, so it tells nothing. One recent record is
    # corrected (status), one record from 2024-03 too, and 5 new cases arrive.
    later = dt.datetime(2026, 9, 15, 8, 0)
    recent = next(r for r in offenses if r["caseno"] == "240100050")
    old = next(r for r in offenses if r["caseno"] == "240100001")
    fixed_recent = dict(recent, status="AA", status_desc="Adult Arrest")
    fixed_old = dict(old, status="AO", status_desc="Adult Other")
    new = nibrs_offense_rows(5, start=60, updated=later)
    portal.upsert(NIBRS.dataset_id, [fixed_recent, fixed_old, *new])
    for r in portal.datasets[NIBRS.dataset_id]:
        r[":updated_at"] = stamp(later)

    before = len(portal.seen)
    second = socrata.download(NIBRS, client, tmp_path, page_size=1000)
    asked = [s for s in portal.seen[before:] if not s.is_metadata]
    window = "2024-01-06T00:00:00.000"  # 120 days before the newest report seen
    assert all(s.params["$where"] == f"date_rptd >= '{window}'" for s in asked)
    assert second.mode == "incremental" and second.where == f"date_rptd >= '{window}'"
    got = on_disk(tmp_path / NIBRS.name / second.batch)
    # the whole window again: all 60 + 5 cases were reported within 120 days of 2024-05-05
    assert len(got) == len(offenses) + len(new)
    by_key = {r["uniquenibrno"]: r for r in got}
    assert by_key[recent["uniquenibrno"]]["status"] == "AA"
    assert by_key[old["uniquenibrno"]]["status"] == "AO"
    # batches are handed out oldest first, so the newer copy is ingested last and replaces
    assert second.pending_batches == ["batch-0001-full", "batch-0002-incremental"]
    assert second.pending[-1].parent.name == "batch-0002-incremental"
    assert second.watermark == max(r["date_rptd"] for r in new)


def test_records_reported_before_the_window_are_not_asked_again(server, portal, tmp_path):
    rows = nibrs_offense_rows(200)  # reported over 200 days
    portal.datasets[NIBRS.dataset_id] = rows
    client = client_for(server.url)
    socrata.download(NIBRS, client, tmp_path, page_size=1000)
    short = socrata.download(
        dataclasses.replace(NIBRS, refresh_days=10), client, tmp_path, page_size=1000
    )
    got = on_disk(tmp_path / NIBRS.name / short.batch)
    newest = max(r["date_rptd"] for r in rows)
    first = (dt.date.fromisoformat(newest[:10]) - dt.timedelta(days=10)).isoformat()
    assert got and {r["caseno"] for r in got} == {
        r["caseno"] for r in rows if r["date_rptd"] >= first
    }
    assert len({r["caseno"] for r in got}) == 11  # the newest report day and the 10 before


def test_unchanged_rows_updated_at_asks_for_no_rows(cli_env, portal, tmp_path, capsys):
    store = tmp_path / "store"
    ds = ("--dataset", "lapd-2020-present", "--download-only")
    assert run_cli("fetch", "--store", store, *ds) == 0
    capsys.readouterr()
    before = len(portal.seen)
    assert run_cli("fetch", "--store", store, *ds) == 0
    err = words(capsys.readouterr().err)
    assert "0 rows fetched in 0 page(s) (unchanged on the portal since the last fetch: rows " in err
    assert "last updated 2025-03-28)" in err
    assert [s.is_metadata for s in portal.seen[before:]] == [True]


# --- victims: only with the flag, counted into an aggregate table, never ingested per person ------
def test_victims_only_with_the_flag_and_only_as_suppressed_aggregates(
    cli_env, portal, offenses, tmp_path, capsys
):
    def victim(i: int, r: dict) -> dict:
        same_cell = i < 12  # twelve victims in Central in March 2024, women 25-34, descent H
        return dict(
            r,
            uniquevictimno=f"{r['caseno']}V{i:02d}",
            area="01" if same_cell else r["area"],
            date_occ="2024-03-10T00:00:00.000" if same_cell else r["date_occ"],
            vict_age="31" if same_cell else str(20 + i),
            vict_sex="F",
            vict_descent="H",
            victim_type="I",
            **{":id": r[":id"] + "v"},
        )

    victims = [victim(i, r) for i, r in enumerate(offenses[:20])]
    portal.datasets[VICTIMS.dataset_id] = victims
    store = tmp_path / "store"
    ds = ("--dataset", "lapd-2020-present", "--json")
    assert run_cli("fetch", "--store", store, *ds) == 0
    assert not (store / "downloads" / VICTIMS.name).exists()  # not without --victims
    capsys.readouterr()
    assert run_cli("fetch", "--store", store, *ds, "--victims") == 0
    summary = {s["dataset"]: s for s in json.loads(capsys.readouterr().out)}
    v = summary["lapd-nibrs-victims"]
    assert v["rows_fetched"] == 20 and v["kept_for_aggregates"] and v["ingest"] is None
    table = pd.read_csv(v["aggregated_to"], dtype={"area": "Int64"})
    assert list(table.columns) == [*nibrs_victims.GROUPS, "victims", "suppressed"]
    big = table[~table["suppressed"]]
    assert big[["month", "area", "age_band", "victims"]].values.tolist() == [
        ["2024-03", 1, "25-34", 12]
    ]
    others = {
        (r["date_occ"][:7], int(r["area"]), nibrs_victims.age_band(pd.Series([r["vict_age"]]))[0])
        for r in victims[12:]
    }
    assert table.loc[table["suppressed"], "victims"].isna().all()
    assert table["suppressed"].sum() == len(others) > 1
    with Store(store, read_only=True) as st:  # nothing person-level in the store
        assert st.info()["per_source"] == {"lapd-2020-present": 50}

    # a corrected victim comes again in the refresh window: still counted once
    later = stamp(dt.datetime(2026, 9, 20))
    portal.upsert(VICTIMS.dataset_id, [dict(victims[0], vict_sex="F", **{":updated_at": later})])
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-nibrs-victims", "--json") == 0
    (again,) = json.loads(capsys.readouterr().out)
    assert again["mode"] == "incremental" and again["rows_fetched"] == 20
    table = pd.read_csv(again["aggregated_to"])
    assert table.loc[~table["suppressed"], "victims"].tolist() == [12]


def test_victim_age_bands_treat_placeholders_as_not_recorded():
    ages = pd.Series(["0", "-1", "17", "18", "64", "65", "121", None, "x"])
    assert nibrs_victims.age_band(ages).tolist() == [
        "not recorded", "not recorded", "0-17", "18-24", "55-64", "65+", "not recorded",
        "not recorded", "not recorded",
    ]  # fmt: skip


# --- the simulator's NIBRS file and the portal's pages share one layout -----------------------------
def test_simulated_nibrs_offenses_served_by_the_portal_come_back_field_for_field(portal, tmp_path):
    from crimecast.ingest import simulate_nibrs as sn

    era = sn.simulate_era(400, seed=11, start="2024-01-01", end="2026-06-30", layout="nibrs")
    csv = sn.write_files(era, tmp_path / "unused.csv", tmp_path / "n.simulated.csv")[0]
    served = api_rows_from_export(csv, era.nibrs.num_rows)
    assert ISSUE_FIELDS <= {k for r in served for k in r}  # null fields are left out per row
    portal.datasets[NIBRS.dataset_id] = served
    with ReplayServer(portal) as srv:
        result = socrata.download(NIBRS, client_for(srv.url), tmp_path / "dl", page_size=150)
    got = on_disk(tmp_path / "dl" / NIBRS.name / "batch-0001-full")
    assert result.rows_fetched == era.nibrs.num_rows == len(got)
    assert sorted(r["uniquenibrno"] for r in got) == sorted(
        era.nibrs.column("uniquenibrno").to_pylist()
    )
    assert set().union(*got) - {
        ":id",
        ":created_at",
        ":updated_at",
        ":@computed_region_qz3q_ghft",
    } <= set(sn.NIBRS_COLUMNS)


def test_cli_says_which_report_window_a_refresh_fetched(cli_env, portal, tmp_path, capsys):
    store = tmp_path / "store"
    ds = ("--dataset", "lapd-nibrs-offenses", "--download-only")
    assert run_cli("fetch", "--store", store, *ds) == 0
    portal.upsert(
        NIBRS.dataset_id, nibrs_offense_rows(2, start=60, updated=dt.datetime(2026, 10, 1))
    )
    capsys.readouterr()
    assert run_cli("fetch", "--store", store, *ds) == 0
    err = words(capsys.readouterr().err)
    # the newest report seen was 2024-05-05: the refresh asks again from 120 days before it
    assert "lapd-nibrs-offenses: 123 rows fetched in 1 page(s) (refresh of every record " in err
    assert "reported from 2024-01-06)" in err


def test_a_download_cut_before_the_portal_republished_starts_again(
    server, portal, offenses, tmp_path, caplog
):
    client = client_for(server.url, retries=1)
    before = check_dataset(NIBRS, client).rows_updated_at
    portal.die_after_pages = 2
    with pytest.raises(NetworkError):
        socrata.download(NIBRS, client, tmp_path, page_size=30, rows_updated_at=before)
    # LAPD republishes the dataset (every record gets a new :updated_at) before the resume
    portal.die_after_pages = None
    for r in portal.datasets[NIBRS.dataset_id]:
        r[":updated_at"] = stamp(dt.datetime(2026, 10, 14, 6, 0))
    with ReplayServer(portal) as again:
        client = client_for(again.url)
        after = check_dataset(NIBRS, client).rows_updated_at
        assert after != before
        seen = len(portal.seen)
        result = socrata.download(NIBRS, client, tmp_path, page_size=30, rows_updated_at=after)
    assert not result.resumed and result.rows_fetched == 120 and result.batch == "batch-0002-full"
    assert [s.offset for s in portal.seen[seen:] if s.is_page] == [0, 30, 60, 90, 120]
    assert "changed on the portal since this download began" in caplog.text
    assert not (tmp_path / NIBRS.name / "batch-0001-full").exists()
    assert on_disk(tmp_path / NIBRS.name / "batch-0002-full") == by_id(
        portal.datasets[NIBRS.dataset_id]
    )
