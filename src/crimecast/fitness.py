"""What the data can support, per series: a verdict before any trend, year-over-year change,
seasonality or forecast is stated.

Pure functions over frames (no I/O, no store). Inputs:

- `panel`: the monthly counts per series, the long frame `[unique_id, ds, y]` of crimecast.panel
  (series `city`, `area:X`, `category:Y`, `area:X|category:Y`), training and excluded months
  together;
- `facts`: one row per incident, or per group of incidents with a count `n`: `source` (the file it
  came from), `area_name`, `crime_category`, `occurred` (date or month) and `reported` (the report
  date, may be missing);
- `complete_through`: the last month the completeness check trusts (months after it are excluded
  from models for reporting lag or the NIBRS break; they are not counted here as usable).

Checks, each with its threshold in `Thresholds`:

- coverage: a month far below (or far above) the series' own typical level, where the typical
  level is the month an average incident falls in (the incident-weighted median month), so a
  handful of near-empty years does not drag the reference down;
- near-empty stretches inside the range (three or more such months in a row);
- report windows: a file whose report dates all fall within about a month (e.g. every crime
  reported 1-25 December) counts, by month of occurrence, the reporting delay rather than crime;
  a month mostly made of such rows is not comparable with others and is not complete;
- a source that dominates an area: most of the area's incidents from one file that holds little
  else (comparisons with other areas then compare files, not places);
- the minimums for trends and forecasts (after Ashby's rules for crime series): at least 24
  usable months in a row, a mean of at least 5 a month, at most half the months without an
  incident.

`assess` returns a `Fitness`: a per-series table with a pass/fail verdict and the reason in words,
a per-month table (citywide), a per-source table, and plain sentences for the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# A percentage change is stated only against a base of at least this many incidents.
MIN_BASE = 20

LEVEL_ORDER = ("city", "area", "category", "area_category")
SERIES_COLUMNS = [
    "unique_id", "level", "first_month", "last_month", "months", "usable_months",
    "usable_from", "usable_to", "mean_per_month", "zero_share", "typical_month", "low_months",
    "window_months", "problems", "verdict", "reason"
]  # fmt: skip
MONTH_COLUMNS = [
    "month", "incidents", "typical_month", "coverage", "window_share", "sources",
    "areas_at_usual_level", "areas_expected", "in_range", "usable", "problems"
]  # fmt: skip
SOURCE_COLUMNS = [
    "source", "incidents", "occurred_from", "occurred_to", "reported_from", "reported_to",
    "report_window_days", "narrow_report_window", "areas", "top_area", "top_area_share"
]  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    min_months: int = 24  # usable months in a row for a trend or a forecast
    min_mean: float = 5.0  # incidents a month on average over those months
    max_zero_share: float = 0.5  # share of those months with no incident
    low: float = 0.5  # a month under half the typical level is under-covered
    high: float = 3.0  # a month over three times the typical level holds something else
    window_days: int = 45  # a file whose central 90% of report dates span no more than this
    window_share: float = 0.5  # a month more than half from such files is window-covered
    dominance: float = 0.8  # one file holds this share of an area's incidents ...
    confined: float = 0.9  # ... and this share of that file is in the area
    near_empty_run: int = 3  # this many under-covered months in a row is a near-empty stretch
    max_end_gap: int = 3  # usable months must reach within this many months of the last one


@dataclass
class Fitness:
    series: pd.DataFrame
    months: pd.DataFrame
    sources: pd.DataFrame
    complete_through: pd.Timestamp | None
    sentences: list[str] = field(default_factory=list)

    def passes(self, unique_id: str) -> bool:
        """True when the series can carry a trend or a forecast (unknown series: False)."""
        row = self.series[self.series["unique_id"] == unique_id]
        return bool(len(row)) and row["verdict"].iloc[0] == "pass"

    def reason(self, unique_id: str) -> str:
        row = self.series[self.series["unique_id"] == unique_id]
        return str(row["reason"].iloc[0]) if len(row) else "not assessed"

    def failing(self) -> list[dict]:
        bad = self.series[self.series["verdict"] == "fail"]
        return [
            {"unique_id": u, "reason": r}
            for u, r in zip(bad["unique_id"], bad["reason"], strict=True)
        ]

    def verdicts(self) -> dict[str, str]:
        """unique_id -> '' for a passing series, else the reason it fails."""
        s = self.series
        return {
            u: ("" if v == "pass" else r)
            for u, v, r in zip(s["unique_id"], s["verdict"], s["reason"], strict=True)
        }


def label(unique_id: str) -> str:
    """A series name in words: 'Citywide', 'West LA', 'burglary', 'West LA / burglary'."""
    if unique_id == "city":
        return "Citywide"
    parts = [p.split(":", 1)[-1] for p in unique_id.split("|")]
    return " / ".join(parts)


def level_of(unique_id: str) -> str:
    if unique_id == "city":
        return "city"
    if "|" in unique_id:
        return "area_category"
    return unique_id.split(":", 1)[0]


def typical_level(values) -> float:
    """The count of the month an average incident falls in (incident-weighted median month)."""
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    total = v.sum()
    if total <= 0:
        return 0.0
    return float(v[np.searchsorted(np.cumsum(v), total / 2)])


def _month(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.to_period("M").dt.to_timestamp()


def _fmt(m) -> str:
    return pd.Timestamp(m).strftime("%Y-%m")


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs, end inclusive, of the runs of True in `mask`."""
    out, start = [], None
    for i, ok in enumerate(mask):
        if ok and start is None:
            start = i
        elif not ok and start is not None:
            out.append((start, i - 1))
            start = None
    if start is not None:
        out.append((start, len(mask) - 1))
    return out


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float):
    order = np.argsort(values)
    v, w = values[order], weights[order]
    cum = np.cumsum(w)
    return v[min(np.searchsorted(cum, q * cum[-1]), len(v) - 1)]


def source_table(facts: pd.DataFrame, th: Thresholds = Thresholds()) -> pd.DataFrame:
    """Per source file: its spans of occurred and report dates, whether its report dates sit in
    a narrow window (the central 90% of them within `window_days`, with crimes that occurred
    well before it), and the area that holds most of it."""
    rows = []
    for src, g in facts.groupby("source", sort=True):
        n = g["n"].to_numpy(dtype=float)
        occ = pd.to_datetime(g["occurred"])
        rep = pd.to_datetime(g["reported"])
        has = rep.notna().to_numpy()
        row = {
            "source": src,
            "incidents": int(n.sum()),
            "occurred_from": occ.min(),
            "occurred_to": occ.max(),
            "reported_from": pd.NaT,
            "reported_to": pd.NaT,
            "report_window_days": np.nan,
            "narrow_report_window": False,
        }
        if has.sum() and n[has].sum() >= 50:
            days = rep[has].to_numpy(dtype="datetime64[D]").astype("int64")
            lo = _weighted_quantile(days, n[has], 0.05)
            hi = _weighted_quantile(days, n[has], 0.95)
            span = int(hi - lo)
            start = pd.Timestamp(np.datetime64(int(lo), "D"))
            row.update(
                reported_from=rep[has].min(),
                reported_to=rep[has].max(),
                report_window_days=span,
                # crimes occurred well before the window opened: the file is a report window
                narrow_report_window=bool(
                    span <= th.window_days and (start - occ.min()).days > th.window_days
                ),
            )
        areas = g.groupby("area_name")["n"].sum().sort_values(ascending=False)
        row.update(
            areas=int((areas > 0).sum()),
            top_area=str(areas.index[0]) if len(areas) else "",
            top_area_share=float(areas.iloc[0] / areas.sum()) if len(areas) else 0.0,
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=SOURCE_COLUMNS)


def _uids(facts: pd.DataFrame) -> dict[str, pd.Series]:
    area = "area:" + facts["area_name"].astype(str)
    cat = "category:" + facts["crime_category"].astype(str)
    return {
        "city": pd.Series("city", index=facts.index),
        "area": area,
        "category": cat,
        "area_category": area + "|" + cat,
    }


def _window_share(facts: pd.DataFrame, window_sources: set[str]) -> pd.DataFrame:
    """Per (unique_id, month): incidents and the share of them from report-window files."""
    w = facts["n"] * facts["source"].isin(window_sources)
    parts = []
    for uid in _uids(facts).values():
        g = pd.DataFrame({"unique_id": uid, "ds": facts["month"], "n": facts["n"], "w": w})
        parts.append(g.groupby(["unique_id", "ds"], as_index=False)[["n", "w"]].sum())
    out = pd.concat(parts, ignore_index=True)
    out["window_share"] = out["w"] / out["n"].where(out["n"] > 0)
    return out[["unique_id", "ds", "window_share"]]


def _dominance(facts: pd.DataFrame, src: pd.DataFrame, th: Thresholds) -> dict[str, str]:
    """area name -> the problem in words, for areas mostly made of one file confined to them."""
    out = {}
    if facts["source"].nunique() < 2 or facts["area_name"].nunique() < 2:
        return out
    by = facts.groupby(["area_name", "source"])["n"].sum()
    tot = by.groupby(level=0).sum()
    for (area, source), n in by.items():
        share = n / tot[area]
        s = src[src["source"] == source]
        if share >= th.dominance and len(s) and s["top_area"].iloc[0] == str(area):
            if s["top_area_share"].iloc[0] >= th.confined:
                out[str(area)] = (
                    f"{share:.0%} of its incidents come from one file ({source}) that holds "
                    "little else, so it is not comparable with other divisions"
                )
    return out


def _assess_series(uid, g, ws, in_range_to, th, notes, uneven=None):
    """One row of the series table. `uneven`: months (Timestamps) in which too few divisions are
    at their usual level for a citywide count to be comparable."""
    g = g.sort_values("ds")
    ds = g["ds"].to_numpy()
    y = g["y"].to_numpy(dtype=float)
    in_range = (
        ds <= np.datetime64(in_range_to) if in_range_to is not None else np.zeros(len(ds), bool)
    )
    typ = typical_level(y[in_range]) if in_range.any() else 0.0
    slack = 3 * np.sqrt(max(typ, 1.0))
    low = (y < th.low * typ) & (typ - y > slack)
    high = (y > th.high * typ) & (y - typ > slack)
    share = ws.reindex(g["ds"]).to_numpy(dtype=float) if ws is not None else np.zeros(len(y))
    window = np.nan_to_num(share) > th.window_share
    usable = in_range & ~low & ~high & ~window
    few = np.zeros(len(y), bool)
    if uneven:
        few = g["ds"].isin(uneven).to_numpy() & in_range & (y > 0)
        usable &= ~few
    problems = []
    nz = np.flatnonzero(y > 0)
    if len(nz):
        inside = np.zeros(len(y), bool)
        inside[nz[0] : nz[-1] + 1] = True
        for a, b in _runs(low & inside):
            if b - a + 1 >= th.near_empty_run:
                problems.append(f"near-empty {_fmt(ds[a])} to {_fmt(ds[b])} ({b - a + 1} months)")
    n_low = int((low & in_range).sum())
    if n_low:
        problems.append(f"{n_low} month(s) under half its typical month of {typ:,.0f}")
    n_high = int((high & in_range).sum())
    if n_high:
        problems.append(f"{n_high} month(s) over {th.high:.0f} times its typical month")
    n_win = int((window & in_range).sum())
    if n_win:
        problems.append(f"{n_win} month(s) made mostly of one report window")
    if few.any():
        problems.append(f"{int(few.sum())} month(s) with too few divisions at their usual level")
    problems += notes
    runs = _runs(usable)
    best = max(runs, key=lambda r: (r[1] - r[0], r[1])) if runs else None
    row = {
        "unique_id": uid,
        "level": level_of(uid),
        "first_month": _fmt(ds[0]) if len(ds) else "",
        "last_month": _fmt(ds[-1]) if len(ds) else "",
        "months": int(len(ds)),
        "typical_month": round(typ, 1),
        "low_months": n_low,
        "window_months": n_win,
        "problems": "; ".join(problems),
    }
    if best is None:
        return {**row, "usable_months": 0, "usable_from": "", "usable_to": "",
                "mean_per_month": 0.0, "zero_share": 1.0, "verdict": "fail",
                "reason": "no usable month" if in_range_to is not None
                else "no month is complete yet"}  # fmt: skip
    a, b = best
    run = y[a : b + 1]
    n = b - a + 1
    mean, zeros = float(run.mean()), float((run == 0).mean())
    last = np.flatnonzero(in_range)[-1]
    span = f"{_fmt(ds[a])} to {_fmt(ds[b])}" if b > a else _fmt(ds[a])
    if n < th.min_months:
        reason = f"only {n} usable month{'s' if n != 1 else ''} ({span})"
    elif zeros > th.max_zero_share:
        reason = f"{zeros:.0%} of its usable months have no incident"
    elif mean < th.min_mean:
        reason = f"on average {mean:.1f} incidents a month, under {th.min_mean:.0f}"
    elif last - b > th.max_end_gap:
        reason = f"its usable months end in {_fmt(ds[b])}, {last - b} months before the last month"
    else:
        reason = ""
    return {
        **row,
        "usable_months": n,
        "usable_from": _fmt(ds[a]),
        "usable_to": _fmt(ds[b]),
        "mean_per_month": round(mean, 2),
        "zero_share": round(zeros, 3),
        "verdict": "fail" if reason else "pass",
        "reason": reason or f"{n} usable months ({span}), {mean:,.1f} a month",
    }


def assess(
    panel: pd.DataFrame,
    facts: pd.DataFrame,
    complete_through: pd.Timestamp | str | None,
    th: Thresholds = Thresholds(),
) -> Fitness:
    """The fitness verdict of every series in `panel` (see the module docstring)."""
    panel = panel.assign(ds=_month(panel["ds"]))
    facts = facts.copy()
    if "n" not in facts.columns:
        facts["n"] = 1
    facts["month"] = _month(facts["occurred"])
    ct = pd.Timestamp(complete_through) if complete_through is not None else None
    src = source_table(facts, th)
    windows = set(src.loc[src["narrow_report_window"], "source"])
    share = _window_share(facts, windows).set_index(["unique_id", "ds"])["window_share"]
    dominated = _dominance(facts, src, th)
    rows = []
    for uid, g in panel.groupby("unique_id", sort=True):
        ws = share.xs(uid, level=0) if uid in share.index.get_level_values(0) else None
        area = uid.split("|")[0].removeprefix("area:") if uid.startswith("area:") else None
        notes = [dominated[area]] if area in dominated else []
        rows.append(_assess_series(uid, g, ws, ct, th, notes))
    series = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    months = month_table(panel, facts, share, series, ct, th)
    uneven = set(
        pd.to_datetime(months.loc[months["problems"].str.contains("divisions at"), "month"])
    )
    if uneven:  # a citywide count then adds up whichever divisions the files hold
        redo = {}
        for uid, g in panel[panel["unique_id"].str.match(r"^(city|category:.*)$")].groupby(
            "unique_id"
        ):
            ws = share.xs(uid, level=0) if uid in share.index.get_level_values(0) else None
            redo[uid] = _assess_series(uid, g, ws, ct, th, [], uneven)
        series = pd.DataFrame([redo.get(r["unique_id"], r) for r in rows], columns=SERIES_COLUMNS)
    order = series["level"].map({lv: i for i, lv in enumerate(LEVEL_ORDER)})
    series = series.assign(_o=order).sort_values(["_o", "unique_id"], kind="stable")
    series = series.drop(columns="_o").reset_index(drop=True)
    usable = months[months["in_range"] & (months["window_share"].fillna(0) <= th.window_share)]
    usable = usable[usable["incidents"] > 0]
    through = pd.Timestamp(usable["month"].max()) if len(usable) else None
    fit = Fitness(series, months, src, through)
    fit.sentences = sentences(fit, ct, dominated)
    return fit


def month_table(panel, facts, share, series, ct, th) -> pd.DataFrame:
    """Citywide, per month: count, typical level, the window share, the sources present and how
    many divisions are at their usual level."""
    city = panel[panel["unique_id"] == "city"].sort_values("ds")
    if city.empty:
        return pd.DataFrame(columns=MONTH_COLUMNS)
    in_range = city["ds"] <= ct if ct is not None else pd.Series(False, index=city.index)
    typ = typical_level(city.loc[in_range, "y"]) if in_range.any() else 0.0
    areas = panel[panel["unique_id"].str.match(r"^area:[^|]+$")]
    typ_area = series.set_index("unique_id")["typical_month"]
    expected = [u for u in areas["unique_id"].unique() if typ_area.get(u, 0) >= th.min_mean]
    a = areas[areas["unique_id"].isin(expected)]
    ok = a["y"] >= th.low * a["unique_id"].map(typ_area)
    at_usual = ok.groupby(a["ds"]).sum()
    srcs = facts.groupby("month")["source"].agg(lambda s: ", ".join(sorted(set(s))))
    ws = share.xs("city", level=0) if "city" in share.index.get_level_values(0) else pd.Series()
    rows = []
    for d, y, inr in zip(city["ds"], city["y"], in_range, strict=True):
        w = float(ws.get(d, np.nan))
        cov = y / typ if typ else np.nan
        n_ok = int(at_usual.get(d, 0))
        probs = []
        if y == 0:
            probs.append("no incident")
        elif typ and cov < th.low:
            probs.append(f"{cov:.0%} of the typical month")
        elif typ and cov > th.high:
            probs.append(f"{cov:.1f} times the typical month")
        if w > th.window_share:
            probs.append("mostly one report window: not comparable, not complete")
        if len(expected) >= 3 and y > 0 and n_ok < len(expected) / 2:
            probs.append(f"only {n_ok} of {len(expected)} divisions at their usual level")
        if not inr:
            probs.append("after the last complete month")
        rows.append(
            {
                "month": _fmt(d),
                "incidents": int(y),
                "typical_month": round(typ, 1),
                "coverage": round(cov, 3) if np.isfinite(cov) else np.nan,
                "window_share": round(w, 3) if np.isfinite(w) else np.nan,
                "sources": srcs.get(d, ""),
                "areas_at_usual_level": n_ok,
                "areas_expected": len(expected),
                "in_range": bool(inr),
                "usable": not probs,
                "problems": "; ".join(probs),
            }
        )
    return pd.DataFrame(rows, columns=MONTH_COLUMNS)


def sentences(fit: Fitness, ct, dominated: dict[str, str]) -> list[str]:
    """The verdict in plain sentences: the city first, then how many series of each level fail,
    the report windows, the dominated areas and the last complete month."""
    out = []
    s = fit.series
    if fit.passes("city"):
        out.append(f"Citywide: {fit.reason('city')}; trends and forecasts can be stated.")
    elif (s["unique_id"] == "city").any():
        out.append(
            f"Citywide: {fit.reason('city')}; the data cannot support a citywide trend or "
            "forecast, so none is stated."
        )
    for lv, what in (("area", "divisions"), ("category", "crime types"),
                     ("area_category", "division x crime type series")):  # fmt: skip
        g = s[s["level"] == lv]
        bad = g[g["verdict"] == "fail"]
        if len(g) and len(bad):
            out.append(
                f"{len(bad)} of {len(g)} {what} cannot carry a trend or forecast; none is "
                "stated for them."
            )
            for r in bad.head(3 if lv != "area_category" else 1).itertuples():
                out.append(f"{label(r.unique_id)}: {r.reason}; no trend or forecast is stated.")
    for r in fit.sources[fit.sources["narrow_report_window"]].itertuples():
        out.append(
            f"{r.source} holds only crimes reported {r.reported_from:%Y-%m-%d} to "
            f"{r.reported_to:%Y-%m-%d}: counted by the month they occurred, its rows trace the "
            "reporting delay, not crime, so the months it fills are neither comparable with other "
            "months nor complete."
        )
    for area, text in sorted(dominated.items()):
        out.append(f"{area}: {text}.")
    if fit.complete_through is not None and ct is not None and fit.complete_through < ct:
        out.append(
            f"Counts are complete through {_fmt(fit.complete_through)}: the months after it hold "
            "no incident or only a report window's rows."
        )
    return out
