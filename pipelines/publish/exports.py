"""The marts as files for tools without DuckDB: ``parquet/<table>.parquet`` and
``csv/<table>.csv`` (UTF-8 with a byte-order mark, so Excel reads Vietnamese text correctly)
in the publication's version folder. The facts (``fct_*``, one row per loan or transaction and
month: they grow with every month of history) are cut like the database (``parts``): one file
per month-end, ``parquet/<table>/<date>.parquet`` and ``csv/<table>/<date>.csv``, so a night
that changes one month writes that month's files, not the table's whole history.

A file whose content hash is the one the current publication exported is hard-linked from
there (no copy: the files are never modified once published); only changed files are
written. The files of a publication are therefore as cheap as what changed, and they appear
together with the database, by the same rename (``layout``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from .parts import TableState, in_parts, lit, q

EXPORTED_SCHEMAS = ("marts",)
# Tables exported as one file per part (``parts.PART_COLUMNS``): the facts.
SPLIT_PREFIX = "fct_"
BOM = b"\xef\xbb\xbf"
FORMATS = {
    "parquet": "(format parquet, compression snappy)",
    "csv": "(format csv, header true, delimiter ',', quote '\"')",
}


@dataclass
class Exports:
    # schema.table (or schema.table/<part> for a table cut in parts) -> content digest
    digests: dict[str, str] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)  # relative paths written
    linked: list[str] = field(default_factory=list)  # relative paths hard-linked


@dataclass(frozen=True)
class Piece:
    """One exported file (in each format): a whole table, or one part of a fact."""

    key: str  # in the manifest's digests
    name: str  # path without the format's folder and suffix
    digest: str
    where: str | None  # the rows of the part; None: the whole table


def relpath(fmt: str, name: str) -> str:
    return f"{fmt}/{name}.{fmt}"


def pieces(st: TableState) -> list[Piece]:
    """The files ``st`` is exported as."""
    if not (st.table.startswith(SPLIT_PREFIX) and st.part_column):
        return [Piece(st.name, st.table, st.digest(), None)]
    out = []
    for value, (rows, content) in sorted(st.parts.items(), key=lambda kv: kv[0] or ""):
        label = "null" if value is None else value
        digest = hashlib.sha256(f"{st.signature}\0{value}\0{rows}\0{content}".encode())
        out.append(
            Piece(
                f"{st.name}/{label}",
                f"{st.table}/{label}",
                digest.hexdigest(),
                in_parts(st.part_column, [value]),
            )
        )
    return out


def export(
    con: duckdb.DuckDBPyConnection,
    alias: str,
    states: dict[str, TableState],
    folder: Path,
    before: dict[str, str],
    before_folder: Path | None,
) -> Exports:
    """Write (or link from ``before_folder``, whose exports had the digests ``before``) the
    Parquet and CSV files of every table of ``EXPORTED_SCHEMAS`` into ``folder``."""
    out = Exports()
    for fmt in FORMATS:
        (folder / fmt).mkdir(parents=True, exist_ok=True)
    for _name, st in sorted(states.items()):
        if st.schema not in EXPORTED_SCHEMAS:
            continue
        split = st.table.startswith(SPLIT_PREFIX) and st.part_column
        for fmt in FORMATS:
            if split:  # an empty fact is an empty folder
                (folder / fmt / st.table).mkdir(exist_ok=True)
        relation = f"{q(alias)}.{q(st.schema)}.{q(st.table)}"
        for piece in pieces(st):
            out.digests[piece.key] = piece.digest
            for fmt in FORMATS:
                rel = relpath(fmt, piece.name)
                old = before_folder / rel if before_folder else None
                if before.get(piece.key) == piece.digest and old is not None and old.is_file():
                    os.link(old, folder / rel)
                    out.linked.append(rel)
                else:
                    source = (
                        relation
                        if piece.where is None
                        else f"(select * from {relation} where {piece.where})"
                    )
                    _write(con, source, fmt, folder / rel)
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
