"""The one console script: `crimecast <command>`.

Commands live in `crimecast/commands/<name>.py`, each with a `register(app)` function; this file
only puts them together. Every CrimecastError is printed as a
message with its fix, never as a traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from crimecast.errors import CrimecastError

app = typer.Typer(
    name="crimecast",
    help="Crime trend analysis and forecasting for Los Angeles, from the city's open LAPD data.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
)
err = Console(stderr=True, soft_wrap=True)


def _register_all() -> None:
    from crimecast.commands import (
        data,
        eda,
        fetch,
        forecast,
        hotspots,
        run,
        serve,
        settings,
        simulate,
    )

    # the order of --help
    for module in (run, data, fetch, simulate, eda, hotspots, forecast, serve, settings):
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Run the CLI; typer handles usage errors, crimecast's own errors are printed here."""
    try:
        app(args=argv, prog_name="crimecast")
    except CrimecastError as exc:
        err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        if exc.hint:
            err.print(f"[bold]fix:[/] {exc.hint}", highlight=False)
        sys.exit(exc.exit_code)
    except OSError as exc:  # permissions, full disk, ...: the user's to fix, not a crash
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted; the store is left as it was before this command")
        sys.exit(130)


if __name__ == "__main__":
    main()
