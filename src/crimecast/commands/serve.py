"""`crimecast serve`: the interactive dashboard (Dash) and its JSON API, on 127.0.0.1 by default."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from crimecast.commands.common import OutOpt, StoreOpt, console
from crimecast.errors import ConfigError, require


def serve(
    store: StoreOpt,
    out: OutOpt,
    host: Annotated[
        str, typer.Option("--host", help="address to bind; 127.0.0.1 keeps it on this machine")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8050,
    boundaries: Annotated[
        Path | None,
        typer.Option("--boundaries", help="LAPD division boundaries (GeoJSON) for the map"),
    ] = None,
) -> None:
    """Explore the store in a browser: filters, linked charts and maps, forecasts, downloads."""
    require("dash", "dashboard")
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port} is not a TCP port", hint="use 1-65535, e.g. 8050")
    from crimecast.auth import guard, is_loopback
    from crimecast.dashboard.app import create_app

    # beyond localhost a token is required (CRIMECAST_DASHBOARD_TOKEN); checked before loading
    auth = guard(host)
    with console.status("loading the store into memory..."):
        app = create_app(store, out=out, boundaries=boundaries, auth=auth)
    if not is_loopback(host):
        console.print(
            f"[yellow]warning:[/] binding {host} exposes the dashboard to other machines; it "
            "asks for the token, but put it behind TLS (see deploy/aws)"
        )
    console.print(
        f"crimecast dashboard on http://{host}:{port}/ ({app.cube.rows:,} incidents"
        + (", SIMULATED" if app.cube.info["simulated"] else "")
        + "); API at /api/health. Ctrl+C stops it."
    )
    app.run(host=host, port=port, debug=False)


def register(app: typer.Typer) -> None:
    app.command()(serve)
