"""Names: header normalisation (contract section 3) and delivery file names (section 1)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from .reports import REPORT_BY_CODE, ReportSpec

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Header / name matching key: NFC, no diacritics, lower case, single spaces.

    ``Mã ĐVUT`` -> ``ma dvut``. Đ/đ have no combining decomposition, so they are mapped
    explicitly.
    """
    text = unicodedata.normalize("NFD", str(text))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("Đ", "D").replace("đ", "d")
    return _SPACES.sub(" ", text).strip().lower()


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@dataclass(frozen=True)
class DeliveryFileName:
    """A parsed delivery file name, e.g. ``M31_0107_20220331_r2.xlsx``."""

    report: ReportSpec
    unit: str  # office code, or the organization code for HOI_*
    data_date: date
    revision: int  # 1 when there is no _rN suffix
    extension: str  # xlsx | csv | parquet

    @property
    def stem_without_revision(self) -> str:
        return f"{self.report.code}_{self.unit}_{self.data_date.strftime(self.report.date_format_in_name)}"


_NAME = re.compile(
    r"(?P<report>M31|SKGD|BCDHTD_01\.1|BCDHTD_01\.2|BC0437|DOICHIEU|HOI)"
    r"_(?P<unit>\d{2}|\d{4})_(?P<date>\d{8})(?:_r(?P<rev>\d+))?\.(?P<ext>xlsx|csv|parquet)"
)
# Matched whole (``fullmatch``): "manifest.csv\n" is not a manifest.
_MANIFEST = re.compile(r"manifest(?:_r(?P<rev>\d+))?\.csv")


class FileNameError(ValueError):
    pass


def parse_file_name(name: str) -> DeliveryFileName:
    m = _NAME.fullmatch(name)
    if not m:
        raise FileNameError(
            f"{name}: not a contract file name "
            "(expected <REPORT>_<UNIT>_<DATE>[_rN].xlsx|csv|parquet, REPORT one of "
            + ", ".join(REPORT_BY_CODE)
            + ")"
        )
    spec = REPORT_BY_CODE[m["report"]]
    unit = m["unit"]
    if spec.unit_is_org != (len(unit) == 2):
        raise FileNameError(f"{name}: unit {unit!r} does not fit report {spec.code}")
    try:
        d = datetime.strptime(m["date"], spec.date_format_in_name).date()
    except ValueError as exc:
        raise FileNameError(
            f"{name}: date {m['date']!r} is not {spec.date_format_in_name.replace('%', '')}"
        ) from exc
    return DeliveryFileName(spec, unit, d, int(m["rev"] or 1), m["ext"])


def file_name(spec: ReportSpec, unit: str, data_date: date, ext: str, revision: int = 1) -> str:
    """The contract's file name for a report of a unit and date (inverse of parse_file_name)."""
    rev = f"_r{revision}" if revision > 1 else ""
    return f"{spec.code}_{unit}_{data_date.strftime(spec.date_format_in_name)}{rev}.{ext}"


def manifest_revision(name: str) -> int | None:
    """Revision of a manifest file name (1 for manifest.csv), None if not a manifest."""
    m = _MANIFEST.fullmatch(name)
    return None if m is None else int(m["rev"] or 1)


def revision_of(name: str) -> int | None:
    """Revision of a contract file name (1 without ``_rN``), None if not a contract name."""
    m = _NAME.fullmatch(name)
    return None if m is None else int(m["rev"] or 1)


def manifest_name(revision: int = 1) -> str:
    return "manifest.csv" if revision == 1 else f"manifest_r{revision}.csv"
