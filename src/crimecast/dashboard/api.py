"""JSON endpoints under /api/ on the dashboard's Flask server, and the downloads.

Every parameter is validated before any query runs: filters through `Filters.build` (dates, areas,
categories, victim fields) plus checks here for premises and weapons (must be values the data
holds), unknown parameter names, over-long or control-character values. A bad request gets HTTP
400 with a JSON body `{"error": ..., "hint": ...}`; the handler never lets an exception become a
500 page, and values reach DuckDB only as parameters.

    GET /api/health                       status, incidents, simulated, complete_through
    GET /api/options                      the values each filter accepts
    GET /api/series?freq=MS&<filters>     incidents per day (D), week (W) or month (MS)
    GET /api/areas?<filters>              incidents and rate per 100,000 residents per area
    GET /api/heatmap?<filters>            weekday x hour counts
    GET /api/top?by=crime|premise|weapon&n=10&<filters>
    GET /api/forecast?series=ID[&model=M] forecasts of one series from the last `crimecast run`
    GET /api/backtest?series=ID           backtest scores of one series
    GET /api/download/series.csv|series.png|areas.csv|areas.geojson?<filters>

Filters: from, to (YYYY-MM-DD), area (number or name), category, class, sex, descent, age_band
(repeatable; area/category/class/sex/age_band also comma-separated), premise, weapon (repeatable).
"""

from __future__ import annotations

import io
import json
import re
import threading
from collections import OrderedDict

import flask
from werkzeug.exceptions import HTTPException

from crimecast.dashboard import png, views
from crimecast.dashboard.queries import FREQS, TOP_COLUMNS, Cube
from crimecast.dashboard.run_outputs import RunOutputs
from crimecast.errors import CrimecastError
from crimecast.filters import Filters

FILTER_PARAMS = {
    "from": "date_from",
    "to": "date_to",
    "area": "areas",
    "category": "categories",
    "class": "classes",
    "sex": "victim_sex",
    "descent": "victim_descent",
    "age_band": "age_bands",
    "premise": "premises",
    "weapon": "weapons",
}
# premise and weapon descriptions contain commas ("MULTI-UNIT DWELLING (APARTMENT, DUPLEX, ETC)")
COMMA_LISTS = {"area", "category", "class", "sex", "age_band"}
MAX_LEN = 120
MAX_VALUES = 50
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ApiError(Exception):
    def __init__(self, message: str, hint: str | None = None, status: int = 400):
        super().__init__(message)
        self.message, self.hint, self.status = message, hint, status


class RenderCache:
    """Rendered downloads (PNG bytes) by selection: a small LRU, and one render per selection at
    a time (a second request for the same image waits for the first instead of drawing it too)."""

    def __init__(self, size: int = 128):
        self._size = size
        self._done: OrderedDict = OrderedDict()
        self._pending: dict = {}
        self._lock = threading.Lock()

    def get(self, key, render) -> bytes:
        with self._lock:
            if key in self._done:
                self._done.move_to_end(key)
                return self._done[key]
            event = self._pending.get(key)
            mine = event is None
            if mine:
                event = self._pending[key] = threading.Event()
        if not mine:
            event.wait(timeout=30)
            with self._lock:
                if key in self._done:
                    return self._done[key]
            return render()  # the first render failed: draw it here
        try:
            value = render()
            with self._lock:
                self._done[key] = value
                while len(self._done) > self._size:
                    self._done.popitem(last=False)
            return value
        finally:
            with self._lock:
                self._pending.pop(key, None)
            event.set()


def _values(args, name: str) -> list[str]:
    raw = args.getlist(name)
    out = []
    for r in raw:
        parts = r.split(",") if name in COMMA_LISTS else [r]
        out.extend(p.strip() for p in parts if p.strip())
    if len(out) > MAX_VALUES:
        raise ApiError(f"too many values for {name!r} ({len(out)})", f"at most {MAX_VALUES}")
    for v in out:
        if len(v) > MAX_LEN or _CONTROL.search(v):
            raise ApiError(
                f"{name}: value {v[:40]!r}... is not a valid {name}"
                if len(v) > MAX_LEN
                else f"{name}: value {v!r} contains control characters",
                hint=f"see /api/options for the values {name} accepts",
            )
    return out


def _known(values: list[str], allowed: list[str], name: str) -> list[str]:
    lookup = {a.lower(): a for a in allowed}
    out = []
    for v in values:
        if v.lower() not in lookup:
            raise ApiError(f"unknown {name} {v!r}", hint=f"see /api/options for the {name}s")
        out.append(lookup[v.lower()])
    return out


def parse_filters(args, cube: Cube, extra: tuple[str, ...] = ()) -> Filters:
    """Filters from query parameters; ApiError (400) for anything that is not a valid filter."""
    unknown = sorted(set(args) - set(FILTER_PARAMS) - set(extra))
    if unknown:
        raise ApiError(
            f"unknown parameter(s): {', '.join(repr(u[:40]) for u in unknown)}",
            hint="filters are: " + ", ".join(FILTER_PARAMS),
        )
    kw = {}
    for name, field in FILTER_PARAMS.items():
        vals = _values(args, name)
        if name in ("from", "to"):
            if len(vals) > 1:
                raise ApiError(f"{name!r} given {len(vals)} times", hint="give one date")
            kw[field] = vals[0] if vals else None
        else:
            kw[field] = vals
    kw["premises"] = _known(kw["premises"], cube.options["premises"], "premise")
    kw["weapons"] = _known(kw["weapons"], cube.options["weapons"], "weapon")
    try:
        return Filters.build(**kw)
    except CrimecastError as exc:
        raise ApiError(exc.message, exc.hint) from exc


def _one(args, name: str, allowed, default: str) -> str:
    vals = args.getlist(name)
    if len(vals) > 1:
        raise ApiError(f"{name!r} given {len(vals)} times", hint=f"give one {name}")
    v = vals[0] if vals else default
    if v not in allowed:
        raise ApiError(
            f"{name}={v[:40]!r} is not one of {', '.join(allowed)}",
            hint=f"use {name}=" + " or ".join(allowed),
        )
    return v


def _int(args, name: str, default: int, lo: int, hi: int) -> int:
    v = args.get(name, str(default))
    if not (v.isascii() and v.isdigit()) or not lo <= int(v) <= hi:
        raise ApiError(f"{name}={v[:40]!r} is not a whole number from {lo} to {hi}")
    return int(v)


def filters_json(f: Filters) -> dict:
    return {
        k: (list(v) if isinstance(v, tuple) else v.isoformat() if v else None)
        for k, v in f.__dict__.items()
        if k != "include_simulated"
    }


def register(server: flask.Flask, cube: Cube, outputs: RunOutputs) -> None:
    """Add the /api/ routes and JSON error handling to the dashboard's Flask server."""
    bp = flask.Blueprint("crimecast_api", __name__, url_prefix="/api")
    pngs = RenderCache()
    args = lambda: flask.request.args  # noqa: E731

    def envelope(f: Filters, data, **more) -> flask.Response:
        return flask.jsonify(
            {
                "simulated": bool(cube.info["simulated"]),
                "filters": filters_json(f),
                **more,
                "data": data,
            }
        )

    @bp.get("/health")
    def health():
        return flask.jsonify(
            {
                "status": "ok",
                "incidents": cube.rows,
                "simulated": bool(cube.info["simulated"]),
                "date_min": cube.info["date_min"],
                "date_max": cube.info["date_max"],
                "complete_through": cube.info["complete_through"],
                "forecasts": outputs.available(),
            }
        )

    @bp.get("/options")
    def options():
        if args():
            raise ApiError("/api/options takes no parameters")
        return flask.jsonify({**cube.options, "freqs": list(FREQS), "top_by": list(TOP_COLUMNS)})

    @bp.get("/series")
    def series():
        f = parse_filters(args(), cube, extra=("freq",))
        freq = _one(args(), "freq", list(FREQS), "MS")
        df = cube.series(f, freq)
        data = [
            {"ds": d.strftime("%Y-%m-%d"), "y": int(y)}
            for d, y in zip(df["ds"], df["y"], strict=True)
        ]
        return envelope(f, data, freq=freq, total=int(df["y"].sum()))

    @bp.get("/areas")
    def areas():
        f = parse_filters(args(), cube)
        df = cube.by_area(f)
        return envelope(
            f, json.loads(df.to_json(orient="records")), total=int(df["incidents"].sum())
        )

    @bp.get("/heatmap")
    def heatmap():
        f = parse_filters(args(), cube)
        grid = cube.weekday_hour(f)
        return envelope(f, grid.values.tolist(), weekdays=list(grid.index), hours=list(range(24)))

    @bp.get("/top")
    def top():
        f = parse_filters(args(), cube, extra=("by", "n"))
        by = _one(args(), "by", list(TOP_COLUMNS), "crime")
        n = _int(args(), "n", 10, 1, 100)
        return envelope(f, json.loads(cube.top(f, by, n).to_json(orient="records")), by=by)

    @bp.get("/forecast")
    def forecast():
        unknown = set(args()) - {"series", "model"}
        if unknown:
            raise ApiError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        if not outputs.available():
            raise ApiError(
                "no forecasts: the run directory holds no forecasts.csv",
                hint="run crimecast run first (serve --out must point at its output directory)",
                status=404,
            )
        sid = _one(args(), "series", outputs.series_ids(), outputs.series_ids()[0])
        model = _one(args(), "model", outputs.models(sid), outputs.default_model(sid))
        fc = outputs.forecast(sid, model)
        return flask.jsonify(
            {
                "series": sid,
                "model": model,
                "data": json.loads(fc.to_json(orient="records", date_format="iso")),
            }
        )

    @bp.get("/backtest")
    def backtest():
        unknown = set(args()) - {"series"}
        if unknown:
            raise ApiError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
        if not outputs.available():
            raise ApiError("no backtest: run crimecast run first", status=404)
        sid = _one(args(), "series", outputs.series_ids(), outputs.series_ids()[0])
        scores = outputs.scores(sid)
        return flask.jsonify({"series": sid, "data": json.loads(scores.to_json(orient="records"))})

    @bp.get("/download/<name>")
    def download(name: str):
        kinds = ("series.csv", "series.png", "areas.csv", "areas.geojson")
        if name not in kinds:
            raise ApiError(
                f"no download {name[:40]!r}", hint="one of " + ", ".join(kinds), status=404
            )
        extra = ("freq",) if name.startswith("series") else ()
        f = parse_filters(args(), cube, extra=extra)
        if name.startswith("series"):
            freq = _one(args(), "freq", list(FREQS), "MS")
            if name.endswith(".csv"):
                df = cube.series(f, freq)
                body, mime = (
                    df.assign(ds=df["ds"].dt.strftime("%Y-%m-%d")).to_csv(index=False),
                    "text/csv",
                )
            else:
                simulated = bool(cube.info["simulated"])
                body = pngs.get(
                    (f, freq), lambda: png.series_png(cube.series(f, freq), freq, simulated)
                )
                mime = "image/png"
        elif name == "areas.csv":
            body, mime = cube.by_area(f).to_csv(index=False), "text/csv"
        else:
            body = json.dumps(views.areas_geojson(cube.by_area(f), outputs.divisions))
            mime = "application/geo+json"
        data = body.encode() if isinstance(body, str) else body
        return flask.send_file(
            io.BytesIO(data),
            mimetype=mime,
            as_attachment=True,
            download_name=f"crimecast-{name}",
        )

    @bp.route("/<path:rest>")
    def not_found(rest: str):  # otherwise Dash's catch-all route would answer with its page
        raise ApiError(
            f"no endpoint /api/{rest[:60]}", hint="see /api/health, /api/series, ...", status=404
        )

    server.register_blueprint(bp)

    @server.errorhandler(ApiError)
    def api_error(exc: ApiError):
        return flask.jsonify({"error": exc.message, "hint": exc.hint}), exc.status

    def json_path() -> bool:  # the API and Dash's own routes answer errors as JSON
        return flask.request.path.startswith(("/api/", "/_dash-"))

    @server.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if json_path():
            return flask.jsonify({"error": exc.description, "hint": None}), exc.code
        return exc

    @server.errorhandler(Exception)
    def unexpected(exc: Exception):  # a bug, not the user's fault: say so, as JSON, not a page
        server.logger.exception("unexpected error on %s", flask.request.path)
        if json_path():
            return flask.jsonify({"error": "internal error", "hint": "see the server log"}), 500
        return "internal error", 500
