"""The AWS kit (deploy/aws) with the real tools: cfn-lint, shellcheck, bash in dry-run mode and
systemd-analyze; and the dashboard's access control (crimecast.auth) on the real dashboard app."""

from __future__ import annotations

import base64
import configparser
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import require_tool
from crimecast import auth
from crimecast.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
KIT = REPO / "deploy" / "aws"
TEMPLATE = KIT / "crimecast.yaml"
USER_DATA = KIT / "user-data.sh"
CFN_LINT = Path(sys.executable).parent / "cfn-lint"


class CfnLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !If, ...) read as {"Fn": value}."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


CfnLoader.add_multi_constructor("!", _tag)


@pytest.fixture(scope="module")
def template() -> dict:
    return yaml.load(TEMPLATE.read_text(), Loader=CfnLoader)


def _tool(name: str) -> str:
    return require_tool(name)


# -- the CloudFormation template ------------------------------------------------------------------
def test_cfn_lint_passes_and_catches_a_broken_template(tmp_path):
    assert CFN_LINT.exists(), "cfn-lint is part of the test extra"
    res = subprocess.run([str(CFN_LINT), str(TEMPLATE)], capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        TEMPLATE.read_text().replace("InstanceType: !Ref InstanceType", "InstanceTyp: x")
    )
    res = subprocess.run([str(CFN_LINT), str(broken)], capture_output=True, text=True)
    assert res.returncode != 0 and "InstanceTyp" in res.stdout


def test_nothing_is_open_to_the_world_by_default(template):
    assert template["Parameters"]["AllowedCidr"]["Default"] == ""
    sg = template["Resources"]["SecurityGroup"]["Properties"]
    cond, when_set, otherwise = sg["SecurityGroupIngress"]["If"]
    assert cond == "ExposeDashboard" and otherwise == {"Ref": "AWS::NoValue"}
    assert when_set[0]["CidrIp"] == {"Ref": "AllowedCidr"}
    assert template["Conditions"]["ExposeDashboard"] == {
        "Not": [{"Equals": [{"Ref": "AllowedCidr"}, ""]}]
    }
    instance = template["Resources"]["Instance"]["Properties"]
    assert instance["MetadataOptions"]["HttpTokens"] == "required"  # IMDSv2 only
    assert instance["BlockDeviceMappings"][0]["Ebs"]["Encrypted"] is True


def test_the_role_may_use_only_the_project_bucket(template):
    role = template["Resources"]["InstanceRole"]["Properties"]
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    resources = sorted(s["Resource"]["Sub"] for s in statements)
    assert resources == [
        "arn:${AWS::Partition}:s3:::${BucketName}",
        "arn:${AWS::Partition}:s3:::${BucketName}/*",
    ]
    actions = {a for s in statements for a in s["Action"]}
    assert all(a.startswith("s3:") and "*" not in a for a in actions)
    assert not any(s["Effect"] != "Allow" for s in statements)
    assert [p["Sub"] for p in role["ManagedPolicyArns"]] == [
        "arn:${AWS::Partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
    ]


def test_the_template_carries_user_data_sh_verbatim(template):
    spec = importlib.util.spec_from_file_location("embed", KIT / "embed_user_data.py")
    embed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(embed)
    assert embed.embedded(TEMPLATE.read_text()) == embed.body(), (
        "crimecast.yaml's UserData differs from user-data.sh: run "
        "python3 deploy/aws/embed_user_data.py"
    )
    parts = template["Resources"]["Instance"]["Properties"]["UserData"]["Fn::Base64"]["Fn::Join"][1]
    assert parts[0] == "#!/usr/bin/env bash\n" and parts[-1] == embed.body()
    refs = [p["Ref"] for p in parts if isinstance(p, dict)]
    assert refs == ["BucketName", "AllowedCidr", "DashboardPort", "PackageSpec", "AWS::Region"]


# -- the user-data script -------------------------------------------------------------------------
def _dry_run(root: Path, **env) -> subprocess.CompletedProcess:
    base = {"PATH": os.environ["PATH"], "CRIMECAST_DRY_RUN": "1", "DEPLOY_ROOT": str(root)}
    return subprocess.run(
        ["bash", str(USER_DATA)], env=base | env, capture_output=True, text=True, timeout=60
    )


@pytest.fixture(scope="module")
def deployed(tmp_path_factory):
    """The script's dry run into a scratch root, exposed to one CIDR."""
    root = tmp_path_factory.mktemp("root")
    res = _dry_run(root, CRIMECAST_BUCKET="crimecast-test", CRIMECAST_ALLOWED_CIDR="203.0.113.7/32")
    assert res.returncode == 0, res.stderr
    return root, res.stdout


def test_shellcheck_passes_on_the_scripts(deployed, tmp_path):
    nightly = deployed[0] / "opt/crimecast/bin/crimecast-nightly"
    res = subprocess.run(
        [_tool("shellcheck"), "-S", "style", str(USER_DATA), str(nightly)],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stdout
    bad = tmp_path / "bad.sh"
    bad.write_text("#!/usr/bin/env bash\nrm -rf $1/*\n")
    assert subprocess.run([_tool("shellcheck"), str(bad)], capture_output=True).returncode != 0


def test_dry_run_prints_the_commands_and_writes_only_under_the_root(deployed):
    root, out = deployed
    commands = [line[2:] for line in out.splitlines() if line.startswith("+ ")]
    assert commands[0] == "apt-get update -q"
    assert any("apt-get install" in c and "openjdk-17-jre-headless" in c for c in commands)
    assert "/opt/crimecast/venv/bin/pip install -q crimecast[spark,s3,dashboard]" in commands
    assert any(
        c.endswith("crimecast.storage fetch s3://crimecast-test/store /var/lib/crimecast/store")
        for c in commands
    )
    assert commands[-2:] == [
        "systemctl enable --now crimecast-nightly.timer crimecast-dashboard.service",
        "systemctl start --no-block crimecast-nightly.service",
    ]
    written = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert written == [
        "etc/crimecast/crimecast.env",
        "etc/crimecast/dashboard-token",
        "etc/systemd/system/crimecast-dashboard.service",
        "etc/systemd/system/crimecast-nightly.service",
        "etc/systemd/system/crimecast-nightly.timer",
        "opt/crimecast/bin/crimecast-nightly",
    ]


def test_token_is_generated_private_and_never_printed(deployed):
    root, out = deployed
    token_file = root / "etc/crimecast/dashboard-token"
    token = token_file.read_text()
    assert len(token) == 48 and int(token, 16) >= 0
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    env = dict(
        line.split("=", 1)
        for line in (root / "etc/crimecast/crimecast.env").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    assert env["CRIMECAST_DASHBOARD_TOKEN"] == token
    assert env["CRIMECAST_DASHBOARD_HOST"] == "0.0.0.0"  # exposed: the CIDR was given
    assert env["CRIMECAST_REMOTE_OUT"] == "s3://crimecast-test/reports"
    assert stat.S_IMODE((root / "etc/crimecast/crimecast.env").stat().st_mode) == 0o640
    assert token not in out
    # the dashboard's own check accepts this token for an exposed host
    assert auth.required_token(env["CRIMECAST_DASHBOARD_HOST"], token) == token


def _unit(path: Path) -> configparser.ConfigParser:
    cp = configparser.ConfigParser(strict=True, interpolation=None)
    cp.optionxform = str
    cp.read_string(path.read_text())
    return cp


def test_units_are_well_formed(deployed):
    units = deployed[0] / "etc/systemd/system"
    dash = _unit(units / "crimecast-dashboard.service")
    assert dash["Service"]["User"] == "crimecast"
    assert dash["Service"]["ExecStart"].startswith("/opt/crimecast/venv/bin/crimecast serve ")
    assert "--host ${CRIMECAST_DASHBOARD_HOST}" in dash["Service"]["ExecStart"]
    assert dash["Service"]["EnvironmentFile"] == "/etc/crimecast/crimecast.env"
    assert dash["Service"]["ProtectSystem"] == "strict"
    nightly = _unit(units / "crimecast-nightly.service")
    assert nightly["Service"]["Type"] == "oneshot"
    assert nightly["Service"]["ExecStart"] == "/opt/crimecast/bin/crimecast-nightly"
    timer = _unit(units / "crimecast-nightly.timer")
    assert timer["Timer"]["Unit"] == "crimecast-nightly.service"
    assert timer["Timer"]["Persistent"] == "true"
    cal = subprocess.run(
        [_tool("systemd-analyze"), "calendar", timer["Timer"]["OnCalendar"]],
        capture_output=True,
        text=True,
    )
    assert cal.returncode == 0 and "Next elapse" in cal.stdout, cal.stderr
    script = (deployed[0] / "opt/crimecast/bin/crimecast-nightly").read_text()
    order = [
        script.index(s) for s in ("fetch", " run ", 'publish "$CRIMECAST_OUT"', "--kind store")
    ]
    assert order == sorted(order)  # the store is published only after the report


def test_systemd_analyze_verify_accepts_the_units(deployed, tmp_path):
    """`systemd-analyze verify --root` needs systemd's own units and the programs inside the
    root; copy the first and stub the second so only our units are judged."""
    tool = _tool("systemd-analyze")
    root = tmp_path / "root"
    shutil.copytree(deployed[0], root)
    shutil.copytree("/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True)
    for exe in ("opt/crimecast/venv/bin/crimecast", "bin/systemctl"):
        (root / exe).parent.mkdir(parents=True, exist_ok=True)
        (root / exe).write_text("#!/bin/sh\n")
        (root / exe).chmod(0o755)
    for d in ("tmp", "var/tmp"):
        (root / d).mkdir(parents=True, exist_ok=True)
    units = sorted(str(p) for p in (root / "etc/systemd/system").glob("crimecast-*"))
    res = subprocess.run(
        [tool, "verify", "--man=no", f"--root={root}", *units], capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert "Unknown" not in res.stderr
    # and it does judge them: a unit whose program is missing is refused
    (root / "opt/crimecast/venv/bin/crimecast").unlink()
    res = subprocess.run(
        [tool, "verify", "--man=no", f"--root={root}", *units], capture_output=True, text=True
    )
    assert res.returncode != 0 and "crimecast is not executable" in res.stderr


def test_dashboard_stays_on_loopback_without_a_cidr(tmp_path):
    res = _dry_run(tmp_path, CRIMECAST_BUCKET="crimecast-test")
    assert res.returncode == 0, res.stderr
    env = (tmp_path / "etc/crimecast/crimecast.env").read_text()
    assert "CRIMECAST_DASHBOARD_HOST=127.0.0.1" in env


def test_user_data_refuses_to_run_without_a_bucket(tmp_path):
    res = _dry_run(tmp_path)
    assert res.returncode != 0
    assert "set CRIMECAST_BUCKET" in res.stderr
    assert not list(tmp_path.rglob("*"))  # stopped before writing anything


# -- dashboard access control ---------------------------------------------------------------------
TOKEN = "0123456789abcdef0123456789abcdef"


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_loopback_needs_no_token_anything_else_does(monkeypatch):
    monkeypatch.delenv("CRIMECAST_DASHBOARD_TOKEN", raising=False)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.1.1"):
        assert auth.is_loopback(host) and auth.guard(host) is None
    for host in ("0.0.0.0", "10.0.0.5", "::", "dashboard.example.org"):
        assert not auth.is_loopback(host)
        with pytest.raises(ConfigError, match="open to anyone") as err:
            auth.guard(host)
        assert "CRIMECAST_DASHBOARD_TOKEN" in err.value.hint
    with pytest.raises(ConfigError, match="too short"):
        auth.guard("0.0.0.0", token="abc")
    monkeypatch.setenv("CRIMECAST_DASHBOARD_TOKEN", TOKEN)
    assert auth.guard("0.0.0.0") is not None
    assert auth.guard("127.0.0.1") is not None  # a token set is enforced everywhere


def test_authorized_accepts_bearer_and_basic_only_with_the_token():
    ok = [
        {"Authorization": f"Bearer {TOKEN}"},
        {"authorization": _basic("crimecast", TOKEN)},
    ]
    bad = [
        {},
        {"Authorization": f"Bearer {TOKEN[:-1]}"},
        {"Authorization": _basic("admin", TOKEN)},
        {"Authorization": _basic("crimecast", "wrong")},
        {"Authorization": "Basic !!notbase64"},
        {"Authorization": f"Token {TOKEN}"},
    ]
    assert all(auth.authorized(h, TOKEN, "crimecast") for h in ok)
    assert not any(auth.authorized(h, TOKEN, "crimecast") for h in bad)


def test_the_real_dashboard_refuses_requests_without_the_token(real_store):
    pytest.importorskip("dash", reason="the dashboard extra")  # CI installs every extra
    from crimecast.dashboard.app import create_app

    app = create_app(real_store, auth=auth.guard("0.0.0.0", token=TOKEN, user="crimecast"))
    client = app.server.test_client()
    refused = client.get("/api/health")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Basic realm=")
    assert TOKEN not in refused.get_data(as_text=True)
    assert (
        client.get("/", headers={"Authorization": _basic("crimecast", "nope")}).status_code == 401
    )
    page = client.get("/", headers={"Authorization": _basic("crimecast", TOKEN)})
    assert page.status_code == 200 and b"crimecast" in page.data
    api = client.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert api.status_code == 200 and api.get_json()["incidents"] > 10_000


def test_crimecast_settings_never_prints_the_dashboard_token(monkeypatch):
    from typer.testing import CliRunner

    from crimecast.cli import app

    monkeypatch.setenv("CRIMECAST_DASHBOARD_TOKEN", TOKEN)
    monkeypatch.setenv("COLUMNS", "400")  # one line per setting, nothing wrapped
    res = CliRunner().invoke(app, ["settings"])
    row = next(line for line in res.output.splitlines() if "CRIMECAST_DASHBOARD_TOKEN" in line)
    assert "(set)" in row
    assert TOKEN not in res.output and TOKEN[:8] not in res.output


def test_serve_beyond_localhost_without_a_token_refuses_to_start(tmp_path):
    """The real console entry point: one message and its fix, before any data is loaded."""
    env = {k: v for k, v in os.environ.items() if k != "CRIMECAST_DASHBOARD_TOKEN"}
    res = subprocess.run(
        [
            sys.executable,
            "-m",
            "crimecast.cli",
            "serve",
            "--host",
            "0.0.0.0",
            "--store",
            str(tmp_path),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == ConfigError.exit_code, res.stderr
    assert "open to anyone who can reach 0.0.0.0" in res.stderr
    assert "CRIMECAST_DASHBOARD_TOKEN" in res.stderr and "Traceback" not in res.stderr
