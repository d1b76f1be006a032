"""A local stand-in for the city's Socrata portal, for the `fetch` tests.

A real HTTP server (`ThreadingHTTPServer` on 127.0.0.1, a free port, in a thread) that answers
SODA requests (`/resource/<id>.json` with $select, $where, $order, $limit, $offset) from records
held in a `Portal`, records every request it sees, and can be scripted to misbehave the way real
portals and networks do: HTTP 429 with Retry-After, HTTP 500, a connection dropped before or in
the middle of a response (with or without Content-Length), a response slower than the client's
timeout, an HTML page instead of JSON, and dying for good after a number of pages.

The records are built from real LAPD rows (`api_rows_from_export`): a CSV export converted to the
API's JSON shape (snake_case names, ISO dates, nulls left out, plus `:id`, `:created_at`,
`:updated_at`), or are NIBRS offenses in the NIBRS dataset's field names (`nibrs_offense_rows`:
cases of one to several offenses, `uniquenibrno` = case number + NIBRS code + sequence).

It also answers the metadata endpoint (`/api/views/<id>.json`: `id`, `name`, `rowsUpdatedAt`,
from `Portal.meta` or the newest `:updated_at`), and answers 403 for every request about a
dataset in `Portal.retired`, as the portal does for a retired dataset.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd

_DATE_COLS = ("date_rptd", "date_occ")
_WHERE = re.compile(r"^\s*:updated_at\s*>\s*'([^']+)'\s*$")
_WHERE_RPTD = re.compile(r"^\s*date_rptd\s*>=\s*'([^']+)'\s*$")
_RESOURCE = re.compile(r"^/resource/([a-z0-9]{4}-[a-z0-9]{4})\.json$")
_VIEWS = re.compile(r"^/api/views/([a-z0-9]{4}-[a-z0-9]{4})\.json$")
_FORBIDDEN = {
    "code": "permission_denied",
    "error": True,
    "message": "You must be logged in to access this dataset",
}


def snake(name: str) -> str:
    """The API's field name for an export column: 'Crm Cd Desc' -> 'crm_cd_desc'."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def iso_date(text: str) -> str:
    """'01/08/2020 00:00' or '03/01/2020 12:00:00 AM' -> '2020-01-08T00:00:00.000'."""
    for fmt in ("%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text.strip(), fmt).strftime("%Y-%m-%dT%H:%M:%S.000")
        except ValueError:
            continue
    return text


def stamp(t: dt.datetime) -> str:
    """A Socrata :updated_at value: ISO with milliseconds and Z."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def row_id(key: str) -> str:
    """A Socrata-like row id. Hash-based, so :id order is not the export's order."""
    h = hashlib.sha1(key.encode()).hexdigest()
    return f"row-{h[:4]}.{h[4:8]}_{h[8:12]}"


def api_rows_from_export(
    path: Path, n: int, start: int = 0, updated: dt.datetime | None = None
) -> list[dict]:
    """`n` rows of a CSV export (from row `start`) as the SODA API returns them."""
    updated = updated or dt.datetime(2024, 1, 15, 8, 0, 0)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, skiprows=range(1, start + 1), nrows=n)
    rows = []
    for i, rec in enumerate(df.to_dict("records")):
        out = {}
        for col, value in rec.items():
            value = value.strip()
            if value == "":
                continue  # the API leaves null fields out of a record
            key = snake(col)
            out[key] = iso_date(value) if key in _DATE_COLS else value
        out[":id"] = row_id(f"{out.get('dr_no')}-{start + i}")
        out[":created_at"] = stamp(updated - dt.timedelta(days=30))
        out[":updated_at"] = stamp(updated + dt.timedelta(seconds=17 * i))
        out[":@computed_region_qz3q_ghft"] = str(1000 + i % 50)
        rows.append(out)
    return rows


# (nibr_code, description, crime_against, group) of a few common NIBRS offenses
_NIBRS_OFFENSES = (
    ("23H", "All Other Larceny", "Property", "A"),
    ("13A", "Aggravated Assault", "Person", "A"),
    ("13B", "Simple Assault", "Person", "A"),
    ("290", "Destruction/Damage/Vandalism of Property", "Property", "A"),
    ("240", "Motor Vehicle Theft", "Property", "A"),
    ("220", "Burglary/Breaking & Entering", "Property", "A"),
    ("120", "Robbery", "Property", "A"),
    ("35A", "Drug/Narcotic Violations", "Society", "A"),
)


def nibrs_offense_rows(
    cases: int,
    start: int = 0,
    updated: dt.datetime | None = None,
    first_day: str = "2024-03-07",
    per_day: int = 1,
) -> list[dict]:
    """NIBRS offense records as the SODA API returns them for k7nn-b2ep: `cases` cases from case
    number 240100000 + `start`, each with 1-3 offenses (case i has 1 + i % 3), reported `per_day`
    cases a day from `first_day`."""
    updated = updated or dt.datetime(2026, 9, 1, 8, 0, 0)
    day0 = dt.date.fromisoformat(first_day)
    rows = []
    for i in range(start, start + cases):
        caseno = str(240100000 + i)
        n = 1 + i % 3
        rptd = day0 + dt.timedelta(days=i // per_day)
        occ = rptd - dt.timedelta(days=i % 4)
        area = 1 + i % 21
        for seq in range(1, n + 1):
            code, desc, against, group = _NIBRS_OFFENSES[(i + seq) % len(_NIBRS_OFFENSES)]
            rec = {
                "caseno": caseno,
                "uniquenibrno": f"{caseno}{code}{seq:02d}",
                "date_rptd": f"{rptd.isoformat()}T00:00:00.000",
                "date_occ": f"{occ.isoformat()}T00:00:00.000",
                "time_occ": f"{(i * 37) % 24:02d}{(i * 13) % 60:02d}",
                "area": f"{area:02d}",
                "area_name": AREA_NAMES[area],
                "rpt_dist_no": f"{area:02d}{(i % 9) + 1:02d}",
                "totaloffensecount": str(n),
                "group": group,
                "nibr_code": code,
                "nibr_description": desc,
                "crime_against": against,
                "premis_cd": "101",
                "premis_desc": "STREET",
                "status": "IC",
                "status_desc": "Invest Cont",
                "totalvictimcount": "1",
                "victim_shot": "No",
                "domestic_violence_crime": "No",
                "hate_crime": "No",
                "gang_related_crime": "No",
                "transit_related_crime": "No",
                "homeless_victim_crime": "No",
                "homeless_suspect_crime": "No",
                "homeless_arrestee_crime": "No",
                "hndrdth_loc_chk": f"{(i % 90 + 1) * 100} S MAIN ST",
                "hndrdth_lat": f"{34.0 + (i % 50) / 1000:.4f}",
                "hndrdth_lon": f"{-118.3 + (i % 70) / 1000:.4f}",
            }
            if code == "13A":
                rec |= {"weapon_used_cd": "400", "weapon_desc": "STRONG-ARM"}
            rec[":id"] = row_id(rec["uniquenibrno"])
            rec[":created_at"] = stamp(updated - dt.timedelta(days=30))
            rec[":updated_at"] = stamp(updated)
            rows.append(rec)
    return rows


AREA_NAMES = {
    1: "Central", 2: "Rampart", 3: "Southwest", 4: "Hollenbeck", 5: "Harbor", 6: "Hollywood",
    7: "Wilshire", 8: "West LA", 9: "Van Nuys", 10: "West Valley", 11: "Northeast", 12: "77th Street",
    13: "Newton", 14: "Pacific", 15: "N Hollywood", 16: "Foothill", 17: "Devonshire",
    18: "Southeast", 19: "Mission", 20: "Olympic", 21: "Topanga",
}  # fmt: skip


@dataclass
class Seen:
    """One request as the server saw it."""

    path: str
    params: dict[str, str]
    headers: dict[str, str]
    at: float
    outcome: str = "ok"

    @property
    def is_page(self) -> bool:
        return "$offset" in self.params or "$limit" in self.params

    @property
    def is_metadata(self) -> bool:
        return self.path.startswith("/api/views/")

    @property
    def offset(self) -> int:
        return int(self.params.get("$offset", 0))


@dataclass
class Fault:
    """Misbehaviour for the next matching request: 429, 500, drop-headers, drop-body,
    cut-json, slow, html. `on`: 'page', 'count', 'metadata' or 'any'. `retry_after`: the header value for 429."""

    kind: str
    on: str = "page"
    retry_after: str | None = None


@dataclass
class Portal:
    """Datasets (Socrata id -> records), scripted faults, and the log of requests."""

    datasets: dict[str, list[dict]] = field(default_factory=dict)
    meta: dict[str, dict] = field(default_factory=dict)  # metadata fields per dataset id
    retired: set[str] = field(default_factory=set)  # dataset ids that answer 403
    faults: list[Fault] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    die_after_pages: int | None = None  # stop serving for good after this many pages
    slow_seconds: float = 1.0
    pages_served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, *faults: Fault) -> None:
        with self.lock:
            self.faults.extend(faults)

    def take_fault(self, request_kind: str) -> Fault | None:
        with self.lock:
            for i, f in enumerate(self.faults):
                if f.on in (request_kind, "any"):
                    return self.faults.pop(i)
        return None

    def pages(self) -> list[Seen]:
        return [s for s in self.seen if s.is_page]

    def upsert(self, dataset_id: str, rows: list[dict]) -> None:
        """New records, or new versions of records with the same :id."""
        with self.lock:
            table = {r[":id"]: r for r in self.datasets.setdefault(dataset_id, [])}
            for r in rows:
                table[r[":id"]] = r
            self.datasets[dataset_id] = list(table.values())

    def metadata(self, dataset_id: str) -> tuple[int, object]:
        """(status, JSON body) for /api/views/<id>.json."""
        if dataset_id in self.retired:
            return 403, _FORBIDDEN
        if dataset_id not in self.datasets and dataset_id not in self.meta:
            return 404, {"error": True, "message": f"Not found: dataset {dataset_id}"}
        rows = self.datasets.get(dataset_id, [])
        newest = max((r[":updated_at"] for r in rows), default=None)
        out: dict = {"id": dataset_id, "name": f"Dataset {dataset_id}", "viewType": "tabular"}
        if newest:
            ts = dt.datetime.strptime(newest[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
            out["rowsUpdatedAt"] = int(ts.timestamp())
        out |= self.meta.get(dataset_id, {})
        return 200, out

    def answer(self, dataset_id: str, params: dict[str, str]) -> tuple[int, object]:
        """(status, JSON body) for a SODA query, like the portal would."""
        if dataset_id in self.retired:
            return 403, _FORBIDDEN
        if dataset_id not in self.datasets:
            return 404, {"error": True, "message": f"Not found: dataset {dataset_id}"}
        rows = list(self.datasets[dataset_id])
        where = params.get("$where")
        if where:
            m, m_rptd = _WHERE.match(where), _WHERE_RPTD.match(where)
            if m:
                since = m.group(1)
                rows = [r for r in rows if r[":updated_at"] > since]  # same format: text order
            elif m_rptd:
                first = m_rptd.group(1)
                rows = [r for r in rows if r.get("date_rptd", "") >= first]
            else:
                return 400, {"error": True, "message": f"unsupported $where: {where}"}
        select = params.get("$select", "*")
        if select.replace(" ", "").lower() == "count(*)":
            return 200, [{"count": str(len(rows))}]
        order = params.get("$order")
        if order not in (None, ":id"):
            return 400, {"error": True, "message": f"unsupported $order: {order}"}
        rows.sort(key=lambda r: r[":id"])
        offset = int(params.get("$offset", 0))
        limit = int(params.get("$limit", 1000))
        rows = rows[offset : offset + limit]
        if select.replace(" ", "") != ":*,*":
            rows = [{k: v for k, v in r.items() if not k.startswith(":")} for r in rows]
        return 200, rows


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: a dead server refuses the next
    server: _Server

    def log_message(self, format, *args):  # keep test output quiet
        pass

    def handle(self):
        try:
            super().handle()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout) before we answered

    def _send(self, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        portal = self.server.portal
        url = urlsplit(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        seen = Seen(url.path, params, dict(self.headers.items()), time.monotonic())
        with portal.lock:
            portal.seen.append(seen)
        views = _VIEWS.match(url.path)
        if views:
            fault = portal.take_fault("metadata")
            if fault:
                seen.outcome = fault.kind
                if self._misbehave(fault):
                    return
            status, data = portal.metadata(views.group(1))
            seen.outcome = "ok" if status == 200 else str(status)
            self._send(status, json.dumps(data).encode(), "application/json;charset=utf-8")
            return
        m = _RESOURCE.match(url.path)
        if not m:
            seen.outcome = "404"
            self._send(404, b'{"error": true, "message": "no such resource"}', "application/json")
            return
        kind = "page" if seen.is_page else "count"
        fault = portal.take_fault(kind)
        if fault:
            seen.outcome = fault.kind
            if self._misbehave(fault):
                return
        status, data = portal.answer(m.group(1), params)
        if status != 200:
            seen.outcome = str(status)
        body = json.dumps(data).encode()
        if kind == "page" and status == 200:
            with portal.lock:
                portal.pages_served += 1
                dying = portal.die_after_pages is not None and (
                    portal.pages_served >= portal.die_after_pages
                )
            if dying:  # close the listening socket first: the next request is refused
                self.server.die()
        self._send(status, body, "application/json;charset=utf-8")

    def _misbehave(self, fault: Fault) -> bool:
        """Apply a fault; True when the request has been fully dealt with."""
        if fault.kind == "429":
            extra = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            self._send(429, b'{"message": "Too many requests"}', "application/json", extra)
            return True
        if fault.kind == "500":
            self._send(500, b'{"message": "Internal error"}', "application/json")
            return True
        if fault.kind == "html":
            page = b"<!DOCTYPE html><html><head><title>Site maintenance</title></head></html>"
            self._send(200, page, "text/html; charset=utf-8")
            return True
        if fault.kind == "drop-headers":
            self.close_connection = True  # closed without a single byte of response
            return True
        if fault.kind == "drop-body":
            body = json.dumps([{"dr_no": str(i), "date_occ": "2020"} for i in range(50)]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])  # then the connection closes
            self.wfile.flush()
            self.close_connection = True
            return True
        if fault.kind == "cut-json":  # no Content-Length: the client only sees JSON stop short
            body = json.dumps([{"dr_no": str(i), "date_occ": "2020"} for i in range(50)]).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
            return True
        if fault.kind == "slow":
            time.sleep(self.server.portal.slow_seconds)
            return False  # then answer normally, to a client that has stopped waiting
        raise ValueError(f"unknown fault {fault.kind}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, portal: Portal):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.portal = portal
        self._dead = False

    def die(self) -> None:
        if not self._dead:
            self._dead = True
            self.shutdown()  # safe from a handler thread: serve_forever runs in another
            self.server_close()


class ReplayServer:
    """`with ReplayServer(portal) as srv: srv.url` -> 'http://127.0.0.1:PORT'."""

    def __init__(self, portal: Portal):
        self.portal = portal
        self._server = _Server(portal)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> ReplayServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if not self._server._dead:
            self._server._dead = True
            self._server.shutdown()
            self._server.server_close()
        self._thread.join(timeout=5)


def use_portal(monkeypatch, url: str) -> None:
    """Point `crimecast` at a replayed portal, with retries fast enough for tests and no token."""
    monkeypatch.setenv("CRIMECAST_PORTAL_URL", url)
    monkeypatch.setenv("CRIMECAST_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("CRIMECAST_HTTP_TIMEOUT", "2")
    monkeypatch.setenv("CRIMECAST_HTTP_RETRIES", "3")
    monkeypatch.delenv("CRIMECAST_APP_TOKEN", raising=False)
    monkeypatch.delenv("CRIMECAST_PAGE_SIZE", raising=False)


def run_cli(*args) -> int:
    """`crimecast ARGS...` in this process; its exit code."""
    from crimecast.cli import main

    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        return int(exc.code or 0)
    return 0


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
