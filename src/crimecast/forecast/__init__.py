"""Forecasting: models behind one protocol, the per-series engine, backtests and metrics.

Entry points: `engine.forecast_series` / `backtest.backtest_series` (one series; the distributed
seam) and `engine.forecast` / `backtest.backtest` (a whole panel, through a backend).
"""
