"""The identities of one office's month-end folder: the recon models' rows on the scratch
warehouse, judged by the identity suites' own rules, each failing item placed in its file.

Nothing here restates an identity: the rows come from the dbt recon models (``models.py``), the
verdicts from the ``Rule`` objects of ``pipelines.quality.identities`` (evaluated by
``local_rules``), what must be delivered from the suites' coverage SQL. What is added is where a
failing item sits in the delivered files (the raw rows' lineage: ``_source_file``,
``_row_number``) and how to say it in Vietnamese.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pipelines.contract.codes import BRANCH_OFFICE
from pipelines.contract.reports import BC0437, BCDHTD_011, BCDHTD_012, M31, SKGD, ReportSpec
from pipelines.ingest.errors import display_header
from pipelines.quality.identities import IDENTITIES, IdentitySpec
from pipelines.quality.local_rules import failing_items
from pipelines.reports import fmt

from .models import TARGETS
from .result import BREAK, NOTE, IdentityOutcome, Item

NOT_LOADED = "report_not_loaded"  # the quality runner's item for a report that is not there
SPECS: tuple[IdentitySpec, ...] = tuple(s for s in IDENTITIES if s.model in TARGETS)
TITLES_VI = {
    1: "Biểu 01.1/BCTD, 01.2/BCTD và dòng TỔNG CỘNG khớp Mẫu 31 (đối soát 1)",
    2: "Sổ giao dịch của tháng khớp các cột phát sinh trong tháng của Mẫu 31; dư nợ chuyển "
    "tiếp từ Mẫu 31 tháng trước (đối soát 2)",
    3: "Sổ tổ BC0437 khớp số liệu các thành viên trên Mẫu 31 (đối soát 3)",
}
FORMS = {"01.1": BCDHTD_011, "01.2": BCDHTD_012}


class Scratch:
    """Lookups in the scratch warehouse: where an item sits in the delivered files."""

    def __init__(self, con, as_of: date, unit: str):
        self.con, self.as_of, self.unit = con, as_of, unit

    def one(self, sql: str, params: list) -> tuple | None:
        return self.con.execute(sql, params).fetchone()

    def file_of(self, spec: ReportSpec) -> str | None:
        row = self.one(
            f"select min(_source_file) from raw.{spec.table} where _data_date = ? and _unit = ?",
            [self.as_of, self.unit],
        )
        return row[0] if row else None

    def place(self, spec: ReportSpec, where: str, params: list) -> tuple[str | None, int | None]:
        """(file, row) of the first raw row of ``spec`` at the date and office matching
        ``where``; the report's file with no row when there is none."""
        row = self.one(
            f"select _source_file, min(_row_number) from raw.{spec.table} "
            f"where _data_date = ? and _unit = ? and ({where}) group by _source_file "
            "order by 2 limit 1",
            [self.as_of, self.unit, *params],
        )
        if row:
            return row[0], row[1]
        return self.file_of(spec), None


def check(
    con, as_of: date, unit: str, journal: bool, opening: bool
) -> tuple[list[IdentityOutcome], list[Item]]:
    """Every identity of ``SPECS`` on the scratch warehouse's rows of ``as_of``."""
    scratch = Scratch(con, as_of, unit)
    outcomes: list[IdentityOutcome] = []
    items: list[Item] = []
    if unit == BRANCH_OFFICE:
        items.append(
            Item(
                NOTE, scratch.file_of(BCDHTD_011) or "", None, None, None, "", "",
                "biểu 01.1 của Hội sở chi nhánh: các dòng theo quận, huyện chưa được đối chiếu "
                "với Mẫu 31 (quận, huyện của mỗi xã lấy từ Mẫu 31 của các phòng giao dịch); "
                "dòng TỔNG CỘNG có được đối chiếu",
            )
        )  # fmt: skip
    for spec in SPECS:
        skipped = _skip(spec, journal, opening)
        frame = _rows(con, spec, as_of, unit, journal)
        if skipped:
            for c in spec.checks:
                outcomes.append(
                    IdentityOutcome(c.identity, c.key, TITLES_VI[spec.identity], c.blocking, 0, 0,
                                    skipped)
                )  # fmt: skip
            continue
        verdicts = failing_items(frame, spec)
        for c in spec.checks:
            checked, broken = verdicts[c.key]
            outcomes.append(
                IdentityOutcome(
                    c.identity, c.key, TITLES_VI[spec.identity], c.blocking, checked, len(broken)
                )
            )
            place = PLACES[spec.model]
            for idx in sorted(broken):
                row = {k: _plain(v) for k, v in frame.loc[idx].to_dict().items()}
                items.append(place(scratch, row, spec.identity))
    return outcomes, items


def _skip(spec: IdentitySpec, journal: bool, opening: bool) -> str | None:
    if spec.model == "recon_loan_rollforward" and not (journal or opening):
        return (
            "không kiểm tra: thư mục gốc không có sổ giao dịch (SKGD) nào khác của đơn vị trong "
            "tháng, cũng không có Mẫu 31 cuối tháng trước"
        )
    return None


def _rows(con, spec: IdentitySpec, as_of: date, unit: str, journal: bool):
    """The recon model's rows of the date, and a failing item for every report the identity
    needs that is not there (the suite's coverage)."""
    import pandas as pd

    where = "as_of_date = ?"
    if spec.model == "recon_loan_rollforward" and not journal:
        where += " and check_item = 'outstanding'"  # no journal days: the roll-forward only
    if spec.model == "recon_control_totals" and unit == BRANCH_OFFICE:
        # the branch office's 01.1 rows are districts, and a commune's district is learnt from
        # the district offices' Mẫu 31 (int_communes): not in one office's folder
        where += " and not (form_code = '01.1' and check_item = 'row_vs_m31')"
    frame = con.execute(f"select * from recon.{spec.model} where {where}", [as_of]).df()
    coverage = getattr(spec, "coverage", None)
    if not coverage:
        return frame
    due = con.execute(f"select distinct * from ({coverage}) as c").df()
    due = due[pd.to_datetime(due["as_of_date"]).dt.date == as_of]
    keys = list(due.columns)
    present = {tuple(str(v) for v in r) for r in frame[keys].drop_duplicates().itertuples(False)}
    missing = [r for r in due.itertuples(False) if tuple(str(v) for v in r) not in present]
    if not missing:
        return frame
    extra = pd.DataFrame(missing, columns=keys)
    extra["check_item"] = NOT_LOADED
    extra["expected"], extra["actual"], extra["difference"] = 1, 0, -1
    extra["is_break"] = True
    if "is_finding" in frame.columns:
        extra["is_finding"] = False
    return pd.concat([frame, extra], ignore_index=True)


def _plain(v: Any) -> Any:
    try:
        import pandas as pd

        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return v.item() if hasattr(v, "item") else v


def _n(v: Any) -> str:
    return fmt.fmt_int(v) if v is not None else fmt.DASH


def _amount(spec: ReportSpec, key: str, v: Any) -> str:
    """A recon value (đồng or a count) as the file shows it: triệu đồng with 6 decimals on
    the 01.x forms, đồng or a count elsewhere."""
    if v is None:
        return fmt.DASH
    col = spec.column(key)
    if col.type == "million":
        return f"{fmt.fmt_number(v / fmt.MILLION, col.scale)} triệu đồng"
    return fmt.fmt_int(v) if col.count else f"{fmt.fmt_int(v)} đồng"


def _break(file, row, column, expected: str, found: str, message: str, identity: int) -> Item:
    """A failing item, placed in its file (the sheet is named later, from the workbook)."""
    return Item(BREAK, file or "", None, row, column, expected, found, message, identity)


def _not_loaded(scratch: Scratch, spec: ReportSpec, identity: int, what: str) -> Item:
    name = f"{spec.code}_{scratch.unit}_{scratch.as_of.strftime(spec.date_format_in_name)}.*"
    return Item(
        BREAK,
        f"{scratch.as_of.isoformat()}/{scratch.unit}/{name}",
        None,
        None,
        None,
        "có tệp",
        "không có (hoặc bị từ chối)",
        f"thiếu {what}: không đối chiếu được",
        identity,
    )


# --- identity 1: the forms against Mẫu 31 --------------------------------------------------
def _form_item(scratch: Scratch, r: dict, identity: int) -> Item:
    form = r.get("form_code")
    spec = FORMS.get(form, BCDHTD_011)
    what = f"biểu {spec.extra['form_code']}"
    if r["check_item"] in (NOT_LOADED, "form_delivered"):
        return _not_loaded(scratch, spec, identity, what)
    marker = r.get("column_marker")
    col = next((c for c in spec.columns if c.header == marker), None)
    column = display_header(spec, col) if col else r.get("column_name")
    key = col.key if col else None
    if r["check_item"] == "total_row_vs_rows":
        file, row = scratch.place(spec, "row_kind = 'total'", [])
        message = (
            f"dòng TỔNG CỘNG của {what} khác tổng các dòng"
            if r.get("missing_in") != "total_row"
            else f"{what} không có dòng TỔNG CỘNG"
        )
        expected = f"Σ các dòng: {_amount(spec, key, r['expected']) if key else _n(r['expected'])}"
    else:
        code, name = r.get("row_code"), r.get("row_name")
        label = f"{name} ({code})" if name and code else (name or code or fmt.DASH)
        file, row = scratch.place(spec, "row_code = ?", [code])
        if r.get("missing_in") == "form":
            message = f"{what} không có dòng {label}, dòng này có trên Mẫu 31"
        elif r.get("missing_in") == "m31":
            message = f"dòng {label} của {what} không có khoản vay nào trên Mẫu 31"
        else:
            message = f"dòng {label} của {what} khác tổng Mẫu 31 cùng đơn vị, cùng ngày"
        expected = f"Mẫu 31: {_amount(spec, key, r['expected']) if key else _n(r['expected'])}"
    found = f"Biểu: {_amount(spec, key, r['actual']) if key else _n(r['actual'])}"
    return _break(file, row, column, expected, found, message, identity)


# --- identity 2: the journal and the roll-forward -------------------------------------------
def _loan_item(scratch: Scratch, r: dict, identity: int) -> Item:
    if r["check_item"] == NOT_LOADED:
        return _not_loaded(scratch, M31, identity, "Mẫu 31")
    loan, item = r.get("loan_code"), r["check_item"]
    key = r.get("column_name") or "outstanding"
    column = M31.column(key).header if key in M31.keys else key
    if r.get("missing_in") == "current_m31":
        file, row = _journal_place(scratch, loan)
        column = display_header(SKGD, SKGD.column("loan_code"))
        message = f"khế ước {loan} có giao dịch trong tháng nhưng không có trên Mẫu 31"
    else:
        file, row = scratch.place(M31, "loan_code = ?", [loan])
        if item == "outstanding":
            message = (
                f"khế ước {loan}: dư nợ cuối tháng trước + phát sinh trong tháng khác dư nợ trên "
                "Mẫu 31"
            )
        elif r.get("missing_in") == "journal":
            message = f"khế ước {loan}: không có dòng giao dịch {item} nào trong sổ giao dịch tháng"
        else:
            message = f"khế ước {loan}: tổng giao dịch {item} của tháng khác cột trên Mẫu 31"
    source = "Dư nợ tháng trước + phát sinh" if item == "outstanding" else f"Σ giao dịch {item}"
    expected, found = f"{source}: {_n(r['expected'])} đồng", f"Mẫu 31: {_n(r['actual'])} đồng"
    return _break(file, row, column, expected, found, message, identity)


def _journal_place(scratch: Scratch, loan: str) -> tuple[str | None, int | None]:
    row = scratch.one(
        "select _source_file, min(_row_number) from raw.skgd where _unit = ? and loan_code = ? "
        "and _data_date <= ? group by _source_file order by 1 limit 1",
        [scratch.unit, loan, scratch.as_of],
    )
    return (row[0], row[1]) if row else (None, None)


# --- identity 3: the group register against Mẫu 31 -----------------------------------------
def _group_item(scratch: Scratch, r: dict, identity: int) -> Item:
    if r["check_item"] == NOT_LOADED:
        return _not_loaded(scratch, BC0437, identity, "sổ tổ BC0437")
    group, key = r.get("group_code"), r["check_item"]
    column = BC0437.column(key).header if key in BC0437.keys else key
    file, row = scratch.place(BC0437, "group_code = ?", [group])
    if r.get("missing_in") == "bc0437":
        message = f"tổ {group} có thành viên trên Mẫu 31 nhưng không có trong BC0437"
    elif r.get("missing_in") == "m31":
        message = f"tổ {group} có trong BC0437 nhưng Mẫu 31 không có thành viên nào của tổ"
    else:
        message = f"tổ {group}: {column} khác tổng các thành viên trên Mẫu 31"
    value = (lambda v: _amount(BC0437, key, v)) if key in BC0437.keys else _n
    expected, found = f"Mẫu 31: {value(r['expected'])}", f"BC0437: {value(r['actual'])}"
    return _break(file, row, column, expected, found, message, identity)


PLACES: dict[str, Callable[[Scratch, dict, int], Item]] = {
    "recon_control_totals": _form_item,
    "recon_loan_rollforward": _loan_item,
    "recon_group_register": _group_item,
}
