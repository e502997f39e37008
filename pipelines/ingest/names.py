"""Name -> code matching for the summary forms and the organizations' reports (contract 4.3, 4.6).

Names are matched case-insensitively, first with their diacritics (two communes of one
district can differ only by a tone mark: ``Thụy Liên`` and ``Thủy Liên`` in Thái Thụy-style
pairs), then diacritics-insensitively (``fold``). When the folded name is not found, a second try drops an administrative prefix (``Xã``, ``Phường``, ``Thị trấn``,
``Quận``, ``Huyện``, ``Thị xã``) and a leading number (``1.``) on both sides, if that is still
unambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipelines.contract.codes import DISTRICT_OFFICES, PROGRAMS
from pipelines.contract.naming import fold, nfc

_PREFIX = re.compile(r"^(?:\d+[.)]\s*)?(?:xa|phuong|thi tran|quan|huyen|thi xa|tx|q|h)[.\s]+")
_NUMBER = re.compile(r"^\d+[.)]\s*")


_PREFIX_WORDS = (
    {"thi tran", "thi xa", "thanh pho"},
    {"xa", "phuong", "quan", "huyen", "tx", "q", "h"},
)


def _same(name: str) -> str:
    return " ".join(nfc(name).casefold().split())


def _loose_same(name: str) -> str:
    """``_same`` without a leading number or administrative prefix (diacritics kept)."""
    words, folded = _same(name).split(), fold(name).split()
    if len(words) != len(folded):
        return " ".join(words)
    if words and _NUMBER.match(words[0] + " "):
        words, folded = words[1:], folded[1:]
    if len(folded) > 2 and " ".join(folded[:2]) in _PREFIX_WORDS[0]:
        words = words[2:]
    elif len(folded) > 1 and folded[0].rstrip(".") in _PREFIX_WORDS[1]:
        words = words[1:]
    return " ".join(words)


def loose(name: str) -> str:
    key = fold(name)
    key = _PREFIX.sub("", key)
    return _NUMBER.sub("", key).strip()


class NameIndex:
    """Names of one kind (communes of an office, programs, districts) and their codes."""

    def __init__(self, pairs: Iterable[tuple[str, str]], kind: str):
        self.kind = kind
        self.same: dict[str, set[str]] = {}  # NFC, case-insensitive: 'Thụy' is not 'Thủy'
        self.loose_same: dict[str, set[str]] = {}  # the same without prefix
        self.exact: dict[str, set[str]] = {}  # folded: diacritics-insensitive
        self.any: dict[str, set[str]] = {}  # folded and loose keys together
        for code, name in pairs:
            if name is None or code is None:
                continue
            self.same.setdefault(_same(name), set()).add(code)
            self.loose_same.setdefault(_loose_same(name), set()).add(code)
            self.exact.setdefault(fold(name), set()).add(code)
            self.any.setdefault(fold(name), set()).add(code)
            self.any.setdefault(loose(name), set()).add(code)

    def __len__(self) -> int:
        return len(self.exact)

    def lookup(self, name: str) -> tuple[str | None, str | None]:
        """(code, None) or (None, why not)."""
        codes = (
            self.same.get(_same(name))
            or self.loose_same.get(_loose_same(name))
            or self.exact.get(fold(name))
            or self.any.get(loose(name))
        )
        if not codes:
            return None, f"is not a known {self.kind} name"
        if len(codes) > 1:
            return None, f"matches several {self.kind}s ({', '.join(sorted(codes))})"
        return next(iter(codes)), None


PROGRAM_NAMES = NameIndex(((p.code, p.name) for p in PROGRAMS), "program")
DISTRICT_NAMES = NameIndex(((u.code, u.name) for u in DISTRICT_OFFICES), "district")
