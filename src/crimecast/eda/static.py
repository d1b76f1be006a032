"""Static figures (Matplotlib PNG) from the same specs as the Plotly figures, for reports that
must print or work without JavaScript. `render(spec, path)` writes one PNG of WIDTH x HEIGHT
pixels; the named functions mirror `eda.figures` with a `path` argument.

Uses Matplotlib's object API with the Agg canvas (no pyplot state), so it is safe in servers
and threads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from crimecast.eda import specs
from crimecast.eda.spec import EMPTY_MESSAGE, OKABE_ITO, SEQUENTIAL, Spec, pivot

WIDTH, HEIGHT, DPI = 1100, 620, 100


def _colour(spec: Spec, name: str, i: int) -> str:
    return spec.colors.get(name, OKABE_ITO[i % len(OKABE_ITO)])


def _wrap(text: str, width: int = 95) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) if text else ""


def render(spec: Spec, path: str | Path) -> Path:
    """Draw `spec` into a PNG at `path` (WIDTH x HEIGHT pixels) and return the path."""
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(111)
    fig.suptitle(_wrap(spec.title, 90), fontsize=12, x=0.01, ha="left")
    if spec.note:
        ax.set_title(_wrap(spec.note, 120), fontsize=8, loc="left", color="#444444")
    ax.set_xlabel(_wrap(spec.x_title, 110), fontsize=9)
    ax.set_ylabel(_wrap(spec.y_title, 60), fontsize=9 if len(spec.y_title) < 40 else 7)
    if spec.empty:
        ax.text(0.5, 0.5, EMPTY_MESSAGE, ha="center", va="center", transform=ax.transAxes)
        ax.set_xticks([])
        ax.set_yticks([])
    elif spec.kind == "heatmap":
        _heatmap(fig, ax, spec)
    elif spec.kind == "scatter":
        _scatter(ax, spec)
    else:
        _traces(ax, spec)
    if not spec.empty:
        _flags(ax, spec)
    fig.tight_layout(rect=(0, 0, 1, 0.93))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=DPI)
    return path


def _flags(ax, spec: Spec) -> None:
    for i, (x0, x1, label) in enumerate(spec.flags):
        ax.axvspan(x0, x1, color="#777777", alpha=0.18, lw=0, hatch="//")
        y = 0.97 - 0.06 * (i % 3)
        # written just left of the band, so a band at the right edge keeps its label on the page
        ax.text(
            x0,
            y,
            label + " \u2192 ",
            transform=ax.get_xaxis_transform(),
            fontsize=7,
            va="top",
            ha="right",
            color="#333333",
        )


def _percent(axis) -> None:
    axis.set_major_formatter(PercentFormatter(1.0, decimals=0))


def _traces(ax, spec: Spec) -> None:
    d = spec.data
    if spec.color:
        groups = [(str(k), g) for k, g in d.groupby(spec.color, sort=False)]
    else:
        groups = [("", d)]
    if spec.kind == "line":
        i = 0
        for name, g in groups:
            cols = spec.y if not spec.color else [spec.y[0]]
            for col in cols:
                y = pd.to_numeric(g[col], errors="coerce")
                if not np.isfinite(y).any():
                    continue
                label = name or spec.labels.get(col, col)
                ax.plot(
                    pd.to_datetime(g[spec.x])
                    if "month" in spec.x or spec.x in ("date", "week")
                    else g[spec.x],
                    y,
                    label=label,
                    color=_colour(spec, label, i),
                    ls="--" if col in spec.dashed else "-",
                    lw=1.2 if col in spec.dashed else 1.8,
                )
                i += 1
        if spec.percent:
            _percent(ax.yaxis)
        if i > 1:
            ax.legend(fontsize=8, title=spec.legend_title or None, loc="best")
        return
    _bars(ax, spec, groups)


def _bars(ax, spec: Spec, groups) -> None:
    horizontal = spec.kind == "hbar"
    label_col = spec.y[0] if horizontal else spec.x
    cats = list(dict.fromkeys(spec.data[label_col].astype(str)))
    pos = {c: i for i, c in enumerate(cats)}
    series = []
    if spec.color:
        series = [(name, g, spec.x if horizontal else spec.y[0]) for name, g in groups]
    elif horizontal:
        series = [("", spec.data, spec.x)]
    else:
        series = [(spec.labels.get(c, c), spec.data, c) for c in spec.y]
    base = np.zeros(len(cats))
    # each label in one group only (crime types by class): bars sit on their label
    single = (
        len(series) > 1
        and all(len(set(map(str, g[label_col]))) == len(g) for _, g, _ in series)
        and sum(len(g) for _, g, _ in series) == len(cats)
    )
    stack = spec.stacked or single
    width = 0.8 if stack or len(series) == 1 else 0.8 / len(series)
    for i, (name, g, col) in enumerate(series):
        vals = np.zeros(len(cats))
        idx = [pos[str(c)] for c in g[label_col]]
        v = pd.to_numeric(g[col], errors="coerce").fillna(0).to_numpy()
        vals[idx] = v
        at = np.arange(len(cats)) + (
            0 if stack or len(series) == 1 else (i - (len(series) - 1) / 2) * width
        )
        err = None
        if spec.lo and spec.hi:
            lo = np.zeros(len(cats))
            hi = np.zeros(len(cats))
            lo[idx] = (
                v
                - pd.to_numeric(g[spec.lo], errors="coerce")
                .fillna(pd.Series(v, index=g.index))
                .to_numpy()
            ).clip(0)
            hi[idx] = (
                pd.to_numeric(g[spec.hi], errors="coerce")
                .fillna(pd.Series(v, index=g.index))
                .to_numpy()
                - v
            ).clip(0)
            err = np.vstack([lo, hi])
        kw = {"color": _colour(spec, name, i), "label": name or None}
        if horizontal:
            ax.barh(
                at,
                vals,
                height=width,
                left=base if spec.stacked else None,
                xerr=err,
                ecolor="#444444",
                capsize=2,
                **kw,
            )
        else:
            ax.bar(
                at,
                vals,
                width=width,
                bottom=base if spec.stacked else None,
                yerr=err,
                ecolor="#444444",
                capsize=2,
                **kw,
            )
        if spec.stacked:
            base = base + vals
    labels = [c[:48] for c in cats]
    if horizontal:
        ax.set_yticks(range(len(cats)), labels, fontsize=7 if len(cats) > 20 else 8)
        if spec.percent:
            _percent(ax.xaxis)
    else:
        ax.set_xticks(range(len(cats)), labels, fontsize=8, rotation=45 if len(cats) > 12 else 0)
        if spec.percent:
            _percent(ax.yaxis)
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    if len(series) > 1:
        ax.legend(fontsize=8, title=spec.legend_title or None, loc="best")


def _heatmap(fig, ax, spec: Spec) -> None:
    p = pivot(spec)
    z = p.to_numpy(dtype=float)
    # a "not recorded" column is a different share: it is labelled in its cells and kept off the
    # colour scale, so it does not wash out the recorded values
    scaled = [i for i, c in enumerate(p.columns) if not str(c).startswith("not recorded")]
    vmax = np.nanmax(z[:, scaled]) if scaled and np.isfinite(z[:, scaled]).any() else None
    im = ax.imshow(z, aspect="auto", cmap=SEQUENTIAL, vmin=0 if vmax else None, vmax=vmax)
    if z.size <= 200:
        for (r, c), v in np.ndenumerate(z):
            if np.isfinite(v):
                text = f"{v:.0%}" if spec.percent else f"{v:,.0f}"
                light = vmax is not None and v < 0.55 * vmax
                ax.text(c, r, text, ha="center", va="center", fontsize=6.5,
                        color="white" if light else "black")  # fmt: skip
    ax.set_xticks(
        range(len(p.columns)), [str(c)[:24] for c in p.columns], fontsize=7, rotation=45, ha="right"
    )
    ax.set_yticks(range(len(p.index)), [str(r)[:48] for r in p.index], fontsize=7)
    bar = fig.colorbar(im, ax=ax)
    bar.set_label("share" if spec.percent else spec.z.replace("_", " "))
    if spec.percent:
        _percent(bar.ax.yaxis)


def _scatter(ax, spec: Spec) -> None:
    for i, (name, g) in enumerate(spec.data.groupby(spec.color, sort=True)):
        ax.scatter(
            g[spec.x],
            g[spec.y[0]],
            color=_colour(spec, str(name), i),
            label=str(name),
            s=40 if spec.text else 12,
        )
        if spec.text:
            for x, y, t in zip(g[spec.x], g[spec.y[0]], g[spec.text], strict=True):
                ax.annotate(str(t), (x, y), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.axhline(0, color="#cccccc", lw=0.8)
    ax.axvline(0, color="#cccccc", lw=0.8)
    ax.legend(fontsize=8, title=spec.legend_title or None)


# --- one function per figure: static.<name>(tables..., path) for every builder in specs.BUILDERS
def _png_function(name: str):
    builder = getattr(specs, name)

    def png(*args, **kwargs) -> Path:
        path = kwargs.pop("path", None)
        if path is None:
            *args, path = args
        return render(builder(*args, **kwargs), path)

    png.__name__ = png.__qualname__ = name
    png.__doc__ = f"PNG of `eda.specs.{name}`: its arguments, then the output path."
    return png


for _name in specs.BUILDERS:
    globals()[_name] = _png_function(_name)
