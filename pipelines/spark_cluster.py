"""A Spark standalone cluster on this machine: a master, workers and the Spark Thrift server.

Started from the pyspark package's own launch scripts and jars (``bin/spark-class`` for the
master and the workers, ``bin/spark-submit`` for ``HiveThriftServer2``), every process bound to
the loopback interface. dbt's ``spark-thrift`` target (dbt_project/profiles.yml, dbt-spark's
``thrift`` method) talks to the Thrift server over the network as it would to a managed cluster
on another host; the Thrift server is the cluster's driver, the workers run its executors.

Everything the cluster writes lives under its state folder (default ``<spark_dir>/cluster``,
``NHCS_SPARK_CLUSTER_DIR``), beside the warehouse and so git-ignored: ``cluster.json`` (what was
started, with which ports), ``pids/``, ``logs/``, the workers' and executors' scratch space, the
Derby metastore of the Thrift server. The tables themselves stay where the dbt project puts
them (``<spark_dir>/tables``).

``start`` and ``stop`` are idempotent: a running process is left alone (a missing one is started
again), a stopped one is not an error. A pid file is trusted only if the process it names is the
one that was started (same start time), so a reused pid is never killed. Errors are one line
(``ClusterError``): Java missing, a port taken by another program, a process that exited or did
not become ready in time (with the log that says why). See docs/scale-out.md.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

import psutil

from .settings import Settings, SettingsError

LOOPBACK = "127.0.0.1"
THRIFT_SERVER_CLASS = "org.apache.spark.sql.hive.thriftserver.HiveThriftServer2"
MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
Progress = Callable[[str], None]
# A running cluster started with other values of these is not the one asked for.
SETTINGS_THAT_MATTER = (
    "spark_dir",
    "master_port",
    "master_ui_port",
    "thrift_port",
    "workers",
    "worker_cores",
    "worker_memory",
    "executor_memory",
    "driver_memory",
)


class ClusterError(RuntimeError):
    """The cluster cannot be started, stopped or reached; the message is one line."""


def _env_int(name: str, default: int, low: int = 1, high: int = 65535) -> int:
    value = os.environ.get(name, "")
    try:
        number = int(value) if value else default
    except ValueError:
        number = low - 1
    if not low <= number <= high:
        raise SettingsError(f"{name}={value!r}: expected a whole number from {low} to {high}")
    return number


@dataclass(frozen=True)
class ClusterConfig:
    """What to start. Ports and sizes come from options, else ``NHCS_SPARK_*``, else defaults
    sized for a 2-core machine (two one-core workers)."""

    state_dir: Path
    spark_dir: Path
    master_port: int = 7077
    master_ui_port: int = 8080
    thrift_port: int = 10000
    workers: int = 2
    worker_cores: int = 1
    worker_memory: str = "3g"
    executor_memory: str = "2g"
    driver_memory: str = "2g"
    start_timeout: float = 600.0

    @classmethod
    def from_settings(cls, settings: Settings, **options) -> ClusterConfig:
        """``options`` (e.g. from the command line) win over the environment."""
        state = os.environ.get("NHCS_SPARK_CLUSTER_DIR")
        values = dict(
            state_dir=Path(state).resolve() if state else settings.spark_dir / "cluster",
            spark_dir=settings.spark_dir,
            master_port=_env_int("NHCS_SPARK_MASTER_PORT", 7077),
            master_ui_port=_env_int("NHCS_SPARK_MASTER_UI_PORT", 8080),
            thrift_port=_env_int("NHCS_SPARK_THRIFT_PORT", 10000),
            workers=_env_int("NHCS_SPARK_WORKERS", 2, high=64),
            worker_cores=_env_int("NHCS_SPARK_WORKER_CORES", 1, high=256),
            worker_memory=os.environ.get("NHCS_SPARK_WORKER_MEMORY") or "3g",
            executor_memory=os.environ.get("NHCS_SPARK_EXECUTOR_MEMORY") or "2g",
            driver_memory=os.environ.get("NHCS_SPARK_DRIVER_MEMORY") or "2g",
            start_timeout=float(_env_int("NHCS_SPARK_START_TIMEOUT", 600, high=86400)),
        )
        values.update({k: v for k, v in options.items() if v is not None})
        config = cls(**values)
        ports = [config.master_port, config.master_ui_port, config.thrift_port]
        if len(set(ports)) != len(ports):
            raise SettingsError(f"the master, master UI and Thrift ports must differ: {ports}")
        return config

    @property
    def master_url(self) -> str:
        return f"spark://{LOOPBACK}:{self.master_port}"

    @property
    def processes(self) -> list[str]:
        """In start order (stop is the reverse)."""
        return ["master", *(f"worker-{i}" for i in range(1, self.workers + 1)), "thrift"]


@dataclass
class ProcessState:
    name: str
    pid: int | None
    running: bool


@dataclass
class ClusterStatus:
    processes: list[ProcessState]
    workers_alive: list[str] = field(default_factory=list)  # "host:port (n cores, m MiB)"
    thrift_answers: bool = False
    thrift_error: str | None = None
    config: dict | None = None

    @property
    def healthy(self) -> bool:
        expected = (self.config or {}).get("workers", 0)
        return (
            all(p.running for p in self.processes)
            and len(self.workers_alive) >= expected
            and self.thrift_answers
        )

    def lines(self) -> list[str]:
        out = [
            f"{p.name}: {'running' if p.running else 'not running'}"
            + (f" (pid {p.pid})" if p.running else "")
            for p in self.processes
        ]
        if self.config:
            out.append(
                f"master spark://{LOOPBACK}:{self.config['master_port']}: "
                f"{len(self.workers_alive)} worker(s) registered"
                + (": " + ", ".join(self.workers_alive) if self.workers_alive else "")
            )
            endpoint = f"{LOOPBACK}:{self.config['thrift_port']}"
            out.append(
                f"thrift {endpoint}: "
                + (
                    "answers (select 1)"
                    if self.thrift_answers
                    else f"no answer ({self.thrift_error})"
                )
            )
        return out


# ------------------------------------------------------------------------------ the package


def spark_home() -> Path:
    """The pyspark package: its ``bin/``, ``sbin/`` and ``jars/`` are a Spark distribution."""
    import pyspark

    return Path(pyspark.__file__).resolve().parent


def _java() -> str:
    home = os.environ.get("JAVA_HOME")
    java = Path(home) / "bin" / "java" if home else shutil.which("java")
    if not java or not Path(java).exists():
        raise ClusterError(
            "no Java runtime found (JAVA_HOME or java on PATH): Spark 4 needs Java 17 or 21, "
            "e.g. apt-get install openjdk-17-jre-headless"
        )
    return str(java)


class LocalCluster:
    """The cluster of one state folder."""

    def __init__(self, config: ClusterConfig, progress: Progress | None = None):
        self.config = config
        self.say = progress or (lambda msg: None)
        self.state = config.state_dir

    # ---------------------------------------------------------------- files
    def _pid_file(self, name: str) -> Path:
        return self.state / "pids" / f"{name}.pid"

    def log_file(self, name: str) -> Path:
        return self.state / "logs" / f"{name}.log"

    def _recorded_config(self) -> dict | None:
        try:
            return json.loads((self.state / "cluster.json").read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None

    def _process(self, name: str) -> psutil.Process | None:
        """The running process of ``name``, if the pid file names the one we started."""
        try:
            pid_text, started = self._pid_file(name).read_text().split()
            proc = psutil.Process(int(pid_text))
            if abs(proc.create_time() - float(started)) > 1 or not proc.is_running():
                return None
            if proc.status() == psutil.STATUS_ZOMBIE:
                return None
            return proc
        except (FileNotFoundError, ValueError, psutil.Error):
            return None

    def _record(self) -> dict:
        return asdict(self.config) | {
            "state_dir": str(self.state),
            "spark_dir": str(self.config.spark_dir),
        }

    # ---------------------------------------------------------------- start
    def _env(self) -> dict[str, str]:
        home = spark_home()
        return {
            **os.environ,
            "SPARK_HOME": str(home),
            # every service (web UIs included) on loopback, never on the machine's address
            "SPARK_LOCAL_IP": LOOPBACK,
            "SPARK_CONF_DIR": str(self.state / "conf"),
            "SPARK_LOG_DIR": str(self.state / "logs"),
            "SPARK_LOCAL_DIRS": str(self.state / "scratch"),
            "SPARK_WORKER_DIR": str(self.state / "work"),
            "SPARK_NO_DAEMONIZE": "1",
        }

    def _write_conf(self) -> None:
        """spark-defaults.conf for every process: no REST submission server, scratch space in
        the state folder, and the SQL settings the dbt project relies on (also sent by the
        dbt profile per session, so a managed cluster gets them too)."""
        c = self.config
        conf = {
            "spark.master.rest.enabled": "false",
            "spark.ui.showConsoleProgress": "false",
            "spark.local.dir": str(self.state / "scratch"),
            "spark.sql.warehouse.dir": str(c.spark_dir / "warehouse"),
            "spark.sql.session.timeZone": "UTC",
            "spark.sql.shuffle.partitions": str(max(4, 2 * c.workers * c.worker_cores)),
            "spark.sql.ansi.enabled": "false",
            "spark.sql.legacy.allowNonEmptyLocationInCTAS": "true",
        }
        folder = self.state / "conf"
        folder.mkdir(parents=True, exist_ok=True)
        text = "".join(f"{k} {v}\n" for k, v in conf.items())
        (folder / "spark-defaults.conf").write_text(text, encoding="utf-8")

    def _commands(self) -> dict[str, list[str]]:
        home, c = spark_home(), self.config
        cmds = {
            "master": [
                str(home / "bin" / "spark-class"),
                MASTER_CLASS,
                "--host",
                LOOPBACK,
                "--port",
                str(c.master_port),
                "--webui-port",
                str(c.master_ui_port),
            ]
        }
        for i in range(1, c.workers + 1):
            cmds[f"worker-{i}"] = [
                str(home / "bin" / "spark-class"),
                WORKER_CLASS,
                "--host",
                LOOPBACK,
                "--cores",
                str(c.worker_cores),
                "--memory",
                c.worker_memory,
                "--webui-port",
                "0",  # any free port: nothing to configure, nothing to collide
                "--work-dir",
                str(self.state / "work" / f"worker-{i}"),
                c.master_url,
            ]
        cmds["thrift"] = [
            str(home / "bin" / "spark-submit"),
            "--class",
            THRIFT_SERVER_CLASS,
            "--name",
            "nhcs-thrift-server",
            "--master",
            c.master_url,
            "--driver-memory",
            c.driver_memory,
            "--executor-memory",
            c.executor_memory,
            "--conf",
            "spark.ui.enabled=false",
            "--conf",
            "spark.hadoop.javax.jdo.option.ConnectionURL=jdbc:derby:;databaseName="
            f"{self.state / 'metastore_db'};create=true",
            "--driver-java-options",
            f"-Dderby.system.home={self.state / 'derby'}",
            "--hiveconf",
            f"hive.server2.thrift.port={c.thrift_port}",
            "--hiveconf",
            f"hive.server2.thrift.bind.host={LOOPBACK}",
            "spark-internal",
        ]
        return cmds

    def _ports(self, name: str) -> list[tuple[int, str]]:
        c = self.config
        if name == "master":
            return [
                (c.master_port, "NHCS_SPARK_MASTER_PORT / --master-port"),
                (c.master_ui_port, "NHCS_SPARK_MASTER_UI_PORT / --master-ui-port"),
            ]
        if name == "thrift":
            return [(c.thrift_port, "NHCS_SPARK_THRIFT_PORT / --thrift-port")]
        return []

    def start(self) -> ClusterStatus:
        _java()  # spark-class finds Java the same way (JAVA_HOME, then PATH)
        recorded = self._recorded_config()
        running = [n for n in self.config.processes if self._process(n)]
        if running and recorded:
            mine = self._record()
            changed = sorted(k for k in SETTINGS_THAT_MATTER if mine[k] != recorded.get(k))
            if changed:
                raise ClusterError(
                    f"a cluster is already running from {self.state} with other settings "
                    f"({', '.join(changed)}): run `nhcs spark-cluster stop` first"
                )
        for folder in ("pids", "logs", "scratch", "work"):
            (self.state / folder).mkdir(parents=True, exist_ok=True)
        self._write_conf()
        (self.state / "cluster.json").write_text(json.dumps(self._record(), indent=1), "utf-8")
        cmds = self._commands()
        deadline = time.monotonic() + self.config.start_timeout
        started: list[str] = []
        try:
            # The master first; the workers and the Thrift server then start side by side
            # (each JVM takes 10-30 s to start, minutes on a busy machine).
            for wave in (["master"], self.config.processes[1:]):
                for name in wave:
                    if self._process(name):
                        self.say(f"spark-cluster: {name} already running")
                        continue
                    for port, setting in self._ports(name):
                        if not port_free(port):
                            raise ClusterError(
                                f"port {port} on {LOOPBACK} is taken by another program: "
                                f"choose another with {setting}"
                            )
                    self._launch(name, cmds[name])
                    started.append(name)
                for name in wave:
                    self._wait_ready(name, deadline)
        except BaseException:
            for name in reversed(started):  # leave nothing half-started behind
                self._stop_one(name)
            raise
        status = self.status()
        if not status.healthy:
            raise ClusterError(
                "the cluster started but is not healthy: " + "; ".join(status.lines())
            )
        return status

    def _launch(self, name: str, cmd: list[str]) -> None:
        log = self.log_file(name)
        self.say(f"spark-cluster: starting {name} (log {log})")
        with open(log, "ab") as out:
            out.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} start {name}\n".encode())
            out.flush()
            # its own session and process group: stop signals the group, executors included
            proc = psutil.Popen(
                cmd,
                env=self._env(),
                cwd=self.state,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=out,
                start_new_session=True,
            )
        self._pid_file(name).write_text(f"{proc.pid} {proc.create_time()}\n")
        self._children = getattr(self, "_children", {})
        self._children[name] = proc

    def _wait_ready(self, name: str, deadline: float) -> None:
        """Until ``name`` serves: the master is ALIVE, a worker registered, the Thrift server
        answers a query."""
        while True:
            proc = self._process(name)
            if proc is None:
                code = self._exit_code(name)
                raise ClusterError(
                    f"{name} exited during start-up ({code}); see {self.log_file(name)}"
                )
            if self._ready(name):
                self.say(f"spark-cluster: {name} ready")
                return
            if time.monotonic() > deadline:
                raise ClusterError(
                    f"{name} not ready after {self.config.start_timeout:.0f} s "
                    f"(NHCS_SPARK_START_TIMEOUT); see {self.log_file(name)}"
                )
            time.sleep(1.0)

    def _exit_code(self, name: str) -> str:
        proc = getattr(self, "_children", {}).get(name)
        if proc is None:
            return "exit status unknown"
        try:
            return f"exit code {proc.wait(timeout=1)}"
        except psutil.TimeoutExpired:
            return "exit status unknown"

    def _ready(self, name: str) -> bool:
        if name == "master":
            return (self._master_json() or {}).get("status") == "ALIVE"
        if name.startswith("worker-"):
            wanted = int(name.split("-")[1])
            return len(self._alive_workers()) >= wanted
        ok, _ = thrift_answers(LOOPBACK, self.config.thrift_port, timeout=30)
        return ok

    # ---------------------------------------------------------------- status
    def _master_json(self) -> dict | None:
        url = f"http://{LOOPBACK}:{self.config.master_ui_port}/json/"
        try:
            with urllib.request.urlopen(url, timeout=5) as resp:  # noqa: S310 - loopback
                return json.loads(resp.read())
        except (OSError, urllib.error.URLError, ValueError):
            return None

    def _alive_workers(self) -> list[str]:
        info = self._master_json() or {}
        return [
            f"{w.get('host')}:{w.get('port')} ({w.get('cores')} core(s), {w.get('memory')} MiB)"
            for w in info.get("workers", [])
            if w.get("state") == "ALIVE"
        ]

    def _as_started(self) -> LocalCluster:
        """The cluster as ``cluster.json`` says it was started (ports, workers), if it differs
        from the current settings: status and stop then address what really runs."""
        rec = self._recorded_config()
        if not rec:
            return self
        names = {f.name for f in fields(ClusterConfig)}
        try:
            values = {k: v for k, v in rec.items() if k in names}
            values.update(state_dir=Path(rec["state_dir"]), spark_dir=Path(rec["spark_dir"]))
            config = ClusterConfig(**values)
        except (KeyError, TypeError):
            return self
        return self if config == self.config else LocalCluster(config, self.say)

    def status(self) -> ClusterStatus:
        started = self._as_started()
        if started is not self:
            return started.status()
        procs = []
        for name in self.config.processes:
            proc = self._process(name)
            procs.append(ProcessState(name, proc.pid if proc else None, proc is not None))
        status = ClusterStatus(procs, config=self._recorded_config() or asdict(self.config))
        if any(p.running for p in procs):
            status.workers_alive = self._alive_workers()
            status.thrift_answers, status.thrift_error = thrift_answers(
                LOOPBACK, self.config.thrift_port, timeout=30
            )
        else:
            status.thrift_error = "nothing running"
        return status

    # ---------------------------------------------------------------- stop
    def stop(self, timeout: float = 60.0) -> list[str]:
        """Stop every process of the cluster (Thrift server first, master last); returns the
        names of those that were running."""
        started = self._as_started()
        if started is not self:
            return started.stop(timeout)
        stopped = []
        for name in reversed(self.config.processes + self._extra_recorded()):
            if self._stop_one(name, timeout):
                stopped.append(name)
        return stopped

    def _extra_recorded(self) -> list[str]:
        """Pid files of processes the current settings do not name (started with more
        workers): stopped too."""
        folder = self.state / "pids"
        known = set(self.config.processes)
        found = sorted(p.stem for p in folder.glob("*.pid")) if folder.is_dir() else []
        return [n for n in found if n not in known]

    def _stop_one(self, name: str, timeout: float = 60.0) -> bool:
        proc = self._process(name)
        self._pid_file(name).unlink(missing_ok=True)
        if proc is None:
            return False
        self.say(f"spark-cluster: stopping {name} (pid {proc.pid})")
        try:
            group = os.getpgid(proc.pid)
        except OSError:
            group = None
        members = [proc]
        try:
            members += proc.children(recursive=True)  # a worker's executors
        except psutil.Error:
            pass
        _signal(proc.pid, group, signal.SIGTERM)
        _, alive = psutil.wait_procs(members, timeout=timeout)
        if alive:
            _signal(proc.pid, group, signal.SIGKILL)
            for p in alive:
                try:
                    p.kill()
                except psutil.Error:
                    pass
            psutil.wait_procs(alive, timeout=10)
        return True


def _signal(pid: int, group: int | None, sig: int) -> None:
    try:
        if group is not None and group == pid:  # our own session leader: the whole group
            os.killpg(group, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        pass


def port_free(port: int, host: str = LOOPBACK) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = LOOPBACK) -> int:
    """A port free right now (for tests that must not collide with a running cluster)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def thrift_answers(host: str, port: int, timeout: float = 30.0) -> tuple[bool, str | None]:
    """Whether a Thrift server at host:port answers ``select 1`` within ``timeout``."""
    try:
        socket.create_connection((host, port), timeout=min(timeout, 5)).close()
    except OSError as exc:
        return False, f"cannot connect: {exc.strerror or exc}"
    outcome: list = []

    def query() -> None:
        try:
            from pyhive import hive

            con = hive.connect(host=host, port=port, username="nhcs")
            try:
                cur = con.cursor()
                cur.execute("select 1")
                outcome.append(cur.fetchall() == [(1,)])
            finally:
                con.close()
        except Exception as exc:  # noqa: BLE001 - any failure means "does not answer"
            outcome.append(f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}")

    worker = threading.Thread(target=query, daemon=True)
    worker.start()
    worker.join(timeout)
    if not outcome:
        return False, f"no answer within {timeout:.0f} s"
    if outcome[0] is True:
        return True, None
    return False, str(outcome[0]) if outcome[0] is not False else "unexpected answer"


def cluster_command(
    action: str, settings: Settings, progress: Progress, out: Callable[[str], None], **options
) -> int:
    """``nhcs spark-cluster start|stop|status``: the exit code (0: done / healthy)."""
    config = ClusterConfig.from_settings(settings, **options)
    cluster = LocalCluster(config, progress)
    if action == "start":
        status = cluster.start()
        for line in status.lines():
            out(line)
        out(
            f"dbt target spark-thrift: NHCS_ENGINE=spark-thrift "
            f"NHCS_SPARK_THRIFT_PORT={config.thrift_port}"
        )
        return 0
    if action == "stop":
        stopped = cluster.stop()
        out(f"stopped: {', '.join(stopped)}" if stopped else "not running: nothing to stop")
        return 0
    status = cluster.status()
    for line in status.lines():
        out(line)
    return 0 if status.healthy else 1
