"""The dbt models an office's folder can be checked with, run by DuckDB on a scratch warehouse.

The identities live once, in the dbt recon models. ``nhcs validate`` needs them in seconds and
without the branch's warehouse, so dbt compiles the recon models and everything upstream of
them once (``dbt compile``, the same Jinja and macros a build runs), the compiled SQL is kept
in ``dbt_project/target/nhcs-validate/models.json``, and each validation executes it, in the
dbt graph's order, on a scratch DuckDB file holding the folder's ``raw.*`` tables: views for
views, ``CREATE TABLE AS`` for tables and incremental models (a first build), seeds loaded
from their CSV with their declared column types.

The compiled SQL names relations with the database of the warehouse it was compiled for
(``"nhcs_validate"."raw"."m31"``): the scratch warehouse is a file of that name, so the names
resolve there. The cache is recompiled whenever a file of the dbt project, the dbt version or
the selection changes (its digest), never half-written (written aside, renamed into place).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..settings import DBT_PROJECT_DIR

# The recon models of the identities one office's delivery can check alone (contract §5):
# 1 its forms against its Mẫu 31, 2 its journal (and, with the previous month-end's Mẫu 31, its
# roll-forward), 3 its group register against its Mẫu 31.
TARGETS = ("recon_control_totals", "recon_loan_rollforward", "recon_group_register")
# One office's folder has no opening balance: its journal is still checked against its month
# columns (int_loan_rollforward).
VARS = {"journal_without_opening": True}
DATABASE = "nhcs_validate"  # the scratch warehouse's file name, the compiled SQL's database
CACHE = DBT_PROJECT_DIR / "target" / "nhcs-validate"

# dbt's seed column types (dbt_project/seeds/_seeds.yml) as DuckDB types
_SEED_TYPES = {
    "string": "VARCHAR",
    "text": "VARCHAR",
    "varchar": "VARCHAR",
    "boolean": "BOOLEAN",
    "double": "DOUBLE",
    "float": "DOUBLE",
    "integer": "INTEGER",
    "int": "INTEGER",
    "bigint": "BIGINT",
    "date": "DATE",
}


class ModelsUnavailable(RuntimeError):
    """dbt could not compile the models (the message names why)."""


@dataclass(frozen=True)
class Node:
    unique_id: str
    kind: str  # model | seed
    schema: str
    name: str
    materialized: str  # view | table | incremental | seed
    sql: str  # compiled SQL (models)
    csv: str  # seed file, relative to the dbt project
    columns: dict[str, str]  # seed columns and their DuckDB types, in file order
    depends_on: tuple[str, ...]

    @property
    def relation(self) -> str:
        return f'"{self.schema}"."{self.name}"'


def _digest() -> str:
    """What the compiled SQL depends on: every project file's content, dbt, the selection."""
    h = hashlib.sha256()
    h.update(Path(sys.executable).with_name("dbt").resolve().as_posix().encode())
    h.update(json.dumps([TARGETS, VARS, DATABASE]).encode())
    for p in sorted(DBT_PROJECT_DIR.rglob("*")):
        rel = p.relative_to(DBT_PROJECT_DIR).parts
        if rel[0] in {"target", "logs", "dbt_packages"} or not p.is_file():
            continue
        h.update("/".join(rel).encode() + b"\0" + hashlib.sha256(p.read_bytes()).digest())
    try:
        from importlib.metadata import version

        h.update(version("dbt-core").encode())
    except Exception:  # noqa: BLE001 - the version is one more input, not a requirement
        pass
    return h.hexdigest()


def compiled_models(progress: Callable[[str], None] | None = None) -> list[Node]:
    """The target models and everything upstream, in the graph's order (compiling if stale)."""
    say = progress or (lambda _m: None)
    digest = _digest()
    path = CACHE / "models.json"
    if path.exists():
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("digest") == digest:
            return [Node(**{**n, "depends_on": tuple(n["depends_on"])}) for n in data["nodes"]]
    say("compiling the recon models with dbt (once per change of the dbt project; ~30 s)")
    nodes = _compile()
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = CACHE / f".models.json.tmp-{os.getpid()}"
    payload = {
        "digest": digest,
        "nodes": [n.__dict__ | {"depends_on": list(n.depends_on)} for n in nodes],
    }
    tmp.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return nodes


def _compile() -> list[Node]:
    build = CACHE / f"build-{os.getpid()}"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    try:
        selection = [f"+{t}" for t in TARGETS]
        cmd = [
            str(Path(sys.executable).with_name("dbt")),
            "compile",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(build / "target"),
            "--select",
            *selection,
            "--vars",
            json.dumps(VARS),
            "--quiet",
        ]
        env = {**os.environ, "NHCS_WAREHOUSE": str(build / f"{DATABASE}.duckdb")}
        done = subprocess.run(
            cmd, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            tail = " ".join((done.stdout + done.stderr).split())[-400:]
            raise ModelsUnavailable(f"dbt compile failed (exit {done.returncode}): {tail}")
        manifest = json.loads((build / "target" / "manifest.json").read_text(encoding="utf-8"))
        return _nodes(manifest)
    finally:
        shutil.rmtree(build, ignore_errors=True)


def _nodes(manifest: dict) -> list[Node]:
    """The targets' upstream closure from dbt's manifest, parents before children."""
    all_nodes = manifest["nodes"]
    wanted: dict[str, dict] = {}
    stack = [f"model.{manifest['metadata'].get('project_name', 'nhcs')}.{t}" for t in TARGETS]
    stack = [uid if uid in all_nodes else _find(all_nodes, uid) for uid in stack]
    while stack:
        uid = stack.pop()
        if uid in wanted or uid not in all_nodes:  # sources are the raw tables themselves
            continue
        wanted[uid] = all_nodes[uid]
        stack.extend(_parents(wanted[uid]))
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen or uid not in wanted:
            return
        seen.add(uid)
        for parent in _parents(wanted[uid]):
            visit(parent)
        order.append(uid)

    for uid in sorted(wanted):
        visit(uid)
    return [_node(wanted[uid]) for uid in order]


def _find(nodes: dict, uid: str) -> str:
    name = uid.rsplit(".", 1)[-1]
    for key, n in nodes.items():
        if n["resource_type"] == "model" and n["name"] == name:
            return key
    raise ModelsUnavailable(f"dbt's manifest has no model {name}")


def _parents(n: dict) -> list[str]:
    """A node's parents in dbt's graph (a seed's ``depends_on`` names macros only)."""
    return n["depends_on"].get("nodes", [])


def _node(n: dict) -> Node:
    deps = tuple(d for d in _parents(n) if not d.startswith("source."))
    if n["resource_type"] == "seed":
        types = n["config"].get("column_types") or {}
        path = Path(n["root_path"]) / n["original_file_path"]
        header = path.read_text(encoding="utf-8").splitlines()[0].split(",")
        untyped = [c for c in header if c not in types]
        if untyped:
            raise ModelsUnavailable(
                f"seed {n['name']}: no column_types for {', '.join(untyped)} (dbt would infer "
                "them; declare them in dbt_project/seeds/_seeds.yml)"
            )
        columns = {c: _SEED_TYPES[types[c].lower()] for c in header}
        return Node(
            n["unique_id"], "seed", n["schema"], n["name"], "seed", "",
            n["original_file_path"], columns, deps,
        )  # fmt: skip
    if n.get("compiled_code") is None:
        raise ModelsUnavailable(f"dbt compiled no SQL for {n['name']}")
    return Node(
        n["unique_id"], "model", n["schema"], n["name"], n["config"]["materialized"],
        n["compiled_code"], "", {}, deps,
    )  # fmt: skip


def build(con, nodes: list[Node]) -> None:
    """Create every node on ``con`` (a connection to the scratch warehouse ``DATABASE``)."""
    for schema in sorted({n.schema for n in nodes}):
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    for n in nodes:
        if n.kind == "seed":
            cols = ", ".join(f"'{c}': '{t}'" for c, t in n.columns.items())
            con.execute(
                f"CREATE TABLE {n.relation} AS SELECT * FROM read_csv(?, header = true, "
                f"columns = {{{cols}}})",
                [str(DBT_PROJECT_DIR / n.csv)],
            )
        elif n.materialized == "view":
            con.execute(f"CREATE VIEW {n.relation} AS {n.sql}")
        else:  # table, incremental (its first build): the model's rows
            con.execute(f"CREATE TABLE {n.relation} AS {n.sql}")
