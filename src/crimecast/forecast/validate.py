"""Checks on a long-format series CSV a user brings (`--input FILE.csv`): columns `unique_id, ds,
y`, one row per series and period. Every problem is an InputFileError naming the file, the rows
or series, and the fix; nothing reaches a model half-checked.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from crimecast.errors import InputFileError
from crimecast.panel import pandas_freq

REQUIRED = ("unique_id", "ds", "y")
_FREQ_WORDS = {"D": "day", "W": "week", "MS": "month", "YS": "year"}


def _rows(mask: pd.Series, limit: int = 5) -> str:
    """CSV line numbers (header = line 1) of the first rows where mask holds."""
    lines = [str(i + 2) for i in mask[mask].index[:limit]]
    more = int(mask.sum()) - len(lines)
    return ", ".join(lines) + (f" and {more} more" if more > 0 else "")


def read_csv(path: str | Path) -> pd.DataFrame:
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"{path}: no such file", hint="check the path given to --input")
    try:
        return pd.read_csv(path, dtype={"unique_id": str}, keep_default_na=True)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputFileError(
            f"{path}: cannot be read as CSV ({str(exc).splitlines()[0]})",
            hint="save it as a comma-separated file with a header row: unique_id,ds,y",
        ) from exc


def check(
    df: pd.DataFrame, freq: str, horizon: int = 1, min_length: int = 1, name: str = "input"
) -> pd.DataFrame:
    """The validated panel (unique_id str, ds datetime, y float), sorted; or an InputFileError.

    min_length: the fewest periods every series needs (the caller knows: training floor, plus
    the backtest windows).
    """
    missing = [c for c in REQUIRED if c not in df.columns]
    if missing:
        raise InputFileError(
            f"{name}: missing column(s) {', '.join(missing)} (found: {', '.join(map(str, df.columns))})",
            hint="the file needs one row per series and period with columns unique_id, ds, y",
        )
    if df.empty:
        raise InputFileError(f"{name}: no rows", hint="the file needs at least one series")
    out = df[list(REQUIRED)].copy()
    blank_id = out["unique_id"].isna() | (out["unique_id"].astype(str).str.strip() == "")
    if blank_id.any():
        raise InputFileError(
            f"{name}: blank unique_id on line(s) {_rows(blank_id)}",
            hint="give every row the name of its series",
        )
    out["unique_id"] = out["unique_id"].astype(str).str.strip()
    ds = pd.to_datetime(out["ds"], errors="coerce", format="mixed")
    bad = ds.isna()
    if bad.any():
        sample = ", ".join(repr(v) for v in out.loc[bad, "ds"].head(3))
        raise InputFileError(
            f"{name}: unparseable date(s) in column ds on line(s) {_rows(bad)} ({sample})",
            hint="write dates as YYYY-MM-DD",
        )
    out["ds"] = ds
    y = pd.to_numeric(out["y"], errors="coerce")
    bad = y.isna()
    if bad.any():
        sample = ", ".join(repr(v) for v in out.loc[bad, "y"].head(3))
        raise InputFileError(
            f"{name}: y is missing or not a number on line(s) {_rows(bad)} ({sample})",
            hint="y must be a count (0 for a period with no incidents)",
        )
    neg = y < 0
    if neg.any():
        raise InputFileError(
            f"{name}: negative y on line(s) {_rows(neg)}; counts cannot be negative",
            hint="correct or remove those rows",
        )
    out["y"] = y.astype(float)
    dup = out.duplicated(["unique_id", "ds"], keep=False)
    if dup.any():
        first = out[dup].iloc[0]
        raise InputFileError(
            f"{name}: duplicate (unique_id, ds) on line(s) {_rows(dup)}, e.g. series "
            f"{first['unique_id']!r} at {first['ds']:%Y-%m-%d}",
            hint="keep one row per series and period (sum the counts if they are parts)",
        )
    out = out.sort_values(["unique_id", "ds"], ignore_index=True)
    for uid, g in out.groupby("unique_id", sort=True):
        _check_series(uid, g["ds"], freq, horizon, min_length, name)
    return out


def _check_series(uid, ds: pd.Series, freq, horizon, min_length, name) -> None:
    first = ds.iloc[0]
    if freq == "MS" and (ds.dt.day != 1).any():
        bad = ds[ds.dt.day != 1].iloc[0]
        raise InputFileError(
            f"{name}: series {uid!r} has {bad:%Y-%m-%d}, which is not the first of a month, "
            "but --freq MS labels each month by its first day",
            hint="label months as YYYY-MM-01, or pick the frequency the file has (--freq D or W)",
        )
    if freq == "YS" and ((ds.dt.day != 1) | (ds.dt.month != 1)).any():
        raise InputFileError(
            f"{name}: series {uid!r} has dates that are not 1 January, but --freq YS labels each "
            "year by its first day",
            hint="label years as YYYY-01-01",
        )
    if freq == "W" and ds.dt.weekday.nunique() > 1:
        raise InputFileError(
            f"{name}: series {uid!r} mixes weekdays, but --freq W needs one date per week on the "
            "same weekday",
            hint="label each week by its first day (e.g. its Monday)",
        )
    if (ds != ds.dt.normalize()).any():
        raise InputFileError(
            f"{name}: series {uid!r} has times of day in ds; periods are whole days",
            hint="aggregate to days (or weeks / months) first",
        )
    full = pd.date_range(first, ds.iloc[-1], freq=pandas_freq(freq, first))
    gaps = full.difference(pd.DatetimeIndex(ds))
    if len(gaps):
        raise InputFileError(
            f"{name}: series {uid!r} has {len(gaps)} missing {_FREQ_WORDS[freq]}(s) between "
            f"{first:%Y-%m-%d} and {ds.iloc[-1]:%Y-%m-%d}, first {gaps[0]:%Y-%m-%d}",
            hint="add the missing periods with y = 0 if nothing happened, or check --freq",
        )
    if len(ds) < max(min_length, horizon + 1):
        raise InputFileError(
            f"{name}: series {uid!r} has only {len(ds)} period(s), too short for a horizon of "
            f"{horizon} (needs at least {max(min_length, horizon + 1)})",
            hint="use a shorter --horizon (or fewer --windows), or drop that series",
        )


def load(path: str | Path, freq: str, horizon: int, min_length: int = 1) -> pd.DataFrame:
    """Read and check a series CSV (see `check`)."""
    return check(read_csv(path), freq, horizon, min_length, name=str(path))
