"""Crime-mix profiles: one-hot encoding + PCA + k-means of divisions or reporting districts.

How an analyst finds "divisions that look alike". Each incident is one-hot encoded on five
attributes (crime category, premise group, weapon group, hour band, victim-age band); the one-hot
rows are averaged per unit (division or reporting district), so a unit is described by the shares
of its incidents in each attribute value. The shares are standardised, reduced by PCA
(scikit-learn), each component is named by its strongest loadings, and units are grouped by
k-means on the leading components (seeded, so the same data gives the same clusters).

Pure functions over frames of canonical incidents; nothing here opens the store. Victim age is
used only to describe a place's mix of reported crime, never to predict anything about people.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from crimecast import schema
from crimecast.filters import AGE_BANDS

COLUMNS: tuple[str, ...] = (
    "area_id",
    "rpt_dist",
    "crime_category",
    "premise_code",
    "weapon_code",
    "hour",
    "time_is_noon_default",
    "victim_age",
)
ATTRIBUTES: dict[str, str] = {
    "crime_category": "crime",
    "premise_group": "premise",
    "weapon_group": "weapon",
    "hour_band": "time",
    "age_band": "victim age",
}
# Premise code -> group. LAPD numbers premises in blocks (1xx outdoors, 2xx-4xx business and
# stores, 5xx residences, 6xx banks, 7xx public places, 8xx-9xx transit); a few codes are moved
# to the group an analyst would put them in.
_PREMISE_EXCEPTIONS: dict[int, str] = {
    108: "parking & vehicles",
    122: "parking & vehicles",
    123: "parking & vehicles",
    135: "transit",
    111: "transit",
    112: "transit",
    114: "transit",
    124: "transit",
    128: "transit",
    157: "parking & vehicles",
    212: "transit",
    214: "transit",
    215: "transit",
    707: "parking & vehicles",
    750: "online",
    751: "online",
}
HOUR_BANDS: tuple[tuple[str, int, int], ...] = (
    ("night 0-5h", 0, 5),
    ("morning 6-11h", 6, 11),
    ("afternoon 12-17h", 12, 17),
    ("evening 18-23h", 18, 23),
)
UNKNOWN = "unknown"


def premise_group(code) -> str:
    """The premise group of an LAPD premise code ('unknown' for blank)."""
    if code is None or pd.isna(code):
        return UNKNOWN
    code = int(code)
    if code in _PREMISE_EXCEPTIONS:
        return _PREMISE_EXCEPTIONS[code]
    block = code // 100
    return {
        1: "street & outdoors",
        2: "business & stores",
        3: "business & stores",
        4: "business & stores",
        5: "residence",
        6: "bank & ATM",
        7: "public & institutional",
        8: "transit",
        9: "transit",
    }.get(block, UNKNOWN)


def weapon_group(code) -> str:
    """The weapon group of an LAPD weapon code ('none recorded' for blank)."""
    if code is None or pd.isna(code):
        return "none recorded"
    code = int(code)
    if 100 <= code < 200:
        return "firearm"
    if 200 <= code < 300:
        return "knife or cutting"
    if 300 <= code < 400:
        return "blunt object"
    if code == 400:
        return "bodily force"
    if code in (511, 515):
        return "threat or presence"
    return "other weapon"


def _lookup(values: pd.Series, fn) -> pd.Categorical:
    """Apply a scalar grouping to the distinct values only (fast on a million rows)."""
    v = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    uniq, inv = np.unique(v, return_inverse=True)  # NaN sorts last and groups together
    labels = [fn(None if np.isnan(u) else u) for u in uniq]
    cats = sorted(set(labels))
    code_of = np.array([cats.index(lab) for lab in labels], dtype="int64")
    return pd.Categorical.from_codes(code_of[inv] if len(uniq) else [], cats)


def _bands(values: pd.Series, bands, unknown: str) -> pd.Categorical:
    v = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    codes = np.full(len(v), len(bands), dtype="int64")
    for i, (_, lo, hi) in enumerate(bands):
        codes[(v >= lo) & (v <= hi)] = i
    return pd.Categorical.from_codes(codes, [label for label, _, _ in bands] + [unknown])


def _real_hours(incidents: pd.DataFrame) -> pd.Series:
    """Hours, with LAPD's 12:00 default time counted as unknown rather than as afternoon."""
    hours = pd.to_numeric(incidents["hour"], errors="coerce").astype("float64")
    if "time_is_noon_default" in incidents.columns:
        noon = incidents["time_is_noon_default"].astype("boolean").fillna(False).to_numpy(bool)
        hours = hours.mask(noon)
    return hours


def attributes(incidents: pd.DataFrame) -> pd.DataFrame:
    """Per incident: the five attributes that are one-hot encoded (as categoricals)."""
    age_bands = [(b, lo, hi) for b, (lo, hi) in AGE_BANDS.items()]
    return pd.DataFrame(
        {
            "crime_category": pd.Categorical(
                incidents["crime_category"].astype(object).fillna(UNKNOWN)
            ),
            "premise_group": _lookup(incidents["premise_code"], premise_group),
            "weapon_group": _lookup(incidents["weapon_code"], weapon_group),
            "hour_band": _bands(_real_hours(incidents), HOUR_BANDS, UNKNOWN),
            "age_band": _bands(incidents["victim_age"], age_bands, "no age recorded"),
        }
    )


def one_hot_shares(
    incidents: pd.DataFrame, unit: str = "area_id", min_incidents: int = 30
) -> pd.DataFrame:
    """Share of each unit's incidents in every attribute value (columns named 'crime:
    robbery', 'premise: residence', ...), plus `incidents`; one row per unit with at least
    `min_incidents` incidents (fewer give shares too noisy to compare).

    Incidents are first counted per distinct (unit, attributes) combination, and the one-hot
    encoder runs on those combinations weighted by their counts: the same sums as encoding every
    incident, at a fraction of the cost for a million rows."""
    from sklearn.preprocessing import OneHotEncoder

    if unit not in ("area_id", "rpt_dist"):
        raise ValueError(f"unit must be 'area_id' or 'rpt_dist', not {unit!r}")
    ids = pd.to_numeric(incidents[unit], errors="coerce").astype("float64").to_numpy()
    keep = ~np.isnan(ids)
    if not keep.any():
        return pd.DataFrame(columns=[unit, "incidents"])
    attrs = attributes(incidents[keep].reset_index(drop=True))
    attrs.insert(0, "_unit", ids[keep].astype("int64"))
    combos = attrs.groupby(list(attrs.columns), observed=True).size().rename("n").reset_index()
    combos = combos[combos["n"] > 0]
    enc = OneHotEncoder(sparse_output=True, handle_unknown="ignore")
    x = enc.fit_transform(combos[list(ATTRIBUTES)].astype(str))
    names = [
        f"{ATTRIBUTES[col]}: {val}"
        for col, cats in zip(ATTRIBUTES, enc.categories_, strict=True)
        for val in cats
    ]
    codes, units = pd.factorize(combos["_unit"].to_numpy(), sort=True)
    weights = combos["n"].to_numpy(dtype=float)
    member = sparse.csr_matrix(
        (weights, (codes, np.arange(len(codes)))), shape=(len(units), len(codes))
    )
    counts = np.asarray((member @ x).todense())
    totals = np.bincount(codes, weights=weights, minlength=len(units)).astype("int64")
    shares = pd.DataFrame(counts / totals[:, None], columns=names)
    shares.insert(0, "incidents", totals)
    shares.insert(0, unit, np.asarray(units, dtype="int64"))
    return shares[shares["incidents"] >= min_incidents].reset_index(drop=True)


def unit_name(unit: str, value) -> str:
    if unit == "area_id":
        return schema.AREAS.get(int(value), str(value))
    return f"RD {int(value):04d}"


@dataclass
class Profile:
    """The results of `profile`, each a tidy frame (CSV-ready)."""

    shares: pd.DataFrame  # unit x attribute shares (input to PCA)
    explained: pd.DataFrame  # component, explained_variance_ratio, cumulative
    loadings: pd.DataFrame  # feature x component loadings
    components: pd.DataFrame  # component, meaning, high, low, explained_variance_ratio
    scores: pd.DataFrame  # unit, name, incidents, PC1, PC2, ..., cluster
    clusters: pd.DataFrame  # cluster, units, members, incidents, typical crime mix

    def tables(self, prefix: str) -> dict[str, pd.DataFrame]:
        return {
            f"{prefix}_shares": self.shares,
            f"{prefix}_explained_variance": self.explained,
            f"{prefix}_loadings": self.loadings,
            f"{prefix}_components": self.components,
            f"{prefix}_scores": self.scores,
            f"{prefix}_clusters": self.clusters,
        }


def _name_component(load: pd.Series, n: int = 3) -> tuple[str, str, str]:
    top = load.sort_values(ascending=False)
    high = [f for f, v in top.head(n).items() if v > 0]
    low = [f for f, v in top.tail(n)[::-1].items() if v < 0]
    meaning = "more " + ", ".join(high) if high else ""
    if low:
        meaning += ("; " if meaning else "") + "less " + ", ".join(low)
    return meaning, "; ".join(high), "; ".join(low)


def profile(
    shares: pd.DataFrame,
    unit: str = "area_id",
    k: int = 4,
    seed: int = 42,
    variance_to_keep: float = 0.8,
) -> Profile:
    """Standardise the shares, run PCA, name the components, and cluster units with k-means on
    the components that together explain `variance_to_keep` of the variance (at least two)."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    feats = [c for c in shares.columns if c not in (unit, "incidents")]
    empty = Profile(
        shares,
        pd.DataFrame(columns=["component", "explained_variance_ratio", "cumulative"]),
        pd.DataFrame(columns=["feature"]),
        pd.DataFrame(columns=["component", "meaning", "high", "low", "explained_variance_ratio"]),
        pd.DataFrame(columns=[unit, "name", "incidents", "PC1", "PC2", "cluster"]),
        pd.DataFrame(columns=["cluster", "units", "members", "incidents", "typical_mix"]),
    )
    if len(shares) < 3:
        return empty
    x = shares[feats].to_numpy(dtype=float)
    varying = x.std(axis=0) > 0
    if varying.sum() < 2:
        return empty
    feats = [f for f, v in zip(feats, varying, strict=True) if v]
    z = StandardScaler().fit_transform(x[:, varying])
    n_comp = min(len(feats), len(shares) - 1, 10)
    pca = PCA(n_components=n_comp, random_state=seed).fit(z)
    pcs = [f"PC{i + 1}" for i in range(n_comp)]
    ratio = pca.explained_variance_ratio_
    explained = pd.DataFrame(
        {"component": pcs, "explained_variance_ratio": ratio, "cumulative": np.cumsum(ratio)}
    )
    loadings = pd.DataFrame(pca.components_.T, columns=pcs)
    loadings.insert(0, "feature", feats)
    names = [_name_component(loadings.set_index("feature")[pc]) for pc in pcs]
    components = pd.DataFrame(
        {
            "component": pcs,
            "meaning": [m for m, _, _ in names],
            "high": [h for _, h, _ in names],
            "low": [lo for _, _, lo in names],
            "explained_variance_ratio": ratio,
        }
    )
    sc = pca.transform(z)
    keep = max(2, int(np.searchsorted(np.cumsum(ratio), variance_to_keep) + 1))
    keep = min(keep, n_comp)
    k = max(1, min(k, len(shares) - 1))
    from threadpoolctl import threadpool_limits

    # a few hundred points: one thread is fastest (OpenMP threads spin on a busy machine)
    with threadpool_limits(1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=seed).fit_predict(sc[:, :keep])
    # number clusters by size (1 = largest) so labels don't depend on k-means' internal order
    order = pd.Series(labels).value_counts().index.tolist()
    labels = np.array([order.index(lab) + 1 for lab in labels])
    scores = pd.DataFrame(sc, columns=pcs)
    scores.insert(0, "incidents", shares["incidents"].to_numpy())
    scores.insert(0, "name", [unit_name(unit, u) for u in shares[unit]])
    scores.insert(0, unit, shares[unit].to_numpy())
    scores["cluster"] = labels
    clusters = _cluster_table(shares, scores, unit, z, feats)
    return Profile(shares, explained, loadings, components, scores, clusters)


def _cluster_table(shares, scores, unit, z, feats) -> pd.DataFrame:
    crime_cols = [c for c in shares.columns if c.startswith("crime: ")]
    rows = []
    zf = pd.DataFrame(z, columns=feats)
    for cl, g in scores.groupby("cluster"):
        idx = g.index
        w = shares.loc[idx, "incidents"].to_numpy(dtype=float)
        mix = (shares.loc[idx, crime_cols].to_numpy() * w[:, None]).sum(axis=0) / w.sum()
        mix = pd.Series(mix, index=[c.removeprefix("crime: ") for c in crime_cols])
        top = mix.sort_values(ascending=False).head(4)
        dist = zf.loc[idx].mean().sort_values(ascending=False)
        rows.append(
            {
                "cluster": int(cl),
                "units": len(g),
                "members": ", ".join(g["name"].head(12)) + (" ..." if len(g) > 12 else ""),
                "incidents": int(w.sum()),
                "typical_mix": ", ".join(f"{c} {v:.0%}" for c, v in top.items()),
                "stands_out_for": ", ".join(dist.head(3).index),
                **{f"share {c}": v for c, v in mix.items()},
            }
        )
    return pd.DataFrame(rows)


def build(
    incidents: pd.DataFrame, k_areas: int = 4, k_districts: int = 6, seed: int = 42
) -> dict[str, pd.DataFrame]:
    """Division and reporting-district profiles, as named tables (CSV file names)."""
    out: dict[str, pd.DataFrame] = {}
    area = profile(one_hot_shares(incidents, "area_id", min_incidents=30), "area_id", k_areas, seed)
    out.update(area.tables("profile_area"))
    rd = profile(
        one_hot_shares(incidents, "rpt_dist", min_incidents=50), "rpt_dist", k_districts, seed
    )
    out.update(rd.tables("profile_district"))
    return out
