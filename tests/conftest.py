"""Project-wide fixtures. dbt's manifest is prepared once per test session (never at import)."""

from __future__ import annotations

import os

import pytest

# The Dagster partitions start at NHCS_PARTITION_START, else at the earliest delivery in
# NHCS_RAW_DIR, when pipelines.defs is first imported; the tests' deliveries (the demo and the
# hand-made folders) start at the demo's opening date. tests/orchestration/test_partitions.py
# covers the unset case.
os.environ.setdefault("NHCS_PARTITION_START", "2021-12-31")

from pipelines.runner.manifest import MANIFEST, prepare_dbt_manifest
from tests.shared_builds import shared_build
from tests.tools import java_path, require


@pytest.fixture(scope="session")
def dbt_manifest(tmp_path_factory):
    """dbt's manifest, parsed by the first worker that asks (the workers share the project's
    target/ folder: two parses at once would write it under each other's feet)."""
    shared_build(tmp_path_factory, "dbt-manifest", lambda _folder: prepare_dbt_manifest())
    return MANIFEST


def pytest_runtest_setup(item):
    """The Spark tests (xdist group "spark") run dbt-spark's local Spark: they need Java."""
    group = item.get_closest_marker("xdist_group")
    if group and group.args and group.args[0] == "spark":
        require("Java (for Spark)", java_path(), "apt-get install -y openjdk-17-jre-headless")


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory):
    """A local Spark cluster for the tests that need one (master, two workers, Thrift server,
    on free loopback ports, so a cluster someone runs on the defaults is never touched),
    started once and stopped at the end of the session, leaving no process behind."""
    from pipelines.spark_cluster import ClusterConfig, LocalCluster, free_port

    require("Java (for Spark)", java_path(), "apt-get install -y openjdk-17-jre-headless")
    root = tmp_path_factory.mktemp("spark_cluster")
    ports: set[int] = set()
    while len(ports) < 3:
        ports.add(free_port())
    master, ui, thrift = sorted(ports)
    config = ClusterConfig(
        state_dir=root / "cluster",
        spark_dir=root / "spark",
        master_port=master,
        master_ui_port=ui,
        thrift_port=thrift,
        worker_memory="2g",
        executor_memory="1536m",
        driver_memory="1536m",
    )
    cluster = LocalCluster(config)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
        assert not [p.name for p in cluster.status().processes if p.running]


def reset_spark_catalog(cluster) -> None:
    """Drop every database of the cluster's catalog but ``default``: a build for another
    warehouse starts from nothing (its incremental models must not find the tables of the
    previous test's, which point at that test's folders). External tables keep their files."""
    from pyhive import hive

    con = hive.connect(host="127.0.0.1", port=cluster.config.thrift_port, username="nhcs")
    try:
        cur = con.cursor()
        cur.execute("show databases")
        for (name,) in cur.fetchall():
            if name != "default":
                cur.execute(f"drop database if exists `{name}` cascade")
    finally:
        con.close()
