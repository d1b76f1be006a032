"""`crimecast fetch` against a real local HTTP server replaying the portal (tests/replay_server.py).

The portal's records are 300 real LAPD rows (ivanco19 2020 sample) converted to the SODA API's
JSON shape at test time. Retries use a 0.01 s backoff so the suite runs in seconds.
"""

from __future__ import annotations

import copy
import datetime as dt
import gzip
import json
import logging
import time
from pathlib import Path

import pytest

from crimecast import schema
from crimecast.commands.fetch import make_client
from crimecast.errors import ConfigError, CrimecastError, NetworkError
from crimecast.ingest import files, socrata, sources
from crimecast.store import Store
from replay_server import (
    Fault,
    Portal,
    ReplayServer,
    api_rows_from_export,
    closed_port_url,
    run_cli,
    stamp,
    use_portal,
)

EXPORT = "ivanco19_citywide_2020_10k.csv.gz"
NEW = "2nrs-mtv8"
OLD = "63jg-8b9z"
LAPD_2020 = sources.get("lapd-2020-present")
TOKEN = "s3cr3t-app-token-7f9Q"


@pytest.fixture(scope="module")
def api_rows(incidents_dir) -> list[dict]:
    return api_rows_from_export(incidents_dir / EXPORT, 300)


@pytest.fixture
def portal(api_rows) -> Portal:
    return Portal({NEW: copy.deepcopy(api_rows)})


@pytest.fixture
def server(portal):
    with ReplayServer(portal) as srv:
        yield srv


@pytest.fixture
def cli_env(monkeypatch, server):
    use_portal(monkeypatch, server.url)
    return server


def client_for(url: str, **kw) -> socrata.PortalClient:
    opts = {"timeout": 1.0, "retries": 4, "backoff": 0.01} | kw
    return socrata.PortalClient(url, **opts)


def by_id(rows: list[dict]) -> list[dict]:
    return sorted(rows, key=lambda r: r[":id"])


def pages_on_disk(batch_dir: Path) -> list[dict]:
    out: list[dict] = []
    for p in sorted(batch_dir.glob("page-*.json")):
        out.extend(json.loads(p.read_bytes()))
    return out


def record_id(row: dict) -> str:
    return row["dr_no"].lstrip("0")


def store_counts(path: Path) -> tuple[int, int]:
    with Store(path, read_only=True) as st:
        n, distinct = st.con.execute(
            "SELECT count(*), count(DISTINCT record_id) FROM incidents"
        ).fetchall()[0]
    return n, distinct


# --- the source registry ------------------------------------------------------------------------
def test_registry_has_every_lapd_dataset_and_rejects_unknown_names():
    assert [(s.name, s.dataset_id, s.state) for s in sources.SOURCES] == [
        ("lapd-2010-2019", "63jg-8b9z", "closed"),
        ("lapd-2020-present", "2nrs-mtv8", "frozen"),
        ("lapd-nibrs-offenses", "k7nn-b2ep", "live"),
        ("lapd-nibrs-2024-2025", "y8y3-fqfu", "retired"),
        ("lapd-nibrs-victims", "gqf2-vm2j", "live"),
    ]
    assert sources.get("lapd-2010-2019").title == "Crime Data from 2010 to 2019"
    assert sources.get("lapd-2020-2024") is LAPD_2020  # the new title's name is an alias
    assert LAPD_2020.title == "Crime Data from 2020 to 2024"
    assert sources.get("lapd-nibrs-2024-2025").successor == "lapd-nibrs-offenses"
    # the victims (one row per person) only when asked for
    assert [s.name for s in sources.select(None)] == [
        "lapd-2010-2019",
        "lapd-2020-present",
        "lapd-nibrs-offenses",
        "lapd-nibrs-2024-2025",
    ]
    assert sources.select(None, victims=True)[-1].name == "lapd-nibrs-victims"
    assert LAPD_2020.resource_path() == "/resource/2nrs-mtv8.json"
    assert [s.name for s in sources.select(["lapd-2020-present", "lapd-2020-present"])] == [
        "lapd-2020-present"
    ]
    with pytest.raises(ConfigError) as err:
        sources.select(["lapd-2030"])
    assert "lapd-2030" in err.value.message and "lapd-2010-2019" in err.value.hint


def test_cli_rejects_unknown_dataset_and_bad_page_size(cli_env, tmp_path, capsys, portal):
    assert run_cli("fetch", "--store", tmp_path, "--dataset", "nope") == 2
    assert "unknown dataset 'nope'" in capsys.readouterr().err
    assert run_cli("fetch", "--store", tmp_path, "--page-size", "0") == 2
    assert "--page-size 0" in capsys.readouterr().err
    assert portal.seen == []  # nothing was requested


# --- the API's JSON is read like the CSV export ---------------------------------------------------
def test_api_pages_store_the_same_incidents_as_the_csv_export(incidents_dir, api_rows, tmp_path):
    page = tmp_path / "page-000001.json"
    page.write_text(json.dumps(api_rows))
    with gzip.open(incidents_dir / EXPORT, "rt") as fh:
        lines = [next(fh) for _ in range(301)]  # header + the same 300 rows
    export = tmp_path / "export.csv"
    export.write_text("".join(lines))
    with Store(tmp_path / "a") as a:
        (ra,) = a.ingest_files([export], source="s")
        from_csv = a.incidents().sort_values("record_id", ignore_index=True)
    with Store(tmp_path / "b") as b:
        (rb,) = b.ingest_files([page], source="s")
        from_api = b.incidents().sort_values("record_id", ignore_index=True)
    assert ra.rows_read == rb.rows_read == 300 and rb.reconciles
    assert from_api.equals(from_csv)  # every canonical column, every row
    # Which API fields crimecast does not map (checked so a change is noticed):
    keys = sorted({k for r in api_rows for k in r})
    mapping = files.map_columns(keys)
    # the legacy raw fields (those of the NIBRS layout follow `updated_at`)
    legacy_raw = schema.RAW_FIELDS[: schema.RAW_FIELDS.index("updated_at") + 1]
    assert set(mapping) == set(legacy_raw) - {"location_point"}
    assert set(keys) - set(mapping.values()) == {
        ":id",
        ":created_at",
        ":@computed_region_qz3q_ghft",
        "crm_cd_1",
        "crm_cd_2",
    }


# --- paging -------------------------------------------------------------------------------------
def test_small_pages_bring_every_row_once_in_id_order(server, portal, api_rows, tmp_path):
    result = socrata.download(LAPD_2020, client_for(server.url), tmp_path, page_size=40)
    batch = tmp_path / "lapd-2020-present" / "batch-0001-full"
    assert result.rows_fetched == 300 and result.pages_fetched == 8 and result.expected == 300
    assert pages_on_disk(batch) == by_id(api_rows)
    assert result.pending == sorted(batch.glob("page-*.json"))
    pages = portal.pages()
    assert [p.offset for p in pages] == list(range(0, 300, 40))
    assert all(
        p.params["$order"] == ":id" and p.params["$select"] == ":*,*" and p.params["$limit"] == "40"
        for p in pages
    )
    assert any(s.params.get("$select") == "count(*)" for s in portal.seen)
    state = json.loads((tmp_path / "lapd-2020-present" / "state.json").read_text())
    newest = max(r[":updated_at"] for r in api_rows)
    assert state["finished"] and state["mode"] == "full"
    assert (state["pages_done"], state["next_offset"], state["watermark"]) == (8, 300, newest)
    assert not list(batch.glob(".*tmp"))  # no temp files left behind


def test_page_size_dividing_the_rows_ends_on_an_empty_page(server, portal, api_rows, tmp_path):
    result = socrata.download(LAPD_2020, client_for(server.url), tmp_path, page_size=50)
    assert [p.offset for p in portal.pages()] == [0, 50, 100, 150, 200, 250, 300]
    assert result.pages_fetched == 6  # the empty answer at offset 300 is not saved
    assert pages_on_disk(tmp_path / "lapd-2020-present" / "batch-0001-full") == by_id(api_rows)


# --- retries ------------------------------------------------------------------------------------
def test_429_with_retry_after_and_500_are_retried(server, portal, api_rows, tmp_path):
    portal.fail(Fault("500", on="count"), Fault("429", retry_after="1"), Fault("500"))
    client = client_for(server.url)
    result = socrata.download(LAPD_2020, client, tmp_path, page_size=100)
    assert result.rows_fetched == 300 and result.expected == 300
    first_pages = [s for s in portal.pages() if s.offset == 0]
    assert [s.outcome for s in first_pages] == ["429", "500", "ok"]
    # Retry-After: 1 was honoured even though the backoff is 0.01 s.
    assert first_pages[1].at - first_pages[0].at >= 0.95
    assert first_pages[2].at - first_pages[1].at < 0.9
    assert client.retried == 3
    assert pages_on_disk(tmp_path / "lapd-2020-present" / "batch-0001-full") == by_id(api_rows)


def test_dropped_connections_and_timeouts_are_retried(server, portal, api_rows, tmp_path):
    portal.slow_seconds = 1.0
    # The very first request (the count) is slow twice: read timeouts, not "no network".
    portal.fail(Fault("slow", on="count"), Fault("slow", on="count"))
    portal.fail(Fault("drop-headers"), Fault("drop-body"), Fault("cut-json"), Fault("slow"))
    client = client_for(server.url, timeout=0.3)
    started = time.monotonic()
    result = socrata.download(LAPD_2020, client, tmp_path, page_size=100)
    assert time.monotonic() - started < 6
    outcomes = [s.outcome for s in portal.pages()]
    assert outcomes == ["drop-headers", "drop-body", "cut-json", "slow"] + ["ok"] * 4
    assert [s.outcome for s in portal.seen if not s.is_page] == ["slow", "slow", "ok"]
    assert result.rows_fetched == 300 and result.expected == 300 and client.retried == 6
    # The half-sent page was never saved: the pages on disk are exactly the portal's rows.
    assert pages_on_disk(tmp_path / "lapd-2020-present" / "batch-0001-full") == by_id(api_rows)


def test_retries_run_out_with_an_error_naming_the_url(server, portal, tmp_path):
    portal.fail(*[Fault("500")] * 3)
    with pytest.raises(NetworkError) as err:
        socrata.download(LAPD_2020, client_for(server.url, retries=2), tmp_path, page_size=100)
    assert f"{server.url}/resource/2nrs-mtv8.json?" in err.value.message
    assert "HTTP 500 (3 attempts)" in err.value.message and "resumes" in err.value.hint
    assert len(portal.pages()) == 3
    state = json.loads((tmp_path / "lapd-2020-present" / "state.json").read_text())
    assert not state["finished"] and state["pages_done"] == 0


def test_retry_after_as_seconds_or_http_date():
    now = dt.datetime(2025, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert socrata.retry_after_seconds("7", now) == 7.0
    assert socrata.retry_after_seconds("Wed, 01 Jan 2025 12:00:30 GMT", now) == 30.0
    assert socrata.retry_after_seconds("Wed, 01 Jan 2025 11:00:00 GMT", now) == 0.0
    assert socrata.retry_after_seconds("soon", now) is None
    assert socrata.retry_after_seconds(None, now) is None


# --- bad answers --------------------------------------------------------------------------------
def test_html_instead_of_json_fails_with_the_url(cli_env, portal, tmp_path, capsys):
    portal.fail(Fault("html"))
    assert run_cli("fetch", "--store", tmp_path, "--dataset", "lapd-2020-present") == 4
    err = capsys.readouterr().err
    assert "with an HTML page instead of JSON" in " ".join(err.split())
    assert f"{cli_env.url}/resource/2nrs-mtv8.json?" in err.replace("\n", "")
    assert "CRIMECAST_PORTAL_URL" in err and "Traceback" not in err
    assert len(portal.pages()) == 1  # an HTML page is not retried


def test_unknown_dataset_on_the_portal_is_not_retried(server, tmp_path):
    empty = Portal()  # holds no datasets: every query is a 404
    with ReplayServer(empty) as srv:
        with pytest.raises(socrata.PortalResponseError) as err:
            socrata.download(LAPD_2020, client_for(srv.url), tmp_path, page_size=10)
    assert "HTTP 404: Not found: dataset 2nrs-mtv8" in err.value.message
    assert "sources.py" in err.value.hint
    assert len(empty.pages()) == 1


# --- resume -------------------------------------------------------------------------------------
def test_interrupted_fetch_resumes_without_refetching_or_duplicating(
    cli_env, portal, api_rows, tmp_path, monkeypatch, capsys
):
    store = tmp_path / "store"
    monkeypatch.setenv("CRIMECAST_HTTP_RETRIES", "1")
    portal.die_after_pages = 3  # the server goes away for good after three pages
    code = run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present", "--page-size", 40)
    err = capsys.readouterr().err
    assert code == 4 and "giving up" in err and "resumes" in err
    dl = store / "downloads" / "lapd-2020-present"
    state = json.loads((dl / "state.json").read_text())
    assert (state["pages_done"], state["next_offset"], state["finished"]) == (3, 120, False)
    assert store_counts(store) == (0, 0)  # an unfinished batch is not ingested
    asked_before = len(portal.seen)

    portal.die_after_pages = None
    with ReplayServer(portal) as again:
        monkeypatch.setenv("CRIMECAST_PORTAL_URL", again.url)
        code = run_cli(
            "fetch", "--store", store, "--dataset", "lapd-2020-present", "--page-size", 40
        )
    out = " ".join(capsys.readouterr().err.split())
    assert code == 0
    resumed_pages = [s for s in portal.seen[asked_before:] if s.is_page]
    assert [p.offset for p in resumed_pages] == list(range(120, 300, 40))
    assert "180 rows fetched in 5 page(s) (resumed full download)" in out
    assert "300 rows read = 300 stored + 0 quarantined + 0 duplicates merged" in out
    assert store_counts(store) == (300, 300)
    with Store(store, read_only=True) as st:
        ids = set(st.query("SELECT record_id FROM incidents")["record_id"])
    assert ids == {record_id(r) for r in api_rows}
    assert pages_on_disk(dl / "batch-0001-full") == by_id(api_rows)


def test_page_saved_just_before_a_crash_is_not_fetched_again(server, portal, api_rows, tmp_path):
    seen_pages = []

    def crash_after_three(rows):
        seen_pages.append(rows)
        if len(seen_pages) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        socrata.download(
            LAPD_2020, client_for(server.url), tmp_path, page_size=40, on_page=crash_after_three
        )
    dl = tmp_path / "lapd-2020-present"
    # Pretend the crash came after page 3 was written but before state.json recorded it.
    state = json.loads((dl / "state.json").read_text())
    state.update(pages_done=2, next_offset=80, rows=80)
    (dl / "state.json").write_text(json.dumps(state))
    before = len(portal.seen)
    # Resuming with another page size is fine: the state counts rows, not pages.
    result = socrata.download(LAPD_2020, client_for(server.url), tmp_path, page_size=70)
    assert result.resumed and result.rows_fetched == 180 and result.rows_in_batch == 300
    assert [s.offset for s in portal.seen[before:] if s.is_page] == [120, 190, 260]
    assert pages_on_disk(dl / "batch-0001-full") == by_id(api_rows)


def test_finished_but_not_ingested_batch_is_ingested_next_time(cli_env, portal, api_rows, tmp_path):
    store = tmp_path / "store"
    # The download finished but the process died before the ingest (pages never marked done).
    socrata.download(LAPD_2020, make_client(), store / "downloads", page_size=100)
    assert not (store / "crimecast.duckdb").exists()
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present") == 0
    assert store_counts(store) == (300, 300)
    state = json.loads((store / "downloads" / "lapd-2020-present" / "state.json").read_text())
    assert state["pending_ingest"] == [] and state["mode"] == "incremental"


def test_a_second_download_into_the_same_folder_is_refused(server, portal, tmp_path):
    import fcntl

    dest = tmp_path / "lapd-2020-present"
    dest.mkdir()
    with open(dest / ".lock", "a+") as held:  # as another crimecast fetch would hold it
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(CrimecastError) as err:
            socrata.download(LAPD_2020, client_for(server.url), tmp_path, page_size=100)
    assert "another crimecast fetch is downloading into" in err.value.message
    assert portal.seen == []
    # Once the other one is gone, the download runs.
    assert socrata.download(LAPD_2020, client_for(server.url), tmp_path, 100).rows_fetched == 300


# --- incremental refresh ------------------------------------------------------------------------
def test_refresh_asks_only_for_changed_records_and_replaces_them(
    cli_env, portal, api_rows, incidents_dir, tmp_path, capsys
):
    store = tmp_path / "store"
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present") == 0
    capsys.readouterr()
    watermark = max(r[":updated_at"] for r in api_rows)

    later = dt.datetime(2024, 3, 1, 9, 30)
    new = api_rows_from_export(incidents_dir / EXPORT, 25, start=300, updated=later)
    bad = dict(new[0], dr_no="209999999", date_occ="not a date", **{":id": "row-zzzz.bad1_0001"})
    changed = [
        dict(r, status="AA", status_desc="Adult Arrest", **{":updated_at": stamp(later)})
        for r in api_rows[:10]
    ]
    portal.upsert(NEW, new + [bad] + changed)
    before = len(portal.seen)
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present") == 0
    out = " ".join(capsys.readouterr().err.split())
    asked = [s for s in portal.seen[before:] if not s.is_metadata]
    assert [s.outcome for s in portal.seen[before:] if s.is_metadata] == ["ok"]
    assert asked and all(s.params["$where"] == f":updated_at > '{watermark}'" for s in asked)
    assert f"36 rows fetched in 1 page(s) (refresh of records changed after {watermark})" in out
    assert "36 rows read = 25 stored + 1 quarantined + 10 duplicates merged" in out

    assert store_counts(store) == (325, 325)
    with Store(store, read_only=True) as st:
        arrests = st.query(
            "SELECT record_id FROM incidents WHERE status = 'AA' AND arrest AND status_desc = ?",
            ["Adult Arrest"],
        )["record_id"]
        q = st.quarantine()
        info = st.info()
    changed_ids = {record_id(r) for r in changed}
    assert changed_ids <= set(arrests)
    assert list(q["record_id"]) == ["209999999"] and "unparseable" in q["reason"][0]
    assert info["rows_read"] == info["incidents"] + info["quarantined"] + info["duplicates_merged"]
    dl = store / "downloads" / "lapd-2020-present"
    assert by_id(pages_on_disk(dl / "batch-0002-incremental")) == by_id(new + [bad] + changed)
    state = json.loads((dl / "state.json").read_text())
    assert state["watermark"] == stamp(later + dt.timedelta(seconds=17 * 24))

    # Nothing changed since: nothing fetched, nothing ingested, the store as it was.
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present") == 0
    out = " ".join(capsys.readouterr().err.split())
    assert "0 rows fetched" in out and "nothing new to ingest" in out
    assert store_counts(store) == (325, 325)


def test_full_flag_downloads_everything_again_and_merges(
    cli_env, portal, api_rows, tmp_path, capsys
):
    store = tmp_path / "store"
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present") == 0
    capsys.readouterr()
    # A correction published without a newer :updated_at: only a full download can see it.
    fixed = dict(api_rows[5], crm_cd_desc="BATTERY - SIMPLE ASSAULT (CORRECTED)")
    portal.upsert(NEW, [fixed])
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present", "--full") == 0
    out = " ".join(capsys.readouterr().err.split())
    assert "300 rows fetched in 1 page(s) (full download)" in out
    assert "300 rows read = 0 stored + 0 quarantined + 300 duplicates merged" in out
    assert not any("$where" in s.params for s in portal.seen)
    assert store_counts(store) == (300, 300)
    with Store(store, read_only=True) as st:
        desc = st.query("SELECT crime_desc FROM incidents WHERE record_id = ?", [record_id(fixed)])[
            "crime_desc"
        ]
    assert list(desc) == ["BATTERY - SIMPLE ASSAULT (CORRECTED)"]
    assert (store / "downloads" / "lapd-2020-present" / "batch-0002-full").is_dir()
    # The same bytes again: the store recognises the page and skips it.
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present", "--full") == 0
    out = " ".join(capsys.readouterr().err.split())
    assert "all 1 page(s) were already in the store" in out
    assert store_counts(store) == (300, 300)


def test_both_legacy_datasets_with_json_summary(cli_env, portal, incidents_dir, tmp_path, capsys):
    old = api_rows_from_export(
        incidents_dir / "rudraxdave_citywide_2014_2019_2k_per_year.csv.gz", 60
    )
    portal.upsert(OLD, [{k: v for k, v in r.items() if k != "id"} for r in old])
    store = tmp_path / "store"
    legacy = ("--dataset", "lapd-2010-2019", "--dataset", "lapd-2020-present")
    assert run_cli("fetch", "--store", store, *legacy, "--page-size", 100, "--json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert [(s["dataset"], s["rows_fetched"], s["pages_fetched"]) for s in summary] == [
        ("lapd-2010-2019", 60, 1),
        ("lapd-2020-present", 300, 3),
    ]
    assert all(s["ingest"]["reconciles"] for s in summary)
    with Store(store, read_only=True) as st:
        per_source = st.info()["per_source"]
    assert per_source["lapd-2020-present"] == 300
    assert per_source["lapd-2010-2019"] == summary[0]["ingest"]["stored"] > 50


def test_unwritable_download_folder_is_a_clear_error(cli_env, tmp_path, capsys):
    store = tmp_path / "store"
    (store / "downloads").mkdir(parents=True)
    (store / "downloads" / "lapd-2020-present").write_text("a file where a folder should be")
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present") == 3
    err = " ".join(capsys.readouterr().err.split())
    assert "cannot save downloaded pages under" in err and "Traceback" not in err


# --- the app token ------------------------------------------------------------------------------
def test_app_token_is_sent_as_a_header_and_never_shown(
    cli_env, portal, tmp_path, monkeypatch, capsys, caplog
):
    monkeypatch.setenv("CRIMECAST_APP_TOKEN", TOKEN)
    caplog.set_level(logging.DEBUG)
    store = tmp_path / "store"
    portal.fail(Fault("500"), Fault("429", retry_after="0"))  # retries write log lines
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present") == 0
    portal.fail(Fault("html"))  # and an error message
    assert run_cli("fetch", "--store", store, "--dataset", "lapd-2020-present", "--full") == 4
    assert run_cli("settings") == 0
    assert portal.seen and all(s.headers.get("X-App-Token") == TOKEN for s in portal.seen)
    assert all(TOKEN not in s.path + json.dumps(s.params) for s in portal.seen)
    captured = capsys.readouterr()
    assert "retry" in caplog.text and "Site maintenance" in " ".join(captured.err.split())
    assert TOKEN not in captured.out + captured.err + caplog.text
    assert TOKEN not in repr(make_client())
    for path in store.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path


# --- no network ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url, reason",
    [
        (closed_port_url(), "connection refused"),
        ("http://portal.nonexistent.invalid", "the host name could not be resolved"),
    ],
)
def test_no_network_fails_fast_and_says_how_to_work_offline(
    monkeypatch, tmp_path, capsys, url, reason
):
    monkeypatch.setenv("CRIMECAST_PORTAL_URL", url)
    monkeypatch.setenv("CRIMECAST_HTTP_RETRIES", "6")  # a long retry loop is NOT what happens
    monkeypatch.setenv("CRIMECAST_HTTP_BACKOFF", "5")
    started = time.monotonic()
    code = run_cli("fetch", "--store", tmp_path / "store")
    elapsed = time.monotonic() - started
    err = " ".join(capsys.readouterr().err.split())
    assert code == 4 and elapsed < 3
    assert f"portal at {url} cannot be reached ({reason})" in err
    assert "crimecast ingest FILE" in err
    assert "crimecast simulate --rows N --out city.simulated.csv" in err
    assert "crimecast run --demo" in err and "Traceback" not in err
