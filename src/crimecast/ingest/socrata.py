"""Paged, resumable, incremental download of a Socrata (SODA API) dataset into JSON page files.

This module only talks HTTP and writes files; it never opens the store (ingest/ is below store/
in the layering). `crimecast fetch` ingests the pages it returns.

Layout under `dest_root/<dataset name>/`:

    state.json                       where the current batch is, the watermark, batches to ingest
    batch-0001-full/page-000001.json one file per page, exactly the bytes the portal sent
    batch-0002-incremental/...       later refreshes: only records changed since the watermark

Why it is built this way:
- Pages are requested in a stable order (`$order=:id`, the portal's row id), so offset paging
  neither skips nor repeats rows while the dataset is unchanged.
- Each page is written atomically (temp file + rename) *before* state.json records it, so an
  interrupted download resumes at the next page: pages on disk are never fetched again.
- The watermark is the newest `:updated_at` seen in finished batches; a refresh asks only for
  `:updated_at > watermark`, which brings both new records and changed old ones (the store keeps
  the newest version of a record).
- A batch is handed to the caller for ingest once it is finished, and stays pending until the
  caller calls `mark_ingested`, so a crash between download and ingest loses nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import json
import logging
import os
import random
import shutil
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import urllib3

from crimecast.errors import CrimecastError, NetworkError
from crimecast.ingest.sources import Source

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
PAGE_GLOB = "page-*.json"

# Where to look when the portal cannot be used at all: a file the user holds, or the simulator.
OFFLINE_HINT = (
    "for a local export of the LAPD data run `crimecast ingest FILE`; without any data run "
    "`crimecast simulate --rows N --out city.simulated.csv` then "
    "`crimecast ingest city.simulated.csv` (or `crimecast run --demo`). If you do have a "
    "network, check CRIMECAST_PORTAL_URL"
)


class PortalResponseError(NetworkError):
    """The portal answered, but not with what the SODA API returns (HTML, an error, bad JSON)."""


# --- HTTP ---------------------------------------------------------------------------------------
def _chain(exc: BaseException):
    """The exception and everything it wraps (requests -> urllib3 -> socket)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        nested = [getattr(e, "reason", None), e.__cause__, e.__context__]
        nested += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        stack.extend(n for n in nested if isinstance(n, BaseException))


def unreachable_reason(exc: BaseException) -> str | None:
    """Why a connection could not even be opened (refused, DNS, connect timeout), else None."""
    chain = list(_chain(exc))
    # Most specific first: urllib3's NewConnectionError subclasses its ConnectTimeoutError.
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        type(e).__name__ == "NameResolutionError" for e in chain
    ):
        return "the host name could not be resolved"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain):
        return "no connection could be opened"
    # Only a *connect* timeout: a read timeout wraps socket.timeout too, but the portal is there.
    if any(
        isinstance(e, requests.ConnectTimeout | urllib3.exceptions.ConnectTimeoutError)
        for e in chain
    ):
        return "the connection timed out"
    return None


def _describe(exc: BaseException) -> str:
    """A short reason for a failed attempt, for logs and the final error."""
    reason = unreachable_reason(exc)
    if reason:
        return reason
    if isinstance(exc, requests.ReadTimeout):
        return "no response within the timeout"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection dropped in the middle of the response"
    if isinstance(exc, requests.ConnectionError):
        return "the connection was dropped or reset"
    return type(exc).__name__


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _snippet(body: bytes, n: int = 80) -> str:
    text = body[:n].decode("utf-8", "replace")
    return " ".join(text.split())


@dataclass
class _Failed:
    """An attempt that may succeed if repeated."""

    reason: str
    retry_after: float | None = None
    unreachable: bool = False  # no connection could be opened at all


class PortalClient:
    """GETs JSON from a Socrata portal with retries.

    Retries (up to `retries` times, waiting `backoff * 2**attempt` seconds with a little jitter,
    or longer when the portal sends Retry-After) on HTTP 429 and 5xx, timeouts, and connections
    dropped or reset mid-response. If the very first request cannot open a connection at all
    (refused, DNS failure), there is no network or no portal: one quick second try, then a
    NetworkError that says how to work offline. The app token goes in the X-App-Token header and
    is never put in URLs, messages, logs or repr().
    """

    def __init__(
        self,
        base_url: str,
        app_token: str | None = None,
        timeout: float = 60.0,
        retries: int = 6,
        backoff: float = 1.0,
        max_wait: float = 300.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.__token = app_token or None
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.max_wait = float(max_wait)
        self.session = session or requests.Session()
        self._sleep = sleep
        self._contacted = False  # a response (any response) has come back from the portal
        self.retried = 0  # attempts repeated, over the client's life (shown to the user)

    def __repr__(self) -> str:
        token = "set" if self.__token else "none"
        return f"PortalClient({self.base_url!r}, token={token})"

    def url_for(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The URL of a request as people read it (not percent-encoded; the token is a header)."""
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        return self.base_url + path + (f"?{query}" if query else "")

    def _wait(self, attempt: int) -> float:
        return min(self.max_wait, self.backoff * (2**attempt) * random.uniform(1.0, 1.25))

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[Any, bytes]:
        """(parsed JSON, raw body) of GET base_url + path, after retries."""
        shown = self.url_for(path, params)
        attempt = 0
        while True:
            outcome = self._attempt(path, params, shown)
            if not isinstance(outcome, _Failed):
                return outcome
            if outcome.unreachable and not self._contacted:
                # Nothing has ever answered: no network or no portal. One quick retry, no more.
                if attempt >= 1 or self.retries == 0:
                    raise NetworkError(
                        f"the city's open-data portal at {self.base_url} cannot be reached "
                        f"({outcome.reason})",
                        hint=OFFLINE_HINT,
                    )
                wait = min(0.5, self._wait(0))
            elif attempt >= self.retries:
                raise NetworkError(
                    f"giving up on {shown}: {outcome.reason} ({attempt + 1} attempts)",
                    hint="run the same crimecast fetch again later: it resumes from the last "
                    "page saved. If the portal is busy, set CRIMECAST_APP_TOKEN (higher rate "
                    "limits) or raise CRIMECAST_HTTP_RETRIES / CRIMECAST_HTTP_TIMEOUT",
                )
            else:
                wait = self._wait(attempt)
                if outcome.retry_after is not None:
                    wait = min(self.max_wait, max(wait, outcome.retry_after))
            log.warning(
                "GET %s: %s; retry %d/%d in %.2fs",
                shown,
                outcome.reason,
                attempt + 1,
                self.retries,
                wait,
            )
            self._sleep(wait)
            attempt += 1
            self.retried += 1

    def _attempt(self, path: str, params: dict[str, Any] | None, shown: str):
        """One request: (data, body) on success, _Failed when worth retrying; raises otherwise."""
        headers = {"Accept": "application/json"}
        if self.__token:
            headers["X-App-Token"] = self.__token
        # A connect timeout short enough that an unreachable portal is noticed quickly.
        timeout = (min(self.timeout, 10.0), self.timeout)
        try:
            resp = self.session.get(
                self.base_url + path, params=params, headers=headers, timeout=timeout
            )
            body = resp.content
        except requests.RequestException as exc:
            return _Failed(_describe(exc), unreachable=unreachable_reason(exc) is not None)
        self._contacted = True
        status = resp.status_code
        if status == 429 or status >= 500:
            after = retry_after_seconds(resp.headers.get("Retry-After"))
            return _Failed(f"HTTP {status}", retry_after=after)
        if status >= 400:
            raise self._refused(shown, status, body)
        log.debug("GET %s: HTTP %d, %d bytes", shown, status, len(body))
        try:
            return json.loads(body), body
        except ValueError:
            if body.lstrip()[:1] in (b"[", b"{"):
                # JSON that stops short: the connection closed early without saying so.
                return _Failed("the response was cut short (incomplete JSON)")
            raise self._not_json(shown, resp, body) from None

    def _refused(self, shown: str, status: int, body: bytes) -> PortalResponseError:
        """A 4xx other than 429: the request itself is wrong; retrying will not help."""
        try:
            detail = json.loads(body).get("message") or ""
        except (ValueError, AttributeError):
            detail = _snippet(body)
        hint = "check the dataset id in crimecast/ingest/sources.py against data.lacity.org"
        if status in (401, 403):
            hint = (
                "the portal refused the app token: check CRIMECAST_APP_TOKEN (it is not shown "
                "here), or unset it to fetch without one"
                if self.__token
                else "the portal wants credentials for this dataset; set CRIMECAST_APP_TOKEN"
            )
        return PortalResponseError(
            f"the portal refused {shown}: HTTP {status}" + (f": {detail}" if detail else ""),
            hint=hint,
        )

    def _not_json(self, shown: str, resp: requests.Response, body: bytes) -> PortalResponseError:
        ctype = resp.headers.get("Content-Type", "")
        kind = "an HTML page" if "html" in ctype or body.lstrip()[:1] == b"<" else "text"
        return PortalResponseError(
            f"the portal answered {shown} with {kind} instead of JSON "
            f"(Content-Type {ctype or 'missing'}; it starts {_snippet(body)!r})",
            hint="check that CRIMECAST_PORTAL_URL (now "
            f"{self.base_url}) is the Socrata portal, e.g. https://data.lacity.org; if it "
            "is, the portal may be down for maintenance: try again later",
        )

    # -- SODA requests --------------------------------------------------------------------------
    def count(self, source: Source, where: str | None = None) -> int | None:
        """Rows matching `where` (for the progress bar), or None if the portal won't say."""
        params = {"$select": "count(*)"}
        if where:
            params["$where"] = where
        try:
            data, _ = self.get(source.resource_path(), params)
            return int(next(iter(data[0].values())))
        except PortalResponseError as exc:
            log.info("no row count for %s: %s", source.name, exc.message)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, StopIteration):
            log.info("no row count for %s: unexpected answer", source.name)
        return None

    def page(
        self, source: Source, offset: int, limit: int, where: str | None = None
    ) -> tuple[list[dict], bytes]:
        """One page of records with the system fields (:id, :updated_at), in :id order."""
        params: dict[str, Any] = {
            "$select": ":*,*",
            "$order": ":id",
            "$limit": limit,
            "$offset": offset,
        }
        if where:
            params["$where"] = where
        rows, body = self.get(source.resource_path(), params)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise PortalResponseError(
                f"the portal answered {self.url_for(source.resource_path(), params)} with JSON "
                f"that is not a list of records (it starts {_snippet(body)!r})",
                hint="check that CRIMECAST_PORTAL_URL is the Socrata portal and the dataset id "
                f"{source.dataset_id} is right",
            )
        return rows, body


# --- files --------------------------------------------------------------------------------------
def write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, flush to disk, then rename: readers see all or nothing."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def page_name(n: int) -> str:
    return f"page-{n:06d}.json"


def load_state(dest: Path) -> dict | None:
    path = dest / STATE_FILE
    if not path.exists():
        return None
    try:
        state = json.loads(path.read_text())
    except ValueError as exc:
        raise CrimecastError(
            f"{path}: the download state is damaged ({exc})",
            hint=f"delete the folder {dest} and run crimecast fetch again (a full download)",
        ) from None
    return state


def save_state(dest: Path, state: dict) -> None:
    write_atomic(dest / STATE_FILE, json.dumps(state, indent=2).encode())


def _parse_ts(value: str) -> dt.datetime | None:
    try:
        ts = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None
    return ts if ts.tzinfo else ts.replace(tzinfo=dt.UTC)


def newer(a: str | None, b: str | None) -> str | None:
    """The later of two :updated_at values (ISO timestamps as the portal writes them)."""
    if not a or not b:
        return a or b
    ta, tb = _parse_ts(a), _parse_ts(b)
    if ta is not None and tb is not None:
        return a if ta >= tb else b
    return max(a, b)


def max_updated_at(rows: list[dict]) -> str | None:
    out = None
    for r in rows:
        out = newer(out, r.get(":updated_at"))
    return out


def where_since(watermark: str) -> str:
    """SoQL filter for records changed after the watermark."""
    if "'" in watermark or _parse_ts(watermark) is None:
        raise CrimecastError(
            f"the stored watermark {watermark!r} is not a timestamp",
            hint="run crimecast fetch --full to download the dataset again",
        )
    return f":updated_at > '{watermark}'"


@dataclass
class DownloadResult:
    """What one download did, and the page files now waiting to be ingested."""

    dataset: str
    mode: str  # full / incremental
    batch: str
    resumed: bool
    rows_fetched: int  # rows downloaded by this call
    pages_fetched: int  # pages downloaded by this call
    rows_in_batch: int  # rows in the batch so far (including pages from an earlier, cut run)
    expected: int | None  # the portal's count for the batch, when it gave one
    since: str | None  # the watermark the batch asks from (incremental)
    watermark: str | None  # the watermark after this batch
    pending: list[Path] = field(default_factory=list)  # pages to ingest, oldest batch first
    pending_batches: list[str] = field(default_factory=list)


def _new_batch(dest: Path, state: dict | None, mode: str, since: str | None, source: Source):
    seq = (state or {}).get("batch_seq", 0) + 1
    if state and not state.get("finished") and state.get("batch"):
        # An unfinished batch being replaced (fetch --full): its pages were never ingested.
        shutil.rmtree(dest / state["batch"], ignore_errors=True)
    name = f"batch-{seq:04d}-{mode}"
    shutil.rmtree(dest / name, ignore_errors=True)  # leftovers of a deleted state.json
    (dest / name).mkdir(parents=True)
    return {
        "dataset": source.name,
        "dataset_id": source.dataset_id,
        "batch_seq": seq,
        "batch": name,
        "mode": mode,
        "since": since,
        "watermark": (state or {}).get("watermark"),
        "batch_max_updated_at": None,
        "next_offset": 0,
        "pages_done": 0,
        "rows": 0,
        "finished": False,
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "finished_at": None,
        "pending_ingest": list((state or {}).get("pending_ingest", [])),
    }


def _adopt_pages_on_disk(batch_dir: Path, state: dict) -> None:
    """Pages written just before a crash, but not yet recorded in state.json, count as done."""
    while True:
        nxt = batch_dir / page_name(state["pages_done"] + 1)
        if not nxt.exists():
            return
        try:
            rows = json.loads(nxt.read_bytes())
        except ValueError:
            nxt.unlink()  # cannot happen with atomic writes, but never trust a torn page
            return
        if not isinstance(rows, list) or not rows:
            nxt.unlink()
            return
        state["pages_done"] += 1
        state["next_offset"] += len(rows)
        state["rows"] += len(rows)
        state["batch_max_updated_at"] = newer(state["batch_max_updated_at"], max_updated_at(rows))


def _check_pages_present(batch_dir: Path, state: dict) -> bool:
    return all((batch_dir / page_name(i)).exists() for i in range(1, state["pages_done"] + 1))


def pending_pages(dest: Path, state: dict) -> list[Path]:
    out: list[Path] = []
    for batch in state.get("pending_ingest", []):
        out.extend(sorted((dest / batch).glob(PAGE_GLOB)))
    return out


def download(
    source: Source,
    client: PortalClient,
    dest_root: Path,
    page_size: int,
    full: bool = False,
    on_total: Callable[[int | None, int], None] | None = None,
    on_page: Callable[[int], None] | None = None,
) -> DownloadResult:
    """Download (or resume, or refresh) one dataset into `dest_root/<name>/`.

    - no earlier download, or `full`: a full download of every record;
    - an unfinished batch: resume it from the next page (with `full`, only a full batch resumes);
    - a finished download: an incremental batch of records whose :updated_at is newer than the
      watermark.
    `on_total(expected_rows, rows_already_done)` is called once, `on_page(rows)` per page.
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    dest = Path(dest_root) / source.name
    dest.mkdir(parents=True, exist_ok=True)
    with _exclusive(dest):
        return _download(source, client, dest, page_size, full, on_total, on_page)


@contextlib.contextmanager
def _exclusive(dest: Path):
    """One download per dataset folder at a time; the OS drops the lock if the process dies."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock, as before
        yield
        return
    with open(dest / ".lock", "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrimecastError(
                f"another crimecast fetch is downloading into {dest}",
                hint="wait for it to finish, then run crimecast fetch again",
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _download(
    source: Source,
    client: PortalClient,
    dest: Path,
    page_size: int,
    full: bool,
    on_total: Callable[[int | None, int], None] | None,
    on_page: Callable[[int], None] | None,
) -> DownloadResult:
    state = load_state(dest)
    resumed = False
    if state and not state.get("finished") and (not full or state.get("mode") == "full"):
        batch_dir = dest / state["batch"]
        if _check_pages_present(batch_dir, state):
            resumed = True
        else:
            log.warning("%s: pages of %s are missing; starting it again", source.name, batch_dir)
            state = _new_batch(dest, state, state["mode"], state.get("since"), source)
    elif state is None or full or not state.get("watermark"):
        state = _new_batch(dest, state, "full", None, source)
    else:
        state = _new_batch(dest, state, "incremental", state["watermark"], source)
    batch_dir = dest / state["batch"]
    batch_dir.mkdir(parents=True, exist_ok=True)
    if resumed:
        _adopt_pages_on_disk(batch_dir, state)
    save_state(dest, state)

    where = where_since(state["since"]) if state["since"] else None
    expected = client.count(source, where)
    if on_total:
        on_total(expected, state["next_offset"])

    rows_fetched = pages_fetched = 0
    while True:
        rows, body = client.page(source, state["next_offset"], page_size, where)
        if rows:
            n = state["pages_done"] + 1
            write_atomic(batch_dir / page_name(n), body)
            state["pages_done"] = n
            state["next_offset"] += len(rows)
            state["rows"] += len(rows)
            state["batch_max_updated_at"] = newer(
                state["batch_max_updated_at"], max_updated_at(rows)
            )
            save_state(dest, state)
            rows_fetched += len(rows)
            pages_fetched += 1
            if on_page:
                on_page(len(rows))
        # A short page is the end, unless the portal capped $limit and its count says more remain.
        more_by_count = expected is not None and state["next_offset"] < expected
        if not rows or (len(rows) < page_size and not more_by_count):
            break

    state["finished"] = True
    state["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    state["watermark"] = newer(state["watermark"], state["batch_max_updated_at"])
    if state["rows"] and not state["batch_max_updated_at"]:
        log.warning(
            "%s: the portal sent no :updated_at, so the next fetch cannot be incremental",
            source.name,
        )
    if state["batch"] not in state["pending_ingest"]:
        state["pending_ingest"].append(state["batch"])
    save_state(dest, state)
    return DownloadResult(
        dataset=source.name,
        mode=state["mode"],
        batch=state["batch"],
        resumed=resumed,
        rows_fetched=rows_fetched,
        pages_fetched=pages_fetched,
        rows_in_batch=state["rows"],
        expected=expected,
        since=state["since"],
        watermark=state["watermark"],
        pending=pending_pages(dest, state),
        pending_batches=list(state["pending_ingest"]),
    )


def mark_ingested(dest_root: Path, source: Source, batches: list[str]) -> None:
    """Record that these batches are in the store, so they are not handed out again."""
    dest = Path(dest_root) / source.name
    state = load_state(dest)
    if state is None:
        return
    state["pending_ingest"] = [b for b in state.get("pending_ingest", []) if b not in batches]
    save_state(dest, state)
