"""The Spark backend: panels aggregated in Spark, per-series functions under `applyInPandas`.

Same interface as `backends/local.py`: `map_groups(df, key, fn, n_jobs, columns)` returns
`columns + [error]`, sorted by key; a group whose `fn` raises comes back as one row with its key
and the error (type and message), and the other groups go on. The function is the very same one
the local backend runs (e.g. `forecast.engine.forecast_series` bound with `functools.partial`);
Spark pickles it with cloudpickle and ships it to the executors, which import `crimecast` from
their own Python (so the package must be installed there; see docs/scaling.md).

`panel(...)` builds the long `[unique_id, ds, y]` frame from the store's Parquet mirror
(partitioned by year) in Spark, zero-filled on the common period range, equal to
`crimecast.panel.from_incidents` on the same incidents.

The session is created once per process (`session()`), with the checks that turn bad
configuration into one clear message: PySpark missing, no Java, a malformed master URL, a master
that cannot be reached (probed with a timeout, never a hang).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from crimecast import config
from crimecast import panel as panel_mod
from crimecast.errors import ConfigError, CrimecastError, NetworkError, require
from crimecast.filters import Filters

ERROR = "error"
_ROW = "__crimecast_row"  # original row order, so each group reaches fn exactly as locally

# Levels beyond crimecast.panel's: reporting district x crime category (the scale workload).
EXTRA_UID_SQL = {
    "district_category": "'district:' || lpad(CAST(rpt_dist AS STRING), 4, '0') "
    "|| '|category:' || crime_category",
}
_STEP = {"D": "INTERVAL 1 DAY", "W": "INTERVAL 7 DAYS", "MS": "INTERVAL 1 MONTH"}

_MASTER = re.compile(
    r"^(local(\[(\d+|\*)(,\d+)?\])?|yarn|k8s://\S+|spark://[\w.\-]+:\d+(,[\w.\-]+:\d+)*)$"
)

# Seconds a cluster master gets on top of CRIMECAST_SPARK_CONNECT_TIMEOUT for the driver's JVM
# to start (tens of seconds on a busy machine).
JVM_START_ALLOWANCE = 30.0

_lock = threading.Lock()
_session = None


class SparkError(CrimecastError):
    """Spark could not run the job (the message names the stage and the cause)."""

    exit_code = 6


# -- the session --------------------------------------------------------------------------------
def check_java(env: dict | None = None) -> str:
    """The java binary Spark will use, or a ConfigError saying how to get one."""
    env = os.environ if env is None else env
    home = env.get("JAVA_HOME")
    if home:
        java = Path(home) / "bin" / "java"
        if not java.exists():
            raise ConfigError(
                f"JAVA_HOME is {home}, but {java} does not exist",
                hint="point JAVA_HOME at a Java 17 install (e.g. /usr/lib/jvm/java-17-openjdk-amd64) "
                "or unset it",
            )
        return str(java)
    java = shutil.which("java", path=env.get("PATH", ""))
    if not java:
        raise ConfigError(
            "the spark backend needs Java (17), and no `java` was found on PATH",
            hint="install it (apt-get install openjdk-17-jre-headless) or set JAVA_HOME; "
            "or use --backend local",
        )
    return java


def check_master(master: str, timeout: float | None = None) -> str:
    """Validate a master URL; for spark:// masters, check something answers within `timeout`."""
    master = master.strip()
    if not _MASTER.match(master):
        raise ConfigError(
            f"{master!r} is not a Spark master URL",
            hint="use local[N], local[*], spark://HOST:PORT, yarn or k8s://https://HOST:PORT",
        )
    timeout = timeout if timeout is not None else config.get_float("spark_connect_timeout")
    if master.startswith("spark://"):
        hosts = master.removeprefix("spark://").split(",")
        reached = False
        for hp in hosts:
            host, port = hp.rsplit(":", 1)
            try:
                with socket.create_connection((host, int(port)), timeout=timeout):
                    reached = True
                    break
            except OSError:
                continue
        if not reached:
            raise NetworkError(
                f"cannot reach the Spark master at {master} (no answer within {timeout:g} s)",
                hint="start the master (sbin/start-master.sh), check host, port and firewall, "
                "or set CRIMECAST_SPARK_MASTER=local[*]",
            )
    return master


def session(master: str | None = None, conf: dict | None = None):
    """The process's SparkSession (created on first use; later calls reuse it)."""
    global _session
    with _lock:
        if _session is not None and _session.sparkContext._jsc is not None:
            return _session
        require("pyspark", "spark")
        master = check_master(master or config.get("spark_master"))
        java = check_java()
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        if master.startswith("local"):  # one machine: stay on loopback, no network warnings
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        quiet = _quiet_log4j()
        settings = {
            "spark.ui.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.sql.shuffle.partitions": "8",
            "spark.sql.execution.arrow.pyspark.enabled": "true",
            "spark.sql.session.timeZone": "UTC",
            "spark.pyspark.python": sys.executable,
            "spark.driver.extraJavaOptions": f"-Duser.timezone=UTC -Dlog4j2.configurationFile={quiet}",
            "spark.executor.extraJavaOptions": "-Duser.timezone=UTC",
            "spark.sql.execution.pyspark.udf.faulthandler.enabled": "true",
            **(conf or {}),
        }
        builder = SparkSession.builder.master(master).appName("crimecast")
        for k, v in settings.items():
            builder = builder.config(k, v)
        spark = _start(builder, master, java)
        spark.sparkContext.setLogLevel("ERROR")
        if not master.startswith("local"):
            _check_executors(spark, master)
        _session = spark
        return spark


_LOG4J = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = spark %p %c{1}: %m%n
"""


def _quiet_log4j() -> str:
    """A log4j2 config that keeps Spark's JVM to errors, so the CLI's output stays readable."""
    import tempfile

    path = Path(tempfile.gettempdir()) / f"crimecast-spark-log4j2-{os.getuid()}.properties"
    if not path.exists() or path.read_text() != _LOG4J:
        path.write_text(_LOG4J)
    return path.as_uri()


def _start(builder, master: str, java: str):
    """builder.getOrCreate(), bounded in time for cluster masters.

    Something that accepts TCP connections but is not a Spark master (or a master of another
    Spark version) makes Spark retry its registration for about a minute; give up sooner.
    """
    if master.startswith("local"):
        wait = None  # no network involved; the JVM either starts or fails
    else:
        wait = config.get_float("spark_connect_timeout") + JVM_START_ALLOWANCE
    box: dict = {}
    done = threading.Event()

    def create():
        try:
            box["spark"] = builder.getOrCreate()
        except Exception as exc:  # reported below, in the caller's thread
            box["exc"] = exc
        done.set()

    threading.Thread(target=create, daemon=True, name="crimecast-spark-start").start()
    if not done.wait(wait):
        raise NetworkError(
            f"the Spark master at {master} accepted a connection but did not take this "
            f"application within {wait:g} s",
            hint="check that it is a Spark master (standalone port 7077) running the same Spark "
            "version as this pyspark, or use --backend local",
        )
    if "exc" in box:
        raise SparkError(
            f"Spark did not start (master {master}, java {java}): {_first_line(box['exc'])}",
            hint="check the master URL and that Java 17 works (java -version)",
        ) from box["exc"]
    return box["spark"]


def _check_executors(spark, master: str) -> None:
    """A cluster that accepts the app but never grants executors would hang the first job."""
    timeout = config.get_float("spark_connect_timeout")
    done = threading.Event()
    box: dict = {}

    def probe():
        try:
            box["n"] = spark.range(1).count()
        except Exception as exc:  # reported below
            box["exc"] = exc
        done.set()

    threading.Thread(target=probe, daemon=True).start()
    if not done.wait(timeout) or "exc" in box:
        spark.sparkContext.cancelAllJobs()
        spark.stop()
        raise NetworkError(
            f"the Spark master at {master} gave this app no executors within {timeout:g} s",
            hint="check that workers are registered with the master and have free cores/memory",
        )


def stop() -> None:
    """Stop the process's session (tests and benchmarks; the CLI lets the process end)."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None


def _worker_cause(exc: BaseException) -> str:
    """The Python exception line inside a Spark error (the last `XxxError: ...` of the worker's
    traceback), which says more than Spark's own first line."""
    lines = [line.strip() for line in str(exc).splitlines()]
    causes = [line for line in lines if re.match(r"^[\w.]+(Error|Exception|Exit): ", line)]
    return causes[-1][:300] if causes else _first_line(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


# -- panels ---------------------------------------------------------------------------------------
def _uid_sql(level: str) -> str:
    if level in EXTRA_UID_SQL:
        return EXTRA_UID_SQL[level]
    panel_mod.check_level_freq(level, "D")
    return panel_mod.SERIES_ID_SQL[level]


def panel_frame(spark, parquet_dir, level: str, freq: str, filters: Filters | None = None):
    """The zero-filled panel as a Spark DataFrame (stays distributed; see `panel`)."""
    if freq not in panel_mod.FREQS:
        panel_mod.check_level_freq("city", freq)
    uid = _uid_sql(level)
    path = str(parquet_dir)
    # On a cluster the executors read the Parquet where it lives (s3a://bucket/.../versions/V/...,
    # see docs/scaling.md); a local directory is checked here for a clearer message.
    if "://" not in path and not any(Path(path).glob("year=*")):
        raise ConfigError(
            f"no Parquet incidents under {path}",
            hint="ingest data into the store first (crimecast ingest / fetch)",
        )
    spark.read.parquet(path).createOrReplaceTempView("crimecast_incidents")
    where, params = (filters or Filters()).to_sql()
    counts = spark.sql(
        f"SELECT {uid} AS unique_id, "
        f"CAST(date_trunc('{panel_mod.PERIOD_UNITS[freq]}', occurred_date) AS TIMESTAMP_NTZ) AS ds, "
        f"count(*) AS y FROM crimecast_incidents WHERE ({where}) AND occurred_date IS NOT NULL "
        "GROUP BY 1, 2",
        args=list(params),
    )
    counts.createOrReplaceTempView("crimecast_counts")
    # Every series on the common range of periods; a period without incidents is a 0.
    return spark.sql(
        "WITH span AS (SELECT min(ds) AS lo, max(ds) AS hi FROM crimecast_counts), "
        f"periods AS (SELECT explode(sequence(lo, hi, {_STEP[freq]})) AS ds FROM span), "
        "ids AS (SELECT DISTINCT unique_id FROM crimecast_counts) "
        "SELECT i.unique_id, p.ds, CAST(coalesce(c.y, 0) AS BIGINT) AS y "
        "FROM ids i CROSS JOIN periods p "
        "LEFT JOIN crimecast_counts c ON c.unique_id = i.unique_id AND c.ds = p.ds"
    )


def panel(spark, parquet_dir, level: str, freq: str, filters: Filters | None = None):
    """The panel as pandas, sorted by (unique_id, ds): the same frame crimecast.panel builds."""
    out = panel_frame(spark, parquet_dir, level, freq, filters).toPandas()
    if out.empty:
        return panel_mod.zero_fill(pd.DataFrame(columns=panel_mod.PANEL_COLUMNS), freq)
    out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
    out["y"] = out["y"].astype("int64")
    out["unique_id"] = out["unique_id"].astype(object)
    return out.sort_values(["unique_id", "ds"], ignore_index=True)[panel_mod.PANEL_COLUMNS]


def build(store, level: str, freq: str, filters: Filters | None = None, spark=None):
    """(training panel, excluded periods), like `crimecast.panel.build` but aggregated in Spark."""
    spark = spark or session()
    full = panel(spark, store.ensure_parquet(), level, freq, filters)  # never a stale mirror
    return panel_mod.split_complete(full, freq, store.complete_through(), store.completeness())


# -- mapping a per-series function ----------------------------------------------------------------
def _spark_type(dtype) -> str:
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "timestamp_ntz"
    return "string"


def _run_group(group: pd.DataFrame, key: str, fn: Callable, cols: list[str]) -> pd.DataFrame:
    """Runs on an executor: fn on one group, or one error row naming the group."""
    value = group[key].iloc[0]
    if _ROW in group.columns:
        group = group.sort_values(_ROW, kind="stable").drop(columns=_ROW)
    group = group.reset_index(drop=True)
    try:
        out = fn(group)
        out = out.copy()
        for c in cols:
            if c not in out.columns:
                out[c] = None
        out[ERROR] = None
        return out[[*cols, ERROR]]
    except Exception as exc:  # reported per group, by design
        row = {c: [None] for c in cols} | {key: [value], ERROR: [f"{type(exc).__name__}: {exc}"]}
        return pd.DataFrame(row)[[*cols, ERROR]]


def infer_schema(df: pd.DataFrame, key: str, fn: Callable, columns: list[str] | None) -> str:
    """Spark DDL of fn's output, from running fn on the driver for one group that works."""
    for _, group in list(df.groupby(key, sort=True))[:3]:
        try:
            sample = fn(group.drop(columns=[_ROW], errors="ignore").reset_index(drop=True))
        except Exception:  # a bad series; try the next one
            continue
        cols = columns or list(sample.columns)
        kinds = {c: _spark_type(sample[c].dtype) if c in sample else "string" for c in cols}
        kinds[key] = "string"
        return ", ".join(f"`{c}` {kinds[c]}" for c in cols)
    cols = columns or [key]
    return ", ".join(f"`{c}` string" for c in cols)


def map_groups(
    df,
    key: str,
    fn: Callable[[pd.DataFrame], pd.DataFrame],
    n_jobs: int = 2,
    columns: list[str] | None = None,
    schema: str | None = None,
    spark=None,
) -> pd.DataFrame:
    """fn applied to each group of df by `key` on Spark, concatenated, sorted by key.

    df: a pandas frame (sent to Spark) or a Spark DataFrame (e.g. `panel_frame`). `schema`: the
    Spark DDL of fn's output; when omitted it is inferred by running fn on one group on the
    driver (one series' work more). `n_jobs` is accepted for the shared interface; Spark's
    parallelism is the cluster's.
    """
    spark = spark or session()
    is_pandas = isinstance(df, pd.DataFrame)
    if is_pandas:
        if df.empty:
            return pd.DataFrame(columns=[*(columns or [key]), ERROR])
        local = df.reset_index(drop=True).assign(**{_ROW: range(len(df))})
        local[key] = local[key].astype(str)
        sdf = spark.createDataFrame(local)
        probe = local
    else:
        sdf = df
        first = sdf.select(key).distinct().orderBy(key).limit(3).toPandas()[key].tolist()
        probe = sdf.where(sdf[key].isin(first)).toPandas()
    if schema is None:
        schema = infer_schema(probe, key, fn, columns)
    cols = [c.strip().split(" ", 1)[0].strip("`") for c in _split_ddl(schema)]
    groups = max(1, len(probe[key].unique()) if is_pandas else 1)
    parallel = spark.sparkContext.defaultParallelism
    if is_pandas:  # a few tasks per core balance uneven series without one task per series
        sdf = sdf.repartition(min(groups, parallel * 4), key)

    def run(group: pd.DataFrame) -> pd.DataFrame:
        return _run_group(group, key, fn, cols)

    try:
        out = sdf.groupBy(key).applyInPandas(run, f"{schema}, `{ERROR}` string").toPandas()
    except Exception as exc:
        raise SparkError(
            f"the Spark job failed outside the per-series function: {_worker_cause(exc)}",
            hint="check that every executor can import crimecast (same version) and has memory",
        ) from exc
    for c in out.columns:
        if pd.api.types.is_datetime64_any_dtype(out[c]):
            out[c] = out[c].astype("datetime64[ns]")
    return out.sort_values(key, kind="stable", ignore_index=True)[[*cols, ERROR]]


def _split_ddl(schema: str) -> list[str]:
    """Top-level comma split of a DDL string (no nested types are produced here)."""
    return [part for part in schema.split(",") if part.strip()]
