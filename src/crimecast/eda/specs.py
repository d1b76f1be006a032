"""Figure specifications: what each EDA figure shows, in plain words, independent of the plotting
library. `figures.py` renders a spec with Plotly (interactive) and `static.py` with Matplotlib
(PNG), so both always show the same data, titles and completeness marks.

Each builder takes the table(s) of `eda.tables` / `eda.trends` / `profiles` it draws and returns a
`Spec`. Titles state the finding ("Incidents per month — down 8% in Jan-Dec 2023 vs 2022"); axis
titles are words; months the store flags (reporting lag, NIBRS break) are shaded and labelled on
every time-series figure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from crimecast.eda.tables import NOT_RECORDED, VICTIM_NOTE

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


def _pct(v: float) -> str:
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
def monthly(table: pd.DataFrame, yoy: pd.DataFrame | None = None) -> Spec:
    title = "Incidents per month"
    r = yoy.iloc[0] if yoy is not None and len(yoy) else None
    if r is not None and pd.notna(r["pct_change"]):
        word = "up" if r["change"] > 0 else "down"
        sig = "" if r["significant"] else " (within normal variation)"
        title += f" — {word} {abs(r['pct_change']):.0f}% in {r['period']}{sig}"
    elif len(table):
        title += f", {table['month'].min():%b %Y} to {table['month'].max():%b %Y}"
    return Spec("monthly", "line", table, "month", ["incidents", "moving_avg"], title, "Month",
                "Incidents per month", labels={"incidents": "incidents",
                "moving_avg": "3-month moving average"}, dashed=("moving_avg",),
                flags=month_flags(table))  # fmt: skip


def daily(table: pd.DataFrame) -> Spec:
    peak = ""
    if len(table):
        r = table.loc[table["incidents"].idxmax()]
        peak = f" — busiest day {r['date']:%d %b %Y} ({int(r['incidents']):,})"
    return Spec("daily", "line", table, "date", ["incidents", "moving_avg"],
                "Incidents per day" + peak, "Date", "Incidents per day",
                labels={"incidents": "incidents", "moving_avg": "7-day moving average"},
                dashed=("moving_avg",), flags=month_flags(table, "date"))  # fmt: skip


def weekly(table: pd.DataFrame) -> Spec:
    avg = f" — {table['incidents'].mean():,.0f} a week on average" if len(table) else ""
    return Spec("weekly", "line", table, "week", ["incidents", "moving_avg"],
                "Incidents per week" + avg, "Week starting", "Incidents per week",
                labels={"incidents": "incidents", "moving_avg": "4-week moving average"},
                dashed=("moving_avg",), flags=month_flags(table, "week"))  # fmt: skip


def by_year(table: pd.DataFrame, completeness: pd.DataFrame | None = None) -> Spec:
    flags = year_flags(table["year"], completeness) if len(table) else []
    title = "Incidents per year"
    full = table[~table["year"].isin([int(f[0] + 0.5) for f in flags])] if len(table) else table
    if len(full):
        r = full.loc[full["incidents"].idxmax()]
        title += f" — most in {int(r['year'])} among complete years ({int(r['incidents']):,})"
    return Spec("by_year", "bar", table, "year", ["incidents"], title, "Year", "Incidents",
                flags=flags)  # fmt: skip


def by_weekday(table: pd.DataFrame) -> Spec:
    title = "Incidents by day of the week"
    if table["incidents"].sum() > 0:
        r = table.loc[table["incidents"].idxmax()]
        title += f" — most on {r['weekday_name']} ({r['share']:.1%})"
    return Spec("by_weekday", "bar", table, "weekday_name", ["incidents"], title,
                "Day of the week", "Incidents")  # fmt: skip


def by_hour(table: pd.DataFrame) -> Spec:
    t = table[table["hour"].notna()].copy()
    t["other"] = t["incidents"] - t["noon_default"]
    title = "Incidents by hour of the day"
    if t["incidents"].sum() > 0:
        noon = t.loc[t["hour"] == 12, "noon_default"].sum() / max(t["incidents"].sum(), 1)
        title += f" — {noon:.1%} are logged at exactly 12:00, LAPD's default time"
    return Spec("by_hour", "bar", t, "hour", ["other", "noon_default"], title, "Hour of the day",
                "Incidents", labels={"other": "time recorded",
                "noon_default": "time logged as 12:00 (default)"}, stacked=True,
                colors={"time logged as 12:00 (default)": OKABE_ITO[1]})  # fmt: skip


def weekday_hour(table: pd.DataFrame, exclude_noon_default: bool = False) -> Spec:
    t = table.copy()
    if exclude_noon_default:
        t["incidents"] = t["incidents"] - t["noon_default"]
    title = "When incidents happen"
    if t["incidents"].sum() > 0:
        r = t.loc[t["incidents"].idxmax()]
        title += f" — busiest: {r['weekday_name']} {int(r['hour']):02d}:00"
    note = ("12:00 default-time reports left out" if exclude_noon_default else
            "the 12:00 row includes reports logged at LAPD's default time")  # fmt: skip
    return Spec("weekday_hour" + ("_no_noon" if exclude_noon_default else ""), "heatmap", t,
                "hour", ["weekday_name"], title, "Hour of the day", "Day of the week",
                z="incidents", note=note)  # fmt: skip


# --- trend and season -------------------------------------------------------------------------
def stl_citywide(table: pd.DataFrame, monthly_table: pd.DataFrame | None = None) -> Spec:
    title = "Trend under the monthly counts (STL)"
    if len(table):
        a, b = table["trend"].iloc[0], table["trend"].iloc[-1]
        title += f" — from {a:,.0f} to {b:,.0f} a month"
    flags = month_flags(monthly_table) if monthly_table is not None else []
    return Spec("stl_citywide", "line", table, "month", ["observed", "trend"], title, "Month",
                "Incidents per month", labels={"observed": "incidents (complete months)",
                "trend": "trend (seasonality removed)"}, dashed=("trend",), flags=flags,
                note="flagged months are left out of the decomposition")  # fmt: skip


def stl_by_area(table: pd.DataFrame, monthly_table: pd.DataFrame | None = None) -> Spec:
    """STL trend lines of the divisions (the largest MAX_LINES), the season taken out."""
    t = table.rename(columns={"observed": "incidents"})
    t, note = _top_groups(t, "area_name") if len(t) else (t, "")
    title = "Trend by division (STL, seasonality removed)"
    if len(t):
        ends = t.sort_values("month").groupby("area_name")["trend"].agg(["first", "last"])
        change = (ends["last"] - ends["first"]).sort_values()
        top = change.index[-1]
        title += f" — biggest rise: {top} ({change.iloc[-1]:+,.0f} a month)"
    return Spec("stl_by_area", "line", t, "month", ["trend"], title, "Month",
                "Incidents per month (trend)", color="area_name", note=note or "complete months",
                legend_title="division",
                flags=month_flags(monthly_table) if monthly_table is not None else [])  # fmt: skip


def seasonal_profile(table: pd.DataFrame) -> Spec:
    title = "Seasonality: how each month compares with the trend"
    if len(table) and table["pct_vs_trend"].notna().any():
        hi = table.loc[table["pct_vs_trend"].idxmax()]
        lo = table.loc[table["pct_vs_trend"].idxmin()]
        title = (f"Seasonality — {hi['month_name']} runs {_pct(hi['pct_vs_trend'])}, "
                 f"{lo['month_name']} {_pct(lo['pct_vs_trend'])} against the trend")  # fmt: skip
    return Spec("seasonal_profile", "bar", table, "month_name", ["pct_vs_trend"], title, "Month",
                "Incidents per day vs trend (%)", lo="lo_pct", hi="hi_pct",
                note="bars: mean over years; whiskers: 95% interval")  # fmt: skip


def trend_tests(table: pd.DataFrame, top: int = 15) -> Spec:
    t = table[table["direction"].isin(["rising", "falling", "flat"])].copy()
    n_up, n_down = (t["direction"] == "rising").sum(), (t["direction"] == "falling").sum()
    t["label"] = t["crime_category"].astype(str)
    if "area_name" in t.columns:
        t["label"] = t["area_name"].astype(str) + " · " + t["label"]
    show = pd.concat([t.head(top), t.tail(top)]).drop_duplicates("label")
    show = show.sort_values("pct_change_per_year")
    title = f"Trend tests — {n_up} rising, {n_down} falling, {len(t) - n_up - n_down} flat"
    return Spec("trend_tests", "hbar", show, "pct_change_per_year", ["label"], title,
                "Change per year (% of an average month)", "", color="direction",
                colors={"rising": RISING, "falling": FALLING, "flat": FLAT},
                note="seasonal Mann-Kendall over complete months; rising/falling when FDR q < 0.05",
                legend_title="direction")  # fmt: skip


def yoy(table: pd.DataFrame, what: str) -> Spec:
    t = table.copy()
    if len(t):
        t["pct_lo"] = 100 * (t["ratio_lo"] - 1)
        t["pct_hi"] = 100 * (t["ratio_hi"].replace(np.inf, np.nan) - 1)
        t["verdict"] = t["verdict"].astype(str)
        t = t[t["pct_change"].notna()].sort_values("pct_change")
    n_sig = int(t["significant"].sum()) if len(t) else 0
    period = f" ({t['period'].iloc[0]})" if len(t) else ""
    title = f"Year-over-year change by {what}{period} — {n_sig} of {len(t)} significant"
    return Spec(f"yoy_by_{what.replace(' ', '_')}", "hbar", t, "pct_change", ["group"], title,
                "Change on a year before (%)", "", color="verdict", lo="pct_lo", hi="pct_hi",
                colors={"up (significant)": RISING, "down (significant)": FALLING,
                        "no clear change": FLAT},
                note="whiskers: 95% exact interval; small counts give wide intervals",
                legend_title="verdict")  # fmt: skip


# --- place ----------------------------------------------------------------------------------------
def area_rates(table: pd.DataFrame) -> Spec:
    t = table[table["population"].notna()].sort_values("annual_rate_per_100k")
    title = "Incidents per 100,000 residents a year, by division"
    if len(t) and t["incidents"].sum() > 0:
        r = t.iloc[-1]
        title += f" — highest in {r['area_name']} ({r['annual_rate_per_100k']:,.0f})"
    return Spec("area_rates", "hbar", t, "annual_rate_per_100k", ["area_name"], title,
                "Incidents per 100,000 residents per year", "",
                note="population: ABC7 division estimates (2020), or the table you pass")  # fmt: skip


def top_districts(table: pd.DataFrame, n: int = 20) -> Spec:
    t = table[table["rpt_dist"].notna()].head(n).copy()
    t["label"] = [
        "RD " + f"{int(r):04d}" + f" ({a})"
        for r, a in zip(t["rpt_dist"], t["area_name"], strict=True)
    ]
    t = t.iloc[::-1]
    title = f"The {len(t)} busiest reporting districts"
    if len(t):
        title += f" — together {t['share'].sum():.0%} of incidents"
    return Spec("top_districts", "hbar", t, "incidents", ["label"], title, "Incidents", "")


def area_category(table: pd.DataFrame) -> Spec:
    title = "Incidents per 100,000 residents by division and crime type"
    return Spec("area_category", "heatmap", table, "crime_category", ["area_name"], title,
                "Crime type", "Division", z="rate_per_100k")  # fmt: skip


# --- crime types ------------------------------------------------------------------------------------
def by_category(table: pd.DataFrame) -> Spec:
    t = table[table["incidents"] > 0].sort_values("share")
    title = "Crime types"
    if len(t):
        r = t.iloc[-1]
        title += f" — {r['crime_category']} is {r['share']:.0%} of incidents"
    return Spec("by_category", "hbar", t, "share", ["crime_category"], title,
                "Share of incidents", "", color="crime_class", percent=True,
                legend_title="class")  # fmt: skip


def top_codes(table: pd.DataFrame) -> Spec:
    t = table.iloc[::-1].copy()
    t["label"] = t["crime_desc"].fillna(NOT_RECORDED).str.slice(0, 40)
    title = "Most frequent crime codes"
    if len(table):
        title += f" — {table['crime_desc'].iloc[0]} leads ({table['share'].iloc[0]:.0%})"
    return Spec("top_codes", "hbar", t, "share", ["label"], title, "Share of incidents", "",
                percent=True)  # fmt: skip


def _top_groups(table: pd.DataFrame, col: str, n: int = MAX_LINES) -> tuple[pd.DataFrame, str]:
    tot = table.groupby(col)["incidents"].sum().sort_values(ascending=False)
    keep = tot.index[:n]
    note = f"the {n} largest of {len(tot)} shown" if len(tot) > n else ""
    return table[table[col].isin(keep)], note


def monthly_by(table: pd.DataFrame, col: str, what: str) -> Spec:
    t, note = _top_groups(table, col)
    title = f"{what} per month"
    if len(t):
        first, last = t["month"].min(), t["month"].max()
        title += f", {first:%b %Y} to {last:%b %Y}"
    return Spec(f"monthly_by_{col}", "line", t, "month", ["incidents"], title, "Month",
                "Incidents per month", color=col, flags=month_flags(t), note=note,
                legend_title=what.lower())  # fmt: skip


# --- victims, premises, weapons --------------------------------------------------------------------
def victim_age(table: pd.DataFrame) -> Spec:
    t = table[table["age_band"] != NOT_RECORDED]
    missing = table.loc[table["age_band"] == NOT_RECORDED, "incidents"].sum()
    share_missing = missing / table["incidents"].sum() if len(table) else 0
    title = f"Ages of reported victims by crime type — {share_missing:.0%} without an age"
    return Spec("victim_age", "heatmap", t, "age_band", ["crime_category"], title,
                "Victim age", "Crime type", z="share_of_recorded", percent=True,
                note=VICTIM_NOTE)  # fmt: skip


def victim_share(table: pd.DataFrame, col: str, what: str) -> Spec:
    title = f"{what} of reported victims by crime type"
    return Spec(f"victim_{col.removeprefix('victim_')}", "heatmap", table, col, ["crime_category"],
                title, what, "Crime type", z="share", percent=True, note=VICTIM_NOTE)  # fmt: skip


def top_by_category(table: pd.DataFrame, col: str, what: str) -> Spec:
    t = table.copy()
    t[col] = t[col].astype(str).str.slice(0, 32)
    title = f"Most common {what} by crime type"
    return Spec(f"top_{what}", "heatmap", t, "crime_category", [col], title, "Crime type",
                what.capitalize(), z="share", percent=True,
                note=f"share of the crime type's incidents (top {int(t['rank'].max()) if len(t) else 0})")  # fmt: skip


def weapon_monthly(table: pd.DataFrame) -> Spec:
    title = "Share of incidents with a weapon recorded"
    full = table[table["complete"]] if len(table) else table
    if len(full) and full["incidents"].sum() > 0:
        title += f" — {full['weapon_share'].iloc[-1]:.0%} in {full['month'].iloc[-1]:%b %Y}"
    return Spec("weapon_monthly", "line", table, "month", ["weapon_share", "firearm_share"], title,
                "Month", "Share of incidents", labels={"weapon_share": "any weapon",
                "firearm_share": "firearm"}, percent=True, flags=month_flags(table))  # fmt: skip


# --- status and delay ------------------------------------------------------------------------------
def arrests_over_time(table: pd.DataFrame, col: str, what: str, completeness=None) -> Spec:
    t, note = _top_groups(table, col)
    title = f"Arrest share by {what} over time"
    if len(t):
        last = t[t["year"] == t["year"].max()]
        r = last.loc[last["arrest_share"].idxmax()]
        title += f" — highest in {int(r['year'])}: {r[col]} ({r['arrest_share']:.0%})"
    return Spec(f"arrests_by_{what.replace(' ', '_')}", "line", t, "year", ["arrest_share"],
                title, "Year", "Share of incidents with an arrest", color=col, percent=True,
                flags=year_flags(t["year"], completeness) if len(t) else [], note=note,
                legend_title=what)  # fmt: skip


def arrest_summary(table: pd.DataFrame, col: str, what: str) -> Spec:
    t = table.sort_values("arrest_share")
    title = f"Arrest share by {what}"
    if len(t):
        title += f" — from {t['arrest_share'].min():.0%} to {t['arrest_share'].max():.0%}"
    return Spec(f"arrest_share_by_{what.replace(' ', '_')}", "hbar", t, "arrest_share", [col],
                title, "Share of incidents with an arrest", "", percent=True)  # fmt: skip


def delay_distribution(table: pd.DataFrame, summary: pd.DataFrame | None = None) -> Spec:
    title = "How long until a crime is reported"
    if summary is not None and len(summary):
        r = summary.sort_values("share_after_30_days").iloc[-1]
        if r["share_after_30_days"] >= 0.005:
            title += f" — {r['crime_category']}: {r['share_after_30_days']:.0%} after 30 days"
        else:
            title += " — nearly all within 30 days"
    return Spec("reporting_delay", "hbar", table, "share", ["crime_category"], title,
                "Share of the crime type's reports", "", color="delay", stacked=True,
                percent=True, legend_title="reported after")  # fmt: skip


# --- profiles ----------------------------------------------------------------------------------------
def profile_map(scores: pd.DataFrame, components: pd.DataFrame, what: str) -> Spec:
    t = scores.copy()
    if len(t):
        t["cluster"] = "group " + t["cluster"].astype(int).astype(str)
    k = t["cluster"].nunique() if len(t) else 0
    title = f"{what.capitalize()} that look alike — {k} groups by crime mix"
    names = components.set_index("component")["meaning"] if len(components) else {}

    def axis(pc: str) -> str:
        meaning = str(names.get(pc, "")) if len(components) else ""
        return f"{pc}: {meaning[:70]}" if meaning else pc

    return Spec(f"profile_{what.replace(' ', '_')}", "scatter", t, "PC1", ["PC2"], title,
                axis("PC1"), axis("PC2"), color="cluster", text="name" if len(t) <= 40 else None,
                note="one-hot shares of crime type, premise, weapon, time and victim age; PCA; "
                "k-means", legend_title="group")  # fmt: skip


def profile_variance(explained: pd.DataFrame, what: str) -> Spec:
    title = f"How much of the difference between {what} each component explains"
    if len(explained):
        title += f" — the first two: {explained['cumulative'].iloc[min(1, len(explained) - 1)]:.0%}"
    return Spec(f"profile_{what.replace(' ', '_')}_variance", "bar", explained, "component",
                ["explained_variance_ratio"], title, "Principal component",
                "Share of variance explained", percent=True)  # fmt: skip


# The figure builders, by name; `eda.figures.<name>(...)` and `eda.static.<name>(..., path)`
# render each of them.
BUILDERS: tuple[str, ...] = (
    "monthly", "daily", "weekly", "by_year", "by_weekday", "by_hour", "weekday_hour",
    "stl_citywide", "stl_by_area", "seasonal_profile", "trend_tests", "yoy", "area_rates",
    "top_districts", "area_category", "by_category", "top_codes", "monthly_by", "victim_age",
    "victim_share", "top_by_category", "weapon_monthly", "arrests_over_time", "arrest_summary",
    "delay_distribution", "profile_map", "profile_variance",
)  # fmt: skip
