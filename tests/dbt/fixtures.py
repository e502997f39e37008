"""A tiny, hand-specified raw layer for the dbt tests (no generator or ingestion needed).

A handful of loans are described by their events (journal lines). From those events a small
simulation derives everything a branch delivers: the month-end loan file (M31, with the
two-savings-books quirk), the daily journal (SKGD), the official forms 01.1 / 01.2 (in triệu
đồng), the group register (BC0437), the reconciliation register (DOICHIEU) and the
organizations' quarter-end reports (HOI). ``truth()`` computes the briefing figures directly from
the loan states, independently of the delivered rows, as the oracle for the marts.

Raw tables are created from the contract specs with the ingestion layer's column types, so the
fixture and ``pipelines.ingest`` produce the same shape.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb

from pipelines.contract import codes
from pipelines.contract.reports import LINEAGE_COLUMNS, REPORTS, ReportSpec

D0 = dt.date(2021, 12, 31)
D1 = dt.date(2022, 1, 31)
D2 = dt.date(2022, 2, 28)
D3 = dt.date(2022, 3, 31)
MONTH_ENDS = (D0, D1, D2, D3)
# A later year end, for the incremental tests: November and December 2022, then January 2023
# (April-October 2022 are not delivered: Q4's flows are incomplete, the roll-forward starts
# again at December). The loans carry on (one is settled in 2022, one new in 2023) and the 2023
# campaign is scoped on 31/12/2022.
D11, D12, D13 = dt.date(2022, 11, 30), dt.date(2022, 12, 31), dt.date(2023, 1, 31)
HISTORY_MONTH_ENDS = (*MONTH_ENDS, D11, D12, D13)

_SQL_TYPES = {
    "code": "VARCHAR",
    "text": "VARCHAR",
    "int": "BIGINT",
    "decimal": "DOUBLE",
    "million": "DECIMAL(24,6)",
    "date": "DATE",
}


def raw_columns(spec: ReportSpec) -> list[tuple[str, str]]:
    cols = [(c.key, _SQL_TYPES[c.type]) for c in spec.columns]
    cols += list(spec.derived)
    cols += list(LINEAGE_COLUMNS)
    return cols


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    for spec in REPORTS:
        cols = ", ".join(f'"{k}" {t}' for k, t in raw_columns(spec))
        con.execute(f"create or replace table raw.{spec.table} ({cols})")


# --------------------------------------------------------------------------------------------
# The mini branch
# --------------------------------------------------------------------------------------------

COMMUNES = {  # commune code -> (office, name)
    "010101": ("0101", "Phúc Xá"),
    "010102": ("0101", "Trúc Bạch"),
    "010201": ("0102", "Hàng Bạc"),
}
GROUPS = {  # group code -> (office, commune, hamlet, org, established, score)
    "0101001": ("0101", "010101", "01010101", "12", dt.date(2010, 5, 1), 91),
    "0101002": ("0101", "010102", "01010201", "11", dt.date(2012, 3, 1), 78),
    "0102001": ("0102", "010201", "01020101", "13", dt.date(2015, 9, 1), 88),
    "0102002": ("0102", "010201", "01020102", "14", dt.date(2018, 1, 1), 60),
}


@dataclass
class Customer:
    code: str
    office: str
    commune: str
    group: str | None
    org: str
    category: str
    gender: str = "Nữ"
    birth_year: int = 1980
    books: tuple[tuple[str, int], ...] = ()  # (book number, balance)


@dataclass
class Loan:
    code: str
    customer: str
    program: str
    disbursement_date: dt.date
    amount: int
    term_months: int
    events: list[tuple[dt.date, str, int]] = field(default_factory=list)
    workers: int = 0
    water: int = 0
    sanitation: int = 0


CUSTOMERS = [
    # two savings books: the M31 row of her loan is duplicated
    Customer(
        "0101000001",
        "0101",
        "010101",
        "0101001",
        "12",
        "Hộ nghèo",
        books=(("105000001", 1_500_000), ("105000002", 700_000)),
    ),
    # two loans, one savings book (carried on one row only)
    Customer(
        "0101000002",
        "0101",
        "010101",
        "0101001",
        "12",
        "Hộ cận nghèo",
        books=(("105000003", 300_000),),
    ),
    # savings-only member
    Customer(
        "0101000003",
        "0101",
        "010101",
        "0101001",
        "12",
        "Hộ gia đình",
        books=(("105000004", 250_000),),
    ),
    Customer(
        "0101000004",
        "0101",
        "010102",
        "0101002",
        "11",
        "Hộ gia đình",
        gender="Nam",
        books=(("105000005", 100_000),),
    ),
    Customer("0101000005", "0101", "010102", "0101002", "11", "Hộ mới thoát nghèo", gender="Nam"),
    Customer("0102000001", "0102", "010201", "0102001", "13", "Hộ gia đình", gender="Nam"),
    Customer("0102000002", "0102", "010201", "0102001", "13", "Hộ nghèo"),
    Customer("0102000003", "0102", "010201", "0102002", "14", "Hộ gia đình"),
    # direct borrowers of the branch office (an employer) and of a district office
    Customer("0100000001", "0100", "010201", None, "99", "Doanh nghiệp", gender="Nam"),
    Customer("0101000099", "0101", "010102", None, "99", "Hộ gia đình"),
]
CUSTOMER_BY_CODE = {c.code: c for c in CUSTOMERS}

d = dt.date
LOANS = [
    # old poor-household loan, repaid monthly
    Loan(
        "6600010100000001",
        "0101000001",
        "01",
        d(2020, 6, 10),
        50_000_000,
        60,
        [
            (d(2020, 6, 10), "GN", 50_000_000),
            (d(2021, 12, 15), "TNTH", 1_000_000),
            (d(2022, 1, 15), "TNTH", 1_000_000),
            (d(2022, 1, 15), "TL", 270_000),
            (d(2022, 2, 15), "TNTH", 1_000_000),
            (d(2022, 3, 15), "TNTH", 1_000_000),
            (d(2022, 3, 15), "TL", 250_000),
            (d(2022, 11, 15), "TNTH", 1_000_000),
            (d(2022, 12, 15), "TNTH", 1_000_000),
            (d(2023, 1, 16), "TNTH", 1_000_000),
            (d(2023, 1, 16), "TL", 230_000),
        ],
    ),
    # job-creation loan first disbursed in Q1: a loan turn, 2 workers
    Loan(
        "6600010100000002",
        "0101000002",
        "03",
        d(2022, 2, 10),
        80_000_000,
        36,
        [(d(2022, 2, 10), "GN", 80_000_000), (d(2022, 3, 10), "TL", 440_000)],
        workers=2,
    ),
    # near-poor loan with overdue and frozen debt
    Loan(
        "6600010100000003",
        "0101000002",
        "19",
        d(2019, 3, 5),
        40_000_000,
        36,
        [
            (d(2019, 3, 5), "GN", 40_000_000),
            (d(2021, 11, 20), "CQH", 10_000_000),
            (d(2022, 1, 20), "KHN", 4_000_000),
            (d(2022, 2, 20), "TNQH", 1_000_000),
            (d(2022, 3, 21), "XN", 500_000),
            (d(2022, 12, 20), "TNKH", 500_000),
        ],
    ),
    # water and sanitation loan first disbursed in Q1: 1 water + 1 sanitation work
    Loan(
        "6600010100000004",
        "0101000004",
        "06",
        d(2022, 1, 12),
        25_000_000,
        60,
        [(d(2022, 1, 12), "GN", 25_000_000)],
        water=1,
        sanitation=1,
    ),
    # wrongly disbursed in Q1 and fully reversed: not a loan turn
    Loan(
        "6600010100000005",
        "0101000005",
        "20",
        d(2022, 3, 3),
        30_000_000,
        36,
        [(d(2022, 3, 3), "GN", 30_000_000), (d(2022, 3, 4), "DK", 30_000_000)],
    ),
    # near-poor loan first disbursed in Q1: a poor-group loan turn
    Loan(
        "6600010100000006",
        "0101000005",
        "19",
        d(2022, 1, 5),
        10_000_000,
        36,
        [(d(2022, 1, 5), "GN", 10_000_000)],
    ),
    # settled in January: appears as CLOSE for the rest of the year
    Loan(
        "6600010200000001",
        "0102000001",
        "07",
        d(2019, 1, 10),
        20_000_000,
        36,
        [(d(2019, 1, 10), "GN", 20_000_000), (d(2022, 1, 10), "TNTH", 20_000_000)],
    ),
    # disbursed in 2021, second tranche in Q1: a Q1 loan turn but not first disbursed in Q1
    Loan(
        "6600010200000002",
        "0102000002",
        "03",
        d(2021, 11, 5),
        60_000_000,
        36,
        [(d(2021, 11, 5), "GN", 30_000_000), (d(2022, 3, 5), "GN", 30_000_000)],
        workers=1,
    ),
    # youth union loan disbursed in Q1, 3 workers (program 03)
    Loan(
        "6600010200000003",
        "0102000003",
        "03",
        d(2022, 3, 25),
        100_000_000,
        36,
        [(d(2022, 3, 25), "GN", 100_000_000)],
        workers=3,
    ),
    # direct loan to an employer (wage support), branch office
    Loan(
        "6000010000000001",
        "0100000001",
        "30",
        d(2021, 8, 1),
        900_000_000,
        12,
        [
            (d(2021, 8, 1), "GN", 900_000_000),
            (d(2022, 2, 1), "TNTH", 150_000_000),
            # settled at maturity: listed as CLOSE to the end of 2022, gone in 2023
            (d(2022, 8, 1), "TNTH", 750_000_000),
        ],
        workers=40,
    ),
    # direct social-housing loan at a district office, disbursed in Q1
    Loan(
        "6000010100000001",
        "0101000099",
        "12",
        d(2022, 1, 20),
        500_000_000,
        240,
        [(d(2022, 1, 20), "GN", 500_000_000), (d(2022, 3, 20), "TNTH", 2_000_000)],
    ),
    # the savings-only member's first loan, in January 2023 (a job-creation turn of 2023)
    Loan(
        "6600010100000007",
        "0101000003",
        "03",
        d(2023, 1, 10),
        40_000_000,
        36,
        [(d(2023, 1, 10), "GN", 40_000_000)],
        workers=1,
    ),
]

RATES = {p.code: p.rate_pct_month for p in codes.PROGRAMS}


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _prev_month_end(day: dt.date) -> dt.date:
    return _month_start(day) - dt.timedelta(days=1)


@dataclass
class LoanState:
    in_term: int = 0
    overdue: int = 0
    frozen: int = 0

    @property
    def outstanding(self) -> int:
        return self.in_term + self.overdue + self.frozen


def loan_state(loan: Loan, at: dt.date) -> LoanState:
    s = LoanState()
    for day, kind, amount in loan.events:
        if day > at:
            continue
        if kind == "GN":
            s.in_term += amount
        elif kind == "DK":
            s.in_term -= amount
        elif kind == "TNTH":
            s.in_term -= amount
        elif kind == "TNQH":
            s.overdue -= amount
        elif kind == "TNKH":
            s.frozen -= amount
        elif kind == "CQH":
            s.in_term -= amount
            s.overdue += amount
        elif kind == "KHN":
            s.overdue -= amount
            s.frozen += amount
        elif kind == "XN":
            s.frozen -= amount
    return s


def _flows(loan: Loan, start: dt.date, end: dt.date) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for day, kind, amount in loan.events:
        if start <= day <= end:
            out[kind] += amount
    return out


def _in_file(loan: Loan, at: dt.date) -> bool:
    if loan.disbursement_date > at:
        return False
    if loan_state(loan, at).outstanding > 0:
        return True
    # settled: listed as CLOSE for the rest of the year it was settled in
    last = max(day for day, _, _ in loan.events if day <= at)
    return last.year == at.year


def _term_class(months: int) -> str:
    return codes.term_class(months)


def m31_rows(at: dt.date) -> list[dict]:
    rows: list[dict] = []
    carried: set[str] = set()
    for loan in LOANS:
        if not _in_file(loan, at):
            continue
        c = CUSTOMER_BY_CODE[loan.customer]
        s = loan_state(loan, at)
        m = _flows(loan, _month_start(at), at)
        y = _flows(loan, at.replace(month=1, day=1), at)
        maturity = loan.disbursement_date.replace(
            year=loan.disbursement_date.year + loan.term_months // 12
        )
        base = {
            "as_of_date": at,
            "pgd_code": c.office,
            "commune_code": c.commune,
            "commune_name": COMMUNES[c.commune][1],
            "hamlet_code": GROUPS[c.group][2] if c.group else c.commune + "01",
            "group_code": c.group,
            "group_name": "Nguyễn Thị Tổ Trưởng" if c.group else None,
            "org_code": c.org,
            "customer_code": c.code,
            "customer_name": "Khách Hàng " + c.code,
            "national_id": "001" + c.code[-9:],
            "phone": "0912345678",
            "gender": c.gender,
            "birth_year": c.birth_year,
            "ethnicity": "Kinh",
            "household_category": c.category,
            "loan_code": loan.code,
            "program_code": loan.program,
            "channel": "1" if c.org == "99" else "2",
            "funding_source": "1",
            "disbursement_date": loan.disbursement_date,
            "maturity_date": maturity,
            "term_class": _term_class(loan.term_months),
            "interest_rate_pct_month": RATES[loan.program],
            "loan_amount": loan.amount,
            "outstanding": s.outstanding,
            "outstanding_in_term": s.in_term,
            "outstanding_overdue": s.overdue,
            "outstanding_frozen": s.frozen,
            "accrued_interest_in_term": 0,
            "accrued_interest_overdue": 0,
            "disbursed_month": m["GN"],
            "disbursement_reversed_month": m["DK"],
            "repaid_in_term_month": m["TNTH"],
            "repaid_overdue_month": m["TNQH"],
            "repaid_frozen_month": m["TNKH"],
            "interest_collected_month": m["TL"],
            "written_off_month": m["XN"],
            "disbursed_ytd": y["GN"],
            "disbursement_reversed_ytd": y["DK"],
            "repaid_ytd": y["TNTH"] + y["TNQH"] + y["TNKH"],
            "interest_collected_ytd": y["TL"],
            "written_off_ytd": y["XN"],
            "loan_status": "OPEN" if s.outstanding > 0 else "CLOSE",
            "workers_attracted": loan.workers,
            "water_works": loan.water,
            "sanitation_works": loan.sanitation,
            "savings_book_no": None,
            "savings_balance": None,
        }
        if c.books and c.code not in carried:
            carried.add(c.code)
            for book, balance in c.books:
                rows.append({**base, "savings_book_no": book, "savings_balance": balance})
        else:
            rows.append(base)
    # savings-only rows: group members with books and no loan in the file
    for c in CUSTOMERS:
        if c.books and c.code not in carried:
            for book, balance in c.books:
                rows.append(
                    {
                        "as_of_date": at,
                        "pgd_code": c.office,
                        "commune_code": c.commune,
                        "commune_name": COMMUNES[c.commune][1],
                        "hamlet_code": GROUPS[c.group][2],
                        "group_code": c.group,
                        "group_name": "Nguyễn Thị Tổ Trưởng",
                        "org_code": c.org,
                        "customer_code": c.code,
                        "customer_name": "Khách Hàng " + c.code,
                        "national_id": "001" + c.code[-9:],
                        "phone": None,
                        "gender": c.gender,
                        "birth_year": c.birth_year,
                        "ethnicity": "Kinh",
                        "household_category": c.category,
                        "loan_code": None,
                        "program_code": None,
                        "channel": None,
                        "funding_source": None,
                        "disbursement_date": None,
                        "maturity_date": None,
                        "term_class": None,
                        "interest_rate_pct_month": None,
                        "loan_amount": 0,
                        "outstanding": 0,
                        "outstanding_in_term": 0,
                        "outstanding_overdue": 0,
                        "outstanding_frozen": 0,
                        "accrued_interest_in_term": 0,
                        "accrued_interest_overdue": 0,
                        "disbursed_month": 0,
                        "disbursement_reversed_month": 0,
                        "repaid_in_term_month": 0,
                        "repaid_overdue_month": 0,
                        "repaid_frozen_month": 0,
                        "interest_collected_month": 0,
                        "written_off_month": 0,
                        "disbursed_ytd": 0,
                        "disbursement_reversed_ytd": 0,
                        "repaid_ytd": 0,
                        "interest_collected_ytd": 0,
                        "written_off_ytd": 0,
                        "loan_status": None,
                        "workers_attracted": 0,
                        "water_works": 0,
                        "sanitation_works": 0,
                        "savings_book_no": book,
                        "savings_balance": balance,
                    }
                )
    return rows


def skgd_rows(start: dt.date, end: dt.date) -> list[dict]:
    rows = []
    n = 0
    for loan in LOANS:
        c = CUSTOMER_BY_CODE[loan.customer]
        for day, kind, amount in loan.events:
            if start <= day <= end:
                n += 1
                rows.append(
                    {
                        "txn_date": day,
                        "txn_id": f"GD{day:%Y%m%d}{n:06d}",
                        "pgd_code": c.office,
                        "commune_code": c.commune,
                        "group_code": c.group,
                        "customer_code": c.code,
                        "loan_code": loan.code,
                        "program_code": loan.program,
                        "txn_type": kind,
                        "amount": amount,
                        "memo": f"{kind} khách hàng {c.code}",
                    }
                )
    return rows


_FORM_AMOUNTS = (
    ("disbursed_month_mil", lambda r: r["disbursed_month"] - r["disbursement_reversed_month"]),
    ("disbursed_ytd_mil", lambda r: r["disbursed_ytd"] - r["disbursement_reversed_ytd"]),
    (
        "repaid_month_mil",
        lambda r: r["repaid_in_term_month"] + r["repaid_overdue_month"] + r["repaid_frozen_month"],
    ),
    ("repaid_ytd_mil", lambda r: r["repaid_ytd"]),
    ("written_off_month_mil", lambda r: r["written_off_month"]),
    ("written_off_ytd_mil", lambda r: r["written_off_ytd"]),
    ("outstanding_mil", lambda r: r["outstanding"]),
    ("outstanding_in_term_mil", lambda r: r["outstanding_in_term"]),
    ("outstanding_overdue_mil", lambda r: r["outstanding_overdue"]),
    ("outstanding_frozen_mil", lambda r: r["outstanding_frozen"]),
    ("outstanding_short_mil", lambda r: r["outstanding"] if r["term_class"] == "Ngắn hạn" else 0),
    ("outstanding_medium_mil", lambda r: r["outstanding"] if r["term_class"] == "Trung hạn" else 0),
    ("outstanding_long_mil", lambda r: r["outstanding"] if r["term_class"] == "Dài hạn" else 0),
)


def _loan_rows(rows: list[dict]) -> list[dict]:
    seen, out = set(), []
    for r in rows:
        if r["loan_code"] and r["loan_code"] not in seen:
            seen.add(r["loan_code"])
            out.append(r)
    return out


def _form(rows: list[dict], key, name) -> list[dict]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for r in _loan_rows(rows):
        groups[key(r)].append(r)
    out = []
    for i, (code, members) in enumerate(sorted(groups.items()), start=1):
        row = {"stt": str(i), "row_name": name(code), "row_code": code}
        for col, f in _FORM_AMOUNTS:
            row[col] = Decimal(sum(f(r) for r in members)) / Decimal(1_000_000)
        row["customers_with_outstanding"] = len(
            {r["customer_code"] for r in members if r["outstanding"] > 0}
        )
        row["loan_turns_ytd"] = sum(
            1 for r in members if r["disbursed_ytd"] - r["disbursement_reversed_ytd"] > 0
        )
        out.append(row)
    total = {"stt": None, "row_name": "TỔNG CỘNG", "row_code": None}
    for col, _ in _FORM_AMOUNTS:
        total[col] = sum((r[col] for r in out), Decimal(0))
    total["customers_with_outstanding"] = sum(r["customers_with_outstanding"] for r in out)
    total["loan_turns_ytd"] = sum(r["loan_turns_ytd"] for r in out)
    return out + [total]


def form_rows(office: str, at: dt.date, form: str) -> list[dict]:
    rows = [r for r in m31_rows(at) if r["pgd_code"] == office]
    if form == "011":
        if office == codes.BRANCH_OFFICE:
            kind = "district"
            out = _form(
                rows,
                lambda r: COMMUNES[r["commune_code"]][0],
                lambda code: codes.UNIT_BY_CODE[code].name,
            )
        else:
            kind = "commune"
            out = _form(rows, lambda r: r["commune_code"], lambda code: COMMUNES[code][1])
    else:
        kind = "program"
        out = _form(
            rows, lambda r: r["program_code"], lambda code: codes.PROGRAM_BY_CODE[code].name
        )
    for r in out:
        r["row_kind"] = "total" if r["row_code"] is None else kind
    return out


def _score_rating(score: int) -> str:
    return codes.rating_for_score(score)


def bc0437_rows(office: str, at: dt.date) -> list[dict]:
    rows = [r for r in m31_rows(at) if r["pgd_code"] == office and r["group_code"]]
    out = []
    for g, (g_office, commune, hamlet, org, est, score) in GROUPS.items():
        if g_office != office:
            continue
        members = [r for r in rows if r["group_code"] == g]
        loans = _loan_rows(members)
        outstanding = sum(r["outstanding"] for r in loans)
        savings = sum(r["savings_balance"] or 0 for r in members)
        if outstanding == 0 and savings == 0:
            continue
        per_customer: dict[str, int] = defaultdict(int)
        for r in loans:
            per_customer[r["customer_code"]] += r["outstanding"]
        score_at = score - (at.month % 2)
        out.append(
            {
                "pgd_code": office,
                "commune_code": commune,
                "hamlet_code": hamlet,
                "org_code": org,
                "group_code": g,
                "leader_name": "Nguyễn Thị Tổ Trưởng",
                "established_date": est,
                "members": len({c.code for c in CUSTOMERS if c.group == g}),
                "members_with_outstanding": sum(1 for v in per_customer.values() if v > 0),
                "outstanding": outstanding,
                "outstanding_overdue": sum(r["outstanding_overdue"] for r in loans),
                "outstanding_frozen": sum(r["outstanding_frozen"] for r in loans),
                "savings_balance": savings,
                "score": score_at,
                "rating": _score_rating(score_at),
            }
        )
    return out


# Customers reconciled in each year's campaign (date, result, confirmed principal offset):
# in 2022 one discrepancy (Chênh lệch) from February on.
RECONCILED = {
    2022: {
        "0101000001": (d(2022, 1, 20), "Khớp", 0),
        "0101000002": (d(2022, 2, 15), "Chênh lệch", -1_000_000),
        "0102000002": (d(2022, 3, 2), "Khớp", 0),
        "0100000001": (d(2022, 1, 25), "Khớp", 0),
    },
    2023: {"0101000001": (d(2023, 1, 20), "Khớp", 0)},
}


def doichieu_rows(office: str, at: dt.date) -> list[dict]:
    if at.year not in RECONCILED:
        return []
    scope_date = d(at.year - 1, 12, 31)
    per_customer: dict[str, int] = defaultdict(int)
    for r in _loan_rows(m31_rows(scope_date)):
        if r["pgd_code"] == office:
            per_customer[r["customer_code"]] += r["outstanding"]
    out = []
    for code, balance in sorted(per_customer.items()):
        if balance <= 0:
            continue
        c = CUSTOMER_BY_CODE[code]
        row = {
            "campaign_year": at.year,
            "pgd_code": office,
            "commune_code": c.commune,
            "group_code": c.group,
            "org_code": c.org,
            "customer_code": code,
            "scope_outstanding": balance,
            "reconciled_on": None,
            "bank_outstanding": None,
            "confirmed_outstanding": None,
            "bank_interest": None,
            "confirmed_interest": None,
            "result": None,
            "officer": None,
        }
        rec = RECONCILED[at.year].get(code)
        if rec and rec[0] <= at:
            day, result, offset = rec
            bank = sum(loan_state(x, day).outstanding for x in LOANS if x.customer == code)
            row.update(
                reconciled_on=day,
                bank_outstanding=bank,
                confirmed_outstanding=bank + offset,
                bank_interest=10_000,
                confirmed_interest=10_000,
                result=result,
                officer="Cán Bộ Tín Dụng",
            )
        out.append(row)
    return out


def hoi_rows(org: str, at: dt.date) -> list[dict]:
    """The organization's own report: the bank's figures per district, with one deliberate
    difference (org 13 reports one more household) — a finding, not an error."""
    loans = [r for r in _loan_rows(m31_rows(at)) if r["org_code"] == org]
    out = []
    for i, unit in enumerate(codes.DISTRICT_OFFICES, start=1):
        mine = [r for r in loans if r["pgd_code"] == unit.code]
        if not mine:
            continue
        households = len({r["customer_code"] for r in mine if r["outstanding"] > 0})
        if org == "13":
            households += 1
        out.append(
            {
                "stt": str(i),
                "district_name": unit.name,
                "groups": len({r["group_code"] for r in mine if r["outstanding"] > 0}),
                "households_with_outstanding": households,
                "outstanding_mil": round(Decimal(sum(r["outstanding"] for r in mine)) / 10**6, 2),
                "overdue_mil": round(
                    Decimal(sum(r["outstanding_overdue"] for r in mine)) / 10**6, 2
                ),
                "org_code": org,
                "pgd_code": unit.code,
                "is_total": False,
            }
        )
    total = {
        "stt": None,
        "district_name": "TỔNG CỘNG",
        "org_code": org,
        "pgd_code": None,
        "is_total": True,
    }
    for k in ("groups", "households_with_outstanding", "outstanding_mil", "overdue_mil"):
        total[k] = sum(r[k] for r in out)
    return out + [total]


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------

OFFICES = ("0100", "0101", "0102")


def _insert(
    con,
    spec: ReportSpec,
    rows: list[dict],
    unit: str,
    data_date: dt.date,
    file_name: str,
    loaded: dt.datetime,
    revision: int = 1,
) -> None:
    if not rows:
        return
    cols = [k for k, _ in raw_columns(spec)]
    values = []
    for i, r in enumerate(rows, start=1):
        lineage = {
            "_source_file": f"{data_date}/{unit}/{file_name}",
            "_revision": revision,
            "_sha256": "0" * 64,
            "_row_number": i,
            "_unit": unit,
            "_data_date": data_date,
            "_loaded_at": loaded,
        }
        values.append([{**r, **lineage}.get(c) for c in cols])
    placeholders = ", ".join("?" for _ in cols)
    con.executemany(
        f"insert into raw.{spec.table} ({', '.join(cols)}) values ({placeholders})", values
    )


def build_raw(
    warehouse: Path,
    month_ends=MONTH_ENDS,
    *,
    create: bool = True,
    loaded_at: dt.datetime = dt.datetime(2022, 4, 1, 8, 0, 0),
) -> None:
    """Load the mini branch's deliveries of ``month_ends`` (month-end files, and the journal
    of those months) into ``warehouse``; ``create`` (re)creates the raw tables first.
    Loading the month-ends in several calls simulates deliveries arriving over time."""
    by_code = {s.code: s for s in REPORTS}
    con = duckdb.connect(str(warehouse))
    try:
        if create:
            create_raw_tables(con)
            con.execute("create table if not exists raw._loads (x integer)")
            con.execute("create table if not exists raw._rejections (x integer)")
        for at in month_ends:
            for office in OFFICES:
                tag = f"{office}_{at:%Y%m%d}"
                _insert(
                    con,
                    by_code["M31"],
                    [r for r in m31_rows(at) if r["pgd_code"] == office],
                    office,
                    at,
                    f"M31_{tag}.csv",
                    loaded_at,
                )
                for form, code in (("011", "BCDHTD_01.1"), ("012", "BCDHTD_01.2")):
                    _insert(
                        con,
                        by_code[code],
                        form_rows(office, at, form),
                        office,
                        at,
                        f"{code}_{office}_{at:%d%m%Y}.csv",
                        loaded_at,
                    )
                _insert(
                    con,
                    by_code["BC0437"],
                    bc0437_rows(office, at),
                    office,
                    at,
                    f"BC0437_{tag}.csv",
                    loaded_at,
                )
                _insert(
                    con,
                    by_code["DOICHIEU"],
                    doichieu_rows(office, at),
                    office,
                    at,
                    f"DOICHIEU_{tag}.csv",
                    loaded_at,
                )
            if at.month % 3 == 0 and at != D0:
                for org in codes.ENTRUSTED_ORGS:
                    _insert(
                        con,
                        by_code["HOI"],
                        hoi_rows(org, at),
                        "HOI",
                        at,
                        f"HOI_{org}_{at:%Y%m%d}.csv",
                        loaded_at,
                    )
            # the month's journal, one file per office and day
            per_file: dict[tuple[str, dt.date], list[dict]] = defaultdict(list)
            for r in skgd_rows(_month_start(at), at):
                per_file[(r["pgd_code"], r["txn_date"])].append(r)
            for (unit, day), rows in sorted(per_file.items()):
                _insert(
                    con,
                    by_code["SKGD"],
                    rows,
                    unit,
                    day,
                    f"SKGD_{unit}_{day:%Y%m%d}.csv",
                    loaded_at,
                )
            if at == D3:
                # a superseded first revision of one M31 file, kept beside the current _r2:
                # staging must keep only the current one
                stale = [
                    dict(r, outstanding=r["outstanding"] + 999)
                    for r in m31_rows(D3)
                    if r["pgd_code"] == "0102"
                ]
                con.execute(
                    "update raw.m31 set _revision = 2, _source_file = replace("
                    "_source_file, '.csv', '_r2.csv') where _unit = '0102' and "
                    "_data_date = ?",
                    [D3],
                )
                _insert(
                    con,
                    by_code["M31"],
                    stale,
                    "0102",
                    D3,
                    f"M31_0102_{D3:%Y%m%d}.csv",
                    loaded_at - dt.timedelta(hours=1),
                    revision=1,
                )
    finally:
        con.close()


# --------------------------------------------------------------------------------------------
# The oracle
# --------------------------------------------------------------------------------------------


def truth(at: dt.date) -> dict:
    """Briefing figures at a month-end, computed from the loans' states (not from the rows)."""
    live = [x for x in LOANS if x.disbursement_date <= at]
    out_by_org: dict[str, int] = defaultdict(int)
    households: dict[str, set] = defaultdict(set)
    groups: dict[str, set] = defaultdict(set)
    overdue = frozen = 0
    for x in live:
        c = CUSTOMER_BY_CODE[x.customer]
        s = loan_state(x, at)
        out_by_org[c.org] += s.outstanding
        overdue += s.overdue
        frozen += s.frozen
        if s.outstanding > 0:
            households[c.org].add(c.code)
            if c.group:
                groups[c.org].add(c.group)
    entrusted = sum(v for k, v in out_by_org.items() if k != "99")
    direct = out_by_org["99"]
    q_start = d(at.year, 3 * ((at.month - 1) // 3) + 1, 1)
    y_start = d(at.year, 1, 1)

    def turns(start):
        t = [x for x in LOANS if _flows(x, start, at)["GN"] - _flows(x, start, at)["DK"] > 0]
        first = [x for x in t if start <= x.disbursement_date <= at]
        return {
            "loan_turns": len(t),
            "poor_group_turns": sum(1 for x in t if x.program in codes.POOR_GROUP_PROGRAMS),
            "job_creation_turns": sum(1 for x in t if x.program == "03"),
            "workers_attracted": sum(x.workers for x in first if x.program == "03"),
            "water_sanitation_works": sum(
                x.water + x.sanitation for x in first if x.program == "06"
            ),
            "disbursed_by_org": {
                org: sum(
                    _flows(x, start, at)["GN"] - _flows(x, start, at)["DK"]
                    for x in LOANS
                    if CUSTOMER_BY_CODE[x.customer].org == org
                )
                for org in ("11", "12", "13", "14", "99")
            },
        }

    scope = [r for o in OFFICES for r in doichieu_rows(o, at)]
    prev_ye = d(at.year - 1, 12, 31)
    entrusted_prev = sum(
        loan_state(x, prev_ye).outstanding
        for x in LOANS
        if CUSTOMER_BY_CODE[x.customer].org != "99" and x.disbursement_date <= prev_ye
    )
    all_households = set().union(*(households[o] for o in ("11", "12", "13", "14")))
    return {
        "entrusted_outstanding_vnd": entrusted,
        "direct_outstanding_vnd": direct,
        "total_outstanding_vnd": entrusted + direct,
        "entrusted_change_ytd_vnd": entrusted - entrusted_prev if prev_ye in MONTH_ENDS else None,
        "households_with_entrusted_outstanding": len(all_households),
        "groups_with_outstanding": len(set().union(*groups.values())),
        "overdue_vnd": overdue,
        "frozen_vnd": frozen,
        "qtd": turns(q_start),
        "ytd": turns(y_start),
        "reconciliation_in_scope": len(scope),
        "reconciled_customers": sum(1 for r in scope if r["result"]),
        "orgs": {
            org: {
                "outstanding_vnd": out_by_org[org],
                "households": len(households[org]),
                "groups": len(groups[org]),
            }
            for org in ("11", "12", "13", "14", "99")
        },
    }
