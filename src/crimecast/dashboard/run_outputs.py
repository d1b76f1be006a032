"""What the last `crimecast run` left in its output directory, for the dashboard to show.

The dashboard explores the store live, but forecasts, backtests and Gi* hotspots take minutes to
compute, so it reads them from the run directory (`forecasts.csv`, `backtest.csv`,
`hotspots.geojson`) and re-reads a file when it changes on disk.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pandas as pd

FORECAST_COLUMNS = ["unique_id", "ds", "model", "yhat", "lo_80", "hi_80", "lo_95", "hi_95"]


class RunOutputs:
    def __init__(self, out: str | Path | None, divisions: pd.DataFrame | None = None):
        self.out = Path(out).expanduser() if out else None
        self.divisions = divisions  # division polygons (crimecast.spatial) when given
        self._lock = threading.Lock()
        self._memo: dict[str, tuple[float, object]] = {}

    def _load(self, name: str, reader):
        if self.out is None:
            return None
        path = self.out / name
        if not path.exists():
            return None
        mtime = path.stat().st_mtime
        with self._lock:
            hit = self._memo.get(name)
            if hit and hit[0] == mtime:
                return hit[1]
        try:
            value = reader(path)
        except (OSError, ValueError, KeyError, json.JSONDecodeError):
            return None  # a file being rewritten; the next request reads it again
        with self._lock:
            self._memo[name] = (mtime, value)
        return value

    def forecasts(self) -> pd.DataFrame | None:
        def read(path):
            df = pd.read_csv(path, parse_dates=["ds"])
            return df if set(FORECAST_COLUMNS) <= set(df.columns) else None

        return self._load("forecasts.csv", read)

    def backtest(self) -> pd.DataFrame | None:
        return self._load("backtest.csv", lambda p: pd.read_csv(p, parse_dates=["ds", "cutoff"]))

    def scores_table(self) -> pd.DataFrame | None:
        return self._load("tables/backtest_scores.csv", pd.read_csv)

    def hotspots(self) -> dict | None:
        return self._load("hotspots.geojson", lambda p: json.loads(p.read_text()))

    def run_json(self) -> dict | None:
        return self._load("run.json", lambda p: json.loads(p.read_text()))

    # -- the forecast explorer --------------------------------------------------------------------
    def available(self) -> bool:
        fc = self.forecasts()
        return fc is not None and len(fc) > 0

    def series_ids(self) -> list[str]:
        fc = self.forecasts()
        if fc is None:
            return []
        ids = list(dict.fromkeys(fc["unique_id"].astype(str)))
        # the city first, then areas and categories as they come
        return sorted(ids, key=lambda s: (s != "city", s.count("/"), ids.index(s)))

    def models(self, sid: str) -> list[str]:
        fc = self.forecasts()
        if fc is None:
            return []
        return sorted(fc.loc[fc["unique_id"].astype(str) == sid, "model"].astype(str).unique())

    def default_model(self, sid: str) -> str:
        """The model with the lowest backtest MASE for the series (as the report chooses)."""
        models = self.models(sid)
        scores = self.scores(sid)
        if len(scores) and "mase" in scores.columns:
            ranked = scores[scores["model"].isin(models)].sort_values("mase")
            if len(ranked):
                return str(ranked["model"].iloc[0])
        for m in ("auto", "ensemble"):
            if m in models:
                return m
        return models[0] if models else ""

    def forecast(self, sid: str, model: str) -> pd.DataFrame:
        fc = self.forecasts()
        sel = fc[(fc["unique_id"].astype(str) == sid) & (fc["model"].astype(str) == model)]
        return sel[FORECAST_COLUMNS].sort_values("ds").reset_index(drop=True)

    def scores(self, sid: str) -> pd.DataFrame:
        """Backtest scores of one series per model (from the run's tables/backtest_scores.csv)."""
        table = self.scores_table()
        if table is None or "unique_id" not in table.columns:
            return pd.DataFrame()
        return table[table["unique_id"].astype(str) == sid].reset_index(drop=True)

    def backtest_of(self, sid: str, model: str) -> pd.DataFrame:
        bt = self.backtest()
        if bt is None:
            return pd.DataFrame()
        sel = bt[(bt["unique_id"].astype(str) == sid) & (bt["model"].astype(str) == model)]
        return sel.sort_values(["cutoff", "ds"]).reset_index(drop=True)
