"""``nhcs spark-cluster`` without starting a JVM: settings, one-line errors, idempotent stop, and
pid files that never make it kill someone else's process. (The cluster itself is started and
stopped by the session fixture ``spark_cluster`` for the engine comparison.)"""

from __future__ import annotations

import os
import socket

import pytest

from pipelines.settings import SettingsError, load_settings
from pipelines.spark_cluster import (
    ClusterConfig,
    ClusterError,
    LocalCluster,
    cluster_command,
    free_port,
)


def _config(tmp_path, **kw) -> ClusterConfig:
    ports = {"master_port": free_port(), "master_ui_port": free_port(), "thrift_port": free_port()}
    return ClusterConfig(state_dir=tmp_path / "cluster", spark_dir=tmp_path / "spark", **ports | kw)


def test_settings_come_from_options_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NHCS_SPARK_MASTER_PORT", "17077")
    monkeypatch.setenv("NHCS_SPARK_WORKERS", "3")
    s = load_settings(warehouse=tmp_path / "wh" / "warehouse.duckdb")
    c = ClusterConfig.from_settings(s, thrift_port=10123)
    assert (c.master_port, c.thrift_port, c.workers) == (17077, 10123, 3)
    assert c.state_dir == tmp_path / "wh" / "spark" / "cluster"  # git-ignored, by the warehouse
    assert c.processes == ["master", "worker-1", "worker-2", "worker-3", "thrift"]

    monkeypatch.setenv("NHCS_SPARK_MASTER_PORT", "70000")
    with pytest.raises(SettingsError, match="NHCS_SPARK_MASTER_PORT='70000': expected a whole"):
        ClusterConfig.from_settings(s)
    monkeypatch.setenv("NHCS_SPARK_MASTER_PORT", "10123")
    with pytest.raises(SettingsError, match="ports must differ"):
        ClusterConfig.from_settings(s, thrift_port=10123)


def test_a_taken_port_is_refused_in_one_line_before_anything_starts(tmp_path):
    config = _config(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", config.master_port))
        taken.listen()
        with pytest.raises(ClusterError) as err:
            LocalCluster(config).start()
    assert str(err.value) == (
        f"port {config.master_port} on 127.0.0.1 is taken by another program: choose another "
        "with NHCS_SPARK_MASTER_PORT / --master-port"
    )
    assert not any(p.running for p in LocalCluster(config).status().processes)


def test_no_java_is_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    with pytest.raises(ClusterError, match=r"^no Java runtime found .* Java 17 or 21"):
        LocalCluster(_config(tmp_path)).start()


def test_stop_and_status_of_a_stopped_cluster(tmp_path, monkeypatch):
    monkeypatch.setenv("NHCS_SPARK_CLUSTER_DIR", str(tmp_path / "cluster"))
    monkeypatch.setenv("NHCS_SPARK_THRIFT_PORT", str(free_port()))
    s = load_settings(warehouse=tmp_path / "warehouse.duckdb")
    lines: list[str] = []
    assert cluster_command("stop", s, lambda m: None, lines.append) == 0
    assert cluster_command("stop", s, lambda m: None, lines.append) == 0  # idempotent
    assert lines == ["not running: nothing to stop"] * 2
    lines.clear()
    assert cluster_command("status", s, lambda m: None, lines.append) == 1
    assert "master: not running" in lines and lines[-1].endswith("no answer (nothing running)")


def test_a_pid_file_naming_another_process_is_not_trusted(tmp_path):
    """A pid file left by a crash may name a pid the system gave to another program since:
    that process is neither reported as the cluster nor signalled."""
    config = _config(tmp_path)
    pids = config.state_dir / "pids"
    pids.mkdir(parents=True)
    (pids / "master.pid").write_text(f"{os.getpid()} 12345.0\n")  # alive, but not started then
    cluster = LocalCluster(config)
    assert not cluster.status().processes[0].running
    assert cluster.stop() == []  # and this test process is still here to say so
    assert not (pids / "master.pid").exists()


def test_the_command_line_fails_in_one_line_with_its_exit_code(tmp_path, monkeypatch, capsys):
    """`nhcs spark-cluster`: a cluster that is not running is exit 1 for `status` (so scripts
    can wait on it), a missing Java is one line and exit 1, an unusable setting exit 2."""
    from pipelines.cli import EXIT_FAILED, EXIT_OK, EXIT_USAGE, main

    monkeypatch.setenv("NHCS_SPARK_CLUSTER_DIR", str(tmp_path / "cluster"))
    ports = [free_port() for _ in range(3)]
    options = ["--warehouse", str(tmp_path / "warehouse.duckdb"), "--master-port", str(ports[0])]
    options += ["--master-ui-port", str(ports[1]), "--thrift-port", str(ports[2])]

    assert main(["spark-cluster", "stop", *options]) == EXIT_OK
    assert main(["spark-cluster", "status", *options]) == EXIT_FAILED
    out, err = capsys.readouterr()
    assert "not running: nothing to stop" in out and "master: not running" in out
    assert err.startswith("nhcs: the Spark cluster is not running") and err.count("\n") == 1

    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "no-java"))
    assert main(["spark-cluster", "start", *options]) == EXIT_FAILED
    err = capsys.readouterr().err
    assert err.startswith("nhcs: no Java runtime found") and err.count("\n") == 1

    monkeypatch.setenv("NHCS_SPARK_WORKERS", "many")
    assert main(["spark-cluster", "start", *options]) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "nhcs: NHCS_SPARK_WORKERS='many': expected a whole number from 1 to 64\n"
    )
