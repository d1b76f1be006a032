"""Exploratory analysis: what is happening, where, when and to whom (layer 5: frames in, frames and
figures out; nothing here opens the store).

    tables.py   descriptive tables (DuckDB over the incidents frame)
    trends.py   STL, seasonal profile, Mann-Kendall trend tests, year-over-year tests
    specs.py    what each figure shows (titles that state the finding, completeness marks)
    figures.py  Plotly rendering;  static.py  Matplotlib PNG rendering

`build(incidents, completeness)` runs all of it and is what `crimecast eda` and the report call:

    result = eda.build(store.incidents(filters, columns=eda.COLUMNS), store.completeness())
    result.tables["monthly"]; result.figure("monthly"); result.specs
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from crimecast import profiles as _profiles
from crimecast.eda import specs, tables, trends
from crimecast.eda.tables import VICTIM_NOTE

COLUMNS: tuple[str, ...] = tuple(dict.fromkeys(tables.COLUMNS + _profiles.COLUMNS))


@dataclass
class Result:
    tables: dict[str, pd.DataFrame]
    specs: list[specs.Spec]
    messages: list[str] = field(default_factory=list)
    incidents: int = 0

    def spec(self, name: str) -> specs.Spec:
        for s in self.specs:
            if s.name == name:
                return s
        raise KeyError(f"no figure named {name!r}; figures: {[s.name for s in self.specs]}")

    def figure(self, name: str):
        """The Plotly figure `name` (see `.specs` for the names)."""
        from crimecast.eda import figures

        return figures.render(self.spec(name))


def figure_specs(
    t: dict[str, pd.DataFrame],
    completeness: pd.DataFrame | None = None,
) -> list[specs.Spec]:
    """Every figure, as specs, from the tables of `build` (profile figures when present)."""
    out = [
        specs.monthly(t["monthly"], t.get("yoy_citywide")),
        specs.weekly(t["weekly"]),
        specs.daily(t["daily"]),
        specs.by_year(t["by_year"], completeness),
        specs.by_weekday(t["by_weekday"]),
        specs.by_hour(t["by_hour"]),
        specs.weekday_hour(t["weekday_hour"]),  # the 12:00 default-time artefact shown
        specs.weekday_hour(t["weekday_hour"], exclude_noon_default=True),  # and left out
        specs.stl_citywide(t["stl_citywide"], t["monthly"]),
        specs.stl_by_area(t["stl_by_area"], t["monthly"]),
        specs.seasonal_profile(t["seasonal_profile"]),
        specs.trend_tests(t["trend_tests"]),
        specs.yoy(t["yoy_by_area"], "division"),
        specs.yoy(t["yoy_by_category"], "crime type"),
        specs.area_rates(t["by_area"]),
        specs.top_districts(t["by_district"]),
        specs.area_category(t["area_category"]),
        specs.by_category(t["by_category"]),
        specs.top_codes(t["top_codes"]),
        specs.monthly_by(t["monthly_by_class"], "crime_class", "Violent, property and other crime"),
        specs.monthly_by(t["monthly_by_category"], "crime_category", "Crime types"),
        specs.monthly_by(t["monthly_by_area"], "area_name", "Divisions"),
        specs.victim_age(t["victim_age"]),
        specs.victim_share(t["victim_sex"], "victim_sex", "Sex"),
        specs.victim_share(t["victim_descent"], "victim_descent", "Descent"),
        specs.top_by_category(t["top_premises"], "premise_desc", "premises"),
        specs.top_by_category(t["top_weapons"], "weapon_desc", "weapons"),
        specs.weapon_monthly(t["weapon_monthly"]),
        specs.arrests_over_time(
            t["arrests_by_category"], "crime_category", "crime type", completeness
        ),  # fmt: skip
        specs.arrest_summary(t["arrest_summary_by_area"], "area_name", "division"),
        specs.delay_distribution(t["delay_distribution"], t["reporting_delay"]),
    ]
    for prefix, what in (
        ("profile_area", "divisions"),
        ("profile_district", "reporting districts"),
    ):
        if f"{prefix}_scores" in t:
            out.append(specs.profile_map(t[f"{prefix}_scores"], t[f"{prefix}_components"], what))
            out.append(specs.profile_variance(t[f"{prefix}_explained_variance"], what))
    return out


def build(
    incidents: pd.DataFrame,
    completeness: pd.DataFrame | None = None,
    population: dict[int, int] | None = None,
    with_profiles: bool = True,
    seed: int = 42,
) -> Result:
    """All tables (descriptive, trend, profiles) and figure specs for a frame of incidents."""
    db = tables.prepare(incidents)
    t = tables.all_tables(db, completeness, population)
    t.update(trends.all_trends(t))
    messages = []
    if db.n == 0:
        messages.append("no incidents match this selection: every table is empty")
    elif with_profiles:
        t.update(_profiles.build(incidents, seed=seed))
    if db.n and t["stl_citywide"].empty:
        messages.append("fewer than 24 complete months: no STL decomposition or seasonal profile")
    if db.n and t["yoy_citywide"].empty:
        messages.append("no complete month with a year before it: no year-over-year comparison")
    if completeness is not None and len(completeness) and (~completeness["complete"]).any():
        bad = completeness[~completeness["complete"].astype(bool)]
        reasons = sorted({r.strip() for rs in bad["reason"].astype(str) for r in rs.split(";")})
        months = "1 month" if len(bad) == 1 else f"{len(bad)} months"
        messages.append(
            f"{months} flagged ({'; '.join(r for r in reasons if r)}); they are "
            "shaded on every time-series figure and left out of trend tests"
        )
    t["notes"] = pd.DataFrame({"note": [VICTIM_NOTE, *messages]})
    figs = figure_specs(t, completeness)
    for spec in figs:
        spec.no_data = db.n == 0
    return Result(t, figs, messages, db.n)


__all__ = ["COLUMNS", "Result", "build", "figure_specs", "specs", "tables", "trends"]
