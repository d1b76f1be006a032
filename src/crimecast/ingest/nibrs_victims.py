"""NIBRS Victims (one row per person) to an aggregate table, the only form crimecast keeps it in.

`aggregate(pages)` counts victims per occurred month, area, victim type, sex, descent and age band;
cells of fewer than `MIN_CELL` victims are suppressed (count blank, `suppressed` true), so no
person can be picked out of the table. The newest copy of a victim (`uniquevictimno`) wins when
pages of several downloads hold it. Pure apart from reading the page files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

MIN_CELL = 5
AGE_BANDS = ((0, 17, "0-17"), (18, 24, "18-24"), (25, 34, "25-34"), (35, 44, "35-44"),
             (45, 54, "45-54"), (55, 64, "55-64"), (65, 120, "65+"))  # fmt: skip
NOT_RECORDED = "not recorded"
GROUPS = ("month", "area", "victim_type", "vict_sex", "vict_descent", "age_band")
FILE_NAME = "victims_by_month.csv"


def age_band(age: pd.Series) -> pd.Series:
    """Age bands; 0, negative, over 120 or blank are 'not recorded' (placeholders)."""
    a = pd.to_numeric(age, errors="coerce")
    out = pd.Series(NOT_RECORDED, index=age.index, dtype=object)
    for lo, hi, label in AGE_BANDS:
        out[(a >= max(lo, 1)) & (a <= hi)] = label
    return out


def _load(pages: list[Path]) -> pd.DataFrame:
    frames = []
    for order, page in enumerate(pages):
        rows = json.loads(Path(page).read_bytes())
        df = pd.DataFrame.from_records(rows)
        df["_order"] = order
        frames.append(df)
    cols = ["uniquevictimno", "date_occ", "area", "victim_type", "vict_sex", "vict_descent"]
    if not frames:
        return pd.DataFrame(columns=[*cols, "vict_age", "_order"])
    df = pd.concat(frames, ignore_index=True)
    return df.reindex(columns=[*cols, "vict_age", "_order"])


def aggregate(pages: list[Path], min_cell: int = MIN_CELL) -> pd.DataFrame:
    """Victims per cell of `GROUPS` (pages oldest first); small cells suppressed."""
    df = _load(pages)
    keyed = df["uniquevictimno"].notna()
    latest = df[keyed].drop_duplicates("uniquevictimno", keep="last")
    df = pd.concat([latest, df[~keyed]]).sort_values("_order", kind="stable")
    out = pd.DataFrame(
        {
            "month": df["date_occ"].astype("string").str[:7],
            "area": pd.to_numeric(df["area"], errors="coerce").astype("Int64"),
            "victim_type": df["victim_type"].fillna(NOT_RECORDED),
            "vict_sex": df["vict_sex"].fillna(NOT_RECORDED),
            "vict_descent": df["vict_descent"].fillna(NOT_RECORDED),
            "age_band": age_band(df["vict_age"]),
        }
    )
    counts = out.groupby(list(GROUPS), dropna=False).size().rename("victims").reset_index()
    small = counts["victims"] < min_cell
    counts["victims"] = counts["victims"].astype("Int64").mask(small)
    counts["suppressed"] = np.asarray(small)
    return counts.sort_values(list(GROUPS), ignore_index=True)
