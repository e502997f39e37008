"""A local PostgreSQL server for Dagster's instance (`nhcs postgres start|stop|status`).

Dagster keeps its runs, event log and schedules in SQLite under DAGSTER_HOME by default; a
team's deployment keeps them in PostgreSQL (dagster-postgres), whose pooled connections also
remove the SQLite storage's cost per event (docs/performance.md). This module runs the Debian
package's server (``apt-get install postgresql``; binaries under /usr/lib/postgresql/<v>/bin)
on the loopback interface only, with its data in a folder of the project (default
``.postgres/``, git-ignored; ``NHCS_POSTGRES_DIR``) and port ``NHCS_POSTGRES_PORT`` (default
5433, beside a system server's 5432). Authentication is ``trust`` for loopback connections of
this machine: a development and test server, not a shared one.

PostgreSQL refuses to run as root: when started by root, the server runs as the ``postgres``
system user the Debian package creates, which then owns the data folder (its parents must let
that user through). Point Dagster at it with ``NHCS_DAGSTER_PG_URL`` (printed by ``start``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .settings import PROJECT_ROOT

DEFAULT_PORT = 5433
DATABASE = "dagster"
SERVER_USER = "postgres"


class PostgresError(RuntimeError):
    """The local server cannot be found, set up, started or stopped."""


@dataclass(frozen=True)
class Server:
    data_dir: Path
    port: int

    @property
    def url(self) -> str:
        # the driver named: SQLAlchemy 2.1 defaults to psycopg 3, dagster-postgres brings
        # psycopg2
        return f"postgresql+psycopg2://{SERVER_USER}@127.0.0.1:{self.port}/{DATABASE}"

    @property
    def log(self) -> Path:
        return self.data_dir.parent / f"{self.data_dir.name}.log"


def server(data_dir: str | Path | None = None, port: int | None = None) -> Server:
    folder = data_dir or os.environ.get("NHCS_POSTGRES_DIR") or PROJECT_ROOT / ".postgres"
    port = port or int(os.environ.get("NHCS_POSTGRES_PORT") or DEFAULT_PORT)
    return Server(Path(folder).resolve(), port)


def bin_dir() -> Path:
    """The newest installed server's binaries (Debian: /usr/lib/postgresql/<major>/bin)."""
    root = Path("/usr/lib/postgresql")
    found = sorted(
        (p / "bin" for p in root.glob("*") if (p / "bin" / "pg_ctl").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    on_path = shutil.which("pg_ctl")
    if on_path:
        return Path(on_path).resolve().parent
    raise PostgresError(
        "no PostgreSQL server installed (pg_ctl not found): `apt-get install postgresql`"
    )


def _as_server_user(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError as exc:
        raise PostgresError(
            f"running as root and there is no '{SERVER_USER}' user to run the server as "
            "(the Debian package creates it)"
        ) from exc
    return ["runuser", "-u", SERVER_USER, "--", *cmd]


def _run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(_as_server_user(cmd), capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        raise PostgresError(f"{Path(cmd[0]).name} failed: {(proc.stderr or proc.stdout).strip()}")
    return proc


def _prepare_folder(srv: Server) -> None:
    srv.data_dir.mkdir(parents=True, exist_ok=True)
    srv.log.touch()
    if os.geteuid() == 0:
        user = pwd.getpwnam(SERVER_USER)
        for path in (srv.data_dir, srv.log):
            os.chown(path, user.pw_uid, user.pw_gid)
    srv.data_dir.chmod(0o700)


def is_running(srv: Server) -> bool:
    proc = subprocess.run(
        _as_server_user([str(bin_dir() / "pg_ctl"), "status", "-D", str(srv.data_dir)]),
        capture_output=True,
        text=True,
    )
    return proc.returncode == 0


def start(srv: Server | None = None, timeout: float = 60) -> Server:
    """Initialise the data folder if new, start the server on 127.0.0.1 and create the
    ``dagster`` database; a server already running there is left as it is."""
    srv = srv or server()
    binaries = bin_dir()
    if not (srv.data_dir / "PG_VERSION").exists():
        _prepare_folder(srv)
        _run(
            [
                str(binaries / "initdb"),
                "-D",
                str(srv.data_dir),
                "-U",
                SERVER_USER,
                "--auth=trust",
                "--encoding=UTF8",
                "--no-instructions",
            ]
        )
    if not is_running(srv):
        options = f"-c listen_addresses=127.0.0.1 -p {srv.port} -c unix_socket_directories=''"
        _run(
            [
                str(binaries / "pg_ctl"),
                "start",
                "-D",
                str(srv.data_dir),
                "-l",
                str(srv.log),
                "-o",
                options,
                "-w",
                "-t",
                str(int(timeout)),
            ]
        )
    _create_database(srv, timeout)
    return srv


def _create_database(srv: Server, timeout: float) -> None:
    import psycopg2

    deadline = time.monotonic() + timeout
    while True:
        try:
            con = psycopg2.connect(
                host="127.0.0.1", port=srv.port, user=SERVER_USER, dbname="postgres"
            )
            break
        except psycopg2.OperationalError as exc:
            if time.monotonic() > deadline:
                raise PostgresError(f"server on port {srv.port} does not answer: {exc}") from exc
            time.sleep(0.2)
    try:
        con.autocommit = True
        with con.cursor() as cur:
            cur.execute("select 1 from pg_database where datname = %s", [DATABASE])
            if cur.fetchone() is None:
                cur.execute(f"create database {DATABASE}")
    finally:
        con.close()


def stop(srv: Server | None = None) -> bool:
    """Stop the server (fast shutdown); False when it was not running."""
    srv = srv or server()
    if not (srv.data_dir / "PG_VERSION").exists() or not is_running(srv):
        return False
    _run([str(bin_dir() / "pg_ctl"), "stop", "-D", str(srv.data_dir), "-m", "fast", "-w"])
    return True
