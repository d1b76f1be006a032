"""Fetch benchmark: `socrata.download` (paged GETs + atomic page files + state.json) of a dataset
served by the local replay portal (tests/replay_server.py), against the floor: a bare
`requests.get` + `json.loads` loop over the very same pages (no saving, no retries). Then the
ingest of the downloaded pages into a fresh store. Then the NIBRS offenses (replayed records in
the NIBRS fields, 700 cases a day): a full download, and a refresh by the trailing report window
(`date_rptd >= newest - 120 days`), which fetches the last four months again by design.

The portal serves real LAPD rows (the 10k ivanco19 2020 sample) repeated with new ids up to
`min(rows, 200_000)` rows, so the benchmark stays kind to a shared machine; pages are the
default page size (50,000).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO.parent / "shared" / "data" / "incidents" / "ivanco19_citywide_2020_10k.csv.gz"
PAGE = 50_000
CAP = 200_000


def _rows(n: int) -> list[dict]:
    from replay_server import api_rows_from_export, row_id

    base = api_rows_from_export(SAMPLE, 10_000)
    out = []
    for i in range(n):
        r = dict(base[i % len(base)])
        copy = i // len(base)
        if copy:  # a distinct record: new DR_NO and row id
            r["dr_no"] = f"9{copy:02d}{r['dr_no']}"
            r[":id"] = row_id(f"{r['dr_no']}-{i}")
        out.append(r)
    return out


def run(rows: int) -> dict:
    sys.path.insert(0, str(REPO / "tests"))
    from crimecast.ingest import socrata, sources
    from crimecast.store import Store
    from replay_server import Portal, ReplayServer

    n = min(rows, CAP)
    portal = Portal({"2nrs-mtv8": _rows(n)})
    source = sources.get("lapd-2020-present")
    with ReplayServer(portal) as srv, tempfile.TemporaryDirectory() as tmp:
        # Floor: the same requests, parsed, thrown away.
        t0 = time.perf_counter()
        got, offset, session = 0, 0, requests.Session()
        while True:
            params = {"$select": ":*,*", "$order": ":id", "$limit": PAGE, "$offset": offset}
            page = json.loads(session.get(srv.url + source.resource_path(), params=params).content)
            got += len(page)
            offset += len(page)
            if len(page) < PAGE:
                break
        floor_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        client = socrata.PortalClient(srv.url, retries=0)
        result = socrata.download(source, client, Path(tmp) / "downloads", PAGE)
        download_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        with Store(Path(tmp) / "store") as st:
            reports = st.ingest_files(result.pending, source=source.name)
        ingest_s = time.perf_counter() - t0
        nibrs = _nibrs(srv, portal, Path(tmp) / "downloads", n)
    assert got == result.rows_fetched == n
    stored = sum(r.stored for r in reports)
    return {
        "rows": n,
        "pages": result.pages_fetched,
        "floor_requests_json_s": round(floor_s, 2),
        "crimecast_download_s": round(download_s, 2),
        "download_vs_floor": round(download_s / floor_s, 2),
        "download_rows_per_s": round(n / download_s),
        "ingest_pages_s": round(ingest_s, 2),
        "ingest_rows_per_s": round(n / ingest_s),
        "stored": stored,
        "reconciles": all(r.reconciles for r in reports),
        **nibrs,
    }


def _nibrs(srv, portal, downloads: Path, n: int) -> dict:
    from crimecast.ingest import socrata, sources
    from replay_server import nibrs_offense_rows

    source = sources.get("lapd-nibrs-offenses")
    portal.datasets[source.dataset_id] = nibrs_offense_rows(n // 2, per_day=700)
    client = socrata.PortalClient(srv.url, retries=0)
    t0 = time.perf_counter()
    full = socrata.download(source, client, downloads, PAGE)
    t1 = time.perf_counter()
    refresh = socrata.download(source, client, downloads, PAGE)
    t2 = time.perf_counter()
    return {
        "nibrs_rows": full.rows_fetched,
        "nibrs_download_s": round(t1 - t0, 2),
        "nibrs_refresh_rows": refresh.rows_fetched,
        "nibrs_refresh_s": round(t2 - t1, 2),
        "nibrs_refresh_where": refresh.where,
    }


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else CAP), indent=2))
