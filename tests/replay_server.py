"""A local stand-in for the city's Socrata portal, for the `fetch` tests.

A real HTTP server (`ThreadingHTTPServer` on 127.0.0.1, a free port, in a thread) that answers
SODA requests (`/resource/<id>.json` with $select, $where, $order, $limit, $offset) from records
held in a `Portal`, records every request it sees, and can be scripted to misbehave the way real
portals and networks do: HTTP 429 with Retry-After, HTTP 500, a connection dropped before or in
the middle of a response (with or without Content-Length), a response slower than the client's
timeout, an HTML page instead of JSON, and dying for good after a number of pages.

The records are built from real LAPD rows (`api_rows_from_export`): a CSV export converted to the
API's JSON shape (snake_case names, ISO dates, nulls left out, plus `:id`, `:created_at`,
`:updated_at`).
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
_RESOURCE = re.compile(r"^/resource/([a-z0-9]{4}-[a-z0-9]{4})\.json$")


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
    def offset(self) -> int:
        return int(self.params.get("$offset", 0))


@dataclass
class Fault:
    """Misbehaviour for the next matching request: 429, 500, drop-headers, drop-body,
    cut-json, slow, html. `on`: 'page', 'count' or 'any'. `retry_after`: the header value for 429."""

    kind: str
    on: str = "page"
    retry_after: str | None = None


@dataclass
class Portal:
    """Datasets (Socrata id -> records), scripted faults, and the log of requests."""

    datasets: dict[str, list[dict]] = field(default_factory=dict)
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

    def answer(self, dataset_id: str, params: dict[str, str]) -> tuple[int, object]:
        """(status, JSON body) for a SODA query, like the portal would."""
        if dataset_id not in self.datasets:
            return 404, {"error": True, "message": f"Not found: dataset {dataset_id}"}
        rows = list(self.datasets[dataset_id])
        where = params.get("$where")
        if where:
            m = _WHERE.match(where)
            if not m:
                return 400, {"error": True, "message": f"unsupported $where: {where}"}
            since = m.group(1)
            rows = [r for r in rows if r[":updated_at"] > since]  # same format: text order
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


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
