"""Where a store or an output directory lives: a local path, or `s3://bucket/prefix`.

Local paths pass straight through. An S3 location is worked on in a local cache directory and
published as an immutable *version*, so readers never see a half-written store:

    s3://bucket/prefix/versions/<version>/...        every file of that version (Parquet, DuckDB)
    s3://bucket/prefix/versions/<version>/manifest.json
    s3://bucket/prefix/_CURRENT                      the manifest of the visible version

A writer uploads every file under a NEW version prefix and writes `_CURRENT` LAST (one small
PUT, atomic in S3). If the upload fails half-way, `_CURRENT` still names the previous version and
the partial prefix is never read (it is deleted, or pruned later). A reader fetches `_CURRENT`,
downloads that version into the cache (checking each file's size and SHA-256 against the
manifest) and opens it locally. Unchanged files (same SHA-256 as in the previous version) are
copied server-side instead of uploaded again. `_CURRENT` is written with a conditional PUT
(If-Match on the manifest the writer started from), so of two concurrent writers exactly one
wins and the other gets a clear error.

Credentials come from the standard AWS chain (environment, profile, instance role) through boto3;
crimecast never reads, prints or logs them. `CRIMECAST_S3_ENDPOINT_URL` points at an
S3-compatible server (MinIO, moto, LocalStack).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from crimecast import config
from crimecast.errors import ConfigError, NetworkError, StoreError, require

log = logging.getLogger(__name__)

CURRENT = "_CURRENT"
MANIFEST = "manifest.json"
FORMAT = "crimecast-s3/1"
_ETAG = "_etag"  # kept on a manifest read from S3, never written into one
_COMPLETE = ".crimecast-complete"  # marker: a cached version was fully downloaded and checked


@dataclass(frozen=True)
class Location:
    """A parsed `--store` / `--out` value."""

    raw: str
    bucket: str | None = None
    prefix: str = ""

    @property
    def is_s3(self) -> bool:
        return self.bucket is not None

    @property
    def path(self) -> Path:
        """The local path (only for local locations)."""
        return Path(self.raw).expanduser()

    def key(self, *parts: str) -> str:
        return "/".join(p.strip("/") for p in (self.prefix, *parts) if p.strip("/"))

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/") if self.is_s3 else self.raw


def parse(value: str | Path | Location) -> Location:
    """`s3://bucket/prefix` or a local path. Accepts a `Path`, whose `//` collapsed to `/`."""
    if isinstance(value, Location):
        return value
    text = str(value)
    for scheme in ("s3://", "s3:/"):  # Path("s3://b/p") prints as "s3:/b/p"
        if text.startswith(scheme):
            rest = text[len(scheme) :]
            bucket, _, prefix = rest.partition("/")
            if not bucket:
                raise ConfigError(
                    f"{value!s}: no bucket name", hint="write it as s3://BUCKET/PREFIX"
                )
            return Location(f"s3://{rest}", bucket, prefix.strip("/"))
    if "://" in text:
        raise ConfigError(
            f"{text}: only local paths and s3://bucket/prefix are supported",
            hint="use a directory path or an s3:// URL",
        )
    return Location(text)


# -- the S3 client, with every AWS failure turned into one clear message --------------------------
def client():
    """A boto3 S3 client from the standard credential chain (never logged)."""
    boto3 = require("boto3", "s3")
    from botocore.config import Config

    endpoint = config.get("s3_endpoint_url") or None
    cfg = Config(
        retries={"max_attempts": config.get_int("s3_retries"), "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=cfg)


def _upload_failed() -> type[Exception]:
    from boto3.exceptions import S3UploadFailedError

    return S3UploadFailedError


@contextlib.contextmanager
def _aws_errors(loc: Location, doing: str) -> Iterator[None]:
    """Translate botocore exceptions into CrimecastErrors that say how to fix them."""
    from botocore import exceptions as bx

    try:
        yield
    except (bx.NoCredentialsError, bx.PartialCredentialsError) as exc:
        raise ConfigError(
            f"no AWS credentials found while {doing} {loc}",
            hint="set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run on an "
            "instance whose IAM role may use the bucket",
        ) from exc
    except (bx.EndpointConnectionError, bx.ConnectTimeoutError, bx.ReadTimeoutError) as exc:
        where = config.get("s3_endpoint_url") or "AWS S3"
        raise NetworkError(
            f"cannot reach {where} while {doing} {loc}",
            hint="check the network, or CRIMECAST_S3_ENDPOINT_URL for an S3-compatible server",
        ) from exc
    except (bx.ClientError, _upload_failed()) as exc:
        cause = exc if isinstance(exc, bx.ClientError) else exc.__cause__ or exc.__context__
        if isinstance(cause, bx.EndpointConnectionError | bx.ConnectTimeoutError):
            raise NetworkError(
                f"cannot reach {config.get('s3_endpoint_url') or 'AWS S3'} while {doing} {loc}",
                hint="check the network, or CRIMECAST_S3_ENDPOINT_URL",
            ) from exc
        code = (
            cause.response.get("Error", {}).get("Code", "")
            if isinstance(cause, bx.ClientError)
            else ""
        )
        if code in ("NoSuchBucket",):
            raise StoreError(
                f"the bucket {loc.bucket!r} does not exist ({doing} {loc})",
                hint=f"create it first (aws s3 mb s3://{loc.bucket}) or fix the name",
            ) from exc
        if code in (
            "AccessDenied",
            "Forbidden",
            "403",
            "InvalidAccessKeyId",
            "SignatureDoesNotMatch",
        ):
            raise StoreError(
                f"S3 refused access ({code}) while {doing} {loc}",
                hint="check the credentials in use and that their policy allows this bucket/prefix",
            ) from exc
        raise StoreError(f"S3 error {code or exc} while {doing} {loc}") from exc


def _read_manifest(s3, loc: Location) -> dict | None:
    """The visible version's manifest, or None when nothing was ever published there."""
    from botocore.exceptions import ClientError

    with _aws_errors(loc, "reading"):
        try:
            obj = s3.get_object(Bucket=loc.bucket, Key=loc.key(CURRENT))
            body, etag = obj["Body"].read(), obj.get("ETag")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                s3.head_bucket(Bucket=loc.bucket)  # a missing bucket raises its own message
                return None
            raise
    manifest = json.loads(body)
    if manifest.get("format") != FORMAT:
        raise StoreError(
            f"{loc}/{CURRENT} is not a crimecast manifest (format {manifest.get('format')!r})",
            hint="point --store/--out at a prefix that only crimecast writes to",
        )
    manifest[_ETAG] = etag  # the base a writer's conditional PUT of _CURRENT must still match
    return manifest


def current_version(loc: str | Path | Location, s3=None) -> str | None:
    """The version id that readers of an S3 location see now (None when empty)."""
    loc = parse(loc)
    manifest = _read_manifest(s3 or client(), loc)
    return manifest["version"] if manifest else None


def parquet_url(loc: str | Path | Location, s3=None) -> str:
    """Where a cluster's executors read the visible version's incidents (Hadoop's s3a scheme),
    so every executor reads the same snapshot without downloading the store to the driver."""
    loc = parse(loc)
    manifest = _read_manifest(s3 or client(), loc)
    if manifest is None:
        raise StoreError(f"no store at {loc}", hint="publish one first (crimecast ingest)")
    return f"s3a://{loc.bucket}/{loc.key('versions', manifest['version'], 'parquet', 'incidents')}"


# -- local cache --------------------------------------------------------------------------------
def _cache_root(loc: Location) -> Path:
    base = Path(config.get("s3_cache")).expanduser()
    return base / loc.bucket / (loc.prefix or "_root")


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read in 1 MiB chunks (also the store's idempotence key)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _files(root: Path) -> list[dict]:
    out = []
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != _COMPLETE and not p.name.endswith(".wal"):
            out.append(
                {
                    "path": p.relative_to(root).as_posix(),
                    "size": p.stat().st_size,
                    "sha256": file_sha256(p),
                }
            )
    return out


def download(loc: str | Path | Location, s3=None) -> tuple[Path | None, dict | None]:
    """Fetch the visible version into the cache; (local dir, manifest), or (None, None) if empty."""
    loc = parse(loc)
    s3 = s3 or client()
    manifest = _read_manifest(s3, loc)
    if manifest is None:
        return None, None
    target = _cache_root(loc) / manifest["version"]
    if (target / _COMPLETE).exists():
        return target, manifest
    tmp = target.parent / f".dl-{uuid.uuid4().hex[:8]}"
    tmp.mkdir(parents=True)
    try:
        with _aws_errors(loc, "downloading"):
            for f in manifest["files"]:
                dest = tmp / f["path"]
                dest.parent.mkdir(parents=True, exist_ok=True)
                s3.download_file(
                    loc.bucket, loc.key("versions", manifest["version"], f["path"]), str(dest)
                )
                if dest.stat().st_size != f["size"] or file_sha256(dest) != f["sha256"]:
                    raise StoreError(
                        f"{loc}: {f['path']} of version {manifest['version']} does not match its "
                        "manifest (size or SHA-256)",
                        hint="the object was changed outside crimecast; publish the store again",
                    )
        (tmp / _COMPLETE).write_text(manifest["version"])
        if target.exists():  # another process finished the same download first
            shutil.rmtree(tmp)
        else:
            tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("fetched %s version %s (%d files)", loc, manifest["version"], len(manifest["files"]))
    _prune_cache(loc, manifest["version"])
    return target, manifest


def _prune_cache(loc: Location, current: str) -> None:
    """Keep the local cache to the newest `s3_keep_versions` versions (open files survive on
    POSIX, so a process still reading an older one is not disturbed)."""
    keep = max(config.get_int("s3_keep_versions"), 1)
    root = _cache_root(loc)
    done = sorted(p for p in root.iterdir() if p.is_dir() and (p / _COMPLETE).exists())
    for old in [p for p in done if p.name < current][: max(len(done) - keep, 0)]:
        shutil.rmtree(old, ignore_errors=True)


def new_version_id(now: dt.datetime | None = None) -> str:
    """Sortable by time, unique across writers."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{now:%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex[:6]}"


def publish(
    local_dir: str | Path,
    loc: str | Path | Location,
    kind: str = "store",
    previous: dict | None = None,
    s3=None,
) -> dict:
    """Upload `local_dir` as a new version and make it visible by writing `_CURRENT` last.

    `previous` is the manifest the writer started from: its unchanged files are copied inside S3,
    and if someone else published since, this refuses rather than silently dropping their work.
    """
    from botocore.exceptions import ClientError

    loc = parse(loc)
    s3 = s3 or client()
    local_dir = Path(local_dir)
    version = new_version_id()
    files = _files(local_dir)
    old = {f["path"]: f for f in (previous or {}).get("files", [])}
    uploaded: list[str] = []
    try:
        with _aws_errors(loc, "publishing to"):
            for f in files:
                key = loc.key("versions", version, f["path"])
                same = old.get(f["path"])
                if same and same["sha256"] == f["sha256"]:
                    src = loc.key("versions", previous["version"], f["path"])
                    s3.copy_object(
                        Bucket=loc.bucket, Key=key, CopySource={"Bucket": loc.bucket, "Key": src}
                    )
                else:
                    s3.upload_file(str(local_dir / f["path"]), loc.bucket, key)
                uploaded.append(key)
            manifest = {
                "format": FORMAT,
                "kind": kind,
                "version": version,
                "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "previous": (previous or {}).get("version"),
                "files": files,
            }
            body = json.dumps(manifest, indent=1).encode()
            s3.put_object(Bucket=loc.bucket, Key=loc.key("versions", version, MANIFEST), Body=body)
            uploaded.append(loc.key("versions", version, MANIFEST))
            seen = _read_manifest(s3, loc)
            if (seen or {}).get("version") != (previous or {}).get("version"):
                raise _conflict(loc, (seen or {}).get("version"))
            # The commit point: one small PUT. Before it readers see the old version, after it
            # the new one; never a mix. It is conditional (S3 conditional writes): it succeeds
            # only if _CURRENT is still the one this writer started from, so of two writers
            # racing past the check above exactly one wins.
            cond = (
                {"IfMatch": previous[_ETAG]}
                if previous and previous.get(_ETAG)
                else {"IfNoneMatch": "*"}
            )
            try:
                s3.put_object(Bucket=loc.bucket, Key=loc.key(CURRENT), Body=body, **cond)
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                    raise _conflict(loc, current_version(loc, s3)) from exc
                raise
    except BaseException as exc:
        _delete_quietly(s3, loc, uploaded)
        prev = (previous or {}).get("version")
        if isinstance(exc, StoreError | NetworkError | ConfigError):
            exc.message += (
                f"; upload stopped after {len(uploaded)} of {len(files) + 1} objects and "
                + (f"version {prev} is still the visible one" if prev else "nothing was published")
            )
        raise
    log.info("published %s version %s (%d files)", loc, version, len(files))
    _prune(s3, loc, manifest)
    return manifest


def _conflict(loc: Location, other: str | None) -> StoreError:
    return StoreError(
        f"{loc} was published by another writer (version {other}) while this one was working; "
        "this run's changes were not published",
        hint="run the command again; it will start from the newer version",
    )


def _delete_quietly(s3, loc: Location, keys: list[str]) -> None:
    """Best effort: remove a failed version's objects (pruning catches what this misses)."""
    for i in range(0, len(keys), 1000):
        with contextlib.suppress(Exception):
            s3.delete_objects(
                Bucket=loc.bucket, Delete={"Objects": [{"Key": k} for k in keys[i : i + 1000]]}
            )


def _prune(s3, loc: Location, manifest: dict) -> None:
    """Keep the newest `s3_keep_versions` versions up to the current one; delete older ones."""
    keep = max(config.get_int("s3_keep_versions"), 1)
    with contextlib.suppress(Exception):  # pruning never fails a publish
        pages = s3.get_paginator("list_objects_v2").paginate(
            Bucket=loc.bucket, Prefix=loc.key("versions") + "/", Delimiter="/"
        )
        versions = sorted(
            p["Prefix"].rstrip("/").rsplit("/", 1)[-1]
            for page in pages
            for p in page.get("CommonPrefixes", [])
        )
        older = [v for v in versions if v <= manifest["version"]]
        for v in older[:-keep]:
            keys = [
                o["Key"]
                for page in s3.get_paginator("list_objects_v2").paginate(
                    Bucket=loc.bucket, Prefix=loc.key("versions", v) + "/"
                )
                for o in page.get("Contents", [])
            ]
            _delete_quietly(s3, loc, keys)


# -- what commands use ----------------------------------------------------------------------------
@contextlib.contextmanager
def open_store(location: str | Path | Location, write: bool = False, s3=None) -> Iterator[Path]:
    """Yield a local directory holding the store at `location`.

    Local: the path itself. S3, read: the cached copy of the visible version (StoreError if none).
    S3, write: a private working copy, published as a new version when the block ends without an
    exception (nothing is published otherwise).
    """
    loc = parse(location)
    if not loc.is_s3:
        yield loc.path
        return
    s3 = s3 or client()
    cached, manifest = download(loc, s3)
    if not write:
        if cached is None:
            raise StoreError(
                f"no store at {loc}",
                hint="publish one first: crimecast ingest FILE --store " + str(loc),
            )
        yield cached
        return
    work = _cache_root(loc) / f".work-{uuid.uuid4().hex[:8]}"
    if cached is not None:
        shutil.copytree(cached, work, ignore=shutil.ignore_patterns(_COMPLETE))
    else:
        work.mkdir(parents=True)
    try:
        yield work
        new = publish(work, loc, "store", manifest, s3)
        final = _cache_root(loc) / new["version"]
        (work / _COMPLETE).write_text(new["version"])
        work.rename(final)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@contextlib.contextmanager
def open_out(location: str | Path | Location, s3=None) -> Iterator[Path]:
    """Yield a local directory for outputs; for S3, publish it as a new version at the end."""
    loc = parse(location)
    if not loc.is_s3:
        loc.path.mkdir(parents=True, exist_ok=True)
        yield loc.path
        return
    s3 = s3 or client()
    manifest = _read_manifest(s3, loc)  # fail on a missing bucket before the work, not after
    work = _cache_root(loc) / f".out-{uuid.uuid4().hex[:8]}"
    work.mkdir(parents=True)
    try:
        yield work
        publish(work, loc, "out", manifest, s3)
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- for scripts (deploy/aws's nightly job): python -m crimecast.storage ... ----------------------
def fetch_to(location: str | Path | Location, dest: str | Path) -> str | None:
    """Replace `dest` with the visible version at an S3 location (swapped in whole)."""
    dest = Path(dest)
    cached, manifest = download(parse(location))
    if cached is None:
        return None
    tmp = dest.parent / f".{dest.name}-{uuid.uuid4().hex[:8]}"
    shutil.copytree(cached, tmp, ignore=shutil.ignore_patterns(_COMPLETE))
    old = dest.parent / f".{dest.name}-old-{uuid.uuid4().hex[:8]}"
    if dest.exists():
        dest.rename(old)
    tmp.rename(dest)
    shutil.rmtree(old, ignore_errors=True)
    return manifest["version"]


def main(argv: list[str] | None = None) -> int:
    """publish DIR S3URL | fetch S3URL DIR | current S3URL; errors as one line and a fix."""
    import argparse
    import sys

    from crimecast.errors import CrimecastError

    p = argparse.ArgumentParser(prog="python -m crimecast.storage", description=main.__doc__)
    sub = p.add_subparsers(dest="cmd", required=True)
    pub = sub.add_parser("publish", help="upload DIR as a new version of S3URL")
    pub.add_argument("dir")
    pub.add_argument("url")
    pub.add_argument("--kind", default="out", choices=("out", "store"))
    fet = sub.add_parser("fetch", help="replace DIR with the visible version of S3URL")
    fet.add_argument("url")
    fet.add_argument("dir")
    cur = sub.add_parser("current", help="print the visible version of S3URL")
    cur.add_argument("url")
    args = p.parse_args(argv)
    try:
        loc = parse(args.url)
        if not loc.is_s3:
            raise ConfigError(f"{args.url} is not an s3:// URL", hint="use s3://BUCKET/PREFIX")
        if args.cmd == "publish":
            if not Path(args.dir).is_dir():
                raise ConfigError(f"{args.dir} is not a directory")
            s3 = client()
            manifest = publish(args.dir, loc, args.kind, _read_manifest(s3, loc), s3)
            print(f"{loc} version {manifest['version']} ({len(manifest['files'])} files)")
        elif args.cmd == "fetch":
            version = fetch_to(loc, args.dir)
            print(f"{args.dir} <- {loc} version {version}" if version else f"{loc} is empty")
        else:
            print(current_version(loc) or "")
    except CrimecastError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"fix: {exc.hint}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
