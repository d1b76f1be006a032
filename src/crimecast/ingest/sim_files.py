"""Files of the simulator: names that mark them simulated, writing CSV, recognising a simulated
file. Pure generation is in `simulate.py` (legacy export layout) and `simulate_nibrs.py` (NIBRS)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from crimecast.errors import InputFileError

EXPORT_COLUMNS: tuple[str, ...] = (
    "DR_NO", "Date Rptd", "DATE OCC", "TIME OCC", "AREA", "AREA NAME", "Rpt Dist No", "Part 1-2",
    "Crm Cd", "Crm Cd Desc", "Mocodes", "Vict Age", "Vict Sex", "Vict Descent", "Premis Cd",
    "Premis Desc", "Weapon Used Cd", "Weapon Desc", "Status", "Status Desc", "Crm Cd 1",
    "Crm Cd 2", "Crm Cd 3", "Crm Cd 4", "LOCATION", "Cross Street", "LAT", "LON",
)  # fmt: skip
SIM_ID_DIGIT = 9  # 3rd digit of every simulated DR_NO (real ids carry the area 01-21 there)


def is_simulated_id(dr_no) -> bool:
    """True for a DR_NO in the simulator's reserved range (9 digits, 3rd digit 9)."""
    s = str(dr_no).strip()
    return len(s) == 9 and s.isdigit() and s[2] == str(SIM_ID_DIGIT)


def default_name(rows: int, seed: int) -> str:
    """File name that `crimecast ingest` recognises as simulated."""
    return f"lapd-{rows}-seed{seed}.simulated.csv"


def check_writable(path: str | Path) -> Path:
    """Fail early, before minutes of work, when the output file cannot be written."""
    path = Path(path)
    if path.is_dir():
        raise InputFileError(f"{path} is a directory", hint="give a file name for --out")
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise InputFileError(
            f"cannot write {path}: {parent} is not a writable directory",
            hint="choose a directory you can write to for --out",
        )
    return path


def write_csv(
    data: pd.DataFrame | pa.Table, path: str | Path, columns: tuple[str, ...] = EXPORT_COLUMNS
) -> Path:
    """Write the CSV (header as the portal's, blanks for missing values) with `columns` in order:
    the legacy export's by default, or the NIBRS layout's (`simulate_nibrs.NIBRS_COLUMNS`)."""
    path = Path(path)
    table = data if isinstance(data, pa.Table) else pa.Table.from_pandas(data, preserve_index=False)
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise InputFileError(f"cannot write {path}: columns missing: {', '.join(missing)}")
    table = table.select(list(columns))
    check_writable(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        # DuckDB quotes only the fields that need it, as the portal's export does.
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            con.register("_sim", table)
            target = str(tmp).replace("'", "''")
            con.execute(f"COPY _sim TO '{target}' (FORMAT CSV, HEADER)").fetchall()
        finally:
            con.close()
        tmp.replace(path)
    except (OSError, duckdb.IOException) as exc:
        raise InputFileError(
            f"cannot write {path}: {getattr(exc, 'strerror', None) or str(exc).splitlines()[0]}",
            hint="choose a directory you can write to for --out",
        ) from exc
    return path


def is_simulated_file(path: str | Path) -> bool:
    """Cheap check for a simulator file: its name (`*.simulated.*`), or the first data rows'
    DR_NO (legacy layout) or caseno (NIBRS layout) all in the reserved range (a renamed file).
    Never raises."""
    path = Path(path)
    if ".simulated." in path.name.lower():
        return True
    try:
        if not path.is_file():  # a pipe or device is refused by the ingest, never read here
            return False
        with open(path, "rb") as fh:
            head = fh.read(65536).decode("utf-8", errors="replace").lstrip("\ufeff")
    except OSError:
        return False
    lines = [ln for ln in head.splitlines()[:6] if ln.strip()]
    if len(lines) < 2 or lines[0].split(",", 1)[0].strip('"') not in ("DR_NO", "caseno"):
        return False
    return all(is_simulated_id(ln.split(",", 1)[0].strip('"')) for ln in lines[1:])
