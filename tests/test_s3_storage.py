"""S3 locations against a real S3 API server on localhost (moto in server mode)."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer
from typer.testing import CliRunner

from crimecast import storage
from crimecast.cli import app
from crimecast.errors import ConfigError, NetworkError, StoreError
from crimecast.store import Store

KEY_ID = "AKIACRIMECASTTESTKEY"
SECRET = "s3cr3t-never-print-me-4f9a2c"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def moto():
    """One moto S3 server for the module; tests may stop and restart it on the same port."""
    port = _free_port()
    box = {"server": ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)}
    box["server"].start()
    box["port"] = port
    box["url"] = f"http://127.0.0.1:{port}"
    yield box
    box["server"].stop()


@pytest.fixture
def s3(moto, monkeypatch, tmp_path):
    """Dummy credentials in the environment, crimecast pointed at moto, a fresh bucket."""
    for k in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("CRIMECAST_S3_ENDPOINT_URL", moto["url"])
    monkeypatch.setenv("CRIMECAST_S3_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("CRIMECAST_S3_RETRIES", "1")
    bucket = f"bkt-{uuid.uuid4().hex[:10]}"
    client = boto3.client("s3", endpoint_url=moto["url"])
    client.create_bucket(Bucket=bucket)
    return {"bucket": bucket, "client": client, "url": f"s3://{bucket}/store"}


def _keys(s3, prefix=""):
    out = s3["client"].list_objects_v2(Bucket=s3["bucket"], Prefix=prefix)
    return sorted(o["Key"] for o in out.get("Contents", []))


def _write(dir_: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (dir_ / rel).parent.mkdir(parents=True, exist_ok=True)
        (dir_ / rel).write_bytes(data)


class FailingClient:
    """A real boto3 client that breaks after `ok` uploads, like a connection dropping mid-way."""

    def __init__(self, inner, ok: int, on_fail=None):
        self.inner, self.ok, self.on_fail, self.uploads = inner, ok, on_fail, 0

    def upload_file(self, *args, **kwargs):
        if self.uploads >= self.ok:
            if self.on_fail is None:
                raise OSError("connection reset by peer (simulated)")
            self.on_fail()
        self.uploads += 1
        return self.inner.upload_file(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


# -- locations ------------------------------------------------------------------------------------
def test_parse_locations():
    loc = storage.parse("s3://bucket/a/b/")
    assert (loc.is_s3, loc.bucket, loc.prefix, str(loc)) == (
        True,
        "bucket",
        "a/b",
        "s3://bucket/a/b",
    )
    # typer hands us a Path, which collapses "//"
    assert storage.parse(Path("s3://bucket/a")).prefix == "a"
    assert storage.parse("s3://bucket").key("_CURRENT") == "_CURRENT"
    assert not storage.parse("/tmp/x").is_s3
    with pytest.raises(ConfigError, match="no bucket"):
        storage.parse("s3:///x")
    with pytest.raises(ConfigError, match="only local paths and s3://"):
        storage.parse("gs://bucket/x")


def test_local_locations_pass_through(tmp_path):
    with storage.open_store(tmp_path / "st", write=True) as p:
        assert p == tmp_path / "st"
    with storage.open_out(tmp_path / "out") as p:
        assert p.is_dir() and p == tmp_path / "out"


# -- publish and read -----------------------------------------------------------------------------
def test_write_then_read_publishes_a_version_with_manifest_last(s3):
    with storage.open_store(s3["url"], write=True) as work:
        _write(work, {"parquet/incidents/year=2020/data_0.parquet": b"A" * 100, "x.duckdb": b"db"})
    v1 = storage.current_version(s3["url"])
    manifest = json.loads(
        s3["client"].get_object(Bucket=s3["bucket"], Key="store/_CURRENT")["Body"].read()
    )
    assert manifest["version"] == v1 and manifest["previous"] is None
    assert {f["path"] for f in manifest["files"]} == {
        "parquet/incidents/year=2020/data_0.parquet",
        "x.duckdb",
    }
    assert f"store/versions/{v1}/x.duckdb" in _keys(s3)
    with storage.open_store(s3["url"]) as read:
        assert (read / "x.duckdb").read_bytes() == b"db"
        assert (read / "parquet/incidents/year=2020/data_0.parquet").stat().st_size == 100

    # A second write starts from v1, changes one file; the unchanged one is copied in S3.
    counting = FailingClient(storage.client(), ok=10**6)
    with storage.open_store(s3["url"], write=True, s3=counting) as work:
        assert (work / "x.duckdb").read_bytes() == b"db"
        (work / "x.duckdb").write_bytes(b"db2")
    assert counting.uploads == 1
    v2 = storage.current_version(s3["url"])
    assert v2 > v1
    with storage.open_store(s3["url"]) as read:
        assert (read / "x.duckdb").read_bytes() == b"db2"
        assert (read / "parquet/incidents/year=2020/data_0.parquet").read_bytes() == b"A" * 100


def test_parquet_url_names_the_visible_version_for_cluster_readers(s3):
    with storage.open_store(s3["url"], write=True) as work:
        _write(work, {"parquet/incidents/year=2020/data_0.parquet": b"P"})
    v = storage.current_version(s3["url"])
    url = storage.parquet_url(s3["url"])
    assert url == f"s3a://{s3['bucket']}/store/versions/{v}/parquet/incidents"
    assert f"store/versions/{v}/parquet/incidents/year=2020/data_0.parquet" in _keys(s3)


def test_old_versions_are_pruned(s3, monkeypatch):
    monkeypatch.setenv("CRIMECAST_S3_KEEP_VERSIONS", "2")
    versions = []
    for i in range(4):
        with storage.open_store(s3["url"], write=True) as work:
            _write(work, {"f.txt": str(i).encode()})
        versions.append(storage.current_version(s3["url"]))
    kept = {k.split("/")[2] for k in _keys(s3, "store/versions/")}
    assert kept == set(versions[-2:])
    # a reader elsewhere (empty cache) downloads the newest; older local copies are dropped too
    cache = storage._cache_root(storage.parse(s3["url"]))
    shutil.rmtree(cache)
    s3["client"].put_object(  # make the previous version visible again (a manual rollback)
        Bucket=s3["bucket"],
        Key="store/_CURRENT",
        Body=s3["client"]
        .get_object(Bucket=s3["bucket"], Key=f"store/versions/{versions[-2]}/manifest.json")["Body"]
        .read(),
    )
    with storage.open_store(s3["url"]) as read:
        assert (read / "f.txt").read_text() == "2"
    s3["client"].put_object(
        Bucket=s3["bucket"],
        Key="store/_CURRENT",
        Body=s3["client"]
        .get_object(Bucket=s3["bucket"], Key=f"store/versions/{versions[-1]}/manifest.json")["Body"]
        .read(),
    )
    with storage.open_store(s3["url"]) as read:
        assert (read / "f.txt").read_text() == "3"
    assert sorted(p.name for p in cache.iterdir()) == versions[-2:]


def test_reading_an_empty_prefix_is_a_clear_error(s3):
    with pytest.raises(StoreError, match="no store at s3://") as err:
        with storage.open_store(f"s3://{s3['bucket']}/nothing-here"):
            pass
    assert "crimecast ingest" in err.value.hint


def test_tampered_object_is_refused(s3):
    with storage.open_store(s3["url"], write=True) as work:
        _write(work, {"f.txt": b"original"})
    v = storage.current_version(s3["url"])
    s3["client"].put_object(Bucket=s3["bucket"], Key=f"store/versions/{v}/f.txt", Body=b"changed!")
    shutil.rmtree(storage._cache_root(storage.parse(s3["url"])))  # a reader on another machine
    with pytest.raises(StoreError, match="does not match its manifest"):
        with storage.open_store(s3["url"]):
            pass


# -- failures never expose a half-written store ---------------------------------------------------
def _publish_v1(s3) -> str:
    with storage.open_store(s3["url"], write=True) as work:
        _write(work, {f"part-{i}.bin": f"v1-{i}".encode() for i in range(4)})
    return storage.current_version(s3["url"])


def test_failure_mid_upload_keeps_the_previous_version_visible(s3):
    v1 = _publish_v1(s3)
    before = _keys(s3)
    broken = FailingClient(storage.client(), ok=2)
    with pytest.raises(OSError, match="connection reset"):
        with storage.open_store(s3["url"], write=True, s3=broken) as work:
            _write(work, {f"part-{i}.bin": f"v2-{i}".encode() for i in range(4)})
    assert broken.uploads == 2  # two files of the new version did reach S3 ...
    assert storage.current_version(s3["url"]) == v1  # ... but readers still see v1
    assert _keys(s3) == before  # and the partial version was cleaned away
    with storage.open_store(s3["url"]) as read:
        assert sorted(p.read_text() for p in read.glob("part-*")) == [f"v1-{i}" for i in range(4)]


def test_server_dying_mid_upload_keeps_the_previous_version_visible(s3, moto):
    v1 = _publish_v1(s3)

    def kill():
        moto["server"].stop()

    broken = FailingClient(storage.client(), ok=1, on_fail=kill)
    try:
        with pytest.raises(NetworkError) as err:
            with storage.open_store(s3["url"], write=True, s3=broken) as work:
                _write(work, {f"part-{i}.bin": f"v2-{i}".encode() for i in range(4)})
    finally:  # the same port, the same in-process S3 state
        moto["server"] = ThreadedMotoServer(
            ip_address="127.0.0.1", port=moto["port"], verbose=False
        )
        moto["server"].start()
    assert "cannot reach" in err.value.message
    assert f"version {v1} is still the visible one" in err.value.message
    assert storage.current_version(s3["url"]) == v1
    with storage.open_store(s3["url"]) as read:
        assert (read / "part-0.bin").read_text() == "v1-0"


def test_an_exception_in_the_block_publishes_nothing(s3):
    v1 = _publish_v1(s3)
    with pytest.raises(RuntimeError):
        with storage.open_store(s3["url"], write=True) as work:
            (work / "part-0.bin").write_text("half")
            raise RuntimeError("the command failed")
    assert storage.current_version(s3["url"]) == v1


def test_a_concurrent_writer_is_not_silently_overwritten(s3):
    _publish_v1(s3)
    with pytest.raises(StoreError, match="another writer"):
        with storage.open_store(s3["url"], write=True) as slow:
            with storage.open_store(s3["url"], write=True) as fast:
                (fast / "part-0.bin").write_text("fast")
            (slow / "part-0.bin").write_text("slow")
    with storage.open_store(s3["url"]) as read:
        assert (read / "part-0.bin").read_text() == "fast"


class RacingClient:
    """Lets another writer publish between this writer's check and its write of _CURRENT."""

    def __init__(self, inner, race):
        self.inner, self.race, self.raced = inner, race, False

    def put_object(self, **kwargs):
        if kwargs["Key"].endswith("/_CURRENT") and not self.raced:
            self.raced = True
            self.race()
        return self.inner.put_object(**kwargs)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_two_writers_racing_past_the_check_one_wins_by_conditional_write(s3, tmp_path):
    _publish_v1(s3)
    inner = storage.client()
    _, base = storage.download(s3["url"], inner)
    other = tmp_path / "other"
    _write(other, {"part-0.bin": b"other writer"})
    winner = {}

    def other_writer():
        winner["v"] = storage.publish(other, s3["url"], "store", base, inner)["version"]

    mine = tmp_path / "mine"
    _write(mine, {"part-0.bin": b"this writer"})
    racing = RacingClient(inner, other_writer)
    with pytest.raises(StoreError, match="published by another writer") as err:
        storage.publish(mine, s3["url"], "store", base, racing)
    assert racing.raced and winner["v"] in err.value.message
    assert storage.current_version(s3["url"]) == winner["v"]
    with storage.open_store(s3["url"]) as read:
        assert (read / "part-0.bin").read_bytes() == b"other writer"
    # the loser's uploads were removed: no object holds its bytes
    bodies = [s3["client"].get_object(Bucket=s3["bucket"], Key=k)["Body"].read() for k in _keys(s3)]
    assert b"this writer" not in bodies


# -- bad configuration: one clear message each ----------------------------------------------------
def test_missing_bucket(s3):
    with pytest.raises(StoreError, match="bucket 'no-such-bucket-x' does not exist") as err:
        with storage.open_store("s3://no-such-bucket-x/store"):
            pass
    assert "aws s3 mb" in err.value.hint
    with pytest.raises(StoreError, match="does not exist"):
        with storage.open_out("s3://no-such-bucket-x/out"):
            pass


def test_no_credentials(s3, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(ConfigError, match="no AWS credentials") as err:
        with storage.open_store(s3["url"]):
            pass
    assert "AWS_PROFILE" in err.value.hint


def test_s3_unreachable(s3, monkeypatch):
    monkeypatch.setenv("CRIMECAST_S3_ENDPOINT_URL", f"http://127.0.0.1:{_free_port()}")
    with pytest.raises(NetworkError, match="cannot reach"):
        storage.current_version(s3["url"])


# -- outputs and the CLI ----------------------------------------------------------------------------
def test_outputs_are_published_as_a_version(s3):
    url = f"s3://{s3['bucket']}/reports"
    with storage.open_out(url) as out:
        _write(out, {"report.html": b"<html>1</html>", "tables/forecast.csv": b"a,b\n1,2\n"})
    v = storage.current_version(url)
    assert f"reports/versions/{v}/report.html" in _keys(s3)
    body = s3["client"].get_object(Bucket=s3["bucket"], Key=f"reports/versions/{v}/report.html")
    assert body["Body"].read() == b"<html>1</html>"


def test_cli_ingest_and_info_on_s3_never_log_credentials(s3, incidents_dir, caplog):
    caplog.set_level(logging.DEBUG, logger="crimecast")
    sample = incidents_dir / "rudraxdave_citywide_2014_2019_2k_per_year.csv.gz"
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(sample), "--store", s3["url"]])
    assert res.exit_code == 0, res.output
    res2 = runner.invoke(app, ["info", "--json", "--store", s3["url"]])
    assert res2.exit_code == 0, res2.output
    info = json.loads(res2.stdout)
    assert info["store"] == s3["url"] and info["incidents"] > 10_000
    # The published store is a real DuckDB + Parquet store, readable after a fresh download.
    shutil.rmtree(storage._cache_root(storage.parse(s3["url"])))
    with storage.open_store(s3["url"]) as p, Store(p, read_only=True) as st:
        assert st.count() == info["incidents"]
        assert list(st.parquet_dir.glob("year=*/*.parquet"))
    logged = caplog.text + res.output + res2.output
    assert "published" in caplog.text
    assert SECRET not in logged and KEY_ID not in logged


def test_cli_missing_bucket_and_no_credentials_are_one_clear_message_each(s3, tmp_path):
    """Through the real console entry point: a message and its fix, no traceback."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_EC2_METADATA_DISABLED": "true"}
    cmd = [sys.executable, "-m", "crimecast.cli", "info", "--store"]
    res = subprocess.run(
        [*cmd, "s3://no-such-bucket-y/store"],
        env=env | {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == StoreError.exit_code, res.stderr
    assert "bucket 'no-such-bucket-y' does not exist" in res.stderr and "fix:" in res.stderr
    assert "Traceback" not in res.stderr and SECRET not in res.stderr + res.stdout
    res = subprocess.run([*cmd, s3["url"]], env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == ConfigError.exit_code, res.stderr
    assert "no AWS credentials found" in res.stderr and "Traceback" not in res.stderr


def test_script_entry_point_publishes_and_fetches(s3, tmp_path, capsys):
    """`python -m crimecast.storage`, as the nightly job on the EC2 instance calls it."""
    out = tmp_path / "out"
    _write(out, {"report.html": b"<html>nightly</html>"})
    url = f"s3://{s3['bucket']}/reports"
    assert storage.main(["publish", str(out), url]) == 0
    version = storage.current_version(url)
    assert f"version {version}" in capsys.readouterr().out
    dest = tmp_path / "restored"
    _write(dest, {"stale.txt": b"old"})
    assert storage.main(["fetch", url, str(dest)]) == 0
    assert sorted(p.name for p in dest.iterdir()) == ["report.html"]
    assert storage.main(["current", url]) == 0 and capsys.readouterr().out.strip().endswith(version)
    assert storage.main(["fetch", f"s3://{s3['bucket']}/empty", str(tmp_path / "x")]) == 0
    assert "is empty" in capsys.readouterr().out
    assert storage.main(["publish", str(out), "s3://no-such-bucket-z/r"]) == StoreError.exit_code
    assert "does not exist" in capsys.readouterr().err


def test_crimecast_run_reads_and_writes_store_and_report_in_s3(s3):
    """The main job end to end with --store and --out in S3 (a small simulated city)."""
    store, out = s3["url"], f"s3://{s3['bucket']}/reports"
    args = ["run", "--demo", "--demo-rows", "5000", "--store", store, "--out", out]
    res = CliRunner().invoke(app, [*args, "--models", "seasonal_naive", "--horizon", "3"])
    assert res.exit_code == 0, res.output
    reports = json.loads(
        s3["client"].get_object(Bucket=s3["bucket"], Key="reports/_CURRENT")["Body"].read()
    )
    paths = {f["path"] for f in reports["files"]}
    assert {"report.html", "run.json"} <= paths
    html = (
        s3["client"]
        .get_object(Bucket=s3["bucket"], Key=f"reports/versions/{reports['version']}/report.html")[
            "Body"
        ]
        .read()
    )
    assert b"SIMULATED" in html.upper()
    stored = json.loads(
        s3["client"].get_object(Bucket=s3["bucket"], Key="store/_CURRENT")["Body"].read()
    )
    assert any(f["path"].startswith("parquet/incidents/year=") for f in stored["files"])
    info = CliRunner().invoke(app, ["info", "--json", "--store", store])
    assert info.exit_code == 0, info.output
    held = json.loads(info.stdout)
    # both simulated feeds, every incident simulated (a case in both feeds counts once)
    assert held["simulated"] == held["incidents"] and 4_000 < held["incidents"] <= 5000
    assert held["offenses"] >= held["incidents"]


def test_eda_and_hotspots_read_an_s3_store_and_publish_outputs_to_s3(s3, incidents_dir, data_dir):
    sample = incidents_dir / "ivanco19_citywide_2020_10k.csv.gz"
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(sample), "--store", s3["url"]]).exit_code == 0
    out = f"s3://{s3['bucket']}/out"
    res = runner.invoke(
        app, ["eda", "--store", s3["url"], "--out", out, "--no-png", "--no-profiles"]
    )
    assert res.exit_code == 0, res.output
    res = runner.invoke(
        app,
        ["hotspots", "--store", s3["url"], "--out", out, "--permutations", "0",
         "--boundaries", str(data_dir / "geo" / "LAPD_Divisions.geojson")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    keys = _keys(s3, "out/")
    assert any(k.endswith("/tables/by_year.csv") for k in keys)
    assert any(k.endswith("hotspots/gi_star.csv") for k in keys)
    assert not Path("s3:").exists()  # never a local folder named after the URL
