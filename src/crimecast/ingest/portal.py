"""HTTP to the city's Socrata portal: GET JSON with retries, SODA pages and counts, and the
dataset metadata (`/api/views/<id>.json`: title, rowsUpdatedAt).

Only talks HTTP; `socrata.py` writes the pages to disk, `commands/fetch.py` ingests them.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests
import urllib3

from crimecast.errors import NetworkError
from crimecast.ingest.sources import Source

log = logging.getLogger(__name__)

# Where to look when the portal cannot be used at all: a file the user holds, or the simulator.
OFFLINE_HINT = (
    "for a local export of the LAPD data run `crimecast ingest FILE`; without any data run "
    "`crimecast simulate --rows N --out city.simulated.csv` then "
    "`crimecast ingest city.simulated.csv` (or `crimecast run --demo`). If you do have a "
    "network, check CRIMECAST_PORTAL_URL"
)


class PortalResponseError(NetworkError):
    """The portal answered, but not with what the SODA API returns (HTML, an error, bad JSON).
    `status` is the HTTP status when the portal refused the request (4xx), else None."""

    def __init__(self, message: str, hint: str | None = None, status: int | None = None):
        super().__init__(message, hint)
        self.status = status


# --- HTTP ---------------------------------------------------------------------------------------
def _chain(exc: BaseException):
    """The exception and everything it wraps (requests -> urllib3 -> socket)."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        nested = [getattr(e, "reason", None), e.__cause__, e.__context__]
        nested += [a for a in getattr(e, "args", ()) if isinstance(a, BaseException)]
        stack.extend(n for n in nested if isinstance(n, BaseException))


def unreachable_reason(exc: BaseException) -> str | None:
    """Why a connection could not even be opened (refused, DNS, connect timeout), else None."""
    chain = list(_chain(exc))
    # Most specific first: urllib3's NewConnectionError subclasses its ConnectTimeoutError.
    if any(isinstance(e, socket.gaierror) for e in chain) or any(
        type(e).__name__ == "NameResolutionError" for e in chain
    ):
        return "the host name could not be resolved"
    if any(isinstance(e, ConnectionRefusedError) for e in chain):
        return "connection refused"
    if any(isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain):
        return "no connection could be opened"
    # Only a *connect* timeout: a read timeout wraps socket.timeout too, but the portal is there.
    if any(
        isinstance(e, requests.ConnectTimeout | urllib3.exceptions.ConnectTimeoutError)
        for e in chain
    ):
        return "the connection timed out"
    return None


def _describe(exc: BaseException) -> str:
    """A short reason for a failed attempt, for logs and the final error."""
    reason = unreachable_reason(exc)
    if reason:
        return reason
    if isinstance(exc, requests.ReadTimeout):
        return "no response within the timeout"
    if isinstance(exc, requests.exceptions.ChunkedEncodingError):
        return "the connection dropped in the middle of the response"
    if isinstance(exc, requests.ConnectionError):
        return "the connection was dropped or reset"
    return type(exc).__name__


def retry_after_seconds(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds: either a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _snippet(body: bytes, n: int = 80) -> str:
    text = body[:n].decode("utf-8", "replace")
    return " ".join(text.split())


@dataclass
class _Failed:
    """An attempt that may succeed if repeated."""

    reason: str
    retry_after: float | None = None
    unreachable: bool = False  # no connection could be opened at all


class PortalClient:
    """GETs JSON from a Socrata portal with retries.

    Retries (up to `retries` times, waiting `backoff * 2**attempt` seconds with a little jitter,
    or longer when the portal sends Retry-After) on HTTP 429 and 5xx, timeouts, and connections
    dropped or reset mid-response. If the very first request cannot open a connection at all
    (refused, DNS failure), there is no network or no portal: one quick second try, then a
    NetworkError that says how to work offline. The app token goes in the X-App-Token header and
    is never put in URLs, messages, logs or repr().
    """

    def __init__(
        self,
        base_url: str,
        app_token: str | None = None,
        timeout: float = 60.0,
        retries: int = 6,
        backoff: float = 1.0,
        max_wait: float = 300.0,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.base_url = base_url.rstrip("/")
        self.__token = app_token or None
        self.timeout = float(timeout)
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        self.max_wait = float(max_wait)
        self.session = session or requests.Session()
        self._sleep = sleep
        self._contacted = False  # a response (any response) has come back from the portal
        self.retried = 0  # attempts repeated, over the client's life (shown to the user)

    def __repr__(self) -> str:
        token = "set" if self.__token else "none"
        return f"PortalClient({self.base_url!r}, token={token})"

    def url_for(self, path: str, params: dict[str, Any] | None = None) -> str:
        """The URL of a request as people read it (not percent-encoded; the token is a header)."""
        query = "&".join(f"{k}={v}" for k, v in (params or {}).items())
        return self.base_url + path + (f"?{query}" if query else "")

    def _wait(self, attempt: int) -> float:
        return min(self.max_wait, self.backoff * (2**attempt) * random.uniform(1.0, 1.25))

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[Any, bytes]:
        """(parsed JSON, raw body) of GET base_url + path, after retries."""
        shown = self.url_for(path, params)
        attempt = 0
        while True:
            outcome = self._attempt(path, params, shown)
            if not isinstance(outcome, _Failed):
                return outcome
            if outcome.unreachable and not self._contacted:
                # Nothing has ever answered: no network or no portal. One quick retry, no more.
                if attempt >= 1 or self.retries == 0:
                    raise NetworkError(
                        f"the city's open-data portal at {self.base_url} cannot be reached "
                        f"({outcome.reason})",
                        hint=OFFLINE_HINT,
                    )
                wait = min(0.5, self._wait(0))
            elif attempt >= self.retries:
                raise NetworkError(
                    f"giving up on {shown}: {outcome.reason} ({attempt + 1} attempts)",
                    hint="run the same crimecast fetch again later: it resumes from the last "
                    "page saved. If the portal is busy, set CRIMECAST_APP_TOKEN (higher rate "
                    "limits) or raise CRIMECAST_HTTP_RETRIES / CRIMECAST_HTTP_TIMEOUT",
                )
            else:
                wait = self._wait(attempt)
                if outcome.retry_after is not None:
                    wait = min(self.max_wait, max(wait, outcome.retry_after))
            log.warning(
                "GET %s: %s; retry %d/%d in %.2fs",
                shown,
                outcome.reason,
                attempt + 1,
                self.retries,
                wait,
            )
            self._sleep(wait)
            attempt += 1
            self.retried += 1

    def _attempt(self, path: str, params: dict[str, Any] | None, shown: str):
        """One request: (data, body) on success, _Failed when worth retrying; raises otherwise."""
        headers = {"Accept": "application/json"}
        if self.__token:
            headers["X-App-Token"] = self.__token
        # A connect timeout short enough that an unreachable portal is noticed quickly.
        timeout = (min(self.timeout, 10.0), self.timeout)
        try:
            resp = self.session.get(
                self.base_url + path, params=params, headers=headers, timeout=timeout
            )
            body = resp.content
        except requests.RequestException as exc:
            return _Failed(_describe(exc), unreachable=unreachable_reason(exc) is not None)
        self._contacted = True
        status = resp.status_code
        if status == 429 or status >= 500:
            after = retry_after_seconds(resp.headers.get("Retry-After"))
            return _Failed(f"HTTP {status}", retry_after=after)
        if status >= 400:
            raise self._refused(shown, status, body)
        log.debug("GET %s: HTTP %d, %d bytes", shown, status, len(body))
        try:
            return json.loads(body), body
        except ValueError:
            if body.lstrip()[:1] in (b"[", b"{"):
                # JSON that stops short: the connection closed early without saying so.
                return _Failed("the response was cut short (incomplete JSON)")
            raise self._not_json(shown, resp, body) from None

    def _refused(self, shown: str, status: int, body: bytes) -> PortalResponseError:
        """A 4xx other than 429: the request itself is wrong; retrying will not help."""
        try:
            detail = json.loads(body).get("message") or ""
        except (ValueError, AttributeError):
            detail = _snippet(body)
        hint = "check the dataset id in crimecast/ingest/sources.py against data.lacity.org"
        if status in (401, 403):
            hint = (
                "the portal refused the app token: check CRIMECAST_APP_TOKEN (it is not shown "
                "here), or unset it to fetch without one"
                if self.__token
                else "the portal wants credentials for this dataset; set CRIMECAST_APP_TOKEN"
            )
        return PortalResponseError(
            f"the portal refused {shown}: HTTP {status}" + (f": {detail}" if detail else ""),
            hint=hint,
            status=status,
        )

    def _not_json(self, shown: str, resp: requests.Response, body: bytes) -> PortalResponseError:
        ctype = resp.headers.get("Content-Type", "")
        kind = "an HTML page" if "html" in ctype or body.lstrip()[:1] == b"<" else "text"
        return PortalResponseError(
            f"the portal answered {shown} with {kind} instead of JSON "
            f"(Content-Type {ctype or 'missing'}; it starts {_snippet(body)!r})",
            hint="check that CRIMECAST_PORTAL_URL (now "
            f"{self.base_url}) is the Socrata portal, e.g. https://data.lacity.org; if it "
            "is, the portal may be down for maintenance: try again later",
        )

    # -- SODA requests --------------------------------------------------------------------------
    def count(self, source: Source, where: str | None = None) -> int | None:
        """Rows matching `where` (for the progress bar), or None if the portal won't say."""
        params = {"$select": "count(*)"}
        if where:
            params["$where"] = where
        try:
            data, _ = self.get(source.resource_path(), params)
            return int(next(iter(data[0].values())))
        except PortalResponseError as exc:
            log.info("no row count for %s: %s", source.name, exc.message)
        except (TypeError, ValueError, IndexError, KeyError, AttributeError, StopIteration):
            log.info("no row count for %s: unexpected answer", source.name)
        return None

    def page(
        self, source: Source, offset: int, limit: int, where: str | None = None
    ) -> tuple[list[dict], bytes]:
        """One page of records with the system fields (:id, :updated_at), in :id order."""
        params: dict[str, Any] = {
            "$select": ":*,*",
            "$order": ":id",
            "$limit": limit,
            "$offset": offset,
        }
        if where:
            params["$where"] = where
        rows, body = self.get(source.resource_path(), params)
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            raise PortalResponseError(
                f"the portal answered {self.url_for(source.resource_path(), params)} with JSON "
                f"that is not a list of records (it starts {_snippet(body)!r})",
                hint="check that CRIMECAST_PORTAL_URL is the Socrata portal and the dataset id "
                f"{source.dataset_id} is right",
            )
        return rows, body

    def metadata(self, source: Source) -> dict:
        """The dataset's metadata (`/api/views/<id>.json`): `name`, `rowsUpdatedAt` (epoch
        seconds), ... Raises PortalResponseError (with `status`) when the portal refuses it."""
        data, body = self.get(source.metadata_path())
        if not isinstance(data, dict):
            raise PortalResponseError(
                f"the portal answered {self.url_for(source.metadata_path())} with JSON that is "
                f"not a dataset description (it starts {_snippet(body)!r})",
                hint="check that CRIMECAST_PORTAL_URL is the Socrata portal",
            )
        return data
