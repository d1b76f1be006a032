"""Checks on Dash's own routes (/_dash-*), so a malformed request gets a 4xx JSON answer
`{"error": ..., "hint": ...}` (as /api/ does) and never reaches Dash's internals as a crash.

- /_dash-component-suites/<package>/<file>: a path that climbs out of the package ("..", "."),
  carries percent-escapes or backslashes left after decoding, or names a package or file the page
  never loaded is refused (400 / 404) before Dash looks it up; Dash's own refusals
  (DependencyException) become 404 too.
- POST /_dash-update-component: the body must be a JSON object naming a callback of this app, with
  the inputs and state that callback takes, in its order (what the page's renderer sends).
- Any other Dash exception on a /_dash- route is answered as a 400 JSON error; an exception that
  is not Dash's (a bug) stays a 500, as JSON.
"""

from __future__ import annotations

import dash
import flask
from dash.exceptions import DashException, DependencyException

from crimecast.dashboard.api import ApiError

DASH_PREFIX = "/_dash-"
SUITES = "/_dash-component-suites/"
UPDATE = "/_dash-update-component"
RELOAD = "this address is used by the dashboard page itself: reload the page"


def _check_suite_path(app: dash.Dash, path: str) -> None:
    rest = path[len(SUITES) :]
    parts = rest.split("/")
    if (
        len(parts) < 2
        or any(p in ("", ".", "..") for p in parts)
        or any(c in rest for c in ("%", "\\", "\x00"))
    ):
        raise ApiError(
            f"not a dashboard file: {path[:80]!r}",
            hint="component files are named /_dash-component-suites/<package>/<file>; " + RELOAD,
            status=400,
        )
    package = parts[0]
    registered = app.registered_paths
    if registered and package not in registered:
        raise ApiError(f"no dashboard package {package[:40]!r}", hint=RELOAD, status=404)


def _check_ids(given, expected: list[dict], what: str) -> None:
    if not isinstance(given, list) or len(given) != len(expected):
        raise ApiError(
            f"callback {what} must be a list of {len(expected)} "
            f"{{'id', 'property', 'value'}} objects",
            hint=RELOAD,
        )
    for got, want in zip(given, expected, strict=True):
        if isinstance(want.get("id"), dict):  # a pattern-matching id: Dash expands it
            if not isinstance(got, list | dict):
                raise ApiError(f"callback {what}: {got!r:.60} is not an input", hint=RELOAD)
            continue
        if (
            not isinstance(got, dict)
            or got.get("id") != want["id"]
            or got.get("property") != want["property"]
        ):
            raise ApiError(
                f"callback {what}: expected {want['id']}.{want['property']}, got {got!r:.80}",
                hint=RELOAD,
            )


def _check_callback_body(app: dash.Dash) -> None:
    body = flask.request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError("the callback request body must be a JSON object", hint=RELOAD)
    output = body.get("output")
    if not isinstance(output, str) or not output:
        raise ApiError("the callback request names no output", hint=RELOAD)
    if output not in app.callback_map:
        raise ApiError(f"no dashboard callback for output {str(output)[:80]!r}", hint=RELOAD)
    cb = app.callback_map[output]
    _check_ids(body.get("inputs"), cb.get("inputs", []), "inputs")
    _check_ids(body.get("state", []), cb.get("state", []), "state")
    outputs = body.get("outputs")
    if outputs is not None and not isinstance(outputs, list | dict):
        raise ApiError("callback outputs must be an object or a list of objects", hint=RELOAD)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise ApiError("changedPropIds must be a list of 'id.property' strings", hint=RELOAD)


def register(app: dash.Dash) -> None:
    """Guard Dash's internal routes on the app's Flask server (after any auth hook)."""
    server = app.server

    @server.before_request
    def _guard_dash_routes():
        path = flask.request.path
        if path.startswith(SUITES):
            _check_suite_path(app, path)
        elif path == UPDATE and flask.request.method == "POST":
            _check_callback_body(app)

    @server.errorhandler(DashException)
    def _dash_error(exc: DashException):
        if isinstance(exc, DependencyException):
            msg, status = f"no dashboard file {flask.request.path[:80]!r}", 404
        else:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            msg, status = f"the dashboard could not answer this request: {first[:160]}", 400
        return flask.jsonify({"error": msg, "hint": RELOAD}), status
