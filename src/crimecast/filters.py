"""The selection a user makes (dates, areas, crime categories, ...), validated once.

One `Filters` value serves every layer: `to_sql()` gives a parameterised WHERE clause for the store
(values never reach SQL as text), and `apply()` gives the same selection on a frame of incidents.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, fields

import pandas as pd

from crimecast import schema
from crimecast.errors import ConfigError

AGE_BANDS: dict[str, tuple[int, int]] = {
    "0-17": (0, 17),
    "18-24": (18, 24),
    "25-34": (25, 34),
    "35-44": (35, 44),
    "45-54": (45, 54),
    "55-64": (55, 64),
    "65+": (65, 200),
}


def _date(value, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        text = str(value)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):  # exactly a date, nothing after it
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError(
            f"{name}: {value!r} is not a date", hint="write dates as YYYY-MM-DD"
        ) from exc


def parse_areas(values) -> tuple[int, ...]:
    """Area numbers from numbers or names in any spelling; unknown ones are an error."""
    out = []
    for v in values or ():
        text = str(v).strip()
        if not text:
            continue
        if text.isascii() and text.isdigit() and int(text) in schema.AREAS:
            out.append(int(text))
            continue
        aid = schema.area_id_for_name(text)
        if aid is None:
            raise ConfigError(
                f"unknown area {text!r}",
                hint="use an LAPD area number 1-21 or a name such as "
                + ", ".join(list(schema.AREAS.values())[:4]),
            )
        out.append(aid)
    return tuple(sorted(set(out)))


def _choices(values, allowed, name: str) -> tuple[str, ...]:
    out = []
    lookup = {a.lower(): a for a in allowed}
    for v in values or ():
        key = str(v).strip().lower()
        if not key:
            continue
        if key not in lookup:
            raise ConfigError(
                f"unknown {name} {v!r}", hint=f"choose from: {', '.join(sorted(allowed))}"
            )
        out.append(lookup[key])
    return tuple(sorted(set(out)))


@dataclass(frozen=True)
class Filters:
    date_from: dt.date | None = None
    date_to: dt.date | None = None  # inclusive
    areas: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    classes: tuple[str, ...] = ()
    crime_codes: tuple[int, ...] = ()
    victim_sex: tuple[str, ...] = ()
    victim_descent: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    premises: tuple[str, ...] = ()
    weapons: tuple[str, ...] = ()
    include_simulated: bool = field(default=True)

    @classmethod
    def build(
        cls,
        date_from=None,
        date_to=None,
        areas=(),
        categories=(),
        classes=(),
        crime_codes=(),
        victim_sex=(),
        victim_descent=(),
        age_bands=(),
        premises=(),
        weapons=(),
    ) -> Filters:
        """Validate user input (strings from the CLI, the dashboard or the API)."""
        f, t = _date(date_from, "date from"), _date(date_to, "date to")
        if f and t and f > t:
            raise ConfigError(f"date from {f} is after date to {t}", hint="swap the two dates")
        codes = []
        for c in crime_codes or ():
            try:
                codes.append(int(c))
            except (TypeError, ValueError) as exc:
                raise ConfigError(f"crime code {c!r} is not a number") from exc
        return cls(
            date_from=f,
            date_to=t,
            areas=parse_areas(areas),
            categories=_choices(categories, schema.CATEGORIES, "crime category"),
            classes=_choices(classes, set(schema.CATEGORY_CLASS.values()), "crime class"),
            crime_codes=tuple(sorted(set(codes))),
            victim_sex=_choices(victim_sex, {"Male", "Female", "Unknown"}, "victim sex"),
            victim_descent=_choices(victim_descent, set(schema.DESCENT.values()), "victim descent"),
            age_bands=_choices(age_bands, set(AGE_BANDS), "age band"),
            premises=tuple(str(p).strip() for p in premises or () if str(p).strip()),
            weapons=tuple(str(w).strip() for w in weapons or () if str(w).strip()),
        )

    def is_empty(self) -> bool:
        return all(
            getattr(self, f.name) in (None, ())
            for f in fields(self)
            if f.name != "include_simulated"
        )

    def to_sql(self) -> tuple[str, list]:
        """(WHERE clause without the keyword, parameters); '1=1' when nothing is selected."""
        clauses, params = ["1=1"], []

        def isin(col: str, values) -> None:
            if values:
                clauses.append(f"{col} IN ({', '.join('?' for _ in values)})")
                params.extend(values)

        if self.date_from:
            clauses.append("occurred_date >= ?")
            params.append(self.date_from)
        if self.date_to:
            clauses.append("occurred_date <= ?")
            params.append(self.date_to)
        isin("area_id", self.areas)
        isin("crime_category", self.categories)
        isin("crime_class", self.classes)
        isin("crime_code", self.crime_codes)
        isin("victim_sex", self.victim_sex)
        isin("victim_descent", self.victim_descent)
        isin("premise_desc", self.premises)
        isin("weapon_desc", self.weapons)
        if self.age_bands:
            ors = []
            for band in self.age_bands:
                lo, hi = AGE_BANDS[band]
                ors.append("victim_age BETWEEN ? AND ?")
                params.extend([lo, hi])
            clauses.append("(" + " OR ".join(ors) + ")")
        if not self.include_simulated:
            clauses.append("NOT simulated")
        return " AND ".join(clauses), params

    def apply(self, df: pd.DataFrame) -> pd.DataFrame:
        """The same selection on a frame of canonical incidents."""
        keep = pd.Series(True, index=df.index)
        dates = pd.to_datetime(df["occurred_date"]) if len(df) else df.get("occurred_date")
        if self.date_from:
            keep &= dates >= pd.Timestamp(self.date_from)
        if self.date_to:
            keep &= dates <= pd.Timestamp(self.date_to)
        for col, values in (
            ("area_id", self.areas),
            ("crime_category", self.categories),
            ("crime_class", self.classes),
            ("crime_code", self.crime_codes),
            ("victim_sex", self.victim_sex),
            ("victim_descent", self.victim_descent),
            ("premise_desc", self.premises),
            ("weapon_desc", self.weapons),
        ):
            if values:
                keep &= df[col].isin(values)
        if self.age_bands:
            band_ok = pd.Series(False, index=df.index)
            for band in self.age_bands:
                lo, hi = AGE_BANDS[band]
                band_ok |= df["victim_age"].between(lo, hi)
            keep &= band_ok
        if not self.include_simulated:
            keep &= ~df["simulated"].astype(bool)
        return df[keep]
