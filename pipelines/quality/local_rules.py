"""The identity suites' rules evaluated on a pandas frame without Great Expectations.

``nhcs validate`` checks one office's folder in seconds; creating a Great Expectations context
alone takes several (and 4 s of CPU). It evaluates the same ``Rule`` objects of
``identities.py`` here, with the semantics ``gx_suites`` gives them:

- ``no_flag``: the column is false and not null (a missing verdict is no pass);
- ``equal``: ``expected = actual``, a null on either side is a break;
- ``at_most``: ``actual <= expected``, a null on either side is a break;
- ``null``: the column is null.

A rule's ``where`` and a check's ``items`` are pandas queries, as GX's ``row_condition`` with
the pandas parser. ``tests/quality/test_local_rules.py`` runs both on the same recon rows and
requires the same failing rows, check by check: the two engines cannot drift apart unnoticed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .identities import IdentitySpec, Rule

if TYPE_CHECKING:
    import pandas as pd


def broken_rows(frame: pd.DataFrame, rule: Rule) -> list:
    """Index labels of the rows of ``frame`` that break ``rule``."""
    rows = frame.query(rule.where) if rule.where else frame
    if rows.empty:
        return []
    if rule.kind == "no_flag":
        # a null verdict compares as NA, counted as a break below
        bad = rows[rule.column].astype("boolean") != False  # noqa: E712 - elementwise
    elif rule.kind == "equal":
        bad = rows["expected"].isna() | rows["actual"].isna() | (rows["expected"] != rows["actual"])
    elif rule.kind == "at_most":
        bad = rows["expected"].isna() | rows["actual"].isna() | (rows["actual"] > rows["expected"])
    elif rule.kind == "null":
        bad = rows[rule.column].notna()
    else:  # pragma: no cover - identities.py names only these kinds
        raise ValueError(f"unknown rule kind {rule.kind!r}")
    return rows.index[bad.fillna(True).to_numpy(dtype=bool)].tolist()


def failing_items(frame: pd.DataFrame, spec: IdentitySpec) -> dict[str, tuple[int, dict]]:
    """Per check of ``spec``: (items checked, {row index: texts of the rules it broke}), counted
    as the quality runner counts them (a row is an item of a check when it meets the check's
    ``items`` query; it fails when it breaks at least one of the check's rules)."""
    out: dict[str, tuple[int, dict]] = {}
    for check in spec.checks:
        items = frame.index if check.items is None else frame.query(check.items).index
        wanted = set(items.tolist())
        broken: dict = {}
        for rule in (r for r in spec.rules if r.check == check.key):
            for idx in broken_rows(frame, rule):
                if idx in wanted:
                    broken.setdefault(idx, []).append(rule.text)
        out[check.key] = (len(items), broken)
    return out
