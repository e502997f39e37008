"""Read the figures back from the rendered briefing (HTML) and the workbooks (XLSX)."""

from __future__ import annotations

import html
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import polars as pl


class _BriefingParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.figures: dict[str, dict] = {}
        self.tables: dict[str, dict[str, list[dict[str, str]]]] = {}
        self.ids: dict[str, str] = {}
        self._fig = None
        self._cls = []
        self._table = None
        self._section = None
        self._row = None
        self._col = None
        self._id = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "data-figure" in a:
            self._fig = a["data-figure"]
            self.figures[self._fig] = {"field": a["data-field"], "value": a["data-value"]}
        if tag == "table" and "id" in a:
            self._table = a["id"]
            self.tables[self._table] = {"tbody": [], "tfoot": []}
        if self._table and tag in ("tbody", "tfoot"):
            self._section = tag
        if self._table and self._section and tag == "tr":
            self._row = {}
        if self._row is not None and tag == "td":
            self._col, self._text = a.get("data-col"), []
        if self._fig and tag in ("div", "span") and a.get("class") in ("kpi-value", "exact"):
            self._cls.append(a["class"])
            self._text = []
        if tag == "b" and "id" in a:
            self._id, self._text = a["id"], []

    def handle_endtag(self, tag):
        if tag == "td" and self._row is not None and self._col:
            self._row[self._col] = "".join(self._text).strip()
            self._col = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table][self._section].append(self._row)
            self._row = None
        elif tag in ("tbody", "tfoot"):
            self._section = None
        elif tag == "table":
            self._table = None
        elif tag in ("div", "span") and self._cls:
            key = {"kpi-value": "text", "exact": "exact"}[self._cls.pop()]
            self.figures[self._fig][key] = "".join(self._text).strip()
            if key == "exact":
                self._fig = None
        elif tag == "b" and self._id:
            self.ids[self._id] = "".join(self._text).strip()
            self._id = None

    def handle_data(self, data):
        self._text.append(data)


def parse_briefing(path: Path) -> _BriefingParser:
    p = _BriefingParser()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def read_sheet(path: Path, sheet: str) -> pl.DataFrame:
    return pl.read_excel(path, sheet_name=sheet, engine="calamine")


def sheet_names(path: Path) -> list[str]:
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
    return re.findall(r'<sheet name="([^"]+)"', wb)


def sheet_xml(path: Path, sheet: str) -> str:
    """The worksheet XML of a named sheet (xlsxwriter numbers sheets in order)."""
    i = sheet_names(path).index(sheet) + 1
    with zipfile.ZipFile(path) as z:
        return z.read(f"xl/worksheets/sheet{i}.xml").decode()


def number_formats(path: Path) -> set[str]:
    with zipfile.ZipFile(path) as z:
        styles = z.read("xl/styles.xml").decode()
    return set(re.findall(r'formatCode="([^"]+)"', styles))


def print_titles(path: Path) -> dict[str, str]:
    """Sheet → the rows repeated at the top of every printed page ("$1:$1")."""
    with zipfile.ZipFile(path) as z:
        wb = z.read("xl/workbook.xml").decode()
    names = sheet_names(path)
    out = {}
    for local, ref in re.findall(
        r'<definedName name="_xlnm.Print_Titles" localSheetId="(\d+)">([^<]+)</definedName>', wb
    ):
        out[names[int(local)]] = ref.split("!")[-1]
    return out


def narrative(path: Path) -> str:
    """The text of the briefing's narrative paragraph."""
    m = re.search(
        r'<p class="lead" id="narrative">(.*?)</p>', path.read_text(encoding="utf-8"), re.S
    )
    return html.unescape(m.group(1)).strip()
