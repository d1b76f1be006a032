"""`crimecast settings`: every setting, its environment variable, value in force and meaning."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from crimecast import config


def settings() -> None:
    """List the settings (environment variables CRIMECAST_*) and the values in force."""
    t = Table(title="crimecast settings")
    for c in ("setting", "environment variable", "value", "meaning"):
        t.add_column(c)
    for s in config.SETTINGS:
        value = (
            "(set)"
            if s.name in ("app_token", "dashboard_token") and config.get(s.name)
            else config.get(s.name)
        )
        t.add_row(s.name, s.env, value, s.help)
    Console().print(t)


def register(app: typer.Typer) -> None:
    app.command()(settings)
