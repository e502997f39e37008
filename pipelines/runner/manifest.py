"""dbt's manifest, which dagster-dbt needs to load the Dagster definitions (never made at import).

The parse runs with the run's own target and ``--vars`` (``pipelines.engines.dbt_settings_args``)
so that the build of the same run reuses its partial-parse state instead of parsing again.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from ..engines import dbt_executable, dbt_settings_args
from ..settings import DBT_PROJECT_DIR, Settings, load_settings

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
# What the last parse depended on (see ``_inputs_digest``).
STAMP = DBT_PROJECT_DIR / "target" / ".nhcs-parse-inputs"


class DbtParseError(RuntimeError):
    """``dbt parse`` failed: the project does not compile (its output says where)."""


def _inputs_digest(args: list[str]) -> str:
    """What dbt's parse depends on: every project file (path, size, mtime), the dbt executable,
    the run's target and vars, and the NHCS_* environment (dbt run by hand reads it)."""
    h = hashlib.sha256(dbt_executable().resolve().as_posix().encode())
    h.update("\0".join(args).encode())
    for p in sorted(DBT_PROJECT_DIR.rglob("*")):
        rel = p.relative_to(DBT_PROJECT_DIR).parts
        if rel[0] in {"target", "logs", "dbt_packages"} or not p.is_file():
            continue
        st = p.stat()
        h.update(f"{'/'.join(rel)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
    for key in sorted(k for k in os.environ if k.startswith("NHCS_")):
        h.update(f"{key}={os.environ[key]}\n".encode())
    return h.hexdigest()


def manifest_is_current(settings: Settings) -> bool:
    """The manifest was parsed with these settings and no project file changed since."""
    return (
        MANIFEST.exists()
        and STAMP.exists()
        and STAMP.read_text() == _inputs_digest(dbt_settings_args(settings))
    )


def prepare_dbt_manifest(
    settings: Settings | None = None, *, quiet: bool = True, force: bool = True
) -> Path:
    """Parse the dbt project for ``settings`` (default: the environment's) and return the
    manifest's path.

    With ``force=False`` the parse is skipped when nothing it depends on changed since the
    last one (``target/.nhcs-parse-inputs``): a nightly run then saves dbt's start-up. A
    manifest older than the models would make dagster-dbt fail mid-run on nodes it does not
    know, hence the digest over every project file."""
    settings = settings or load_settings()
    if not force and manifest_is_current(settings):
        return MANIFEST
    args = dbt_settings_args(settings)
    cmd = [
        str(dbt_executable()),
        "parse",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        *args,
    ]
    if quiet:
        cmd.append("--quiet")
    proc = subprocess.run(
        cmd, cwd=DBT_PROJECT_DIR, stdout=None if not quiet else subprocess.PIPE, text=True
    )
    if proc.returncode != 0:
        detail = (proc.stdout or "").strip().splitlines()
        raise DbtParseError(
            f"dbt parse of {DBT_PROJECT_DIR} failed (exit {proc.returncode})"
            + (f": {detail[-1]}" if detail else "")
        )
    STAMP.write_text(_inputs_digest(args))
    return MANIFEST
