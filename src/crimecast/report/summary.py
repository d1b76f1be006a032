"""The executive summary in plain words, built from the steps' results.

Every number in it is a `Figure` with a key: the template renders it as
`<span class="num" data-key="KEY" data-value="RAW">text</span>` and the same key/value pairs are
written to `tables/summary_figures.csv`, so the words and the tables can be checked against each
other.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class Num:
    key: str
    value: float | int | str
    text: str
    label: str


class Summary:
    """Bullets (lists of text and Num segments) and the figures they quote."""

    def __init__(self) -> None:
        self.bullets: list[list] = []
        self.figures: list[Num] = []

    def num(self, key: str, value, label: str, fmt: str = "{:,.0f}") -> Num:
        n = Num(key, value, fmt.format(value) if not isinstance(value, str) else value, label)
        self.figures.append(n)
        return n

    def add(self, *segments) -> None:
        self.bullets.append(list(segments))

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(f.key, f.value, f.label) for f in self.figures], columns=["key", "value", "label"]
        )


def _pct(x: float) -> str:
    return f"{x:+.1%}"


def data_bullet(s: Summary, info: dict) -> None:
    n = info["incidents"]
    q = info["quarantined"]
    s.add(
        "The data hold ",
        s.num("incidents", n, "incidents stored"),
        " reported incidents that occurred from ",
        s.num("date_min", info["date_min"], "first occurred date"),
        " to ",
        s.num("date_max", info["date_max"], "last occurred date"),
        "; ",
        s.num("quarantined", q, "rows quarantined"),
        " rows could not be trusted and were set aside (quarantined). Counts are complete through ",
        s.num("complete_through", info["complete_through"] or "no month", "complete through"),
        ".",
    )
    if info["simulated"]:
        s.add(
            "These are SIMULATED incidents (",
            s.num("simulated", info["simulated"], "simulated incidents"),
            "), made up to show how crimecast works. Nothing here describes real crime in "
            "Los Angeles.",
        )


def trend_bullet(s: Summary, completeness: pd.DataFrame) -> None:
    """The last 12 complete months against the 12 before them, citywide."""
    c = completeness.copy()
    c["month"] = pd.to_datetime(c["month"])
    ok = c[c["complete"].astype(bool)].sort_values("month")
    if len(ok) < 24:
        s.add("There are fewer than 24 complete months, too few to compare two years.")
        return
    last, prev = ok.tail(12), ok.iloc[-24:-12]
    a, b = int(last["incidents"].sum()), int(prev["incidents"].sum())
    change = (a - b) / b if b else float("nan")
    word = "rose" if change > 0.02 else "fell" if change < -0.02 else "held about level"
    s.add(
        f"Citywide, reported crime {word}: ",
        s.num("last12_incidents", a, "incidents in the last 12 complete months"),
        " incidents in the 12 complete months to ",
        s.num("last12_end", last["month"].max().strftime("%Y-%m"), "end of the last 12 months"),
        " against ",
        s.num("prev12_incidents", b, "incidents in the 12 months before"),
        " in the 12 months before (",
        s.num("last12_change", round(change, 4), "change, last 12 vs previous 12", "{:+.1%}"),
        ").",
    )


def executive_summary(info: dict, completeness: pd.DataFrame, results: dict) -> Summary:
    s = Summary()
    data_bullet(s, info)
    trend_bullet(s, completeness)
    for step in ("forecast", "hotspots", "eda"):
        res = results.get(step, {})
        for bullet in res.get("summary", {}).get("bullets", []):
            s.add(*[s.num(**seg) if isinstance(seg, dict) else seg for seg in bullet])
        if res.get("status") == "not available":
            s.add(res["note"] + ".")
    return s
