"""Paged, resumable, incremental download of a Socrata (SODA API) dataset into JSON page files.

This module writes files and asks `portal.py` for pages; it never opens the store (ingest/ is below
store/ in the layering). `crimecast fetch` ingests the pages it returns.

Layout under `dest_root/<dataset name>/`:

    state.json                       where the current batch is, the watermark, batches to ingest
    batch-0001-full/page-000001.json one file per page, exactly the bytes the portal sent
    batch-0002-incremental/...       later refreshes: only records new or changed since

Why it is built this way:
- Pages are requested in a stable order (`$order=:id`, the portal's row id), so offset paging
  neither skips nor repeats rows while the dataset is unchanged.
- Each page is written atomically (temp file + rename) *before* state.json records it, so an
  interrupted download resumes at the next page: pages on disk are never fetched again.
- The incremental key depends on the dataset (`Source.refresh`):
  - legacy feeds: the watermark is the newest `:updated_at` seen in finished batches; a refresh asks
    only for `:updated_at > watermark`, which brings both new records and changed old ones;
  - NIBRS feeds give no `:updated_at` guarantee (the portal republishes them every two weeks), so
    the watermark is the newest `date_rptd` seen, and a refresh asks again for every record
    reported in the `refresh_days` before it (`date_rptd >= watermark - refresh_days`): new records
    and the recent ones LAPD corrects. The store keeps the newest copy of a record by its key
    (`uniquenibrno`). Corrections to older reports need `--full`.
- The dataset's `rowsUpdatedAt` (from its metadata) is kept with a finished download; when the
  portal reports the same value again, nothing has changed and no request for rows is made. An
  unfinished download whose dataset was republished since it began starts again (offsets into a
  new snapshot would skip or repeat rows).
- A batch is handed to the caller for ingest once it is finished, and stays pending until the
  caller calls `mark_ingested`, so a crash between download and ingest loses nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from crimecast.errors import CrimecastError

# The HTTP client lives in portal.py; these names are part of this module's interface too.
from crimecast.ingest.portal import (  # noqa: F401
    OFFLINE_HINT,
    PortalClient,
    PortalResponseError,
    retry_after_seconds,
    unreachable_reason,
)
from crimecast.ingest.sources import BY_REPORT_WINDOW, Source

log = logging.getLogger(__name__)

STATE_FILE = "state.json"
PAGE_GLOB = "page-*.json"


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
    if "batch_max_updated_at" in state:  # written by an earlier version: the :updated_at key
        state.setdefault("batch_max", state.pop("batch_max_updated_at"))
        state.setdefault("watermark_field", ":updated_at")
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


def watermark_field(source: Source) -> str:
    """The field whose newest value is the watermark: `date_rptd` or `:updated_at`."""
    return "date_rptd" if source.refresh == BY_REPORT_WINDOW else ":updated_at"


def max_updated_at(rows: list[dict], key: str = ":updated_at") -> str | None:
    """The newest value of `key` (an ISO timestamp) in the rows."""
    out = None
    for r in rows:
        out = newer(out, r.get(key))
    return out


def _checked(watermark: str) -> dt.datetime:
    ts = _parse_ts(watermark) if "'" not in watermark else None
    if ts is None:
        raise CrimecastError(
            f"the stored watermark {watermark!r} is not a timestamp",
            hint="run crimecast fetch --full to download the dataset again",
        )
    return ts


def window_start(watermark: str, days: int) -> str:
    """The first report date a trailing-window refresh asks for, as the API writes dates."""
    start = _checked(watermark) - dt.timedelta(days=days)
    return start.strftime("%Y-%m-%dT00:00:00.000")


def where_since(watermark: str, source: Source | None = None) -> str:
    """SoQL filter for a refresh: records changed after the watermark, or (NIBRS) every record
    reported in the dataset's trailing window before it."""
    if source is not None and source.refresh == BY_REPORT_WINDOW:
        return f"date_rptd >= '{window_start(watermark, source.refresh_days)}'"
    _checked(watermark)
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
    where: str | None = None  # the SoQL filter of the batch (incremental)
    rows_updated_at: int | None = None  # the portal's rowsUpdatedAt for the dataset
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
        "watermark_field": watermark_field(source),
        "batch_max": None,
        "batch_rows_updated_at": None,  # the dataset's rowsUpdatedAt when the batch began
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
        key = state["watermark_field"]
        state["batch_max"] = newer(state["batch_max"], max_updated_at(rows, key))


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
    rows_updated_at: int | None = None,
) -> DownloadResult:
    """Download (or resume, or refresh) one dataset into `dest_root/<name>/`.

    - no earlier download, or `full`: a full download of every record;
    - an unfinished batch: resume it from the next page (with `full`, only a full batch resumes);
    - a finished download: an incremental batch of records whose :updated_at is newer than the
      watermark.
    `on_total(expected_rows, rows_already_done)` is called once, `on_page(rows)` per page.
    `rows_updated_at`: the dataset's rowsUpdatedAt from its metadata; when a finished download
    recorded the same value, the dataset is unchanged and no rows are requested (mode
    'unchanged'; batches still waiting for ingest are handed out again).
    """
    if page_size < 1:
        raise ValueError("page_size must be at least 1")
    dest = Path(dest_root) / source.name
    dest.mkdir(parents=True, exist_ok=True)
    with _exclusive(dest):
        return _download(source, client, dest, page_size, full, on_total, on_page, rows_updated_at)


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
    rows_updated_at: int | None,
) -> DownloadResult:
    state = load_state(dest)
    resumed = False
    if (
        state
        and state.get("finished")
        and not full
        and rows_updated_at is not None
        and state.get("rows_updated_at") == rows_updated_at
    ):
        return _unchanged(source, dest, state)
    if state and not state.get("finished") and (not full or state.get("mode") == "full"):
        batch_dir = dest / state["batch"]
        began = state.get("batch_rows_updated_at")
        if rows_updated_at is not None and began is not None and began != rows_updated_at:
            # Republished since the batch began: offsets into the new snapshot would skip or
            # repeat rows, so the batch starts again (its pages were never ingested).
            log.warning(
                "%s: the dataset changed on the portal since this download began; starting it "
                "again",
                source.name,
            )
            state = _new_batch(dest, state, state["mode"], state.get("since"), source)
        elif _check_pages_present(batch_dir, state):
            resumed = True
        else:
            log.warning("%s: pages of %s are missing; starting it again", source.name, batch_dir)
            state = _new_batch(dest, state, state["mode"], state.get("since"), source)
    elif (
        state is None
        or full
        or not state.get("watermark")
        or state.get("watermark_field") != watermark_field(source)
    ):
        state = _new_batch(dest, state, "full", None, source)
    else:
        state = _new_batch(dest, state, "incremental", state["watermark"], source)
    batch_dir = dest / state["batch"]
    batch_dir.mkdir(parents=True, exist_ok=True)
    if resumed:
        _adopt_pages_on_disk(batch_dir, state)
    elif rows_updated_at is not None:
        state["batch_rows_updated_at"] = rows_updated_at
    save_state(dest, state)

    where = where_since(state["since"], source) if state["since"] else None
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
            state["batch_max"] = newer(
                state["batch_max"], max_updated_at(rows, state["watermark_field"])
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
    state["watermark"] = newer(state["watermark"], state["batch_max"])
    state["rows_updated_at"] = rows_updated_at
    if state["rows"] and not state["batch_max"]:
        log.warning(
            "%s: the portal sent no %s, so the next fetch cannot be incremental",
            source.name,
            state["watermark_field"],
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
        where=where,
        rows_updated_at=rows_updated_at,
        pending=pending_pages(dest, state),
        pending_batches=list(state["pending_ingest"]),
    )


def _unchanged(source: Source, dest: Path, state: dict) -> DownloadResult:
    log.info("%s: unchanged on the portal since the last download", source.name)
    return DownloadResult(
        dataset=source.name,
        mode="unchanged",
        batch=state["batch"],
        resumed=False,
        rows_fetched=0,
        pages_fetched=0,
        rows_in_batch=0,
        expected=None,
        since=state.get("watermark"),
        watermark=state.get("watermark"),
        rows_updated_at=state.get("rows_updated_at"),
        pending=pending_pages(dest, state),
        pending_batches=list(state.get("pending_ingest", [])),
    )


def mark_ingested(dest_root: Path, source: Source, batches: list[str]) -> None:
    """Record that these batches are in the store, so they are not handed out again."""
    dest = Path(dest_root) / source.name
    state = load_state(dest)
    if state is None:
        return
    state["pending_ingest"] = [b for b in state.get("pending_ingest", []) if b not in batches]
    save_state(dest, state)
