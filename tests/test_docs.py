"""Every CLI command and every setting is documented in the README and in --help."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from crimecast import config
from crimecast.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


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


def test_readme_has_the_two_commands():
    assert "bash .ci/run" in README or "pytest" in README
    assert "crimecast run" in README
