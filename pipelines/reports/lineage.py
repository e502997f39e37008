"""The briefing's appendix: every headline figure (F1–F14) part by part, by office and
organization, with the delivered files behind each office's parts: the breakdown ``nhcs
explain`` prints (``pipelines.reports.breakdown``), so a figure disputed at the meeting can be
traced on paper. Each headline figure on the page links to its section (``#nguon-F1``); a ratio
links to the sections of its two parts.

Kept apart from the other builders on purpose: it reads ``marts.mart_figure_breakdown`` and
``marts.mart_figure_lineage`` itself and gives the template plain data; a warehouse without
them (built before they existed) has no appendix.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipelines.contract.figures import FIGURES

from . import fmt
from .breakdown import ExplainError, load_breakdown


@dataclass
class Section:
    anchor: str  # the HTML id: nguon-F1, or nguon-<column> for a ratio's part of its own
    title: str
    column: str
    value_text: str
    orgs: list[tuple[str, str]]  # (org code, "12 HPN"), in code order
    rows: list[dict]  # office, cells {org: text}, total, files [{name, revision, sha, rows}]
    total_text: str
    adds_up: bool
    ratio_of: list[tuple[str, str]] = field(default_factory=list)  # (anchor, column) of parts


@dataclass
class Appendix:
    as_of: date
    sections: list[Section]

    @property
    def anchors(self) -> dict[str, str]:
        """Figure id -> the anchor its headline links to."""
        return {s.anchor.removeprefix("nguon-"): s.anchor for s in self.sections}


def _text(column: str, v) -> str:
    if v is None:
        return fmt.DASH
    return f"{fmt.fmt_int(v)} đồng" if column.endswith("_vnd") else fmt.fmt_int(v)


def load_appendix(warehouse: Path, as_of: date) -> Appendix | None:
    """The appendix of ``as_of``, or None when the warehouse has no breakdown marts."""

    from ..warehouse_db import connect

    con = connect(warehouse, read_only=True)
    try:
        present = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }
        if not {"mart_figure_breakdown", "mart_figure_lineage"} <= present:
            return None
        cache = {}

        def breakdown(column: str):
            if column not in cache:
                cache[column] = load_breakdown(con, column, as_of)
            return cache[column]

        sections: list[Section] = []
        parts_of_ratios: list[str] = []
        own = {f.column: f"nguon-{f.id}" for f in FIGURES if not f.ratio}
        try:
            for f in FIGURES:
                if f.ratio:
                    anchors = []
                    for c in f.ratio:
                        if c not in own:
                            own[c] = f"nguon-{c}"
                            parts_of_ratios.append(c)
                        anchors.append((own[c], c))
                    sections.append(
                        Section(f"nguon-{f.id}", f"{f.id} {f.label}", f.column, "", [], [], "",
                                True, anchors)
                    )  # fmt: skip
                else:
                    sections.append(
                        _section(f"nguon-{f.id}", f"{f.id} {f.label}", breakdown(f.column))
                    )
            for c in parts_of_ratios:
                sections.append(_section(own[c], c, breakdown(c)))
        except ExplainError:
            return None
    finally:
        con.close()
    return Appendix(as_of, sections)


def _section(anchor: str, title: str, b) -> Section:
    orgs = sorted({(p.org_code, f"{p.org_code} {p.org_short or ''}".strip()) for p in b.parts})
    offices: dict[str, dict] = {}
    for p in b.parts:
        row = offices.setdefault(
            p.pgd_code,
            {"office": f"{p.pgd_code} {p.office or ''}".strip(), "cells": {}, "value": 0,
             "files": {}},
        )  # fmt: skip
        row["cells"][p.org_code] = _text(b.column, p.value)
        row["value"] += p.value
        for f in p.files:
            entry = row["files"].setdefault(
                f.file, {"name": f.file.rsplit("/", 1)[-1], "revision": f.revision,
                         "sha": f.sha256, "rows": 0},
            )  # fmt: skip
            entry["rows"] += f.rows
    rows = []
    for code in sorted(offices):
        r = offices[code]
        rows.append(
            {
                "office": r["office"],
                "cells": r["cells"],
                "total": _text(b.column, r["value"]),
                "files": [
                    {**v, "rows": fmt.fmt_int(v["rows"]), "short": v["sha"][:12]}
                    for _, v in sorted(r["files"].items())
                ],
            }
        )
    return Section(
        anchor,
        title,
        b.column,
        _text(b.column, b.value),
        orgs,
        rows,
        _text(b.column, b.total if b.parts else None),
        b.adds_up,
    )
