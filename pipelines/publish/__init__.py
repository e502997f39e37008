"""Publish the analysts' copy of the warehouse: ``data/warehouse/analytics.duckdb`` and, beside
it, the marts as Parquet and CSV files (``data/warehouse/analytics/parquet|csv/``).

Only the ``marts``, ``recon`` and ``quality`` schemas are published (views materialised as
tables); ``raw`` and ``staging`` never are, and a column whose name marks personal data (the
report specs' ``PERSONAL_COLUMN``) stops the publication. The file is written in the DuckDB
storage format of ``NHCS_PUBLISH_STORAGE_VERSION`` (default v0.9.0), which the DuckDB 1.4
long-term release and the ``duckdb-cli`` package read, unlike DuckDB 2.0's own format. Table and column descriptions
travel as comments, and ``main.catalog`` lists them with units.

Guarantees (``layout`` has the files):

- atomic for readers: a publication is a version folder built aside and made current by one
  rename; the database and its exports change together;
- the previous publication stays (``analytics.previous.duckdb``, ``analytics/previous/``);
- an analyst's open read-only connection keeps reading the file it opened and never blocks a
  publication: no file the current or previous publication holds is ever written to;
- incremental: the database of the publication before the previous one (the *spare*) is brought
  up to date in place, rewriting only the table parts whose content changed (``parts``), and
  the exports of unchanged tables (or unchanged months of a table) are hard links. When there
  is no spare (the second and third publications) or it cannot be used (a reader still holds
  it), a copy of the current publication's file is brought up to date instead. A file is
  written whole only for the first publication, or when no base can be used (another storage
  version, a base grown to more than twice its content).

The working warehouse is only read, through a read-only connection, under the warehouse writer
lock so that no writer is half-way through a build while we copy.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ..contract.reports import PERSONAL_COLUMN
from ..settings import SettingsError, publish_storage_version
from ..warehouse_db import connect
from ..warehouse_lock import warehouse_lock
from . import describe, exports, parts
from .layout import (
    MANIFEST_NAME,
    PREVIOUS_LINK,
    Layout,
    fsync_dir,
    remove,
    remove_orphans,
    retire,
    set_link,
)
from .parts import lit, q

PUBLISHED_SCHEMAS = ("marts", "recon", "quality")
ALIAS = "published"


class PublishError(RuntimeError):
    pass


@dataclass
class Publication:
    path: Path  # analytics.duckdb (a symlink into the version folder)
    version: Path  # the version folder
    publication_id: str
    mode: str  # "full" or "incremental"
    reason: str  # why this mode
    tables: dict[str, int]  # schema.table -> rows
    rewritten: dict[str, str] = field(default_factory=dict)  # schema.table -> create/parts/drop
    parts_written: int = 0
    rows_written: int = 0
    exports: exports.Exports = field(default_factory=exports.Exports)
    undocumented: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"{self.mode} publication {self.publication_id} ({self.reason}): "
            f"{len(self.tables)} tables, {len(self.rewritten)} rewritten, "
            f"{self.parts_written} parts / {self.rows_written:,} rows written, "
            f"{len(self.exports.written)} export files written, "
            f"{len(self.exports.linked)} unchanged, {self.seconds:.1f} s"
        )


def previous_path(target: Path) -> Path:
    return Layout(Path(target)).previous_db


def exports_folder(target: Path) -> Path:
    """``analytics/``: the current publication's folder (``parquet/``, ``csv/``)."""
    return Layout(Path(target)).current


def publish(
    warehouse: Path, target: Path, *, full: bool = False, storage_version: str | None = None
) -> Publication:
    """Publish ``warehouse``'s marts, recon and quality schemas at ``target``; incremental unless
    ``full`` (or no spare can be used). Returns what was done."""
    started = time.perf_counter()
    warehouse, lay = Path(warehouse), Layout(Path(target))
    version_name = storage_version or publish_storage_version()
    if not warehouse.exists():
        raise PublishError(f"{warehouse} does not exist")
    lay.versions.mkdir(parents=True, exist_ok=True)
    remove_orphans(lay)
    pub_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    work = lay.versions / f"{pub_id}.tmp-{os.getpid()}"
    work.mkdir()
    db = work / lay.db_name
    try:
        with warehouse_lock(warehouse):
            pub = _build(warehouse, lay, work, db, pub_id, version_name, full)
            _verify(db, pub)
            _write_manifest(work, pub, version_name)
            _link_previous(lay, work)
            final = lay.versions / pub_id
            os.rename(work, final)
            fsync_dir(lay.versions)
            _swap(lay, final)
    except BaseException:
        remove(work)
        raise
    retire(lay)
    pub.version = lay.versions / pub_id
    pub.seconds = time.perf_counter() - started
    return pub


def _build(
    warehouse: Path,
    lay: Layout,
    work: Path,
    db: Path,
    pub_id: str,
    version_name: str,
    full: bool,
) -> Publication:
    src = connect(warehouse, read_only=True)
    try:
        source = src.execute("select current_database()").fetchone()[0]
        want = _source_states(src, source, warehouse)
        mode, reason = _attach(src, lay, db, version_name, full)
        have = parts.published_state(src, ALIAS, PUBLISHED_SCHEMAS) if mode == "incremental" else {}
        changes = parts.plan(want, have)
        src.execute("begin")
        parts.apply(src, source, ALIAS, changes)
        describe.copy_comments(src, source, ALIAS, list(PUBLISHED_SCHEMAS))
        parts.write_parts(src, ALIAS, want)
        describe.describe_own_table(src, ALIAS, parts.PARTS_TABLE)
        pub = Publication(
            path=lay.target,
            version=work,
            publication_id=pub_id,
            mode=mode,
            reason=reason,
            tables={n: st.rows for n, st in want.items()},
            rewritten={c.state.name: c.action for c in changes},
            parts_written=sum(
                len(c.state.parts) if c.action == "create" else len(c.parts) for c in changes
            ),
            rows_written=sum(c.rows_written for c in changes),
        )
        _write_publication(src, warehouse.name, pub, version_name)
        describe.write_catalog(src, source, ALIAS)
        src.execute("commit")
        pub.undocumented = describe.undocumented(src, ALIAS)
        before = _current_manifest(lay)
        pub.exports = exports.export(
            src,
            ALIAS,
            want,
            work,
            before.get("exports", {}),
            lay.current_version(),
        )
        src.execute(f"detach {ALIAS}")
    finally:
        src.close()
    return pub


def _source_states(
    src: duckdb.DuckDBPyConnection, source: str, warehouse: Path
) -> dict[str, parts.TableState]:
    want: dict[str, parts.TableState] = {}
    for schema in PUBLISHED_SCHEMAS:
        for (table,) in src.execute(
            "select table_name from information_schema.tables where table_catalog = ? "
            "and table_schema = ? order by table_name",
            [source, schema],
        ).fetchall():
            cols = parts.columns(src, source, schema, table)
            bad = [c for c, _ in cols if PERSONAL_COLUMN.search(c)]
            if bad:
                raise PublishError(
                    f"{schema}.{table} has personal-data column(s) {', '.join(bad)}: "
                    "not publishing (fix the model; personal data stays in raw)"
                )
            st = parts.source_state(src, source, schema, table, cols)
            want[st.name] = st
    if not any(st.schema == "marts" for st in want.values()):
        raise PublishError(f"{warehouse} has no marts: build the dbt project first")
    return want


def _attach(
    src: duckdb.DuckDBPyConnection, lay: Layout, db: Path, version_name: str, full: bool
) -> tuple[str, str]:
    """Attach the file to write as ``published``: the spare, else a copy of the current
    publication, when it can be brought up to date (returns ``("incremental", why)``), else a
    new file (``("full", why)``)."""
    unusable: list[str] = []
    for base in () if full else _bases(lay, db):
        try:
            src.execute(f"attach {lit(str(db))} as {ALIAS} (read_write)")
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            # An analyst still holds this old publication open: leave it to them.
            unusable.append(f"the {base} is open in another process")
        else:
            why = _base_unusable(src, version_name)
            if why is None:
                done = f"the {base} brought up to date"
                return "incremental", f"{done} ({'; '.join(unusable)})" if unusable else done
            unusable.append(f"the {base} cannot be used: {why}")
            src.execute(f"detach {ALIAS}")
        _unlink_db(db)
    reason = "asked for a full publication" if full else "; ".join(unusable)
    _unlink_db(db)
    try:
        src.execute(
            f"attach {lit(str(db))} as {ALIAS} (storage_version {lit(version_name)}, read_write)"
        )
    except duckdb.InvalidInputException as exc:
        raise SettingsError(f"NHCS_PUBLISH_STORAGE_VERSION={version_name!r}: {exc}") from exc
    return "full", reason or "no publication yet to start from"


def _unlink_db(db: Path) -> None:
    for path in (db, db.with_name(db.name + ".wal")):
        path.unlink(missing_ok=True)


def _bases(lay: Layout, db: Path):
    """Put each file that could be brought up to date at ``db`` (the new version folder's
    database) in turn, yielding what it is: the spare (moved), then a copy of the current
    publication's database (one sequential read of a file nothing writes to, instead of
    rewriting every table). The caller removes one it cannot use before asking for the next."""
    if lay.spare.exists():
        if lay.spare.with_name(lay.spare.name + ".wal").exists():
            lay.spare.unlink()  # left unfinished
        else:
            os.replace(lay.spare, db)
            yield "spare file"
    current = lay.current_version()
    published = current / lay.db_name if current else None
    if (
        published is not None
        and published.is_file()
        and not published.with_name(published.name + ".wal").exists()
    ):
        shutil.copyfile(published, db)
        yield "copy of the current publication"


def _base_unusable(src: duckdb.DuckDBPyConnection, version_name: str) -> str | None:
    try:
        (stored,) = src.execute(f"select storage_version from {ALIAS}.main.publication").fetchone()
    except duckdb.Error:
        return "it has no publication record"
    if stored != version_name:
        return f"storage version changed ({stored} -> {version_name})"
    used, free = src.execute(
        "select used_blocks, free_blocks from pragma_database_size() where database_name = ?",
        [ALIAS],
    ).fetchone()
    if free > used:
        return f"it is mostly free space ({free} free, {used} used blocks)"
    return None


def _write_publication(
    con: duckdb.DuckDBPyConnection, source_file: str, pub: Publication, version_name: str
) -> None:
    con.execute(
        f"create or replace table {ALIAS}.main.publication (publication_id varchar, "
        "published_at timestamptz, source_warehouse varchar, tables_published integer, "
        "storage_version varchar, mode varchar, parts_written bigint, rows_written bigint)"
    )
    con.execute(
        f"insert into {ALIAS}.main.publication values (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            pub.publication_id,
            datetime.now(UTC),
            source_file,
            len(pub.tables),
            version_name,
            pub.mode,
            pub.parts_written,
            pub.rows_written,
        ],
    )
    describe.describe_own_table(con, ALIAS, "publication")


def _verify(path: Path, pub: Publication) -> None:
    con = connect(path, read_only=True)
    try:
        for name, rows in pub.tables.items():
            schema, table = name.split(".", 1)
            n = con.execute(f"select count(*) from {q(schema)}.{q(table)}").fetchone()[0]
            if n != rows:
                raise PublishError(f"{name}: {n} rows in the copy, {rows} expected")
        leaked = con.execute(
            "select distinct table_schema from information_schema.tables "
            "where table_schema not in ('main', 'marts', 'recon', 'quality')"
        ).fetchall()
        if leaked:
            raise PublishError(f"unexpected schemas in the copy: {leaked}")
    finally:
        con.close()


def _current_manifest(lay: Layout) -> dict:
    folder = lay.current_version()
    try:
        return json.loads((folder / MANIFEST_NAME).read_text()) if folder else {}
    except (OSError, ValueError):
        return {}


def _write_manifest(work: Path, pub: Publication, version_name: str) -> None:
    manifest = {
        "publication_id": pub.publication_id,
        "mode": pub.mode,
        "storage_version": version_name,
        "tables": pub.tables,
        "exports": pub.exports.digests,
    }
    path = work / MANIFEST_NAME
    path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    for f in [path, work / pub.path.name, *(work / r for r in pub.exports.written)]:
        fd = os.open(f, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    folders = {work, *(work / fmt for fmt in exports.FORMATS)}
    folders |= {(work / r).parent for r in pub.exports.written + pub.exports.linked}
    for sub in sorted(folders, key=lambda f: len(f.parts), reverse=True):
        fsync_dir(sub)


def _link_previous(lay: Layout, work: Path) -> None:
    """The new version names the current one as its previous publication."""
    old = lay.current_version()
    if old is None and lay.target.is_file() and not lay.target.is_symlink():
        old = _adopt_single_file(lay)
    if old is not None:
        os.symlink(os.path.relpath(old, work), work / PREVIOUS_LINK)


def _swap(lay: Layout, final: Path) -> None:
    """Make ``final`` the current publication (and so its predecessor the previous one): the
    one rename of the ``analytics`` symlink is the switch readers see."""
    set_link(lay.current, os.path.relpath(final, lay.folder))
    for link, dest in (
        (lay.target, f"{lay.current.name}/{lay.db_name}"),
        (lay.previous_db, f"{lay.current.name}/{PREVIOUS_LINK}/{lay.db_name}"),
    ):
        if not (link.is_symlink() and os.readlink(link) == dest):
            set_link(link, dest)
    fsync_dir(lay.folder)


def _adopt_single_file(lay: Layout) -> Path:
    """A publication of the single-file layout (before version folders) becomes a version, so
    it stays available as the previous publication."""
    folder = lay.versions / "00000000T000000000000Z-single-file"
    folder.mkdir(exist_ok=True)
    dest = folder / lay.db_name
    if not dest.exists():
        os.link(lay.target, dest)
    return folder
