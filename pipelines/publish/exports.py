"""The marts as files for tools without DuckDB: ``parquet/<table>.parquet`` and
``csv/<table>.csv`` (UTF-8 with a byte-order mark, so Excel reads Vietnamese text correctly)
in the publication's version folder.

A table whose content hash is the one the current publication exported is hard-linked from
there (no copy: the files are never modified once published); only changed tables are
written. The files of a publication are therefore as cheap as what changed, and they appear
together with the database, by the same rename (``layout``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .parts import TableState, lit, q

EXPORTED_SCHEMAS = ("marts",)
BOM = b"\xef\xbb\xbf"
FORMATS = {
    "parquet": "(format parquet, compression snappy)",
    "csv": "(format csv, header true, delimiter ',', quote '\"')",
}


@dataclass
class Exports:
    digests: dict[str, str] = field(default_factory=dict)  # schema.table -> content digest
    written: list[str] = field(default_factory=list)  # relative paths written
    linked: list[str] = field(default_factory=list)  # relative paths hard-linked


def relpath(fmt: str, table: str) -> str:
    return f"{fmt}/{table}.{fmt}"


def export(
    con: duckdb.DuckDBPyConnection,
    alias: str,
    states: dict[str, TableState],
    folder: Path,
    before: dict[str, str],
    before_folder: Path | None,
) -> Exports:
    """Write (or link from ``before_folder``, whose exports had the digests ``before``) one
    Parquet and one CSV file per table of ``EXPORTED_SCHEMAS`` into ``folder``."""
    out = Exports()
    for fmt in FORMATS:
        (folder / fmt).mkdir(parents=True, exist_ok=True)
    for name, st in sorted(states.items()):
        if st.schema not in EXPORTED_SCHEMAS:
            continue
        digest = out.digests[name] = st.digest()
        for fmt in FORMATS:
            rel = relpath(fmt, st.table)
            old = before_folder / rel if before_folder else None
            if before.get(name) == digest and old is not None and old.is_file():
                os.link(old, folder / rel)
                out.linked.append(rel)
            else:
                _write(con, f"{q(alias)}.{q(st.schema)}.{q(st.table)}", fmt, folder / rel)
                out.written.append(rel)
    return out


def _write(con: duckdb.DuckDBPyConnection, relation: str, fmt: str, path: Path) -> None:
    if fmt != "csv":
        con.execute(f"copy {relation} to {lit(str(path))} {FORMATS[fmt]}")
        return
    # DuckDB's CSV writer has no byte-order mark option (its PREFIX excludes HEADER): write the
    # body aside, then the mark and the body.
    body = path.with_name(path.name + ".body")
    try:
        con.execute(f"copy {relation} to {lit(str(body))} {FORMATS[fmt]}")
        with open(path, "wb") as dst, open(body, "rb") as src:
            dst.write(BOM)
            shutil.copyfileobj(src, dst, 16 * 2**20)
    finally:
        body.unlink(missing_ok=True)
