"""Options and helpers shared by the commands."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from crimecast import config
from crimecast.filters import Filters

console = Console(stderr=True, soft_wrap=True)

StoreOpt = Annotated[
    Path,
    typer.Option(
        "--store",
        help="store directory (env CRIMECAST_STORE)",
        envvar="CRIMECAST_STORE",
        default_factory=lambda: Path(config.get("store")),
        show_default=False,
    ),
]
OutOpt = Annotated[
    Path,
    typer.Option(
        "--out",
        help="output directory (env CRIMECAST_OUT)",
        envvar="CRIMECAST_OUT",
        default_factory=lambda: Path(config.get("out")),
        show_default=False,
    ),
]
DateFromOpt = Annotated[str | None, typer.Option("--from", help="first occurred date, YYYY-MM-DD")]
DateToOpt = Annotated[str | None, typer.Option("--to", help="last occurred date, YYYY-MM-DD")]
AreaOpt = Annotated[
    list[str] | None, typer.Option("--area", help="area number or name (repeatable)")
]
CategoryOpt = Annotated[
    list[str] | None, typer.Option("--category", help="crime category (repeatable)")
]
ClassOpt = Annotated[
    list[str] | None, typer.Option("--class", help="violent / property / other (repeatable)")
]


SparkMasterOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        help="Spark master URL for --backend spark, e.g. local[2] or spark://HOST:7077 "
        "(env CRIMECAST_SPARK_MASTER)",
        show_default=False,
    ),
]


def use_spark_master(master: str | None, backend: str) -> None:
    """A --spark-master flag overrides CRIMECAST_SPARK_MASTER for this process; it is checked
    (format, and a spark:// master must answer) before any work starts."""
    if master is None:
        return
    if backend != "spark":
        from crimecast.errors import ConfigError

        raise ConfigError("--spark-master needs --backend spark", hint="add --backend spark")
    from crimecast.backends.spark import check_master

    os.environ["CRIMECAST_SPARK_MASTER"] = check_master(master)


def build_filters(date_from=None, date_to=None, area=None, category=None, klass=None) -> Filters:
    return Filters.build(
        date_from=date_from,
        date_to=date_to,
        areas=area or (),
        categories=category or (),
        classes=klass or (),
    )


def progress() -> Progress:
    """The progress display every long step uses."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    )


def complete_through_text(info: dict) -> str:
    """The store's last complete month in words (a store of one month has none yet)."""
    month = info.get("complete_through")
    if month:
        return f"complete through {month}"
    return "no month is complete yet (the data are too recent or too few)"
