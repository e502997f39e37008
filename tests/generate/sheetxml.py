"""Absolute cell positions of an .xlsx sheet (fastexcel trims leading empty rows/columns)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree as ET

NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REF = re.compile(r"([A-Z]+)(\d+)")


def _col(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def cells(path: Path, max_row: int | None = None) -> dict[tuple[int, int], tuple[str, str]]:
    """{(row, col): (type, text)} 1-based; type 's' text, 'n' number. Stops after max_row."""
    with zipfile.ZipFile(path) as z:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in z.namelist():
            root = ET.fromstring(z.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{NS}t")) for si in root]
        names = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        out: dict[tuple[int, int], tuple[str, str]] = {}
        with z.open(names[0]) as fh:
            for _ev, el in ET.iterparse(fh):
                if el.tag != f"{NS}c":
                    continue
                m = _REF.fullmatch(el.get("r"))
                r, c = int(m[2]), _col(m[1])
                if max_row and r > max_row:
                    break
                t = el.get("t")
                if t == "s":
                    out[(r, c)] = ("s", shared[int(el.find(f"{NS}v").text)])
                elif t == "inlineStr":
                    out[(r, c)] = ("s", "".join(x.text or "" for x in el.iter(f"{NS}t")))
                else:
                    v = el.find(f"{NS}v")
                    if v is not None:
                        out[(r, c)] = ("n", v.text)
                el.clear()
        return out


def sheet_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("xl/workbook.xml"))
        return [s.get("name") for s in root.iter(f"{NS}sheet")]
