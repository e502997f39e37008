"""Lake-first loading: the Spark engine's deliveries land in the Parquet lake, not in DuckDB.

The same discovery, readers, parsing and contract rules as every ingestion (``run.py``) decide
what loads and what is rejected; only the last step differs. Each accepted file's rows are
written as one Parquet file, partitioned by data date and delivery unit (office, or ``HOI``):

    <lake>/raw/<table>/_data_date=YYYY-MM-DD/_unit=<unit>/part-<file unit>.parquet

(the file unit is the office, or the organization of an ``HOI_<ORG>`` file). The file holds
every other column of ``raw.<table>`` with the warehouse's types, lineage included, so what
Spark reads is what DuckDB would hold. A re-delivery of a key replaces its one file.

Only the bookkeeping stays in the warehouse file (one row per file, never a data row):
``raw._lake_loads`` (which file each key's rows came from; its own table, so a warehouse that
also loads through DuckDB keeps both logs apart), ``raw._findings`` and ``raw._rejections``.

All-or-nothing per load batch: the Parquet files are written beside their final names as
hidden files (Spark and DuckDB skip names starting with ``.``), several at a time; the commit
renames each into place, keeping the file it replaces aside, then commits the load log; if that
fails, the previous files are put back. A key is always whole (one rename); a crash leaves
hidden files that the next run removes, and keys whose load log was not committed are read
again.
"""

from __future__ import annotations

import os
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.contract.reports import LINEAGE_COLUMNS, REPORTS, ReportSpec

from .loader import FINDINGS_DDL, LOADS_DDL, REJECTIONS_DDL, SCHEMA, SQL_TYPES, Warehouse
from .parse import ParsedFile

PARTITIONS = ("_data_date", "_unit")
_DECIMAL = re.compile(r"DECIMAL\((\d+),\s*(\d+)\)")
_ARROW = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "DATE": pa.date32(),
    "TIMESTAMP": pa.timestamp("us"),
    "BOOLEAN": pa.bool_(),
}


class LakeLayoutError(RuntimeError):
    """The lake folder holds something this loader must not write into."""


def arrow_type(sql_type: str) -> pa.DataType:
    """The Arrow type of a warehouse column type (``loader.SQL_TYPES``, lineage, derived)."""
    t = sql_type.upper().strip()
    if m := _DECIMAL.fullmatch(t):
        return pa.decimal128(int(m[1]), int(m[2]))
    return _ARROW[t]


def file_schema(spec: ReportSpec) -> pa.Schema:
    """``raw.<table>``'s columns and types (``loader.table_ddl``) less the partition columns."""
    cols = [(c.key, SQL_TYPES[c.type]) for c in spec.columns]
    cols += list(spec.derived) + list(LINEAGE_COLUMNS)
    return pa.schema([(n, arrow_type(t)) for n, t in cols if n not in PARTITIONS])


def key_path(lake_dir: Path, spec: ReportSpec, data_date: date, folder_unit: str, unit: str):
    return (
        Path(lake_dir)
        / "raw"
        / spec.table
        / f"_data_date={data_date.isoformat()}"
        / f"_unit={folder_unit}"
        / f"part-{unit}.parquet"
    )


class LakeLoader(Warehouse):
    """``Warehouse`` whose raw rows go to the lake (see the module docstring)."""

    LOADS = f"{SCHEMA}._lake_loads"

    def __init__(self, path: Path, lake_dir: Path, threads: int = 2):
        self.lake_dir = Path(lake_dir)
        self._check_layout()
        super().__init__(path)
        self.threads = max(1, threads)
        self.pending: list[tuple[Path, Path]] = []  # (hidden new file, final name)

    def _check_layout(self) -> None:
        raw = self.lake_dir / "raw"
        exported = sorted(raw.glob("*/_state.json")) if raw.is_dir() else []
        if exported:
            raise LakeLayoutError(
                f"{raw} was exported from a DuckDB warehouse (`nhcs ingest --lake`, "
                f"{exported[0].name}): the Spark engine's ingestion writes its own lake; use "
                "another NHCS_LAKE_DIR or remove that folder"
            )
        # a crashed run's hidden files (new or set aside) are never part of the lake
        if raw.is_dir():
            for leftover in raw.glob("*/_data_date=*/_unit=*/.*"):
                leftover.unlink(missing_ok=True)

    def ensure_schema(self) -> None:
        """Only the bookkeeping tables: the data rows are not in this file."""
        self.con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        self.con.execute(LOADS_DDL.format(table=self.LOADS))
        self.con.execute(FINDINGS_DDL)
        self.con.execute(REJECTIONS_DDL)
        for spec in REPORTS:
            (self.lake_dir / "raw" / spec.table).mkdir(parents=True, exist_ok=True)

    # ------------------------------------------------------------------ writing
    def _replace_rows(
        self, table: str, group: list[ParsedFile], known, loaded_at: datetime
    ) -> None:
        with ThreadPoolExecutor(self.threads) as pool:  # pyarrow encodes without the GIL
            futures = [(p, pool.submit(self._write, p, self._final(p), loaded_at)) for p in group]
        failed = None
        for p, future in futures:
            if future.exception() is None:
                self.pending.append(future.result())  # rollback() removes it
            elif failed is None:
                failed = p, future.exception()
        if failed is not None:
            self.failed_on = failed[0].ctx.rel
            raise failed[1]

    def _final(self, p: ParsedFile) -> Path:
        c = p.ctx
        return key_path(self.lake_dir, c.spec, c.data_date, c.folder_unit, c.unit)

    def _write(self, p: ParsedFile, final: Path, loaded_at: datetime) -> tuple[Path, Path]:
        schema = file_schema(p.ctx.spec)
        data = p.table
        columns = []
        for f in schema:
            if f.name == "_loaded_at":
                columns.append(pa.array([loaded_at] * data.num_rows, f.type))
            elif f.name in data.column_names:
                columns.append(data[f.name].cast(f.type))
            else:  # as DuckDB's INSERT BY NAME: a column the file does not have is NULL
                columns.append(pa.nulls(data.num_rows, f.type))
        final.parent.mkdir(parents=True, exist_ok=True)
        new = final.with_name(f".{final.name}.new-{os.getpid()}")
        pq.write_table(
            pa.Table.from_arrays(columns, schema=schema),
            new,
            compression="zstd",
            row_group_size=122_880,
        )
        return new, final

    def commit(self, loaded_at: datetime) -> list[ParsedFile]:
        swapped: list[tuple[Path, Path | None]] = []  # (final, the file it replaced, aside)
        try:
            for new, final in self.pending:
                old = None
                if final.exists():
                    old = final.with_name(f".{final.name}.old-{os.getpid()}")
                    os.replace(final, old)
                os.replace(new, final)
                swapped.append((final, old))
            done = super().commit(loaded_at)
        except BaseException:
            for final, old in reversed(swapped):  # the lake as it was
                if old is not None:
                    os.replace(old, final)
                else:
                    final.unlink(missing_ok=True)
            raise
        for _, old in swapped:
            if old is not None:
                old.unlink(missing_ok=True)
        self.pending = []
        return done

    def rollback(self) -> list[ParsedFile]:
        for new, _ in self.pending:
            new.unlink(missing_ok=True)
        self.pending = []
        return super().rollback()

    # ------------------------------------------------------------------ reading
    def commune_pairs(
        self, office: str, data_date: date
    ) -> tuple[date, list[tuple[str, str]]] | None:
        """As ``Warehouse.commune_pairs``, from the lake's M31 files of the office."""
        m31 = next(s for s in REPORTS if s.commune_names)
        dates = [
            date.fromisoformat(p.parent.name.split("=", 1)[1])
            for p in (self.lake_dir / "raw" / m31.table).glob(f"_data_date=*/_unit={office}")
            if any(p.glob("*.parquet"))
        ]
        if not dates:
            return None
        best = min(dates, key=lambda d: (abs((d - data_date).days), -d.toordinal()))
        folder = (
            self.lake_dir / "raw" / m31.table / f"_data_date={best.isoformat()}" / f"_unit={office}"
        )
        pairs = set()
        for path in sorted(folder.glob("*.parquet")):
            t = pq.read_table(path, columns=["commune_code", "commune_name"])
            pairs.update(zip(*(t[c].to_pylist() for c in t.column_names), strict=True))
        return best, sorted(pairs, key=lambda r: tuple("" if v is None else v for v in r))

    def table_rows(self) -> dict[str, int]:
        out = {}
        for spec in REPORTS:
            files = (self.lake_dir / "raw" / spec.table).glob("_data_date=*/_unit=*/*.parquet")
            out[spec.table] = sum(pq.read_metadata(f).num_rows for f in files)
        return out
