"""`crimecast fetch`: download or refresh the LAPD datasets from the city's portal, then ingest.

The download itself (`ingest/socrata.py`) only writes page files; this command opens the store,
ingests the pages of every finished batch and then marks them ingested, so a crash at any point
loses nothing and duplicates nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from crimecast import config, storage
from crimecast.commands.common import StoreOpt, console, progress
from crimecast.errors import ConfigError, NetworkError, StoreError
from crimecast.ingest import socrata, sources
from crimecast.store import IngestReport, Store


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
) -> dict:
    """Download one dataset, ingest its finished batches; a summary dict for printing."""
    with progress() as bar:
        task = bar.add_task(f"{source.name} ({source.dataset_id})", total=None)

        def on_total(expected: int | None, done: int) -> None:
            bar.update(task, total=expected, completed=done)

        def on_page(rows: int) -> None:
            bar.advance(task, rows)

        try:
            result = socrata.download(
                source, client, downloads, page_size, full=full, on_total=on_total, on_page=on_page
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
        "watermark": result.watermark,
        "ingest": None,
    }
    if result.pending:
        with Store(store_dir) as st:
            reports = st.ingest_files(result.pending, source=source.name)
        socrata.mark_ingested(downloads, source, result.pending_batches)
        summary["ingest"] = _sum_reports(reports)
    return summary


def _print(summary: dict) -> None:
    how = "resumed " if summary["resumed"] else ""
    how += (
        "full download"
        if summary["mode"] == "full"
        else f"refresh of records changed after {summary['since']}"
    )
    console.print(
        f"[bold]{summary['dataset']}[/]: {summary['rows_fetched']:,} rows fetched in "
        f"{summary['pages_fetched']} page(s) ({how})",
        highlight=False,
    )
    ing = summary["ingest"]
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


def fetch(
    store: StoreOpt,
    dataset: Annotated[
        list[str] | None,
        typer.Option(
            "--dataset",
            help="dataset to fetch (repeatable): "
            + ", ".join(f"{s.name} ({s.title})" for s in sources.SOURCES)
            + "; default: all",
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="download everything again instead of only what changed"),
    ] = False,
    page_size: Annotated[
        int | None,
        typer.Option("--page-size", help="rows per request (env CRIMECAST_PAGE_SIZE)"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON summary")] = False,
) -> None:
    """Download or refresh the LAPD datasets from the city's portal, then ingest them.

    First run: a full download, page by page. Later runs: only records new or changed since.

    An interrupted download resumes where it stopped; pages are kept under STORE/downloads/.
    """
    chosen = sources.select(dataset)
    size = page_size if page_size is not None else _int_setting("page_size", 1)
    if size < 1:
        raise ConfigError(f"--page-size {size} must be at least 1", hint="e.g. --page-size 50000")
    client = make_client()
    # An s3:// store is fetched into a working copy and published as a new version at the end.
    with storage.open_store(store, write=True) as where:
        with Store(where) as st:  # creates the store, and fails early if another process holds it
            downloads = st.downloads_dir
        summaries = []
        for source in chosen:
            try:
                summary = fetch_one(source, client, where, downloads, size, full)
            except NetworkError as exc:
                if summaries:  # earlier datasets are in the store; say so before failing
                    done = ", ".join(s["dataset"] for s in summaries)
                    exc.message += f" (already fetched and stored: {done})"
                raise
            summaries.append(summary)
            if not as_json:
                _print(summary)
    if client.retried and not as_json:
        console.print(f"{client.retried} request(s) were retried", highlight=False)
    if as_json:
        print(json.dumps(summaries, indent=2))


def register(app: typer.Typer) -> None:
    app.command()(fetch)
