"""The parts of the report's hotspot section beyond the Gi* and rate maps: the next period's
hotspot forecast per crime type with its backtest score, the near-repeat (Knox) test in a table,
heatmaps and words, and the change map. Each returns tables, figures and bullets for
`analyses.step_hotspots`; sensitive offenses are listed with their score but never mapped."""

from __future__ import annotations

import pandas as pd

from crimecast.report.steps import Context, figure

MAX_KNOX_HEATMAPS = 4


def category_view(table: pd.DataFrame) -> pd.DataFrame:
    """The per-category forecast table as the report shows it (no cell lists)."""
    return pd.DataFrame(
        {
            "crime type": table["category"],
            "incidents": table["incidents"],
            "period": table["period"],
            "method": table["method"].str.replace("_", " "),
            "PAI at 1%": table["pai_1pct"].map("{:.2f}".format),
            "x long-term": table["pai_vs_long_term"].map("{:.2f}x".format),
            "hit rate at 1%": (100 * table["hit_rate_1pct"]).round(1).astype(str) + "%",
            "periods backtested": table["backtest_periods"],
            "cells flagged": table["cells_flagged"].where(table["mapped"], 0),
            "mapped": table["mapped"].map({True: "yes", False: "no: sensitive, divisions only"}),
        }
    )


def knox_view(knox: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The distance x time bands above chance, per crime type, closest first."""
    sig = knox[(knox["p"] <= alpha) & (knox["ratio"] > 1)]
    sig = sig.sort_values(["category", "d_hi", "t_hi"])
    return pd.DataFrame(
        {
            "crime type": sig["category"],
            "distance apart": sig["distance_band"],
            "days apart": sig["time_band"],
            "pairs observed": sig["observed"].astype(int),
            "pairs by chance": sig["expected"].round(1),
            "observed / chance": sig["ratio"].round(2),
            "p": sig["p"].round(3),
        }
    )


def change_view(change: pd.DataFrame, cells: pd.DataFrame, rows: int = 10) -> pd.DataFrame:
    """The cells that rose or fell most beyond the city's trend, with their counts."""
    moved = change[change["direction"] != "steady"].merge(cells[["h3", "lat", "lon"]], on="h3")
    moved = moved.assign(delta=moved["n_after"] - moved["n_before"])
    moved = moved.reindex(moved["delta"].abs().sort_values(ascending=False).index).head(rows)
    return pd.DataFrame(
        {
            "h3": moved["h3"],
            "lat": moved["lat"],
            "lon": moved["lon"],
            "incidents before": moved["n_before"].astype(int),
            "incidents after": moved["n_after"].astype(int),
            "direction": moved["direction"],
            "p (FDR)": moved["p_fdr"].round(4),
        }
    )


def extras(ctx: Context, res, maps, near_repeat) -> dict:
    """{tables, figures, bullets} for the per-category forecasts, near repeats and change."""
    tables: dict[str, pd.DataFrame] = {}
    figs: list[dict] = []
    bullets: list[list] = []
    div = res.divisions
    cat = res.category_forecasts
    if cat is not None and len(cat):
        ctx.table("hotspot_by_category_cells", cat)  # with the flagged cells, for the dashboard
        tables["hotspot_by_category"] = category_view(cat)
        if cat["mapped"].any():
            png = ctx.png("map_hotspot_by_category", maps.category_panels(cat, div))
            figs.append(
                figure(
                    f"Hotspot forecasts for {cat['period'].iat[0]} by crime type",
                    "Each crime type's top 1% of the area by the method its own rolling "
                    "backtest scored best; beside it that method's mean PAI at 1% and the "
                    "multiple of the long-term map's. Sensitive offenses are not mapped.",
                    png=png,
                    fid="hotspot_by_category",
                )
            )
    knox = res.near_repeat
    if knox is not None and len(knox):
        bullets += [[f"Near repeats: {w}."] for w in res.near_repeat_words]
        tables["near_repeat"] = knox_view(knox)
        top = knox.groupby("category")["incidents"].first().sort_values(ascending=False)
        for c in top.index[:MAX_KNOX_HEATMAPS]:
            fig = near_repeat.heatmap(knox, c)
            fig.update_layout(height=380, margin={"l": 90, "r": 20, "t": 50, "b": 50})
            figs.append(
                figure(
                    fig.layout.title.text,
                    "Pairs of incidents this close in space and time, over the pairs expected "
                    "if their dates were shuffled among their places (Knox test, Monte Carlo "
                    "p); above 1 means a near-repeat pattern.",
                    plotly=fig,
                    fid=f"knox_{c.replace(' ', '_').replace('/', '_')}",
                )
            )
    if res.change is not None and len(res.change):
        span = res.change_periods
        layers = maps.change_layers(res.change)
        title = maps.change_title(span)
        if layers:  # an empty map says nothing: the bullet below says no cell moved
            png = ctx.png("map_hotspot_change", maps.static_map(layers, title, div, "counts"))
            figs.append(
                figure(
                    title,
                    f"Cells whose incidents moved more than the city's "
                    f"({span['incidents_before']:,} before, {span['incidents_after']:,} after): "
                    "a binomial test of each cell's share, false-discovery corrected.",
                    png=png,
                    fid="hotspot_change",
                )
            )
            tables["hotspot_change"] = change_view(res.change, res.cells)
        bullets.append(
            [
                f"Comparing {span['after']} with {span['before']}: {span['rose']:,} cells rose "
                f"and {span['fell']:,} fell beyond the city's trend."
            ]
        )
    return {"tables": tables, "figures": figs, "bullets": bullets}
