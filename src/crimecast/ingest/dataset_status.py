"""What a dataset's metadata says about it, in plain words: frozen, renamed, retired, stale.

`crimecast fetch` reads `/api/views/<id>.json` for every dataset before downloading it; this module
turns that answer (or the portal's refusal) into a `DatasetStatus`: whether to download, which
dataset holds the rows instead, and the notices to print. Pure: no HTTP, no files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from crimecast.ingest import sources
from crimecast.ingest.sources import Source

STALE_DAYS = 31  # a live dataset not updated for longer than this is said to be stale


@dataclass
class DatasetStatus:
    source: Source
    title: str | None = None  # the portal's title now
    rows_updated_at: int | None = None  # epoch seconds
    download: bool = True
    successor: Source | None = None  # the dataset that holds a retired one's rows
    refused: bool = False  # the portal refused the metadata of a dataset not known to be retired
    notices: list[str] = field(default_factory=list)
    refusal: Exception | None = None  # the portal's refusal, to report once the others are done

    @property
    def rows_updated(self) -> str | None:
        """rowsUpdatedAt as a UTC date, e.g. '2025-03-28'."""
        if self.rows_updated_at is None:
            return None
        return dt.datetime.fromtimestamp(self.rows_updated_at, dt.UTC).date().isoformat()

    def as_dict(self) -> dict:
        return {
            "dataset": self.source.name,
            "dataset_id": self.source.dataset_id,
            "state": "retired" if self.successor else self.source.state,
            "title": self.title,
            "rows_updated": self.rows_updated,
            "successor": self.successor.name if self.successor else None,
            "notices": list(self.notices),
        }


def _epoch(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _retired(source: Source, why: str) -> DatasetStatus:
    succ = sources.get(source.successor) if source.successor else None
    st = DatasetStatus(source, download=False, successor=succ)
    where = (
        f"its records are in {succ.name} ({succ.dataset_id}, '{succ.title}'), fetched instead"
        if succ
        else "no successor is known"
    )
    st.notices.append(f"retired: {why}; {source.notes}; {where}")
    return st


def assess(
    source: Source,
    meta: dict | None,
    refused_status: int | None = None,
    now: dt.datetime | None = None,
) -> DatasetStatus:
    """The status of one dataset from its metadata (`meta`), or from the portal's refusal
    (`refused_status`: 401, 403 or 410). `meta` None and no refusal: the portal gave none."""
    if refused_status in (401, 403, 410):
        if source.state == "retired" or refused_status == 410:
            return _retired(source, f"{source.dataset_id} answers HTTP {refused_status}")
        st = DatasetStatus(source, download=False, refused=True)
        st.notices.append(
            f"the portal refused {source.dataset_id} (HTTP {refused_status}): it may have been "
            "retired or made private; the other datasets are fetched"
        )
        return st
    if source.state == "retired":
        return _retired(source, "listed as retired in crimecast's registry")
    st = DatasetStatus(source)
    if meta is None:
        st.notices.append("no metadata from the portal; downloading without checking its state")
        return st
    st.title = str(meta.get("name") or "") or None
    st.rows_updated_at = _epoch(meta.get("rowsUpdatedAt"))
    if st.title and st.title != source.title:
        if st.title in source.former_titles:
            st.notices.append(f"the portal still titles it '{st.title}'")
        else:
            st.notices.append(
                f"renamed on the portal: now '{st.title}' (crimecast lists it as "
                f"'{source.title}'); check its description on data.lacity.org"
            )
    elif source.former_titles:
        st.notices.append(f"renamed: formerly '{source.former_titles[-1]}'")
    updated = f" (rows last updated {st.rows_updated})" if st.rows_updated else ""
    if source.state == "frozen":
        st.notices.append(f"frozen: no new records will be entered{updated}")
    elif source.state == "closed":
        st.notices.append(f"closed: covers {source.years} only{updated}")
    elif st.rows_updated_at is not None:
        now = now or dt.datetime.now(dt.UTC)
        age = (now - dt.datetime.fromtimestamp(st.rows_updated_at, dt.UTC)).days
        if age > STALE_DAYS:
            st.notices.append(
                f"live, but not updated for {age} days{updated}; LAPD refreshes it every two "
                "weeks, so the portal may be behind"
            )
    return st
