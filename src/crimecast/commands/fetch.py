"""`crimecast fetch`: download or refresh the LAPD datasets from the city's portal, then ingest.

First each dataset's metadata is read and its state said in words (frozen, renamed, retired; a
retired dataset is not downloaded and its successor is fetched instead). The download itself
(`ingest/socrata.py`) only writes page files; this command opens the store, ingests the pages of
every finished batch and then marks them ingested, so a crash at any point loses nothing and
duplicates nothing.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from crimecast import config, storage
from crimecast.commands.common import StoreOpt, console, progress
from crimecast.errors import ConfigError, NetworkError, StoreError
from crimecast.ingest import dataset_status, nibrs_victims, socrata, sources
from crimecast.ingest.dataset_status import DatasetStatus
from crimecast.store import IngestReport, Store

log = logging.getLogger(__name__)


def _int_setting(name: str, minimum: int) -> int:
    raw = config.get(name)
    try:
        value = int(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(
            f"setting {name} is {raw!r}; it must be a whole number of at least {minimum}",
            hint=f"fix CRIMECAST_{name.upper()} (see crimecast settings)",
        )
    return value


def _float_setting(name: str, minimum: float) -> float:
    raw = config.get(name)
    try:
        value = float(raw)
    except ValueError:
        value = minimum - 1
    if value < minimum:
        raise ConfigError(
            f"setting {name} is {raw!r}; it must be a number of at least {minimum}",
            hint=f"fix CRIMECAST_{name.upper()} (see crimecast settings)",
        )
    return value


def make_client() -> socrata.PortalClient:
    """A portal client from the settings in force (portal_url, app_token, http_*)."""
    url = config.get("portal_url").strip()
    if not url.startswith(("http://", "https://")):
        raise ConfigError(
            f"portal_url {url!r} is not an http(s) URL",
            hint="set CRIMECAST_PORTAL_URL to e.g. https://data.lacity.org",
        )
    return socrata.PortalClient(
        url,
        app_token=config.get("app_token").strip() or None,
        timeout=_float_setting("http_timeout", 0.001),
        retries=_int_setting("http_retries", 0),
        backoff=_float_setting("http_backoff", 0.0),
    )


def _sum_reports(reports: list[IngestReport]) -> dict:
    keys = ("rows_read", "stored", "quarantined", "duplicates_merged")
    out = {k: sum(getattr(r, k) for r in reports) for k in keys}
    out["pages"] = sum(not r.skipped for r in reports)
    out["pages_skipped"] = sum(r.skipped for r in reports)
    out["reconciles"] = all(r.reconciles for r in reports)
    out["warnings"] = sorted({w for r in reports for w in r.warnings})
    return out


def fetch_one(
    source: sources.Source,
    client: socrata.PortalClient,
    store_dir: Path,
    downloads: Path,
    page_size: int,
    full: bool,
    status: DatasetStatus | None = None,
    download_only: bool = False,
) -> dict:
    """Download one dataset, ingest its finished batches; a summary dict for printing.

    A person-level dataset (NIBRS victims) is downloaded only: its rows are kept under
    STORE/downloads/ for aggregate tables and never ingested as incidents."""
    rows_updated_at = status.rows_updated_at if status else None
    with progress() as bar:
        task = bar.add_task(f"{source.name} ({source.dataset_id})", total=None)

        def on_total(expected: int | None, done: int) -> None:
            bar.update(task, total=expected, completed=done)

        def on_page(rows: int) -> None:
            bar.advance(task, rows)

        try:
            result = socrata.download(
                source,
                client,
                downloads,
                page_size,
                full=full,
                on_total=on_total,
                on_page=on_page,
                rows_updated_at=rows_updated_at,
            )
        except OSError as exc:  # disk full, no permission: the pages cannot be kept
            raise StoreError(
                f"cannot save downloaded pages under {downloads / source.name}: {exc}",
                hint="free disk space or fix the folder's permissions, then run crimecast "
                "fetch again (it resumes)",
            ) from None
        if result.expected is None:
            bar.update(task, total=result.rows_in_batch, completed=result.rows_in_batch)
    summary = {
        "dataset": source.name,
        "dataset_id": source.dataset_id,
        "mode": result.mode,
        "resumed": result.resumed,
        "rows_fetched": result.rows_fetched,
        "pages_fetched": result.pages_fetched,
        "rows_in_batch": result.rows_in_batch,
        "since": result.since,
        "where": result.where,
        "watermark": result.watermark,
        "incremental_key": source.incremental_key(),
        "status": status.as_dict() if status else None,
        "downloaded_to": str(downloads / source.name),
        "kept_for_aggregates": source.person_level,
        "aggregated_to": None,
        "ingest": None,
    }
    if source.person_level:
        table = downloads / source.name / nibrs_victims.FILE_NAME
        if result.pending and not download_only:
            table = _aggregate_victims(downloads, source)
            socrata.mark_ingested(downloads, source, result.pending_batches)
        summary["aggregated_to"] = str(table) if table.exists() else None
    elif result.pending and not download_only:
        with Store(store_dir) as st:
            reports = st.ingest_files(result.pending, source=source.name)
        socrata.mark_ingested(downloads, source, result.pending_batches)
        summary["ingest"] = _sum_reports(reports)
    return summary


def _print_status(status: DatasetStatus) -> None:
    src = status.source
    for note in status.notices:
        console.print(f"[bold]{src.name}[/] ({src.dataset_id}): {note}", highlight=False)


def _how(summary: dict) -> str:
    how = "resumed " if summary["resumed"] else ""
    if summary["mode"] == "full":
        return how + "full download"
    if summary["mode"] == "unchanged":
        updated = (summary["status"] or {}).get("rows_updated")
        return "unchanged on the portal since the last fetch" + (
            f": rows last updated {updated}" if updated else ""
        )
    where = summary["where"] or ""
    if where.startswith("date_rptd"):
        first_day = where.split("'")[1][:10]
        return how + f"refresh of every record reported from {first_day}"
    return how + f"refresh of records changed after {summary['since']}"


def _aggregate_victims(downloads: Path, source: sources.Source) -> Path:
    """Count the person-level pages of every finished batch into the aggregate table (small
    cells suppressed) beside them; the only form the victims are kept in for analyses."""
    dest = downloads / source.name
    pages = sorted(dest.glob(f"batch-*/{socrata.PAGE_GLOB}"))
    table = nibrs_victims.aggregate(pages)
    out = dest / nibrs_victims.FILE_NAME
    socrata.write_atomic(out, table.to_csv(index=False).encode())
    return out


def _print(summary: dict) -> None:
    console.print(
        f"[bold]{summary['dataset']}[/]: {summary['rows_fetched']:,} rows fetched in "
        f"{summary['pages_fetched']} page(s) ({_how(summary)})",
        highlight=False,
    )
    ing = summary["ingest"]
    if summary["kept_for_aggregates"]:
        where = (
            summary["aggregated_to"] or f"{summary['downloaded_to']} (counted on the next fetch)"
        )
        console.print(
            f"  person-level rows: counted per month, area, sex, descent and age band into "
            f"{where} (cells under {nibrs_victims.MIN_CELL} victims suppressed); never ingested "
            "or exported per person",
            highlight=False,
        )
        return
    if ing is None:
        console.print("  nothing new to ingest", highlight=False)
        return
    if not ing["pages"]:
        console.print(
            f"  all {ing['pages_skipped']} page(s) were already in the store", highlight=False
        )
        return
    console.print(
        f"  ingested {ing['pages']} page(s): {ing['rows_read']:,} rows read = "
        f"{ing['stored']:,} stored + {ing['quarantined']:,} quarantined + "
        f"{ing['duplicates_merged']:,} duplicates merged",
        highlight=False,
    )
    if ing["pages_skipped"]:
        console.print(
            f"  {ing['pages_skipped']} page(s) were already in the store", highlight=False
        )
    for w in ing["warnings"]:
        console.print(f"  [yellow]warning:[/] {w}", highlight=False)


def check_dataset(source: sources.Source, client: socrata.PortalClient) -> DatasetStatus:
    """Read the dataset's metadata and say what state it is in. A portal that cannot be reached
    raises (NetworkError); one that gives no metadata only costs the notices."""
    try:
        meta = client.metadata(source)
    except socrata.PortalResponseError as exc:
        if exc.status in (401, 403, 410):
            status = dataset_status.assess(source, None, refused_status=exc.status)
            status.refusal = exc
            return status
        log.info("no metadata for %s: %s", source.name, exc.message)
        return dataset_status.assess(source, None)
    return dataset_status.assess(source, meta)


def _queue(chosen: list[sources.Source], refresh_days: int | None) -> list[sources.Source]:
    if refresh_days is None:
        return list(chosen)
    return [
        dataclasses.replace(s, refresh_days=refresh_days)
        if s.refresh == sources.BY_REPORT_WINDOW
        else s
        for s in chosen
    ]


def _refused_error(refused: list[DatasetStatus], done: list[dict]) -> socrata.PortalResponseError:
    first = refused[0].refusal
    names = ", ".join(f"{r.source.name} ({r.source.dataset_id})" for r in refused)
    fetched = ", ".join(s["dataset"] for s in done if s["mode"] != "retired")
    message = f"the portal refused {names}: {first.message}" if first else f"refused: {names}"
    if fetched:
        message += f" (fetched and stored: {fetched})"
    return socrata.PortalResponseError(
        message,
        hint=(first.hint if first else None)
        or "check the dataset on data.lacity.org; if it was retired, add its successor to "
        "crimecast/ingest/sources.py",
        status=first.status if first else None,
    )


def _retired_summary(status: DatasetStatus) -> dict:
    return {
        "dataset": status.source.name,
        "dataset_id": status.source.dataset_id,
        "mode": "retired",
        "rows_fetched": 0,
        "pages_fetched": 0,
        "status": status.as_dict(),
        "ingest": None,
    }


def fetch(
    store: StoreOpt,
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            help="dataset to fetch (repeatable): "
            + ", ".join(f"{s.name} ({s.dataset_id}, {s.title}, {s.state})" for s in sources.SOURCES)
            + "; default: all but the victims",
        ),
    ] = None,
    victims: Annotated[
        bool,
        typer.Option(
            "--victims",
            help="also download NIBRS Victims (one row per person): only counted into "
            "victims_by_month.csv, never ingested or exported per person",
        ),
    ] = False,
    full: Annotated[
        bool,
        typer.Option("--full", help="download everything again instead of only what changed"),
    ] = False,
    refresh_days: Annotated[
        int | None,
        typer.Option(
            "--refresh-days",
            help="NIBRS refresh: days of reports (by date_rptd) fetched again before the newest "
            "one seen (default 120)",
        ),
    ] = None,
    download_only: Annotated[
        bool,
        typer.Option(
            "--download-only",
            help="download the pages but do not ingest them (the next fetch ingests them)",
        ),
    ] = False,
    page_size: Annotated[
        int | None,
        typer.Option("--page-size", help="rows per request (env CRIMECAST_PAGE_SIZE)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON summary")] = False,
) -> None:
    """Download or refresh the LAPD datasets from the city's portal, then ingest them.

    Each dataset's metadata (title, rowsUpdatedAt) is read first and its state
    said: frozen, renamed, or retired (HTTP 403: not downloaded, its successor
    is fetched instead). An unchanged rowsUpdatedAt: no rows are asked for.

    First run: a full download. Later runs: only what is new or changed. The
    legacy feeds refresh by :updated_at. The NIBRS feeds have no :updated_at
    guarantee, so a refresh fetches again every record reported (date_rptd) in
    the --refresh-days before the newest report seen; a record replaces the
    stored one with the same uniquenibrno. --full catches older corrections.

    An interrupted download resumes where it stopped; pages are kept under
    STORE/downloads/.
    """
    chosen = sources.select(dataset, victims=victims)
    size = page_size if page_size is not None else _int_setting("page_size", 1)
    if size < 1:
        raise ConfigError(f"--page-size {size} must be at least 1", hint="e.g. --page-size 50000")
    if refresh_days is not None and refresh_days < 1:
        raise ConfigError(
            f"--refresh-days {refresh_days} must be at least 1", hint="e.g. --refresh-days 120"
        )
    client = make_client()
    queue = _queue(chosen, refresh_days)
    # An s3:// store is fetched into a working copy and published as a new version at the end.
    with storage.open_store(store, write=True) as where:
        with Store(where) as st:  # creates the store, and fails early if another process holds it
            downloads = st.downloads_dir
        summaries: list[dict] = []
        refused: list[DatasetStatus] = []
        done: set[str] = set()
        while queue:
            source = queue.pop(0)
            if source.name in done:
                continue
            done.add(source.name)
            try:
                status = check_dataset(source, client)
                if not as_json:
                    _print_status(status)
                if status.refused:
                    refused.append(status)
                    continue
                if not status.download:
                    summaries.append(_retired_summary(status))
                    succ = status.successor
                    if succ and succ.name not in done and all(q.name != succ.name for q in queue):
                        queue.extend(_queue([succ], refresh_days))
                    continue
                summary = fetch_one(
                    source, client, where, downloads, size, full, status, download_only
                )
            except NetworkError as exc:
                fetched = [s["dataset"] for s in summaries if s["mode"] != "retired"]
                if fetched:  # earlier datasets are in the store; say so before failing
                    exc.message += f" (already fetched and stored: {', '.join(fetched)})"
                raise
            summaries.append(summary)
            if not as_json:
                _print(summary)
    if client.retried and not as_json:
        console.print(f"{client.retried} request(s) were retried", highlight=False)
    if as_json:
        print(json.dumps(summaries, indent=2))
    if refused:
        raise _refused_error(refused, summaries)


def register(app: typer.Typer) -> None:
    app.command()(fetch)
