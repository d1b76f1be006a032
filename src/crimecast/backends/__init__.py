"""Where per-series work runs: `local` (worker processes) or `spark` (a cluster).

Each backend module exposes `map_groups(df, key, fn, n_jobs, columns) -> DataFrame` (see
`backends/local.py`). `get(name)` imports the chosen one when it is asked for, so Spark is only needed when it
is used.
"""

from __future__ import annotations

from crimecast.errors import ConfigError, DependencyError

BACKENDS = ("local", "spark")


def get(name: str):
    """The backend module for a name, or a clear error."""
    if name not in BACKENDS:
        raise ConfigError(f"unknown backend {name!r}", hint=f"choose from: {', '.join(BACKENDS)}")
    if name == "local":
        from crimecast.backends import local

        return local
    try:
        from crimecast.backends import spark
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "pyspark":
            raise DependencyError(
                "the spark backend needs PySpark, which is not installed",
                hint="pip install 'crimecast[spark]', or use --backend local",
            ) from exc
        raise
    return spark
