"""The identity rules evaluated without Great Expectations (``local_rules``, what ``nhcs
validate`` uses to stay within seconds) give the same failing rows as the Great Expectations
suites (what ``nhcs check`` and the pipeline use), check by check, on recon rows with every kind
of break planted: the two engines of one rule set cannot drift apart unnoticed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipelines.quality.gx_suites import SuiteValidator, ephemeral_context
from pipelines.quality.identities import IDENTITIES
from pipelines.quality.local_rules import failing_items

from .recon_tables import clean_recon


def _plant(df: pd.DataFrame) -> pd.DataFrame:
    """Every kind of break, on the first rows of every check item of a recon table."""
    df = df.copy().astype(object)
    edits = [
        lambda r: r.update(actual=r["actual"] + 7),  # a difference the model did not flag
        lambda r: r.update(is_break=True),  # a flag on equal figures
        lambda r: r.update(is_break=None),  # no verdict
        lambda r: r.update(expected=None),  # one side missing
        lambda r: r.update(actual=None, expected=None),  # both sides missing
        lambda r: r.update(is_finding=True) if "is_finding" in r else None,
        lambda r: r.update(missing_in="m31") if "missing_in" in r else None,
        lambda r: r.update(actual=r["expected"] - 3) if r["expected"] is not None else None,
        lambda r: r.update(actual=r["expected"], is_break=False),  # equal: at most holds
    ]
    planted = []
    for _, group in df.groupby("check_item", sort=True):
        for edit in edits:  # every edit on a copy of the item's first row
            row = group.iloc[0].to_dict()
            edit(row)
            planted.append(row)
    out = pd.concat([df, pd.DataFrame(planted, columns=df.columns)], ignore_index=True)
    return out.astype(object)


def _gx_failing(validate, spec, frame) -> dict[str, tuple[int, set]]:
    outcomes = validate(frame)
    out = {}
    for check in spec.checks:
        items = frame.index if check.items is None else frame.query(check.items).index
        failed: set = set()
        for o in (o for o in outcomes if o.rule.check == check.key):
            assert o.error is None, o.error
            failed |= set(np.asarray(o.unexpected_index).tolist()) & set(items.tolist())
        out[check.key] = (len(items), failed)
    return out


@pytest.fixture(scope="module")
def validators():
    """One GX context and one suite validator per identity (a context registers each once)."""
    context = ephemeral_context()
    return {spec.model: SuiteValidator(context, spec) for spec in IDENTITIES}


@pytest.mark.parametrize("spec", IDENTITIES, ids=lambda s: s.model)
@pytest.mark.parametrize("planted", [False, True], ids=["clean", "planted"])
def test_local_rules_agree_with_the_gx_suites(validators, spec, planted):
    frame = clean_recon()[spec.model]
    frame = _plant(frame) if planted else frame
    for col in ("expected", "actual"):
        frame[col] = pd.to_numeric(frame[col])
    gx = _gx_failing(validators[spec.model], spec, frame)
    local = {k: (n, set(rows)) for k, (n, rows) in failing_items(frame, spec).items()}
    assert local == gx
    if planted:
        assert any(rows for _, rows in local.values()), "the planted breaks were not seen"
