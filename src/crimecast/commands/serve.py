"""`crimecast serve`: the interactive dashboard (Dash) and its JSON API, on 127.0.0.1 by default.

It runs under waitress, a production WSGI server (threads, no debug hooks); Ctrl+C or SIGTERM
stops it cleanly.
"""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Annotated

import typer

from crimecast.commands.common import OutOpt, StoreOpt, console
from crimecast.errors import ConfigError, require

THREADS = 6  # the page asks for several views at once; DuckDB gives each thread a cursor


def map_outlines(store: Path, boundaries: Path | None) -> tuple[Path, str]:
    """The division outlines the maps draw: the file given, else the store's copy of the last
    boundaries used with it, else crimecast's built-in outlines (no network needed)."""
    from crimecast.spatial.boundaries import BUILT_IN, BUILT_IN_LABEL, cache_path

    if boundaries:
        return boundaries, f"file {boundaries}"
    cached = cache_path(store)
    if cached.exists():
        return cached, f"the store's boundaries ({cached})"
    return BUILT_IN, BUILT_IN_LABEL


def _stop_on_sigterm() -> None:
    """SIGTERM (a service manager, `docker stop`) stops the server as Ctrl+C does."""
    if threading.current_thread() is not threading.main_thread():
        return

    def _raise(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _raise)


def serve(
    store: StoreOpt,
    out: OutOpt,
    host: Annotated[
        str, typer.Option("--host", help="address to bind; 127.0.0.1 keeps it on this machine")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port")] = 8050,
    boundaries: Annotated[
        Path | None,
        typer.Option(
            "--boundaries",
            help="LAPD division boundaries (GeoJSON) for the maps; default: the store's copy, "
            "else built-in outlines",
        ),
    ] = None,
) -> None:
    """Explore the store in a browser: filters, linked charts and maps, forecasts, downloads."""
    require("dash", "dashboard")
    require("waitress", "dashboard")
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port} is not a TCP port", hint="use 1-65535, e.g. 8050")
    from concurrent.futures import ThreadPoolExecutor

    from crimecast.auth import guard, is_loopback
    from crimecast.dashboard.queries import Cube

    # beyond localhost a token is required (CRIMECAST_DASHBOARD_TOKEN); checked before loading
    auth = guard(host)
    outlines, outlines_from = map_outlines(store, boundaries)
    with console.status("loading the store into memory..."), ThreadPoolExecutor(1) as pool:
        # DuckDB copies the store in its own threads while Python imports the web stack here
        loading = pool.submit(Cube, store)
        import waitress

        from crimecast.dashboard.app import create_app

        app = create_app(store, out=out, boundaries=outlines, auth=auth, cube=loading.result())
    try:
        server = waitress.create_server(
            app.server, host=host, port=port, threads=THREADS, ident="crimecast"
        )
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="another program may use that port: pick another with --port",
        ) from exc
    if not is_loopback(host):
        console.print(
            f"[yellow]warning:[/] binding {host} exposes the dashboard to other machines; it "
            "asks for the token, but put it behind TLS (see deploy/aws)"
        )
    console.print(
        f"crimecast dashboard on http://{host}:{port}/ ({app.cube.rows:,} incidents"
        + (", SIMULATED" if app.cube.info["simulated"] else "")
        + f"); maps use {outlines_from}; API at /api/health. Ctrl+C stops it."
    )
    _stop_on_sigterm()
    try:
        server.run()  # returns after Ctrl+C / SIGTERM, once the listening socket is closed
    except KeyboardInterrupt:
        server.close()
    console.print("crimecast dashboard stopped.")


def register(app: typer.Typer) -> None:
    app.command()(serve)
