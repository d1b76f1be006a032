"""The local backend: map a per-group function over a frame's groups with worker processes.

`map_groups(df, key, fn, n_jobs)` is the whole interface (the Spark backend offers the same one,
running `fn` under `groupBy(key).applyInPandas`). `fn` takes the frame of one group and returns a
frame; it must be a picklable top-level function (or a functools.partial of one).

A group whose function raises does not sink the others: its failure comes back as one row with
the group's key and an `error` column (the exception type and message); rows of groups that
worked have `error` = NaN. Output is ordered by key, so results do not depend on which worker
finished first.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

import pandas as pd

ERROR = "error"


def _run_one(key: str, value, group: pd.DataFrame, fn: Callable) -> pd.DataFrame:
    try:
        out = fn(group)
    except Exception as exc:  # reported per group, by design
        msg = f"{type(exc).__name__}: {exc}".strip()
        return pd.DataFrame({key: [value], ERROR: [msg]})
    return out


def _run_chunk(key: str, items: list, fn: Callable) -> list[pd.DataFrame]:
    return [_run_one(key, value, group, fn) for value, group in items]


def _chunks(items: list, n: int) -> list[list]:
    """n interleaved chunks (series of similar size spread evenly over workers)."""
    return [c for c in (items[i::n] for i in range(n)) if c]


def map_groups(
    df: pd.DataFrame,
    key: str,
    fn: Callable[[pd.DataFrame], pd.DataFrame],
    n_jobs: int = 2,
    columns: list[str] | None = None,
) -> pd.DataFrame:
    """fn applied to each group of df by `key`, concatenated (see the module docstring).

    n_jobs: worker processes (1 runs in this process; -1 = one per CPU). `columns` is the output
    schema, used for an empty result (and required by the Spark backend).
    """
    items = [(value, group.reset_index(drop=True)) for value, group in df.groupby(key, sort=True)]
    if n_jobs is None or n_jobs < 1:
        n_jobs = os.cpu_count() or 1
    n_jobs = min(n_jobs, len(items)) if items else 1
    if n_jobs <= 1:
        parts = _run_chunk(key, items, fn)
    else:
        # several chunks per worker balance uneven series without one task per series
        chunks = _chunks(items, min(len(items), n_jobs * 4))
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(_run_chunk, key, chunk, fn) for chunk in chunks]
            parts = [part for f in futures for part in f.result()]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=(columns or [key]) + [ERROR])
    out = pd.concat(parts, ignore_index=True)
    if ERROR not in out.columns:
        out[ERROR] = pd.NA
    cols = (columns or [c for c in out.columns if c != ERROR]) + [ERROR]
    for c in cols:
        if c not in out.columns:
            out[c] = pd.NA
    return out.sort_values(key, kind="stable", ignore_index=True)[cols]
