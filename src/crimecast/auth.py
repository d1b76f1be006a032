"""Access control for the dashboard when it is served beyond localhost.

A dashboard bound to 127.0.0.1 is only reachable from the machine itself, so it needs no login.
Bound to any other address it must not be open to whoever can reach the port: it then requires
`CRIMECAST_DASHBOARD_TOKEN`, given either as a bearer token (`Authorization: Bearer TOKEN`, for
scripts and the /api/ endpoints) or as HTTP basic auth (user `CRIMECAST_DASHBOARD_USER`, password
TOKEN), which browsers prompt for and then resend on every request Dash makes.

The checks are pure functions of the request headers and the settings; `guard()` returns the
callable `dashboard.app.create_app(auth=...)` runs before every request. Tokens are compared in
constant time and never printed. TLS is not handled here: put the dashboard behind Caddy or an ALB
(deploy/aws/RUNBOOK.md), since basic auth over plain HTTP can be read on the wire.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Callable, Mapping

from crimecast import config
from crimecast.errors import ConfigError

REALM = "crimecast dashboard"
MIN_TOKEN_LENGTH = 16


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    host = host.strip().strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:  # a host name: it may resolve to anything
        return False


def required_token(host: str, token: str | None = None) -> str:
    """The token the dashboard must demand on `host` ('' when none is needed), or ConfigError."""
    token = config.get("dashboard_token") if token is None else token
    token = token.strip()
    if not token:
        if is_loopback(host):
            return ""
        raise ConfigError(
            f"the dashboard would be open to anyone who can reach {host}: no token is set",
            hint="set CRIMECAST_DASHBOARD_TOKEN (e.g. `openssl rand -hex 24`), or serve on "
            "127.0.0.1 and use an SSH/SSM tunnel",
        )
    if len(token) < MIN_TOKEN_LENGTH:
        raise ConfigError(
            f"CRIMECAST_DASHBOARD_TOKEN is too short ({len(token)} characters; "
            f"at least {MIN_TOKEN_LENGTH})",
            hint="use a random one: openssl rand -hex 24",
        )
    return token


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def authorized(headers: Mapping[str, str], token: str, user: str | None = None) -> bool:
    """Does a request with these headers carry the token (bearer, or basic auth as `user`)?"""
    if not token:
        return True
    user = config.get("dashboard_user") if user is None else user
    value = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
    scheme, _, cred = value.strip().partition(" ")
    scheme, cred = scheme.lower(), cred.strip()
    if scheme == "bearer":
        return _same(cred, token)
    if scheme == "basic":
        try:
            decoded = base64.b64decode(cred, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        name, sep, password = decoded.partition(":")
        return bool(sep) and _same(name, user) & _same(password, token)
    return False


def guard(host: str, token: str | None = None, user: str | None = None) -> Callable | None:
    """The before-request check for `create_app(auth=...)`; None when no login is needed.

    Raises ConfigError at start-up (not at the first request) when the host is exposed and no
    usable token is set.
    """
    needed = required_token(host, token)
    if not needed:
        return None

    def check(request):
        if authorized(request.headers, needed, user):
            return None
        import flask

        return flask.Response(
            "login required: crimecast dashboard token (basic auth password or bearer token)\n",
            status=401,
            headers={"WWW-Authenticate": f'Basic realm="{REALM}", charset="UTF-8"'},
            mimetype="text/plain",
        )

    return check
