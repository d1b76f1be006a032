"""Figure specifications: what each EDA figure shows, in plain words, independent of the plotting
library. `figures.py` renders a spec with Plotly (interactive) and `static.py` with Matplotlib
(PNG), so both always show the same data, titles and completeness marks.

Each builder takes the table(s) of `eda.tables` / `eda.trends` / `profiles` it draws and returns a
`Spec`. Titles state the finding ("Incidents per month — down 8% in Jan-Dec 2023 vs 2022"); axis
titles are words; months the store flags (reporting lag, NIBRS break) are shaded and labelled on
every time-series figure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crimecast.eda.spec import (  # noqa: F401  (re-exported: specs.Spec, specs.EMPTY_MESSAGE, ...)
    EMPTY_MESSAGE,
    FALLING,
    FLAG_TEXT,
    FLAT,
    MAX_LINES,
    OKABE_ITO,
    RISING,
    SEQUENTIAL,
    Spec,
    month_flags,
    pct,
    pivot,
    top_groups,
    year_flags,
)
from crimecast.eda.tables import NOT_RECORDED, VICTIM_NOTE


def monthly(table: pd.DataFrame, yoy: pd.DataFrame | None = None) -> Spec:
    title = "Incidents per month"
    r = yoy.iloc[0] if yoy is not None and len(yoy) else None
    if r is not None and pd.notna(r["pct_change"]):
        word = "up" if r["change"] > 0 else "down"
        sig = "" if r["significant"] else " (within normal variation)"
        title += f" — {word} {abs(r['pct_change']):.0f}% in {r['period']}{sig}"
    elif len(table):
        title += f", {table['month'].min():%b %Y} to {table['month'].max():%b %Y}"
    return Spec(
        "monthly",
        "line",
        table,
        "month",
        ["incidents", "moving_avg"],
        title,
        "Month",
        "Incidents per month",
        labels={"incidents": "incidents", "moving_avg": "3-month moving average"},
        dashed=("moving_avg",),
        flags=month_flags(table),
    )


def daily(table: pd.DataFrame) -> Spec:
    peak = ""
    if len(table):
        r = table.loc[table["incidents"].idxmax()]
        peak = f" — busiest day {r['date']:%d %b %Y} ({int(r['incidents']):,})"
    return Spec(
        "daily",
        "line",
        table,
        "date",
        ["incidents", "moving_avg"],
        "Incidents per day" + peak,
        "Date",
        "Incidents per day",
        labels={"incidents": "incidents", "moving_avg": "7-day moving average"},
        dashed=("moving_avg",),
        flags=month_flags(table, "date"),
    )


def weekly(table: pd.DataFrame) -> Spec:
    avg = f" — {table['incidents'].mean():,.0f} a week on average" if len(table) else ""
    return Spec(
        "weekly",
        "line",
        table,
        "week",
        ["incidents", "moving_avg"],
        "Incidents per week" + avg,
        "Week starting",
        "Incidents per week",
        labels={"incidents": "incidents", "moving_avg": "4-week moving average"},
        dashed=("moving_avg",),
        flags=month_flags(table, "week"),
    )


def by_year(table: pd.DataFrame, completeness: pd.DataFrame | None = None) -> Spec:
    flags = year_flags(table["year"], completeness) if len(table) else []
    title = "Incidents per year"
    full = table[~table["year"].isin([int(f[0] + 0.5) for f in flags])] if len(table) else table
    if len(full):
        r = full.loc[full["incidents"].idxmax()]
        title += f" — most in {int(r['year'])} among complete years ({int(r['incidents']):,})"
    return Spec(
        "by_year", "bar", table, "year", ["incidents"], title, "Year", "Incidents", flags=flags
    )


def by_weekday(table: pd.DataFrame) -> Spec:
    title = "Incidents by day of the week"
    if table["incidents"].sum() > 0:
        r = table.loc[table["incidents"].idxmax()]
        title += f" — most on {r['weekday_name']} ({r['share']:.1%})"
    return Spec(
        "by_weekday",
        "bar",
        table,
        "weekday_name",
        ["incidents"],
        title,
        "Day of the week",
        "Incidents",
    )


def by_hour(table: pd.DataFrame) -> Spec:
    t = table[table["hour"].notna()].copy()
    t["other"] = t["incidents"] - t["noon_default"]
    title = "Incidents by hour of the day"
    if t["incidents"].sum() > 0:
        noon = t.loc[t["hour"] == 12, "noon_default"].sum() / max(t["incidents"].sum(), 1)
        title += f" — {noon:.1%} are logged at exactly 12:00, LAPD's default time"
    return Spec(
        "by_hour",
        "bar",
        t,
        "hour",
        ["other", "noon_default"],
        title,
        "Hour of the day",
        "Incidents",
        labels={"other": "time recorded", "noon_default": "time logged as 12:00 (default)"},
        stacked=True,
        colors={"time logged as 12:00 (default)": OKABE_ITO[1]},
    )


def weekday_hour(table: pd.DataFrame, exclude_noon_default: bool = False) -> Spec:
    t = table.copy()
    if exclude_noon_default:
        t["incidents"] = t["incidents"] - t["noon_default"]
    title = "When incidents happen"
    if t["incidents"].sum() > 0:
        r = t.loc[t["incidents"].idxmax()]
        title += f" — busiest: {r['weekday_name']} {int(r['hour']):02d}:00"
    note = (
        "12:00 default-time reports left out"
        if exclude_noon_default
        else "the 12:00 row includes reports logged at LAPD's default time"
    )
    return Spec(
        "weekday_hour" + ("_no_noon" if exclude_noon_default else ""),
        "heatmap",
        t,
        "hour",
        ["weekday_name"],
        title,
        "Hour of the day",
        "Day of the week",
        z="incidents",
        note=note,
    )


# --- trend and season -------------------------------------------------------------------------
def stl_citywide(table: pd.DataFrame, monthly_table: pd.DataFrame | None = None) -> Spec:
    title = "Trend under the monthly counts (STL)"
    if len(table):
        a, b = table["trend"].iloc[0], table["trend"].iloc[-1]
        title += f" — from {a:,.0f} to {b:,.0f} a month"
    flags = month_flags(monthly_table) if monthly_table is not None else []
    return Spec(
        "stl_citywide",
        "line",
        table,
        "month",
        ["observed", "trend"],
        title,
        "Month",
        "Incidents per month",
        labels={"observed": "incidents (complete months)", "trend": "trend (seasonality removed)"},
        dashed=("trend",),
        flags=flags,
        note="flagged months are left out of the decomposition",
    )


def stl_by_area(table: pd.DataFrame, monthly_table: pd.DataFrame | None = None) -> Spec:
    """STL trend lines of the divisions (the largest MAX_LINES), the season taken out."""
    t = table.rename(columns={"observed": "incidents"})
    t, note = top_groups(t, "area_name") if len(t) else (t, "")
    title = "Trend by division (STL, seasonality removed)"
    if len(t):
        ends = t.sort_values("month").groupby("area_name")["trend"].agg(["first", "last"])
        change = (ends["last"] - ends["first"]).sort_values()
        top = change.index[-1]
        title += f" — biggest rise: {top} ({change.iloc[-1]:+,.0f} a month)"
    return Spec(
        "stl_by_area",
        "line",
        t,
        "month",
        ["trend"],
        title,
        "Month",
        "Incidents per month (trend)",
        color="area_name",
        note=note or "complete months",
        legend_title="division",
        flags=month_flags(monthly_table) if monthly_table is not None else [],
    )


def seasonal_profile(table: pd.DataFrame) -> Spec:
    title = "Seasonality: how each month compares with the trend"
    if len(table) and table["pct_vs_trend"].notna().any():
        hi = table.loc[table["pct_vs_trend"].idxmax()]
        lo = table.loc[table["pct_vs_trend"].idxmin()]
        title = (
            f"Seasonality — {hi['month_name']} runs {pct(hi['pct_vs_trend'])}, "
            f"{lo['month_name']} {pct(lo['pct_vs_trend'])} against the trend"
        )
    return Spec(
        "seasonal_profile",
        "bar",
        table,
        "month_name",
        ["pct_vs_trend"],
        title,
        "Month",
        "Incidents per day vs trend (%)",
        lo="lo_pct",
        hi="hi_pct",
        note="bars: mean over years; whiskers: 95% interval",
    )


def trend_tests(table: pd.DataFrame, top: int = 15) -> Spec:
    t = table[table["direction"].isin(["rising", "falling", "flat"])].copy()
    n_up, n_down = (t["direction"] == "rising").sum(), (t["direction"] == "falling").sum()
    t["label"] = t["crime_category"].astype(str)
    if "area_name" in t.columns:
        t["label"] = t["area_name"].astype(str) + " · " + t["label"]
    show = pd.concat([t.head(top), t.tail(top)]).drop_duplicates("label")
    show = show.sort_values("pct_change_per_year")
    title = f"Trend tests — {n_up} rising, {n_down} falling, {len(t) - n_up - n_down} flat"
    return Spec(
        "trend_tests",
        "hbar",
        show,
        "pct_change_per_year",
        ["label"],
        title,
        "Change per year (% of an average month)",
        "",
        color="direction",
        colors={"rising": RISING, "falling": FALLING, "flat": FLAT},
        note="seasonal Mann-Kendall over complete months; rising/falling when FDR q < 0.05",
        legend_title="direction",
    )


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
    return Spec(
        f"yoy_by_{what.replace(' ', '_')}",
        "hbar",
        t,
        "pct_change",
        ["group"],
        title,
        "Change on a year before (%)",
        "",
        color="verdict",
        lo="pct_lo",
        hi="pct_hi",
        colors={"up (significant)": RISING, "down (significant)": FALLING, "no clear change": FLAT},
        note="whiskers: 95% exact interval; small counts give wide intervals",
        legend_title="verdict",
    )


# --- place ----------------------------------------------------------------------------------------
def area_rates(table: pd.DataFrame) -> Spec:
    t = table[table["population"].notna()].sort_values("annual_rate_per_100k")
    title = "Incidents per 100,000 residents a year, by division"
    if len(t) and t["incidents"].sum() > 0:
        r = t.iloc[-1]
        title += f" — highest in {r['area_name']} ({r['annual_rate_per_100k']:,.0f})"
    return Spec(
        "area_rates",
        "hbar",
        t,
        "annual_rate_per_100k",
        ["area_name"],
        title,
        "Incidents per 100,000 residents per year",
        "",
        note="population: ABC7 division estimates (2020), or the table you pass",
    )


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
    return Spec(
        "area_category",
        "heatmap",
        table,
        "crime_category",
        ["area_name"],
        title,
        "Crime type",
        "Division",
        z="rate_per_100k",
    )


# --- crime types ------------------------------------------------------------------------------------
def by_category(table: pd.DataFrame) -> Spec:
    t = table[table["incidents"] > 0].sort_values("share")
    title = "Crime types"
    if len(t):
        r = t.iloc[-1]
        title += f" — {r['crime_category']} is {r['share']:.0%} of incidents"
    return Spec(
        "by_category",
        "hbar",
        t,
        "share",
        ["crime_category"],
        title,
        "Share of incidents",
        "",
        color="crime_class",
        percent=True,
        legend_title="class",
    )


def top_codes(table: pd.DataFrame) -> Spec:
    t = table.iloc[::-1].copy()
    t["label"] = t["crime_desc"].fillna(NOT_RECORDED).str.slice(0, 40)
    title = "Most frequent crime codes"
    if len(table):
        title += f" — {table['crime_desc'].iloc[0]} leads ({table['share'].iloc[0]:.0%})"
    return Spec(
        "top_codes", "hbar", t, "share", ["label"], title, "Share of incidents", "", percent=True
    )


def monthly_by(table: pd.DataFrame, col: str, what: str) -> Spec:
    t, note = top_groups(table, col)
    title = f"{what} per month"
    if len(t):
        first, last = t["month"].min(), t["month"].max()
        title += f", {first:%b %Y} to {last:%b %Y}"
    return Spec(
        f"monthly_by_{col}",
        "line",
        t,
        "month",
        ["incidents"],
        title,
        "Month",
        "Incidents per month",
        color=col,
        flags=month_flags(t),
        note=note,
        legend_title=what.lower(),
    )


# --- victims, premises, weapons --------------------------------------------------------------------
NOT_RECORDED_COLUMN = f"{NOT_RECORDED} (of all)"
SHARE_NOTE = (
    "Victim sex and descent describe the victims named in crime reports, to describe reported "
    "crime; they are never used to predict anything about individuals."
)


def short_label(text: str, width: int = 44) -> str:
    """A category label shortened at a word boundary, with an ellipsis when cut."""
    text = str(text)
    if len(text) <= width:
        return text
    cut = text[: width - 1].rsplit(" ", 1)[0].rstrip(",;(/ -")
    return cut + "\u2026"


def victim_age(table: pd.DataFrame) -> Spec:
    """Heatmap of age bands (share of the reports with an age, bands in age order) by crime type,
    with a last column: the share of all the crime type's reports without a usable age."""
    from crimecast.filters import AGE_BANDS

    missing = table.loc[table["age_band"] == NOT_RECORDED, "incidents"].sum()
    share_missing = missing / table["incidents"].sum() if len(table) else 0
    title = f"Ages of reported victims by crime type — {share_missing:.0%} without an age"
    t = table
    if len(table):
        cats = list(dict.fromkeys(table["crime_category"]))
        bands = [*AGE_BANDS, NOT_RECORDED]
        grid = pd.MultiIndex.from_product([cats, bands], names=["crime_category", "age_band"])
        t = (
            table.set_index(["crime_category", "age_band"])[["incidents"]]
            .reindex(grid, fill_value=0)
            .reset_index()
        )
        total = t.groupby("crime_category")["incidents"].transform("sum")
        rec = t["age_band"] != NOT_RECORDED
        recorded = t["incidents"].where(rec, 0).groupby(t["crime_category"]).transform("sum")
        t["share_of_recorded"] = np.where(
            rec, t["incidents"] / recorded.where(recorded > 0), t["incidents"] / total
        )
        t["age_band"] = t["age_band"].replace({NOT_RECORDED: NOT_RECORDED_COLUMN})
    return Spec(
        "victim_age",
        "heatmap",
        t,
        "age_band",
        ["crime_category"],
        title,
        "Victim age",
        "Crime type",
        z="share_of_recorded",
        percent=True,
        note=VICTIM_NOTE + " Age bands: share of the reports with an age; last column: share "
        "of all the crime type's reports.",
    )


def victim_share(table: pd.DataFrame, col: str, what: str) -> Spec:
    title = f"{what} of reported victims by crime type"
    return Spec(
        f"victim_{col.removeprefix('victim_')}",
        "heatmap",
        table,
        col,
        ["crime_category"],
        title,
        what,
        "Crime type",
        z="share",
        percent=True,
        note=SHARE_NOTE,
    )


def top_by_category(table: pd.DataFrame, col: str, what: str) -> Spec:
    t = table.copy()
    t[col] = t[col].astype(str).map(short_label)
    title = f"Most common {what} by crime type"
    return Spec(
        f"top_{what}",
        "heatmap",
        t,
        "crime_category",
        [col],
        title,
        "Crime type",
        what.capitalize(),
        z="share",
        percent=True,
        note=f"share of the crime type's incidents (top {int(t['rank'].max()) if len(t) else 0})",
    )


def weapon_monthly(table: pd.DataFrame) -> Spec:
    title = "Share of incidents with a weapon recorded"
    full = table[table["complete"]] if len(table) else table
    if len(full) and full["incidents"].sum() > 0:
        title += f" — {full['weapon_share'].iloc[-1]:.0%} in {full['month'].iloc[-1]:%b %Y}"
    return Spec(
        "weapon_monthly",
        "line",
        table,
        "month",
        ["weapon_share", "firearm_share"],
        title,
        "Month",
        "Share of incidents",
        labels={"weapon_share": "any weapon", "firearm_share": "firearm"},
        percent=True,
        flags=month_flags(table),
    )


# --- status and delay ------------------------------------------------------------------------------
def arrests_over_time(table: pd.DataFrame, col: str, what: str, completeness=None) -> Spec:
    t, note = top_groups(table, col)
    title = f"Arrest share by {what} over time"
    if len(t):
        last = t[t["year"] == t["year"].max()]
        r = last.loc[last["arrest_share"].idxmax()]
        title += f" — highest in {int(r['year'])}: {r[col]} ({r['arrest_share']:.0%})"
    return Spec(
        f"arrests_by_{what.replace(' ', '_')}",
        "line",
        t,
        "year",
        ["arrest_share"],
        title,
        "Year",
        "Share of incidents with an arrest",
        color=col,
        percent=True,
        flags=year_flags(t["year"], completeness) if len(t) else [],
        note=note,
        legend_title=what,
    )


def arrest_summary(table: pd.DataFrame, col: str, what: str) -> Spec:
    t = table.sort_values("arrest_share")
    title = f"Arrest share by {what}"
    if len(t):
        title += f" — from {t['arrest_share'].min():.0%} to {t['arrest_share'].max():.0%}"
    return Spec(
        f"arrest_share_by_{what.replace(' ', '_')}",
        "hbar",
        t,
        "arrest_share",
        [col],
        title,
        "Share of incidents with an arrest",
        "",
        percent=True,
    )


def delay_distribution(table: pd.DataFrame, summary: pd.DataFrame | None = None) -> Spec:
    title = "How long until a crime is reported"
    if summary is not None and len(summary):
        r = summary.sort_values("share_after_30_days").iloc[-1]
        if r["share_after_30_days"] >= 0.005:
            title += f" — {r['crime_category']}: {r['share_after_30_days']:.0%} after 30 days"
        else:
            title += " — nearly all within 30 days"
    return Spec(
        "reporting_delay",
        "hbar",
        table,
        "share",
        ["crime_category"],
        title,
        "Share of the crime type's reports",
        "",
        color="delay",
        stacked=True,
        percent=True,
        legend_title="reported after",
    )


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
        if not meaning:
            return pc
        head, _, rest = meaning.partition(" ")  # "more ..." / "less ..."
        parts = [x.strip() for x in rest.split(",") if x.strip()] if rest else []
        if len(parts) > 2:
            meaning = f"{head} {', '.join(parts[:2])}, …"
        return f"{pc}: {short_label(meaning, 80)}"

    return Spec(
        f"profile_{what.replace(' ', '_')}",
        "scatter",
        t,
        "PC1",
        ["PC2"],
        title,
        axis("PC1"),
        axis("PC2"),
        color="cluster",
        text="name" if len(t) <= 40 else None,
        note="one-hot shares of crime type, premise, weapon, time and victim age; PCA; k-means",
        legend_title="group",
    )


def profile_variance(explained: pd.DataFrame, what: str) -> Spec:
    title = f"How much of the difference between {what} each component explains"
    if len(explained):
        title += f" — the first two: {explained['cumulative'].iloc[min(1, len(explained) - 1)]:.0%}"
    return Spec(
        f"profile_{what.replace(' ', '_')}_variance",
        "bar",
        explained,
        "component",
        ["explained_variance_ratio"],
        title,
        "Principal component",
        "Share of variance explained",
        percent=True,
    )


# The figure builders, by name; `eda.figures.<name>(...)` and `eda.static.<name>(..., path)`
# render each of them.
BUILDERS: tuple[str, ...] = (
    "monthly", "daily", "weekly", "by_year", "by_weekday", "by_hour", "weekday_hour",
    "stl_citywide", "stl_by_area", "seasonal_profile", "trend_tests", "yoy", "area_rates",
    "top_districts", "area_category", "by_category", "top_codes", "monthly_by", "victim_age",
    "victim_share", "top_by_category", "weapon_monthly", "arrests_over_time", "arrest_summary",
    "delay_distribution", "profile_map", "profile_variance",
)  # fmt: skip
