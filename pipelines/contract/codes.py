"""Code lists of the branch export contract (shared/contract/branch-exports.md, section 2).

These are the contract's own tables, not calibration figures: they are the same for every
scenario. The dbt seeds in ``dbt_project/seeds`` are written from here
(``dbt_project/scripts/write_seeds.py``; ``tests/dbt/test_seeds.py`` fails on drift) so the
warehouse and the Python code share one source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

BRANCH_OFFICE = "0100"
# Data dates are calendar days in Hanoi (a delivery dated after today there is in the future).
TIMEZONE = "Asia/Ho_Chi_Minh"


def today_in_hanoi() -> date:
    """The branch's calendar day: a data date after it is in the future."""
    return datetime.now(ZoneInfo(TIMEZONE)).date()


# The 30 district-level units of Hanoi in 2022, in the order of contract section 2.1:
# transaction office 0101 is Ba Đình, ..., 0130 is Ứng Hòa.
DISTRICT_NAMES: tuple[str, ...] = (
    "Ba Đình",
    "Hoàn Kiếm",
    "Tây Hồ",
    "Long Biên",
    "Cầu Giấy",
    "Đống Đa",
    "Hai Bà Trưng",
    "Hoàng Mai",
    "Thanh Xuân",
    "Nam Từ Liêm",
    "Bắc Từ Liêm",
    "Hà Đông",
    "Sơn Tây",
    "Ba Vì",
    "Chương Mỹ",
    "Đan Phượng",
    "Đông Anh",
    "Gia Lâm",
    "Hoài Đức",
    "Mê Linh",
    "Mỹ Đức",
    "Phú Xuyên",
    "Phúc Thọ",
    "Quốc Oai",
    "Sóc Sơn",
    "Thạch Thất",
    "Thanh Oai",
    "Thanh Trì",
    "Thường Tín",
    "Ứng Hòa",
)

# Urban districts (quận) and the town of Sơn Tây; the rest are rural districts (huyện).
URBAN_DISTRICTS: frozenset[str] = frozenset(
    {
        "Ba Đình",
        "Hoàn Kiếm",
        "Tây Hồ",
        "Long Biên",
        "Cầu Giấy",
        "Đống Đa",
        "Hai Bà Trưng",
        "Hoàng Mai",
        "Thanh Xuân",
        "Nam Từ Liêm",
        "Bắc Từ Liêm",
        "Hà Đông",
    }
)
TOWNS: frozenset[str] = frozenset({"Sơn Tây"})


@dataclass(frozen=True)
class Unit:
    code: str  # Mã PGD, 4 digits
    name: str  # district name; the branch office has its own name
    kind: str  # "branch" | "urban" | "town" | "rural"

    @property
    def office_name(self) -> str:
        if self.kind == "branch":
            return "Hội sở Chi nhánh NHCSXH TP Hà Nội"
        prefix = {"urban": "quận", "town": "thị xã", "rural": "huyện"}[self.kind]
        return f"PGD NHCSXH {prefix} {self.name}"


def _units() -> tuple[Unit, ...]:
    out = [Unit(BRANCH_OFFICE, "Hội sở chi nhánh", "branch")]
    for i, name in enumerate(DISTRICT_NAMES, start=1):
        kind = "urban" if name in URBAN_DISTRICTS else "town" if name in TOWNS else "rural"
        out.append(Unit(f"01{i:02d}", name, kind))
    return tuple(out)


UNITS: tuple[Unit, ...] = _units()
UNIT_BY_CODE: dict[str, Unit] = {u.code: u for u in UNITS}
DISTRICT_OFFICES: tuple[Unit, ...] = tuple(u for u in UNITS if u.code != BRANCH_OFFICE)
HOI_UNIT = "HOI"


@dataclass(frozen=True)
class Organization:
    code: str
    name: str
    short: str

    @property
    def entrusted(self) -> bool:
        return self.code != DIRECT_ORG


DIRECT_ORG = "99"
ORGANIZATIONS: tuple[Organization, ...] = (
    Organization("11", "Hội Nông dân", "HND"),
    Organization("12", "Hội Liên hiệp Phụ nữ", "HPN"),
    Organization("13", "Hội Cựu chiến binh", "HCCB"),
    Organization("14", "Đoàn Thanh niên Cộng sản Hồ Chí Minh", "DTN"),
    Organization(DIRECT_ORG, "Vay trực tiếp", "TT"),
)
ORG_BY_CODE: dict[str, Organization] = {o.code: o for o in ORGANIZATIONS}
ENTRUSTED_ORGS: tuple[str, ...] = tuple(o.code for o in ORGANIZATIONS if o.entrusted)


@dataclass(frozen=True)
class Program:
    code: str
    short: str
    name: str
    channels: tuple[str, ...]  # "entrusted" and/or "direct"
    rate_pct_month: float
    priority_rate_pct_month: float | None
    output: str | None  # what the program's loans count, if anything


PROGRAMS: tuple[Program, ...] = (
    Program("01", "HONGHEO", "Cho vay hộ nghèo", ("entrusted",), 0.55, None, None),
    Program(
        "02",
        "HSSV",
        "Cho vay học sinh, sinh viên có hoàn cảnh khó khăn",
        ("entrusted",),
        0.55,
        None,
        "students",
    ),
    Program(
        "03",
        "GQVL",
        "Cho vay hỗ trợ tạo việc làm, duy trì và mở rộng việc làm",
        ("entrusted", "direct"),
        0.66,
        0.33,
        "workers_attracted",
    ),
    Program(
        "04",
        "XKLD",
        "Cho vay người lao động đi làm việc ở nước ngoài",
        ("entrusted",),
        0.55,
        None,
        "workers_abroad",
    ),
    Program(
        "06",
        "NSVSMT",
        "Cho vay nước sạch và vệ sinh môi trường nông thôn",
        ("entrusted",),
        0.75,
        None,
        "water_sanitation_works",
    ),
    Program(
        "07",
        "SXKDVKK",
        "Cho vay hộ gia đình sản xuất, kinh doanh tại vùng khó khăn",
        ("entrusted",),
        0.75,
        None,
        None,
    ),
    Program("12", "NOXH", "Cho vay nhà ở xã hội", ("direct",), 0.40, None, "houses"),
    Program("19", "HCN", "Cho vay hộ cận nghèo", ("entrusted",), 0.66, None, None),
    Program("20", "HMTN", "Cho vay hộ mới thoát nghèo", ("entrusted",), 0.6875, None, None),
    Program(
        "30",
        "TLNV",
        "Cho vay trả lương ngừng việc, phục hồi sản xuất (NQ 68/NQ-CP)",
        ("direct",),
        0.00,
        None,
        "workers_paid",
    ),
)
PROGRAM_BY_CODE: dict[str, Program] = {p.code: p for p in PROGRAMS}
POOR_GROUP_PROGRAMS: tuple[str, ...] = ("01", "19", "20")
JOB_CREATION_PROGRAM = "03"
WATER_SANITATION_PROGRAM = "06"
SOCIAL_HOUSING_PROGRAM = "12"
# Programs whose loans carry "Số lao động thu hút" (contract 4.1).
WORKER_PROGRAMS: tuple[str, ...] = ("03", "04", "30")

# An employer (a direct loan to an enterprise): no national ID, gender, birth year or ethnicity.
HOUSEHOLD_EMPLOYER = "Doanh nghiệp"
HOUSEHOLD_CATEGORIES: tuple[str, ...] = (
    "Hộ nghèo",
    "Hộ cận nghèo",
    "Hộ mới thoát nghèo",
    "Hộ gia đình",
    HOUSEHOLD_EMPLOYER,
)
LOAN_OPEN, LOAN_CLOSED = "OPEN", "CLOSE"
LOAN_STATUSES: tuple[str, ...] = (LOAN_OPEN, LOAN_CLOSED)
GENDER_MALE, GENDER_FEMALE = "Nam", "Nữ"
GENDERS: tuple[str, ...] = (GENDER_MALE, GENDER_FEMALE)
CHANNEL_DIRECT = "1"
CHANNEL_ENTRUSTED = "2"
CHANNELS: tuple[str, ...] = (CHANNEL_DIRECT, CHANNEL_ENTRUSTED)
FUNDING_SOURCES: tuple[str, ...] = ("1", "2")  # 1 central (TW), 2 local budget (ĐP)
LOAN_CODE_PREFIX_ENTRUSTED = "6600"
LOAN_CODE_PREFIX_DIRECT = "6000"


@dataclass(frozen=True)
class Band:
    """A class named for a range of whole numbers, ``low`` to ``high`` inclusive (``high``
    None: no upper end). The warehouse gets the bands as seeds (term_classes, group_ratings)."""

    name: str
    low: int
    high: int | None

    def holds(self, value: int) -> bool:
        return self.low <= value and (self.high is None or value <= self.high)


def _band_of(bands: tuple[Band, ...], value: int, what: str) -> str:
    for band in bands:
        if band.holds(value):
            return band.name
    raise ValueError(f"{what} {value} is in none of {', '.join(b.name for b in bands)}")


TERM_SHORT, TERM_MEDIUM, TERM_LONG = "Ngắn hạn", "Trung hạn", "Dài hạn"
# Term classes by loan term in months (contract 2.4).
TERM_BANDS: tuple[Band, ...] = (
    Band(TERM_SHORT, 0, 12),
    Band(TERM_MEDIUM, 13, 60),
    Band(TERM_LONG, 61, None),
)
TERM_CLASSES: tuple[str, ...] = tuple(b.name for b in TERM_BANDS)


def term_class(months: int) -> str:
    """Term class of a loan term in months (contract 2.4)."""
    return _band_of(TERM_BANDS, months, "loan term (months)")


RATING_GOOD = Band("Tốt", 85, 100)
# Savings and loan group ratings by score 0..100 (contract 2.4), best first.
RATING_BANDS: tuple[Band, ...] = (
    RATING_GOOD,
    Band("Khá", 70, 84),
    Band("Trung bình", 50, 69),
    Band("Yếu", 0, 49),
)
RATINGS: tuple[str, ...] = tuple(b.name for b in RATING_BANDS)


def rating_for_score(score: int) -> str:
    """Group rating for a score 0..100 (contract 2.4)."""
    return _band_of(RATING_BANDS, score, "group score")


# Journal transaction types (contract 4.2).
TXN_DISBURSE = "GN"
TXN_REVERSE = "DK"
TXN_REPAY_IN_TERM = "TNTH"
TXN_REPAY_OVERDUE = "TNQH"
TXN_REPAY_FROZEN = "TNKH"
TXN_INTEREST = "TL"
TXN_TO_OVERDUE = "CQH"
TXN_TO_FROZEN = "KHN"
TXN_WRITE_OFF = "XN"
TXN_TYPES: tuple[str, ...] = (
    TXN_DISBURSE,
    TXN_REVERSE,
    TXN_REPAY_IN_TERM,
    TXN_REPAY_OVERDUE,
    TXN_REPAY_FROZEN,
    TXN_INTEREST,
    TXN_TO_OVERDUE,
    TXN_TO_FROZEN,
    TXN_WRITE_OFF,
)

RECON_MATCH = "Khớp"
RECON_DIFFERENCE = "Chênh lệch"
RECON_RESULTS: tuple[str, ...] = (RECON_MATCH, RECON_DIFFERENCE)
