"""Where per-series work runs: `local` (worker processes) or `spark` (a cluster).

Each backend module exposes `map_groups(df, key, fn, n_jobs, columns) -> DataFrame` (see
`backends/local.py`). `get(name)` imports the chosen one lazily, so Spark is only needed when it
is used.
"""

from __future__ import annotations

import importlib

from crimecast.errors import ConfigError, DependencyError

BACKENDS = ("local", "spark")


def get(name: str):
    """The backend module for a name, or a clear error."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}", hint=f"choose from: {', '.join(BACKENDS)}")
    try:
        return importlib.import_module(f"crimecast.backends.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"crimecast.backends.{name}":
            raise DependencyError(
                f"the {name} backend is not part of this installation",
                hint="use --backend local, or install a crimecast version with the Spark backend",
            ) from exc
        if exc.name and exc.name.split(".")[0] == "pyspark":
            raise DependencyError(
                "the spark backend needs PySpark, which is not installed",
                hint="pip install 'crimecast[spark]', or use --backend local",
            ) from exc
        raise
