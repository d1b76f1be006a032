"""Emerging hot spots: Gi* in every time slice, a Mann-Kendall trend test, and the pattern
categories analysts know from ArcGIS's Emerging Hot Spot Analysis.

Per slice, a cell is hot (cold) when its Gi* is significant at 90% confidence after the FDR
correction within that slice (see `hotspots`). The trend is a Mann-Kendall test on the cell's
Gi* z-scores over the slices (significant at `alpha`, default 0.10). Rules, with "mostly" meaning
hot in at least 90% of the slices:

- new: hot in the last slice and in no earlier one;
- consecutive: an uninterrupted run of >= 2 hot slices ending with the last, none before the run,
  and not mostly hot;
- intensifying: mostly hot, hot in the last slice, z-scores rising significantly;
- persistent: mostly hot, hot in the last slice, no significant trend;
- diminishing: mostly hot, hot in the last slice, z-scores falling significantly;
- sporadic: hot in the last slice, on and off before, not mostly hot, never cold;
- oscillating: hot in the last slice, cold in some earlier slice, not mostly hot;
- historical: not hot in the last slice but mostly hot;
- no pattern: anything else.

Cold-spot patterns are the mirror image (cold for hot, falling for rising) and are labelled
"... cold spot". With fewer than 10 slices "mostly" means every slice.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from crimecast.errors import ConfigError
from crimecast.spatial import grid, hotspots

PERIODS = {"quarter": "Q", "month": "M"}
HOT_PATTERNS = (
    "new",
    "consecutive",
    "intensifying",
    "persistent",
    "diminishing",
    "sporadic",
    "oscillating",
    "historical",
)


def period_index(dates, period: str = "quarter") -> pd.PeriodIndex:
    if period not in PERIODS:
        raise ConfigError(f"unknown period {period!r}", hint="use quarter or month")
    return pd.PeriodIndex(pd.to_datetime(dates), freq=PERIODS[period])


def slice_counts(
    points: pd.DataFrame,
    cells: list[str],
    period: str = "quarter",
    through: pd.Timestamp | None = None,
) -> tuple[np.ndarray, list[pd.Period]]:
    """Counts per cell (rows, in `cells` order) and period (columns, every period from the first
    to the last, empty ones included) from points with `h3` and `occurred_date`.

    `through`: the last complete month; periods ending after it are left out (their counts are
    still incomplete, so a fall there would be reporting lag, not crime).
    """
    if len(points) == 0:
        return np.zeros((len(cells), 0)), []
    per = period_index(points["occurred_date"], period)
    last = per.max()
    if through is not None:
        cutoff = pd.Period(pd.Timestamp(through), freq="M")
        while last.end_time.to_period("M") > cutoff:
            last -= 1
    periods = list(pd.period_range(per.min(), last, freq=PERIODS[period]))
    if not periods:
        return np.zeros((len(cells), 0)), []
    pos = {c: i for i, c in enumerate(cells)}
    rows = points["h3"].map(pos).to_numpy(dtype=float)
    cols = (per.asi8 - periods[0].ordinal).astype(float)
    keep = ~np.isnan(rows) & (cols >= 0) & (cols < len(periods))
    y = np.zeros((len(cells), len(periods)))
    np.add.at(y, (rows[keep].astype(int), cols[keep].astype(int)), 1.0)
    return y, periods


def trim_sparse_start(
    y: np.ndarray, periods: list, share: float = 0.1
) -> tuple[np.ndarray, list, int]:
    """Drop leading periods holding fewer than `share` of the median period's incidents (a
    sample's stray early records, or the years before a dataset really starts), which would
    otherwise read as long runs of "no hot spot". Returns (y, periods, periods dropped)."""
    totals = y.sum(axis=0)
    if not len(totals) or not (totals > 0).any():
        return y, periods, 0
    floor = share * np.median(totals[totals > 0])
    first = int(np.argmax(totals >= floor))
    return y[:, first:], periods[first:], first


def mann_kendall(x, continuity: bool = True) -> dict[str, np.ndarray]:
    """Mann-Kendall trend test on each row of x (n, T), with the tie correction.

    Returns `s`, `tau` (S over the number of pairs), `z` and `p` (two-sided).
    """
    x = np.atleast_2d(np.asarray(x, dtype=float))
    n, t = x.shape
    s = np.zeros(n)
    for i in range(t - 1):
        s += np.sign(x[:, i + 1 :] - x[:, i : i + 1]).sum(axis=1)
    # ties: sum over groups of equal values of g(g-1)(2g+5)
    srt = np.sort(x, axis=1)
    ties = np.zeros(n)
    run = np.ones(n)
    for j in range(1, t + 1):
        same = (srt[:, j] == srt[:, j - 1]) if j < t else np.zeros(n, dtype=bool)
        ended = ~same
        ties += np.where(ended, run * (run - 1) * (2 * run + 5), 0.0)
        run = np.where(same, run + 1, 1.0)
    var = (t * (t - 1) * (2 * t + 5) - ties) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        num = s - np.sign(s) if continuity else s
        z = np.where(var > 0, num / np.sqrt(var), 0.0)
    pairs = t * (t - 1) / 2
    return {
        "s": s,
        "tau": s / pairs if pairs else np.zeros(n),
        "z": z,
        "p": 2.0 * stats.norm.sf(np.abs(z)),
    }


def _pattern(hot: np.ndarray, cold: np.ndarray, trend: int) -> str:
    """The hot-spot pattern of one cell's boolean series, or '' (see the module doc)."""
    t = len(hot)
    if not hot.any():
        return ""
    mostly = hot.sum() >= 0.9 * t
    if not hot[-1]:
        return "historical" if mostly else ""
    if not hot[:-1].any():
        return "new"
    if mostly:
        return {1: "intensifying", -1: "diminishing"}.get(trend, "persistent")
    run = t - np.flatnonzero(~hot)[-1] - 1  # length of the final uninterrupted hot run
    if run >= 2 and not hot[: t - run].any():
        return "consecutive"
    return "oscillating" if cold[:-1].any() else "sporadic"


def classify_patterns(
    bins: np.ndarray, trend_z: np.ndarray, trend_p: np.ndarray, alpha: float = 0.10
) -> list[str]:
    """Pattern label per cell from its Gi_Bin series (n, T) and its Mann-Kendall trend."""
    out = []
    for b, tz, tp in zip(bins, trend_z, trend_p, strict=True):
        trend = int(np.sign(tz)) if tp <= alpha else 0
        hot_pat = _pattern(b > 0, b < 0, trend)
        if hot_pat:
            out.append(f"{hot_pat} hot spot")
            continue
        cold_pat = _pattern(b < 0, b > 0, -trend)
        out.append(f"{cold_pat} cold spot" if cold_pat else "no pattern")
    return out


def slice_bins(
    y: np.ndarray,
    neighbours: list[np.ndarray],
    permutations: int = 999,
    seed: int = 42,
    confirm_by_permutation: bool = False,
) -> dict[str, np.ndarray]:
    """Gi* for every slice (columns of y), FDR-corrected within each slice, with Gi_Bin
    (classified as in `hotspots.gi_star`)."""
    res = hotspots.gi_star_matrix(y, neighbours, permutations, seed)
    p_fdr = np.column_stack([hotspots.benjamini_hochberg(col) for col in res["p"].T])
    p_sim = res["p_sim"] if (permutations and confirm_by_permutation) else None
    res["p_fdr"] = p_fdr
    res["gi_bin"] = hotspots.classify(res["z"], p_fdr, p_sim)
    return res


def emerging_hotspots(
    y: np.ndarray,
    cells: list[str],
    periods: list,
    permutations: int = 999,
    seed: int = 42,
    alpha: float = 0.10,
    ring: int = 1,
    confirm_by_permutation: bool = False,
) -> pd.DataFrame:
    """Emerging hot spot pattern per cell from counts y (cells x slices).

    Slices are classified like `hotspots.gi_star`: FDR-adjusted analytical p-values, so the
    per-slice permutations (`permutations`, `seed`) are only run when
    `confirm_by_permutation=True` asks for their agreement too.

    Returns DataFrame[h3, lat, lon, pattern, total, hot_slices, cold_slices, slices, last_z,
    trend_tau, trend_z, trend_p, first_period, last_period].
    """
    if y.shape[1] < 2:
        raise ConfigError(
            f"emerging hot spots need at least 2 time slices, got {y.shape[1]}",
            hint="widen the date range or use --period month",
        )
    nbs = grid.neighbour_lists(cells, ring)
    perms = permutations if confirm_by_permutation else 0
    res = slice_bins(y, nbs, perms, seed, confirm_by_permutation)
    z = np.nan_to_num(res["z"], nan=0.0)  # a slice with no incidents has no z: no signal
    mk = mann_kendall(z)
    bins = res["gi_bin"]
    table = grid.cell_table(cells, y.sum(axis=1).astype(np.int64)).rename(columns={"n": "total"})
    table.insert(3, "pattern", classify_patterns(bins, mk["z"], mk["p"], alpha))
    table["hot_slices"] = (bins > 0).sum(axis=1)
    table["cold_slices"] = (bins < 0).sum(axis=1)
    table["slices"] = y.shape[1]
    table["last_z"] = res["z"][:, -1]
    table["trend_tau"] = mk["tau"]
    table["trend_z"] = mk["z"]
    table["trend_p"] = mk["p"]
    table["first_period"] = str(periods[0])
    table["last_period"] = str(periods[-1])
    return table
