"""Every CLI command and every setting is documented in the README and in --help."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from crimecast import config
from crimecast.cli import app

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text()


def _commands():
    import typer.main

    group = typer.main.get_command(app)
    return group, sorted(group.commands)


def test_every_command_is_in_the_readme_and_has_help():
    group, names = _commands()
    assert {"ingest", "info"} <= set(names)
    missing = [n for n in names if f"crimecast {n}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"
    for n in names:
        assert group.commands[n].help, f"command {n} has no help text"


def test_every_setting_is_in_the_readme():
    missing = [s.env for s in config.SETTINGS if s.env not in README]
    assert not missing, f"settings missing from README.md: {missing}"


def test_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    _, names = _commands()
    for n in names:
        assert n in result.output


def test_readme_has_the_two_commands_and_ci_runs_them_as_written():
    lines = README.splitlines()
    install = [ln for ln in lines if ln.startswith("python3 -m venv ")]
    tests = [ln for ln in lines if ln.startswith(".venv/bin/python -m pytest")]
    assert len(install) == 1 and len(tests) == 1, (install, tests)
    assert "pip install -e '.[all]'" in install[0] and "crimecast run --demo" in install[0]
    ci = (REPO / ".ci" / "run").read_text()
    # CI reads both lines from the README and runs them as they stand, with the pip a fresh venv
    # ships: an upgraded pip would hide an install that fails for a new user
    assert (
        "readme_line 'python3 -m venv '" in ci
        and "readme_line '\\.venv/bin/python -m pytest'" in ci
    )
    assert "install -U pip" not in ci and "--upgrade pip" not in ci
