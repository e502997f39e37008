"""Vietnamese number formatting for the briefing: ``.`` groups thousands, ``,`` is the decimal
mark, and amounts are told in the units the bank's own briefings use (tỷ đồng for totals,
triệu đồng per household).

The published briefing rounds amounts to whole tỷ (``11.637 tỷ đồng``), shares to one decimal
(``97,3%``) and writes large counts in words (``gần 250 ngàn hộ``); every helper here returns the
exact figure's rounding, never a rewritten one. Values are ``int``/``float``/``Decimal`` or
``None`` (rendered as an em dash).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import SupportsFloat

DASH = "—"
BILLION = 1_000_000_000
MILLION = 1_000_000

Number = int | float | Decimal


def _dec(value: Number) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def fmt_number(value: Number | None, decimals: int = 0) -> str:
    """``1234567.891`` → ``1.234.567,89`` (``decimals=2``); rounding is half-up, as people do."""
    if value is None:
        return DASH
    q = Decimal(1).scaleb(-decimals)
    d = _dec(value).quantize(q, rounding=ROUND_HALF_UP)
    if d == 0:
        d = abs(d)  # no "-0"
    sign = "-" if d < 0 else ""
    whole, _, frac = f"{abs(d):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    out = sign + ".".join(groups)
    return f"{out},{frac}" if decimals > 0 else out


def fmt_int(value: Number | None) -> str:
    """A count: ``7082`` → ``7.082``."""
    return fmt_number(value, 0)


def fmt_signed(value: Number | None, decimals: int = 0) -> str:
    """``+22``, ``-3``, ``0``: changes carry their sign."""
    if value is None:
        return DASH
    text = fmt_number(value, decimals)
    return text if text.startswith("-") or set(text) <= set("0,") else "+" + text


def fmt_ty(vnd: Number | None, decimals: int = 0, *, signed: bool = False) -> str:
    """An amount in đồng told in tỷ đồng: ``11637000000000`` → ``11.637 tỷ đồng``."""
    if vnd is None:
        return DASH
    value = _dec(vnd) / BILLION
    text = fmt_signed(value, decimals) if signed else fmt_number(value, decimals)
    return f"{text} tỷ đồng"


def fmt_amount(vnd: Number | None, *, signed: bool = False) -> str:
    """An amount as a briefing tells it: whole tỷ from 10 tỷ up (``11.637 tỷ đồng``,
    ``+22 tỷ đồng``), one decimal from 1 tỷ (``3,2 tỷ đồng``), triệu below
    (``+220 triệu đồng``), so that small demo scales do not round to ``0 tỷ``."""
    if vnd is None:
        return DASH
    size = abs(_dec(vnd))
    if size >= 10 * BILLION:
        return fmt_ty(vnd, 0, signed=signed)
    if size >= BILLION:
        return fmt_ty(vnd, 1, signed=signed)
    value = _dec(vnd) / MILLION
    text = fmt_signed(value, 0) if signed else fmt_number(value, 0)
    return f"{text} triệu đồng"


def ty_decimals(values) -> int:
    """Decimals to tell amounts in tỷ apart: 0 when they span 5 tỷ or more, else 1 or 2."""
    vals = [abs(v) for v in values if v is not None]
    if not vals:
        return 0
    span = (max(vals) - min(vals)) / BILLION if len(vals) > 1 else max(vals) / BILLION
    return 0 if span >= 5 else 1 if span >= 0.5 else 2


def fmt_trieu(vnd: Number | None, decimals: int = 0, *, suffix: str = "") -> str:
    """An amount in đồng told in triệu đồng: ``46829000`` → ``47 triệu đồng`` (+ suffix)."""
    if vnd is None:
        return DASH
    return f"{fmt_number(_dec(vnd) / MILLION, decimals)} triệu đồng{suffix}"


def fmt_pct(ratio: SupportsFloat | Decimal | None, decimals: int = 1) -> str:
    """A fraction as a percentage: ``0.973`` → ``97,3%``; ``0.8579`` → ``86%`` (decimals=0)."""
    if ratio is None:
        return DASH
    return f"{fmt_number(_dec(ratio) * 100, decimals)}%"


def _step(n: int) -> int:
    if n < 10_000:
        return 100
    if n < 100_000:
        return 1_000
    return 10_000


def fmt_approx(count: int | None, unit: str = "ngàn") -> str:
    """A count in words as briefings write it: ``248500`` → ``gần 250 ngàn``, ``28123`` →
    ``trên 28 ngàn``, ``18900`` → ``gần 19 ngàn``. Counts under 1.000 are written exactly;
    below 10.000 the step is a hundred (``gần 2.500``). "gần" is used when the count is within
    a fifth of a step below a round figure, otherwise "trên" the round figure below it."""
    if count is None:
        return DASH
    n = int(count)
    if n < 1_000:
        return fmt_int(n)
    step = _step(n)
    floor = n // step * step
    ceil = floor + step
    if n == floor:
        return _words(n, unit)
    if ceil - n <= step // 5:
        return f"gần {_words(ceil, unit)}"
    return f"trên {_words(floor, unit)}"


def _words(n: int, unit: str) -> str:
    if n >= 10_000 and n % 1_000 == 0:
        return f"{fmt_int(n // 1_000)} {unit}"
    return fmt_int(n)


def fmt_date(d) -> str:
    """``2022-03-31`` → ``31/03/2022``."""
    return DASH if d is None else f"{d:%d/%m/%Y}"


def parse_vn_number(text: str) -> Decimal:
    """The inverse of :func:`fmt_number` (``11.637`` → 11637, ``97,3`` → 97.3, ``+22`` → 22);
    used by the tests to read the figures back from the rendered page."""
    t = text.strip().replace("\u2212", "-").replace(".", "").replace(",", ".")
    return Decimal(t.lstrip("+"))


ROMAN_QUARTERS = ("I", "II", "III", "IV")


def quarter_of(d) -> int:
    return (d.month - 1) // 3 + 1


def quarter_label(d) -> str:
    """``2022-03-31`` → ``quý I/2022``."""
    return f"quý {ROMAN_QUARTERS[quarter_of(d) - 1]}/{d.year}"


def quarter_short(d) -> str:
    """A quarter end on a chart axis: ``2022-06-30`` → ``II/2022``."""
    return f"{ROMAN_QUARTERS[quarter_of(d) - 1]}/{d.year}"


def ytd_label(d) -> str:
    """The period from 1 January to month-end ``d`` as the bank names it: ``quý I/2022``
    (31/03), ``6 tháng đầu năm 2022`` (30/06), ``9 tháng đầu năm 2022`` (30/09),
    ``năm 2022`` (31/12); other month-ends ``tháng 1/2022``, ``5 tháng đầu năm 2022``."""
    if d.month == 12:
        return f"năm {d.year}"
    if d.month == 3:
        return quarter_label(d)
    if d.month == 1:
        return f"tháng 1/{d.year}"
    return f"{d.month} tháng đầu năm {d.year}"


def change_phrase(change: Number | None, shown: str) -> str:
    """A change told with its verb: ``tăng 22 tỷ đồng``, ``giảm 3,2 tỷ đồng``, ``không đổi``;
    ``shown`` is the absolute change already formatted. The verb follows the exact figure, so a
    sentence never says "tăng" of a figure that fell."""
    if change is None:
        return DASH
    if change == 0:
        return "không đổi"
    return f"{'tăng' if change > 0 else 'giảm'} {shown}"
