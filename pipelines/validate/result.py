"""What a validation found, and the verdict it gives (and the exit status of ``nhcs validate``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Exit statuses of ``nhcs validate`` (docs/validate.md). 1 and 3 mean what they mean for
# ``nhcs check`` and ``nhcs ingest``: a blocking identity breaks; a file would be rejected.
EXIT_PASS = 0  # every file would load and every identity checked holds
EXIT_BREAK = 1  # every file would load, but a blocking identity breaks
EXIT_USAGE = 2  # the path is no delivery folder, or --write-manifest cannot write
EXIT_REJECTED = 3  # the branch would reject the folder or some of its files

# kinds of items, most serious first
REJECTED, BREAK, FINDING, NOTE = "rejected", "break", "finding", "note"
KIND_VI = {
    REJECTED: "Bị từ chối",
    BREAK: "Lệch đối soát",
    FINDING: "Lưu ý dữ liệu",
    NOTE: "Ghi chú",
}


@dataclass(frozen=True)
class Item:
    """One thing to tell the office: where (file, sheet, row, column), what was expected, what
    was found, and the sentence that says it (ingestion's own for its rules)."""

    kind: str  # REJECTED | BREAK | FINDING | NOTE
    file: str  # relative to the raw folder: 2022-03-31/0107/M31_0107_20220331.xlsx
    sheet: str | None
    row: int | None
    column: str | None
    expected: str
    found: str
    message: str
    identity: int | None = None  # contract §5 identity of a break
    context: bool = False  # a file of an earlier delivery read for an identity


@dataclass(frozen=True)
class IdentityOutcome:
    identity: int
    check: str
    title_vi: str
    blocking: bool
    items_checked: int
    items_failed: int
    skipped: str | None = None  # why the identity was not checked (Vietnamese)


@dataclass
class Validation:
    folder: str  # as shown: 2022-03-31/0107
    data_date: date | None
    unit: str
    pending: bool  # read as its next manifest would list it
    manifest: str | None
    files: list[str] = field(default_factory=list)  # the folder's current files
    items: list[Item] = field(default_factory=list)
    identities: list[IdentityOutcome] = field(default_factory=list)
    journal_days: list[date] = field(default_factory=list)
    opening: date | None = None
    rows: dict[str, int] = field(default_factory=dict)  # rows read per file
    listing: list | None = None  # the files read, as the next manifest lists them (pending)
    seconds: float = 0.0

    def count(self, kind: str, context: bool = False) -> int:
        return sum(1 for i in self.items if i.kind == kind and i.context == context)

    @property
    def rejected_files(self) -> list[str]:
        return sorted({i.file for i in self.items if i.kind == REJECTED and not i.context})

    @property
    def blocking_breaks(self) -> int:
        """Failing items of the blocking identities (every break this validation reports)."""
        return self.count(BREAK)

    @property
    def exit_code(self) -> int:
        if self.rejected_files:
            return EXIT_REJECTED
        if self.blocking_breaks:
            return EXIT_BREAK
        return EXIT_PASS

    @property
    def passed(self) -> bool:
        return self.exit_code == EXIT_PASS

    def verdict_vi(self) -> str:
        code = self.exit_code
        if code == EXIT_REJECTED:
            n = len(self.rejected_files)
            return f"KHÔNG ĐẠT: chi nhánh sẽ từ chối {n} tệp (hoặc cả thư mục) của lần giao này"
        if code == EXIT_BREAK:
            return (
                f"KHÔNG ĐẠT: các tệp đọc được nhưng có {self.blocking_breaks} mục lệch đối soát; "
                "báo cáo giao ban sẽ bị chặn"
            )
        if self.pending:
            return f"ĐẠT: có thể gửi sau khi ghi {self.manifest} (nhcs validate --write-manifest)"
        return "ĐẠT: chi nhánh sẽ nạp toàn bộ lần giao này"
