"""Name -> code matching for the summary forms and the organizations' reports (contract 4.3, 4.6).

Names are matched diacritics- and case-insensitively (``fold``). When the exact folded name is
not found, a second try drops an administrative prefix (``Xã``, ``Phường``, ``Thị trấn``,
``Quận``, ``Huyện``, ``Thị xã``) and a leading number (``1.``) on both sides, if that is still
unambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipelines.contract.codes import DISTRICT_OFFICES, PROGRAMS
from pipelines.contract.naming import fold

_PREFIX = re.compile(r"^(?:\d+[.)]\s*)?(?:xa|phuong|thi tran|quan|huyen|thi xa|tx|q|h)[.\s]+")
_NUMBER = re.compile(r"^\d+[.)]\s*")


def loose(name: str) -> str:
    key = fold(name)
    key = _PREFIX.sub("", key)
    return _NUMBER.sub("", key).strip()


class NameIndex:
    """Names of one kind (communes of an office, programs, districts) and their codes."""

    def __init__(self, pairs: Iterable[tuple[str, str]], kind: str):
        self.kind = kind
        self.exact: dict[str, set[str]] = {}
        self.any: dict[str, set[str]] = {}  # folded and loose keys together
        for code, name in pairs:
            if name is None or code is None:
                continue
            self.exact.setdefault(fold(name), set()).add(code)
            self.any.setdefault(fold(name), set()).add(code)
            self.any.setdefault(loose(name), set()).add(code)

    def __len__(self) -> int:
        return len(self.exact)

    def lookup(self, name: str) -> tuple[str | None, str | None]:
        """(code, None) or (None, why not)."""
        codes = self.exact.get(fold(name)) or self.any.get(loose(name))
        if not codes:
            return None, f"is not a known {self.kind} name"
        if len(codes) > 1:
            return None, f"matches several {self.kind}s ({', '.join(sorted(codes))})"
        return next(iter(codes)), None


PROGRAM_NAMES = NameIndex(((p.code, p.name) for p in PROGRAMS), "program")
DISTRICT_NAMES = NameIndex(((u.code, u.name) for u in DISTRICT_OFFICES), "district")
