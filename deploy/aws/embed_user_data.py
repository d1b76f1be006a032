"""Copy user-data.sh (minus its shebang) into crimecast.yaml's UserData block.

CloudFormation cannot read a file beside the template, so the template carries the script; this
keeps the two identical (tests/test_deploy.py fails when they drift). Run after editing
user-data.sh:  python3 deploy/aws/embed_user_data.py
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
BEGIN = "# BEGIN user-data.sh"
END = "# END user-data.sh"


def body() -> str:
    """The script as the template must carry it (the template writes its own first lines)."""
    return HERE.joinpath("user-data.sh").read_text().split("\n", 1)[1]


def embedded(template: str) -> str:
    """The script text inside the template's block (indentation removed)."""
    lines = template.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(BEGIN))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith(END))
    block = lines[start + 2 : end]  # after "- |"
    indent = len(lines[start + 1]) - len(lines[start + 1].lstrip()) + 2
    return "".join(line[indent:] + "\n" for line in block)


def render(template: str) -> str:
    lines = template.split("\n")
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(BEGIN))
    end = next(i for i, line in enumerate(lines) if line.strip().startswith(END))
    indent = " " * (len(lines[start + 1]) - len(lines[start + 1].lstrip()) + 2)
    block = [indent + line if line else "" for line in body().rstrip("\n").split("\n")]
    return "\n".join(lines[: start + 2] + block + lines[end:])


if __name__ == "__main__":
    path = HERE / "crimecast.yaml"
    path.write_text(render(path.read_text()))
    print(f"embedded user-data.sh into {path}")
