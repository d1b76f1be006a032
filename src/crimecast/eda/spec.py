"""The figure specification (`Spec`) and what every figure shares: colour-blind-safe palettes,
the empty-selection message, and the completeness marks (flagged months shaded and labelled).
The builders that fill a Spec for each figure are in `eda.specs`."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# Okabe-Ito: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000")
RISING, FALLING, FLAT = "#D55E00", "#0072B2", "#999999"
SEQUENTIAL = "cividis"  # perceptually uniform and colour-blind safe
EMPTY_MESSAGE = "No incidents match this selection; widen the dates, areas or crime types."
FLAG_TEXT = {
    "reporting lag": "not yet fully reported",
    "NIBRS break": "NIBRS switch: records missing, not a fall in crime",
}
MAX_LINES = 8


@dataclass
class Spec:
    name: str
    kind: str  # line | bar | hbar | heatmap | scatter
    data: pd.DataFrame
    x: str
    y: list[str]
    title: str
    x_title: str
    y_title: str
    color: str | None = None  # one trace per value of this column
    labels: dict[str, str] = field(default_factory=dict)  # trace names for the y columns
    dashed: tuple[str, ...] = ()  # y columns drawn dashed (moving averages)
    lo: str | None = None  # error bar / band columns
    hi: str | None = None
    z: str | None = None  # heatmap values
    text: str | None = None  # point labels (scatter)
    stacked: bool = False
    percent: bool = False  # y (or z) values are fractions shown as %
    flags: list[tuple[object, object, str]] = field(default_factory=list)  # (x0, x1, label)
    note: str = ""
    colors: dict[str, str] = field(default_factory=dict)  # fixed colour per trace name
    legend_title: str = ""
    no_data: bool = False  # the selection holds no incidents (zero-filled tables included)

    @property
    def empty(self) -> bool:
        return self.no_data or self.data is None or self.data.empty or not self.has_values

    @property
    def has_values(self) -> bool:
        cols = [self.z] if self.z else self.y
        return any(c in self.data.columns and self.data[c].notna().any() for c in cols)


def pivot(spec: Spec) -> pd.DataFrame:
    """The z values of a heatmap spec as rows (y) x columns (x), in the data's order."""
    d = spec.data
    rows = list(dict.fromkeys(d[spec.y[0]].astype(str)))
    cols = list(dict.fromkeys(d[spec.x].astype(str)))
    p = d.assign(_r=d[spec.y[0]].astype(str), _c=d[spec.x].astype(str)).pivot_table(
        index="_r", columns="_c", values=spec.z, aggfunc="sum"
    )
    return p.reindex(index=rows, columns=cols)


def pct(v: float) -> str:
    return f"{v:+.0f}%" if abs(v) >= 1 else f"{v:+.1f}%"


def month_flags(frame: pd.DataFrame, x: str = "month") -> list[tuple[object, object, str]]:
    """Spans of consecutive flagged months (columns `complete`, `reason`) as (start, end, label);
    the end is the first day after the span so a shaded band covers whole months."""
    if frame is None or frame.empty or "complete" not in frame.columns:
        return []
    f = frame[[x, "complete", "reason"]].copy()
    f["m"] = pd.to_datetime(f[x]).dt.to_period("M").dt.to_timestamp()
    f = f.drop_duplicates("m").sort_values("m")
    bad = f[~f["complete"].astype(bool)]
    spans: list[tuple[object, object, str]] = []
    for m, reason in zip(bad["m"], bad["reason"].astype(str), strict=True):
        label = "; ".join(FLAG_TEXT.get(r.strip(), r.strip()) for r in reason.split(";"))
        end = m + pd.offsets.MonthBegin(1)
        if spans and spans[-1][1] == m and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], end, label)
        else:
            spans.append((m, end, label))
    return spans


def year_flags(years, completeness: pd.DataFrame | None) -> list[tuple[object, object, str]]:
    """Years holding flagged months, as (year - 0.5, year + 0.5, label) for yearly axes."""
    if completeness is None or completeness.empty:
        return []
    c = completeness.assign(y=pd.to_datetime(completeness["month"]).dt.year)
    bad = c[~c["complete"].astype(bool)]
    out = []
    for y in sorted(set(bad["y"]) & {int(v) for v in years}):
        reasons = sorted(
            set(r for rs in bad.loc[bad["y"] == y, "reason"] for r in str(rs).split("; "))
        )
        label = "; ".join(FLAG_TEXT.get(r, r) for r in reasons)
        out.append((y - 0.5, y + 0.5, f"{y} incomplete: {label}"))
    return out


# --- time ------------------------------------------------------------------------------------


def top_groups(table: pd.DataFrame, col: str, n: int = MAX_LINES) -> tuple[pd.DataFrame, str]:
    tot = table.groupby(col)["incidents"].sum().sort_values(ascending=False)
    keep = tot.index[:n]
    note = f"the {n} largest of {len(tot)} shown" if len(tot) > n else ""
    return table[table[col].isin(keep)], note
