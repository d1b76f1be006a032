"""The source registry: the LAPD datasets `crimecast fetch` knows, and what state each is in.

A new LAPD dataset on the city's Socrata portal is one entry in `SOURCES`, not new code: the
downloader only needs the dataset id, how to refresh it, and the layout its pages are in (the API's
field names: `dr_no`, `date_occ`, ... for the legacy feeds; `caseno`, `uniquenibrno`, `nibr_code`,
... for NIBRS).

Datasets change state on the portal; the registry records what is known, and `crimecast fetch`
checks it against each dataset's metadata (`/api/views/<id>.json`) on every run:
- `closed`: complete, will not change (2010-2019);
- `frozen`: no new records will be entered; corrections are still possible (2020-2024);
- `live`: refreshed regularly (NIBRS offenses, every two weeks);
- `retired`: gone from the portal (it answers 403); its records live on in `successor`.
"""

from __future__ import annotations

from dataclasses import dataclass

from crimecast.errors import ConfigError

# How a refresh finds what changed.
BY_UPDATED_AT = "updated_at"  # records whose :updated_at is newer than the newest seen
BY_REPORT_WINDOW = "report_window"  # every record reported in a trailing window, by date_rptd


@dataclass(frozen=True)
class Source:
    """One dataset on the portal."""

    name: str  # short name used on the command line, for the download folder and as `source`
    dataset_id: str  # Socrata four-by-four id, as in /resource/<id>.json
    title: str  # the portal's own title, so users can find it on data.lacity.org
    years: str  # the occurred years it covers
    notes: str = ""
    layout: str = "legacy"  # legacy (one row per report) | nibrs-offenses | nibrs-victims
    state: str = "live"  # closed | frozen | live | retired
    successor: str | None = None  # for a retired dataset: the name of the one that holds its rows
    former_titles: tuple[str, ...] = ()  # titles the portal used before (not a rename to report)
    aliases: tuple[str, ...] = ()  # other names accepted on the command line
    refresh: str = BY_UPDATED_AT
    record_key: str = "dr_no"  # the field that identifies a record (a newer copy replaces it)
    refresh_days: int = 0  # BY_REPORT_WINDOW: days of reports fetched again on every refresh
    default: bool = True  # fetched when no --dataset is given
    person_level: bool = False  # one row per person: aggregated only, never exported per row

    def resource_path(self) -> str:
        return f"/resource/{self.dataset_id}.json"

    def metadata_path(self) -> str:
        return f"/api/views/{self.dataset_id}.json"

    def incremental_key(self) -> str:
        """In words: how a refresh of this dataset finds new and changed records."""
        if self.refresh == BY_REPORT_WINDOW:
            return (
                f"every record with date_rptd in the last {self.refresh_days} days before the "
                f"newest report seen is fetched again; a record replaces the stored one with the "
                f"same {self.record_key}"
            )
        return (
            "records whose :updated_at is newer than the newest one seen; a record replaces the "
            f"stored one with the same {self.record_key}"
        )


SOURCES: tuple[Source, ...] = (
    Source(
        name="lapd-2010-2019",
        dataset_id="63jg-8b9z",
        title="Crime Data from 2010 to 2019",
        years="2010-2019",
        notes="one row per report; the 2010-19 export's AREA column has a trailing space, the "
        "API's field names do not",
        state="closed",
    ),
    Source(
        name="lapd-2020-present",
        dataset_id="2nrs-mtv8",
        title="Crime Data from 2020 to 2024",
        years="2020-2024",
        notes="one row per report; frozen: 'the legacy system is no longer active, and no new "
        "information will be entered'. From 2024-03-07 it holds only the reports still entered "
        "in the old system (fewer every month through 2024)",
        state="frozen",
        former_titles=("Crime Data from 2020 to Present",),
        aliases=("lapd-2020-2024",),
    ),
    Source(
        name="lapd-nibrs-offenses",
        dataset_id="k7nn-b2ep",
        title="LAPD NIBRS Offenses Dataset",
        years="2024-",
        notes="one row per offense (a case has one or more); every record of LAPD's NIBRS system "
        "since 2024-03-07, refreshed every two weeks, about 12 days behind",
        layout="nibrs-offenses",
        refresh=BY_REPORT_WINDOW,
        record_key="uniquenibrno",
        refresh_days=120,
    ),
    Source(
        name="lapd-nibrs-2024-2025",
        dataset_id="y8y3-fqfu",
        title="NIBRS Offenses 2024 to 2025",
        years="2024-2025",
        notes="merged into the LAPD NIBRS Offenses Dataset (k7nn-b2ep) in August 2026",
        layout="nibrs-offenses",
        state="retired",
        successor="lapd-nibrs-offenses",
        refresh=BY_REPORT_WINDOW,
        record_key="uniquenibrno",
        refresh_days=120,
    ),
    Source(
        name="lapd-nibrs-victims",
        dataset_id="gqf2-vm2j",
        title="NIBRS Victims",
        years="2024-",
        notes="one row per victim (person-level): fetched only with --victims, for the "
        "demographic tables; aggregated, never exported per row",
        layout="nibrs-victims",
        refresh=BY_REPORT_WINDOW,
        record_key="uniquevictimno",
        refresh_days=120,
        default=False,
        person_level=True,
    ),
)
_BY_NAME = {n: s for s in SOURCES for n in (s.name, *s.aliases)}


def get(name: str) -> Source:
    """A source by name (or alias), or an error listing the known names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigError(
            f"unknown dataset {name!r}",
            hint=f"use one of: {', '.join(s.name for s in SOURCES)} (see crimecast fetch --help)",
        ) from None


def by_id(dataset_id: str) -> Source | None:
    return next((s for s in SOURCES if s.dataset_id == dataset_id), None)


def select(names: list[str] | None, victims: bool = False) -> list[Source]:
    """The sources named (in the order given, without repeats), or every default one; the
    person-level victims dataset only when asked for by name or with `victims`."""
    if not names:
        out = [s for s in SOURCES if s.default]
    else:
        out = []
        for n in names:
            src = get(n)
            if src not in out:
                out.append(src)
    if victims:
        out.extend(s for s in SOURCES if s.person_level and s not in out)
    return out
