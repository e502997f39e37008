"""The parse floor: the bare parse time of every current delivered file, same pool as ingest.

``parse_floor(raw_dir)`` reads every current file of every complete delivery with the fastest
reader for its format (xlsx: calamine through fastexcel, every cell of the sheet into Arrow;
csv: polars' CSV reader, every field as text; parquet: pyarrow's ParquetFile) in a spawn
process pool of ``workers`` processes, chunked like ``ingest`` chunks them, and reports the
wall time. No header search, no typing, no validation, no hashing, no warehouse: what is left
is the cost of getting the cells out of the files, which ingestion cannot avoid. ``nhcs bench``
divides the ingest wall time by this figure.

``compare_xlsx_readers(paths)`` times the candidate xlsx readers on a few files (openpyxl
only if it is installed; it is not a dependency of the project).
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from pathlib import Path

from .discovery import discover_all
from .readers import csv_cells, csv_separator, parquet_table, xlsx_cells
from .worker import chunk, run_isolated


def _bare_parse(task: list[tuple[str, str, str]]) -> list[tuple[str, int, int, float]]:
    """(path, extension, report) -> (extension, bytes, rows, seconds) per file."""
    from pipelines.contract.reports import REPORT_BY_CODE

    out = []
    for path, ext, report in task:
        t0 = time.perf_counter()
        data = Path(path).read_bytes()
        if ext == "xlsx":
            rows = xlsx_cells(data)[0].height
        elif ext == "csv":
            rows = csv_cells(data, csv_separator(REPORT_BY_CODE[report])).height
        else:
            rows = parquet_table(data).num_rows
        out.append((ext, len(data), rows, time.perf_counter() - t0))
    return out


def current_files(raw_dir: Path) -> list[tuple[str, str, str, int]]:
    """(path, extension, report, size) of every current file of every complete delivery."""
    files = []
    for d in discover_all(Path(raw_dir)).deliveries:
        for f in d.files:
            files.append((str(f.path), f.extension, f.spec.code, f.size))
    return files


def parse_floor(raw_dir: Path, workers: int = 2) -> dict:
    """Bare parse of every current file, in the same pool and chunks as ingest."""
    t0 = time.perf_counter()
    files = current_files(raw_dir)
    chunks = chunk(files, lambda f: f[3])
    by_ext: dict[str, dict] = defaultdict(lambda: {"files": 0, "bytes": 0, "rows": 0, "cpu_s": 0.0})
    for results in run_isolated(
        _bare_parse, ([(p, e, r) for p, e, r, _ in c] for c in chunks), workers
    ):
        for ext, size, rows, secs in results:
            s = by_ext[ext]
            s["files"] += 1
            s["bytes"] += size
            s["rows"] += rows
            s["cpu_s"] += secs
    wall = time.perf_counter() - t0
    import fastexcel
    import polars
    import pyarrow

    return {
        "seconds": round(wall, 3),
        "workers": workers,
        "files": sum(s["files"] for s in by_ext.values()),
        "rows": sum(s["rows"] for s in by_ext.values()),
        "bytes": sum(s["bytes"] for s in by_ext.values()),
        "by_format": {k: {**v, "cpu_s": round(v["cpu_s"], 3)} for k, v in sorted(by_ext.items())},
        "readers": {
            "xlsx": f"fastexcel {fastexcel.__version__} (calamine), all cells as text",
            "csv": f"polars {polars.__version__} read_csv, all fields as text",
            "parquet": f"pyarrow {pyarrow.__version__} ParquetFile.read",
        },
        "cpu_count": os.cpu_count(),
    }


def compare_xlsx_readers(paths: list[Path], repeat: int = 1) -> dict[str, float]:
    """Seconds to get every cell of the files' report sheet, per candidate reader."""
    import fastexcel

    results: dict[str, float] = {}

    def timed(name, fn):
        t0 = time.perf_counter()
        for _ in range(repeat):
            for p in paths:
                fn(p)
        results[name] = round((time.perf_counter() - t0) / repeat, 3)

    timed("fastexcel, cells as text", lambda p: xlsx_cells(Path(p).read_bytes()))
    timed(
        "fastexcel, inferred types",
        lambda p: (
            fastexcel.read_excel(str(p)).load_sheet(0, header_row=None, skip_rows=0).to_arrow()
        ),
    )
    try:
        import openpyxl
    except ImportError:
        return results

    def with_openpyxl(p):
        wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
        for _ in wb.worksheets[0].iter_rows(values_only=True):
            pass
        wb.close()

    timed(f"openpyxl {openpyxl.__version__} read-only", with_openpyxl)
    return results
