"""The time-series PNG of the download button, drawn directly with Pillow.

A line chart with a title, axis labels, round-number y ticks from 0 and date ticks on calendar
boundaries (years, months or days, whichever gives 3-8 ticks). Drawing it this way takes a few
milliseconds where a plotting library's full layout took 100-250 ms of the server's interpreter
lock, which stalled every other request while it ran. The text uses the DejaVu Sans font that
ships with matplotlib.
"""

from __future__ import annotations

import io
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from crimecast.panel import PERIOD_UNITS

WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 66, 744, 36, 246  # the plot area, in pixels
BLUE, INK, GRID, MUTED = (0, 114, 178), (29, 36, 48), (226, 230, 235), (91, 101, 115)


@lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return ImageFont.load_default(size)


def nice_ticks(top: float, most: int = 7) -> list[int]:
    """Whole-number ticks from 0 to at least `top`, at a 1/2/5 x 10^k step, at most `most`."""
    if top <= 0:
        return [0, 1]
    raw = top / (most - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    step = max(1, int(round(step)))
    n = math.ceil(top / step)
    return [i * step for i in range(n + 1)]


def date_ticks(start: pd.Timestamp, end: pd.Timestamp) -> list[tuple[pd.Timestamp, str]]:
    """Calendar ticks between start and end: years, else months, else days (3-8 of them)."""
    days = max((end - start).days, 1)
    if days >= 3 * 365:
        years = range(start.year + (start.dayofyear > 1), end.year + 1)
        step = max(1, math.ceil(len(years) / 8))
        return [(pd.Timestamp(y, 1, 1), str(y)) for y in years[::step]]
    if days >= 75:
        months = pd.date_range(start, end, freq="MS")
        step = next(s for s in (1, 2, 3, 6, 12) if len(months) / s <= 8)
        picked = [m for m in months if (m.month - 1) % step == 0]
        return [(m, m.strftime("%b %Y") if m.month == 1 or m is picked[0] else m.strftime("%b"))
                for m in picked]  # fmt: skip
    step = max(1, math.ceil(days / 7))
    return [(d, d.strftime("%d %b")) for d in pd.date_range(start, end, freq=f"{step}D")]


def _text(draw: ImageDraw.ImageDraw, xy, text: str, size: int, anchor: str, fill=INK) -> None:
    draw.text(xy, text, font=_font(size), fill=fill, anchor=anchor)


def series_png(df: pd.DataFrame, freq: str, simulated: bool) -> bytes:
    """The series (columns ds, y) as a PNG: incidents per day, week or month."""
    unit = PERIOD_UNITS[freq]
    img = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(img)
    title = f"Reported incidents per {unit}" + (" (SIMULATED data)" if simulated else "")
    _text(draw, ((LEFT + RIGHT) / 2, 16), title, 15, "mm")
    _text(draw, ((LEFT + RIGHT) / 2, HEIGHT - 12), "Date the crime occurred", 12, "mm")
    label = Image.new("RGBA", (BOTTOM - TOP, 18), (255, 255, 255, 0))
    _text(ImageDraw.Draw(label), ((BOTTOM - TOP) / 2, 9), f"Incidents per {unit}", 12, "mm")
    img.paste(label.rotate(90, expand=True), (2, TOP), label.rotate(90, expand=True))
    if not len(df):
        draw.rectangle((LEFT, TOP, RIGHT, BOTTOM), outline=MUTED)
        msg = "No incidents match these filters"
        _text(draw, ((LEFT + RIGHT) / 2, (TOP + BOTTOM) / 2), msg, 13, "mm", MUTED)
        return _encode(img)
    ds = pd.to_datetime(df["ds"])
    y = df["y"].to_numpy(dtype=float)
    start, end = ds.min(), ds.max()
    if start == end:  # one point: show a step either side of it
        start, end = start - pd.Timedelta(days=15), end + pd.Timedelta(days=15)
    span = (end - start).value
    yt = nice_ticks(float(y.max()))
    ymax = yt[-1]

    def px(t: pd.Timestamp) -> float:
        return LEFT + (t.value - start.value) / span * (RIGHT - LEFT)

    def py(v) -> np.ndarray | float:
        return BOTTOM - np.asarray(v) / ymax * (BOTTOM - TOP)

    for v in yt:
        yy = float(py(v))
        draw.line((LEFT, yy, RIGHT, yy), fill=GRID)
        _text(draw, (LEFT - 6, yy), f"{v:,}", 11, "rm")
    for t, text in date_ticks(start, end):
        xx = px(t)
        if LEFT <= xx <= RIGHT:
            draw.line((xx, TOP, xx, BOTTOM), fill=GRID)
            draw.line((xx, BOTTOM, xx, BOTTOM + 4), fill=INK)
            _text(draw, (xx, BOTTOM + 7), text, 11, "mt")
    draw.line((LEFT, TOP, LEFT, BOTTOM), fill=INK)
    draw.line((LEFT, BOTTOM, RIGHT, BOTTOM), fill=INK)
    xs = LEFT + (ds.to_numpy().astype("datetime64[ns]").astype("int64") - start.value) / span * (
        RIGHT - LEFT
    )
    pts = list(zip(xs.tolist(), py(y).tolist(), strict=True))
    if len(pts) == 1:
        x0, y0 = pts[0]
        draw.ellipse((x0 - 3, y0 - 3, x0 + 3, y0 + 3), fill=BLUE)
    else:
        draw.line(pts, fill=BLUE, width=2 if len(pts) < 600 else 1, joint="curve")
    return _encode(img)


def _encode(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format="PNG", optimize=False, compress_level=6)
    return buf.getvalue()
