"""A space-time self-exciting point process (ETAS-style, after Mohler et al. 2011 and 2015),
fitted by expectation-maximisation.

Conditional intensity, per square metre and day, at place x and time t:

    lambda(x, t) = mu * b(x) + sum over earlier events j of
                   theta * omega * exp(-omega (t - t_j)) * N(x - x_j; sigma)

- b(x): the background shape, a long-term kernel density of the training incidents
  normalised to integrate to 1 (`kde`); mu: background incidents per day;
- theta: the branching ratio (expected offspring per incident), omega: the decay rate per day
  (1 / omega = the mean delay of a triggered incident), sigma: the spatial spread in metres
  (an isotropic Gaussian).

EM (Veen & Schoenberg 2008): the E-step gives each incident the probability that it is
background or triggered by each earlier incident within `max_days` and `max_m`; the M-step
updates mu, theta, omega and sigma in closed form from those probabilities (theta with the
edge correction for offspring that fall after the end of the window).

The forecast for a period integrates lambda over its days and over each cell.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

MAX_DAYS = 90.0
MAX_M = 800.0  # beyond four spreads of the widest triggering seen (about 190 m)
LL_TOL = 1e-6  # relative log-likelihood gain per EM step below which the fit stops
MAX_EVENTS = 10_000  # the most recent incidents used in one fit (4 parameters: plenty)


@dataclass
class EtasFit:
    mu: float  # background incidents per day
    theta: float  # branching ratio
    omega: float  # per day
    sigma: float  # metres
    iterations: int
    events: int
    log_likelihood: float

    def as_dict(self) -> dict:
        return {
            "mu_per_day": self.mu,
            "theta": self.theta,
            "omega_per_day": self.omega,
            "sigma_m": self.sigma,
            "iterations": self.iterations,
            "events": self.events,
        }


def pairs(x, y, t, max_days: float = MAX_DAYS, max_m: float = MAX_M):
    """(i, j, dt, d2) for every pair with j earlier than i within `max_days` and `max_m`."""
    tree = cKDTree(np.column_stack([x, y]))
    p = tree.query_pairs(max_m, output_type="ndarray")
    if len(p) == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e, np.zeros(0), np.zeros(0)
    a, b = p[:, 0], p[:, 1]
    later = t[a] > t[b]
    i = np.where(later, a, b)
    j = np.where(later, b, a)
    dt = t[i] - t[j]
    keep = (dt > 0) & (dt <= max_days)
    i, j, dt = i[keep], j[keep], dt[keep]
    d2 = (x[i] - x[j]) ** 2 + (y[i] - y[j]) ** 2
    return i, j, dt, d2


def fit(
    x,
    y,
    t,
    background,
    t_start: float,
    t_end: float,
    iterations: int = 200,
    tol: float = 1e-4,
    init: tuple[float, float, float, float] | None = None,
    max_days: float = MAX_DAYS,
    max_m: float = MAX_M,
) -> EtasFit:
    """Fit mu, theta, omega, sigma by EM to incidents at (x, y) metres and t days in
    [t_start, t_end), with `background` = b(x_i) per square metre at each incident."""
    x, y, t = (np.asarray(v, dtype=float) for v in (x, y, t))
    b = np.maximum(np.asarray(background, dtype=float), 1e-15)
    n = len(t)
    span = max(t_end - t_start, 1e-9)
    if n < 10:
        return EtasFit(n / span, 0.0, 1.0, 200.0, 0, n, float("nan"))
    i, j, dt, d2 = pairs(x, y, t, max_days, max_m)
    mu, theta, omega, sigma = init or (0.5 * n / span, 0.5, 0.1, 200.0)
    ll = -np.inf
    done = 0
    for _ in range(iterations):
        done += 1
        g = (
            theta
            * omega
            * np.exp(-omega * dt)
            * np.exp(-d2 / (2 * sigma**2))
            / (2 * np.pi * sigma**2)
        )
        bg = mu * b
        lam = bg + np.bincount(i, weights=g, minlength=n)
        p_bg = bg / lam
        p_tr = g / lam[i]
        # log-likelihood of the current parameters (the compensator in closed form)
        comp = mu * span + theta * np.sum(1 - np.exp(-omega * (t_end - t)))
        new_ll = float(np.log(lam).sum() - comp)
        s_tr = p_tr.sum()
        before = np.array([mu, theta, omega, sigma])
        mu = p_bg.sum() / span
        if s_tr > 1e-9:
            omega = s_tr / (p_tr * dt).sum()
            sigma = float(np.sqrt((p_tr * d2).sum() / (2 * s_tr)))
            sigma = min(max(sigma, 5.0), max_m / 2)
            theta = min(s_tr / np.sum(1 - np.exp(-omega * (t_end - t))), 0.95)
        else:
            theta = 0.0
        # EM raises the likelihood every step: stop when the gain is negligible (a branching
        # ratio sliding towards 0 moves its parameters for many steps while gaining nothing)
        gain = new_ll - ll
        ll = new_ll
        after = np.array([mu, theta, omega, sigma])
        if np.all(np.abs(after - before) <= tol * np.maximum(np.abs(before), 1e-3)):
            break
        if np.isfinite(gain) and 0 <= gain <= LL_TOL * abs(new_ll):
            break
    return EtasFit(float(mu), float(theta), float(omega), float(sigma), done, n, ll)


def simulate(
    mu: float,
    theta: float,
    omega: float,
    sigma: float,
    days: float,
    background_xy,
    seed: int = 0,
):
    """Incidents (x, y, t) of the process on [0, days): background incidents at places drawn
    from `background_xy(rng, n) -> (x, y)`, each incident triggering Poisson(theta) offspring
    after Exp(omega) days at a Gaussian(sigma) offset. Returns arrays sorted by time and a
    boolean array of which incidents are background."""
    rng = np.random.default_rng(seed)
    n0 = rng.poisson(mu * days)
    bx, by = background_xy(rng, n0)
    xs, ys, ts, is_bg = [bx], [by], [rng.uniform(0, days, n0)], [np.ones(n0, dtype=bool)]
    gx, gy, gt = xs[0], ys[0], ts[0]
    while len(gt):
        k = rng.poisson(theta, len(gt))
        px, py, pt = np.repeat(gx, k), np.repeat(gy, k), np.repeat(gt, k)
        ct = pt + rng.exponential(1 / omega, len(pt))
        cx = px + rng.normal(0, sigma, len(px))
        cy = py + rng.normal(0, sigma, len(py))
        keep = ct < days
        gx, gy, gt = cx[keep], cy[keep], ct[keep]
        xs.append(gx)
        ys.append(gy)
        ts.append(gt)
        is_bg.append(np.zeros(len(gt), dtype=bool))
    x, y, t, bgm = (np.concatenate(v) for v in (xs, ys, ts, is_bg))
    order = np.argsort(t, kind="stable")
    return x[order], y[order], t[order], bgm[order]


def triggered_weights(fit_: EtasFit, t, t0: float, t1: float) -> np.ndarray:
    """Expected offspring of each incident (at times t) falling in [t0, t1)."""
    t = np.asarray(t, dtype=float)
    a = np.exp(-fit_.omega * np.maximum(t0 - t, 0.0))
    b = np.exp(-fit_.omega * np.maximum(t1 - t, 0.0))
    return fit_.theta * (a - b)
