"""``ingest()``: complete deliveries in, validated, idempotent, with lineage and quarantine."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from datetime import date, datetime
from functools import partial
from pathlib import Path

from pipelines.contract.codes import BRANCH_OFFICE
from pipelines.progress import Tick

from .budget import DEFAULT_BUDGET, FileBudget
from .discovery import discover_all
from .errors import Problem, printable
from .lake import sync_lake
from .lake_loader import LakeLoader
from .loader import Warehouse, write_quarantine
from .model import Delivery, DeliveryResult, Discovery, IngestResult, Rejection
from .names import NameIndex
from .parse import FileContext, ParsedFile, resolve_communes
from .worker import chunk, drop_spill, parse_chunk, run_isolated, spill_directory, unspill

Progress = Callable[[str], None]
# Rows staged in one load transaction before it is committed (see Warehouse.stage). Large on
# purpose: while a transaction fills a table's row group (122,880 rows) DuckDB compresses it
# and writes it straight to the file; a commit that leaves part-filled row groups sends those
# rows through the WAL and a checkpoint, which rewrites them. Replaying the Hanoi full-scale
# inserts (3.5 M rows, one DuckDB thread) costs the writer 11.5 CPU-s at 250 k rows a commit,
# 6.2 s at 1 M and 6.1 s at 2 M (docs/performance.md, "Ingest"); 1 M keeps more commits (and
# progress lines) for the same saving.
COMMIT_ROWS = 1_000_000


def display_root(raw_dir: Path) -> str:
    """How the raw root is named in messages: relative to the project when inside it."""
    from pipelines.settings import PROJECT_ROOT

    try:
        return raw_dir.resolve().relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return raw_dir.resolve().as_posix()


def quarantine_dir_for(warehouse: Path) -> Path:
    return Path(warehouse).resolve().parent.parent / "quarantine"


def _rejections_of(parsed: ParsedFile, root: str) -> list[Rejection]:
    c = parsed.ctx
    display = f"{root}/{c.rel}"
    out = [
        Rejection(
            file=c.rel,
            row=p.row,
            column=p.column,
            value=p.value,
            expected=p.expected,
            message=p.sentence(display),
            data_date=c.data_date,
            unit=c.folder_unit,
            sha256=c.sha256,
        )
        for p in parsed.problems
    ]
    more = parsed.total_problems - len(parsed.problems)
    if more > 0:
        out.append(
            Rejection(
                file=c.rel,
                row=None,
                column=None,
                value=None,
                expected="",
                message=f"{display}: … and {more} more problems not listed",
                data_date=c.data_date,
                unit=c.folder_unit,
                sha256=c.sha256,
            )
        )
    return out


def _reader_failed(ctx: FileContext, why: str) -> ParsedFile:
    """The rejection of a file whose reader was killed or crashed (``worker.py``)."""
    problem = Problem(
        None,
        None,
        None,
        "a file its reader can read within the budget",
        f"could not be read: its reader {why}; only this file is rejected, the rest of the "
        "delivery loads",
    )
    return ParsedFile(ctx, None, [problem], 1)


class _Run:
    def __init__(
        self,
        raw_dir: Path,
        warehouse: Path,
        progress: Progress | None,
        workers: int,
        lake_dir: Path | None = None,
        budget: FileBudget = DEFAULT_BUDGET,
        lake_first: bool = False,
        quarantine: bool = True,
    ):
        self.raw_dir = raw_dir
        self.budget = budget
        self.lake_dir = lake_dir
        self.lake_first = lake_first
        self.root = display_root(raw_dir)
        self.wh_path = warehouse
        self.quarantine = quarantine_dir_for(warehouse) if quarantine else None
        self.progress = progress or (lambda msg: None)
        self.workers = max(0, int(workers))
        self.now = datetime.now().replace(microsecond=0)
        self.result = IngestResult()
        self.by_file: dict[str, list[Rejection]] = {}
        self.loaded_files: list[str] = []
        self.communes: dict[tuple[str, date], NameIndex] = {}
        self.delivery_of: dict[str, int] = {}
        # 01.1 forms whose office has no M31 loaded yet: resolved once the run's M31s are in
        self.waiting: list[tuple[ParsedFile, int]] = []
        self.rejected_m31: dict[str, list[str]] = {}  # office -> its M31 files rejected now

    # ------------------------------------------------------------------------------
    def reject(self, rejections: list[Rejection], dr: DeliveryResult | None) -> None:
        if not rejections:
            return
        file = rejections[0].file
        if file not in self.by_file and dr is not None:
            dr.files_rejected += 1
        self.by_file.setdefault(file, []).extend(rejections)

    def run(self, dates: Sequence[date] | None, disc: Discovery | None = None) -> IngestResult:
        t0 = time.perf_counter()
        disc = discover_all(self.raw_dir, dates) if disc is None else disc
        res = self.result
        res.notes.extend(disc.notes)
        res.incomplete.extend(disc.incomplete)
        for r in disc.rejections:
            self.reject([replace(r, message=f"{self.root}/{r.message}")], None)
        if self.lake_first:
            writer = LakeLoader(self.wh_path, self.lake_dir, threads=max(1, self.workers))
        else:
            writer = Warehouse(self.wh_path)
        with writer as wh:
            self.wh = wh
            wh.ensure_schema()
            known = wh.loads()
            tasks: list[tuple[int, FileContext]] = []
            results: list[DeliveryResult] = []
            remaining: list[int] = []
            for i, d in enumerate(disc.deliveries):
                dr = DeliveryResult(d.data_date, d.unit, notes=list(d.notes))
                results.append(dr)
                res.notes.extend(d.notes)
                for r in d.rejections:
                    self.reject([replace(r, message=f"{self.root}/{r.message}")], dr)
                n = 0
                for f in d.files:
                    prev = known.get(f.key)
                    if prev and prev.sha256 == f.sha256 and prev.revision == f.revision:
                        dr.files_skipped += 1
                        res.load_of(f.spec.table).files_unchanged += 1
                        continue
                    tasks.append((i, self._context(d, f)))
                    n += 1
                remaining.append(n)
            res.deliveries = results
            self.progress(
                f"ingest: {len(disc.deliveries)} complete deliveries, {len(tasks)} files to "
                f"read, {sum(r.files_skipped for r in results)} unchanged"
                + (f", {len(disc.incomplete)} incomplete" if disc.incomplete else "")
            )
            self.results, self.remaining, self.emitted = results, remaining, 0
            chunks = chunk(tasks, lambda t: t[1].size)
            pooled = self.workers > 0
            with spill_directory(self.wh_path.parent) if pooled else nullcontext() as spill:
                task = partial(parse_chunk, spill_dir=str(spill) if pooled else None)
                parsed_chunks = run_isolated(
                    task,
                    ([c for _, c in ch] for ch in chunks),
                    self.workers,
                    budget_of=self._budget_of,
                    failed=_reader_failed,
                )
                for parsed_chunk, ids in zip(
                    parsed_chunks, ([i for i, _ in ch] for ch in chunks), strict=True
                ):
                    self._handle([unspill(p) for p in parsed_chunk], ids)
                    for p in parsed_chunk:
                        drop_spill(p)
                    if wh.staged_rows >= COMMIT_ROWS:
                        self._commit()
                    self._emit()
            self._resolve_waiting()
            self._commit()
            self._emit(final=True)
            self._record_rejections()
            res.table_rows = wh.table_rows()
            if self.lake_dir is not None and not self.lake_first:
                # The parse workers are done: the copy may use both cores.
                wh.con.execute(f"SET threads = {max(1, self.workers)}")
                res.lake = sync_lake(wh.con, self.lake_dir, self.progress)
        res.seconds = time.perf_counter() - t0
        return res

    def _budget_of(self, contexts: list[FileContext]) -> tuple[int, float]:
        size = sum(c.size for c in contexts)
        return self.budget.memory_for(size), self.budget.seconds_for(size)

    def _context(self, d: Delivery, f) -> FileContext:
        return FileContext(
            rel=f.rel,
            display=f"{self.root}/{f.rel}",
            spec=f.spec,
            unit=f.unit,
            folder_unit=d.unit,
            data_date=d.data_date,
            revision=f.revision,
            sha256=f.sha256,
            extension=f.extension,
            size=f.size,
            path=str(f.path),
            budget=self.budget,
        )

    # ------------------------------------------------------------------------------
    def _commune_index(self, office: str, data_date: date) -> NameIndex:
        """Commune names of an office: its M31 of the same date, else of the nearest date
        (from this run or from the warehouse)."""
        idx = self.communes.get((office, data_date))
        if idx is not None:
            return idx
        found = self.wh.commune_pairs(office, data_date)
        options = [(d, i) for (o, d), i in self.communes.items() if o == office]
        if found is not None:
            options.append((found[0], NameIndex(found[1], "commune")))
        if not options:
            return NameIndex((), "commune")
        best = min(options, key=lambda t: (abs((t[0] - data_date).days), -t[0].toordinal()))
        return best[1]

    def _resolve_waiting(self) -> None:
        """01.1 forms that waited for their office's commune names: every M31 of the run has
        been handled now, so an office whose M31 of this date was rejected still maps its
        form through an M31 of another date; with none at all, the form says so."""
        waiting, self.waiting = self.waiting, []
        for p, i in waiting:
            office = p.ctx.unit
            rejected = self.rejected_m31.get(office)
            why = (
                "this run rejected " + ", ".join(printable(f) for f in rejected) if rejected else ""
            )
            self._load_or_reject(
                resolve_communes(p, self._commune_index(office, p.ctx.data_date), why), i
            )

    def _load_or_reject(self, p: ParsedFile, i: int) -> None:
        if p.ok:
            self._stage([p], [i])
        else:
            self.reject(_rejections_of(p, self.root), self.results[i])
            self.remaining[i] -= 1

    def _emit(self, final: bool = False) -> None:
        """Progress: one line per delivery once all its files are committed or rejected."""
        while self.emitted < len(self.results) and (final or self.remaining[self.emitted] <= 0):
            self.emitted += 1
            line = self.results[self.emitted - 1].line()
            self.progress(Tick(line, task="ingest", done=self.emitted, total=len(self.results)))

    def _handle(self, parsed: list[ParsedFile], ids: list[int]) -> None:
        good: list[ParsedFile] = []
        good_ids: list[int] = []
        for p, i in zip(parsed, ids, strict=True):
            if p.ctx.spec.commune_names and p.ctx.unit != BRANCH_OFFICE:
                if p.ok and p.communes:
                    # an office's commune names, for its 01.1 forms (same date first)
                    self.communes[(p.ctx.unit, p.ctx.data_date)] = NameIndex(p.communes, "commune")
                elif not p.ok:
                    self.rejected_m31.setdefault(p.ctx.unit, []).append(p.ctx.rel)
            if p.ok and p.needs_commune_codes:
                index = self._commune_index(p.ctx.unit, p.ctx.data_date)
                if len(index) == 0:
                    self.waiting.append((p, i))  # its M31 may come later in this run
                    continue
                p = resolve_communes(p, index)
            if p.ok:
                good.append(p)
                good_ids.append(i)
            else:
                self.reject(_rejections_of(p, self.root), self.results[i])
                self.remaining[i] -= 1
        self._stage(good, good_ids)

    def _stage(self, good: list[ParsedFile], ids: list[int]) -> None:
        for p, i in zip(good, ids, strict=True):
            self.delivery_of[p.ctx.rel] = i
        try:
            self.wh.stage(good, self.now)
        except Exception as exc:
            culprit = self.wh.failed_on
            lost = self.wh.rollback() + good
            self._lost(lost, culprit, exc)

    def _commit(self) -> None:
        try:
            done = self.wh.commit(self.now)
        except Exception as exc:
            self._lost(self.wh.rollback(), None, exc)
            return
        for p in done:
            i = self.delivery_of[p.ctx.rel]
            dr = self.results[i]
            dr.files_loaded += 1
            dr.rows += p.rows
            load = self.result.load_of(p.ctx.spec.table)
            load.files_loaded += 1
            load.rows += p.rows
            if p.total_findings:
                dr.findings += p.total_findings
                self.result.findings[p.ctx.rel] = p.total_findings
            self.remaining[i] -= 1
            self.loaded_files.append(p.ctx.rel)

    def _lost(self, lost: list[ParsedFile], culprit: str | None, exc: Exception) -> None:
        """Files of a rolled-back load transaction: rejected for this run (the warehouse keeps
        what it had; the next run loads them again)."""
        detail = f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"
        seen = set()
        for p in lost:
            if p.ctx.rel in seen:
                continue
            seen.add(p.ctx.rel)
            if culprit is None or p.ctx.rel == culprit:
                why = f"could not be loaded ({detail}); the warehouse keeps its previous state"
            else:
                why = (
                    f"not loaded: its load transaction was rolled back when {culprit} failed "
                    f"({detail}); it loads on the next run"
                )
            prob = Problem(None, None, None, "a loadable file", why)
            i = self.delivery_of[p.ctx.rel]
            self.reject(
                _rejections_of(ParsedFile(p.ctx, None, [prob], 1), self.root), self.results[i]
            )
            self.remaining[i] -= 1

    def _record_rejections(self) -> None:
        self.wh.clear_rejections(self.loaded_files)
        unusable: list[str] = []

        def quarantine(action) -> None:
            if self.quarantine is None:
                return
            try:
                action()
            except OSError as exc:
                unusable.append(f"{exc.strerror or exc}: {printable(str(exc.filename or ''))}")

        for f in self.loaded_files:
            quarantine(lambda f=f: _unquarantine(self.quarantine, f))
        for file, rejs in self.by_file.items():
            at = self.wh.record_rejections(file, rejs, self.now)
            quarantine(
                lambda file=file, rejs=rejs, at=at: write_quarantine(
                    self.quarantine, file, rejs, at
                )
            )
            self.result.rejections.extend(rejs)
        if unusable:
            self.result.warnings.append(
                f"the quarantine folder {printable(str(self.quarantine))} is unusable "
                f"({unusable[0]}); the readable reports of rejected files were not written, "
                "the rejections themselves are in raw._rejections. Make the folder writable "
                "(or set NHCS_WAREHOUSE so that <warehouse>/../../quarantine is) and run again."
            )


def _unquarantine(quarantine: Path, rel: str) -> None:
    """A loaded file has no quarantine report any more (it was corrected, or re-read)."""
    if not quarantine.is_dir():
        return
    for path in quarantine.glob(f"*/{Path(rel).name}.txt"):
        path.unlink()


def ingest(
    raw_dir: Path,
    warehouse: Path,
    *,
    dates: Sequence[date] | None = None,
    progress: Progress | None = None,
    workers: int = 2,
    lake_dir: Path | None = None,
    budget: FileBudget = DEFAULT_BUDGET,
    lake_first: bool = False,
    discovery: Discovery | None = None,
    quarantine: bool = True,
) -> IngestResult:
    """Load the complete deliveries under ``raw_dir`` into ``warehouse`` (raw.* tables).

    Files are parsed in ``workers`` isolated processes, each file within ``budget``
    (``worker.py``, ``budget.py``); ``workers=0`` parses in this process (no isolation).

    ``dates=None`` takes every complete delivery. Keys whose current file (revision and
    SHA-256) is already loaded are skipped; others replace the key's rows in one transaction.
    Rejected files load nothing; they are listed in ``raw._rejections`` and in a readable
    report under ``<warehouse>/../../quarantine/<data date>/``.

    With ``lake_dir``, the committed raw tables are then mirrored as hive-partitioned Parquet
    under ``<lake_dir>/raw`` (``pipelines.ingest.lake``). With ``lake_first`` too, the rows
    go to the lake only, never into ``warehouse`` (``pipelines.ingest.lake_loader``: the Spark
    engines' ingestion); the warehouse then keeps the load log, findings and rejections.

    ``discovery`` (instead of discovering ``raw_dir``) loads exactly these deliveries, e.g.
    one folder as ``discover_folder`` sees it; ``quarantine=False`` writes no quarantine
    report (``nhcs validate`` loads a scratch warehouse and reports itself).
    """
    lake = Path(lake_dir) if lake_dir is not None else None
    if lake_first and lake is None:
        raise ValueError("lake_first needs a lake_dir")
    run = _Run(
        Path(raw_dir), Path(warehouse), progress, workers, lake, budget, lake_first, quarantine
    )
    return run.run(dates, discovery)
