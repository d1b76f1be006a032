"""The source registry: the LAPD datasets `crimecast fetch` knows how to download.

A new LAPD dataset on the city's Socrata portal is one entry in `SOURCES`, not new code: the
downloader only needs the dataset id, and the API's field names (`dr_no`, `date_occ`, `area`, ...)
are already understood by `ingest/files.py`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crimecast.errors import ConfigError


@dataclass(frozen=True)
class Source:
    """One dataset on the portal."""

    name: str  # short name used on the command line, for the download folder and as `source`
    dataset_id: str  # Socrata four-by-four id, as in /resource/<id>.json
    title: str  # the portal's own title, so users can find it on data.lacity.org
    years: str  # the occurred years it covers
    notes: str = ""

    def resource_path(self) -> str:
        return f"/resource/{self.dataset_id}.json"


SOURCES: tuple[Source, ...] = (
    Source(
        name="lapd-2010-2019",
        dataset_id="63jg-8b9z",
        title="Crime Data from 2010 to 2019",
        years="2010-2019",
        notes="closed dataset; the 2010-19 export's AREA column has a trailing space, the API's "
        "field names do not",
    ),
    Source(
        name="lapd-2020-present",
        dataset_id="2nrs-mtv8",
        title="Crime Data from 2020 to Present",
        years="2020-",
        notes="the legacy feed lost most new records after LAPD moved to NIBRS on 2024-03-07",
    ),
)
_BY_NAME = {s.name: s for s in SOURCES}


def get(name: str) -> Source:
    """A source by name, or an error listing the known names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigError(
            f"unknown dataset {name!r}",
            hint=f"use one of: {', '.join(_BY_NAME)} (see crimecast fetch --help)",
        ) from None


def select(names: list[str] | None) -> list[Source]:
    """The sources named (in the order given, without repeats), or all of them."""
    if not names:
        return list(SOURCES)
    out: list[Source] = []
    for n in names:
        src = get(n)
        if src not in out:
            out.append(src)
    return out
