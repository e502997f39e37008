"""Great Expectations, the way this project uses it: an ephemeral context, suites defined in
code, pandas DataFrames pulled from DuckDB (GX cannot query DuckDB through SQLAlchemy:
every expectation fails with IndexError; see ../shared/design/architecture.md section 4).

GX is imported lazily (it takes seconds), its progress bars are switched off and its loggers
quietened, and it never writes a file or calls home.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Any

from .identities import IdentitySpec, Rule

_SEVERITY = {True: "critical", False: "warning"}


@dataclass
class RuleOutcome:
    rule: Rule
    success: bool
    unexpected_index: list[Any]  # DataFrame index labels of the rows that broke the rule
    element_count: int  # rows the rule applied to
    error: str | None = None  # the expectation could not be evaluated


def _quiet() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    for name in ("great_expectations", "great_expectations.core", "posthog"):
        logging.getLogger(name).setLevel(logging.ERROR)


def ephemeral_context():
    """A GX context that lives in memory only, with progress bars and analytics off."""
    _quiet()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    try:
        context.enable_analytics(False)
    except Exception:  # noqa: BLE001 - analytics off is best effort; validation is unaffected
        pass
    return context


def _expectation(rule: Rule, blocking: bool, parser: str = "pandas"):
    import great_expectations.expectations as gxe

    common: dict[str, Any] = {
        "meta": {"check": rule.check, "rule": rule.text},
        "severity": _SEVERITY[blocking],
    }
    if rule.where:
        # A rule's condition (``check_item == 'x'``, ``in (...)``, ``!=``) reads the same as a
        # pandas query and as Spark SQL: one declaration for both engines.
        common.update(row_condition=rule.where, condition_parser=parser)
    if rule.kind == "no_flag":
        # A missing verdict (null) is not a pass.
        return [
            gxe.ExpectColumnValuesToBeInSet(column=rule.column, value_set=[False], **common),
            gxe.ExpectColumnValuesToNotBeNull(column=rule.column, **common),
        ]
    if rule.kind == "equal":
        # Rows where one side is missing compare unequal; both missing is a break too
        # (ignore_row_if="never"): an item without figures was not reconciled.
        return [
            gxe.ExpectColumnPairValuesToBeEqual(
                column_A="expected", column_B="actual", ignore_row_if="neither", **common
            )
        ]
    if rule.kind == "at_most":
        return [
            gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="expected",
                column_B="actual",
                or_equal=True,
                ignore_row_if="neither",
                **common,
            )
        ]
    if rule.kind == "null":
        return [gxe.ExpectColumnValuesToBeNull(column=rule.column, **common)]
    raise ValueError(f"unknown rule kind {rule.kind!r}")


def build_suite(spec: IdentitySpec, parser: str = "pandas"):
    """The identity's expectation suite (one per identity; rules carry their check in meta).
    ``parser``: how row conditions are read, ``pandas`` or ``spark`` (the DataFrame's kind)."""
    import great_expectations as gx

    blocking = {c.key: c.blocking for c in spec.checks}
    suite = gx.ExpectationSuite(name=f"identity_{spec.identity}_{spec.model}_{parser}")
    for rule in spec.rules:
        for expectation in _expectation(rule, blocking[rule.check], parser):
            suite.add_expectation(expectation)
    return suite


# The column that identifies a row of a Spark DataFrame (Spark has no index): GX reports the
# unexpected rows by it.
ROW_ID = "_row"


class SuiteValidator:
    """An identity's suite, ready to validate any number of DataFrames (the runner feeds a
    large recon model in row chunks): the data source, asset and suite are registered once.

    ``engine="spark"`` validates Spark DataFrames (GX's Spark data source), which must carry a
    ``ROW_ID`` column; unexpected rows are then reported by it."""

    def __init__(self, context, spec: IdentitySpec, engine: str = "pandas"):
        name = f"identity_{spec.identity}_{engine}"
        if engine == "spark":
            source = context.data_sources.add_spark(f"{name}_source")
            self._format = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]}
        else:
            source = context.data_sources.add_pandas(f"{name}_source")
            self._format = {"result_format": "COMPLETE"}
        asset = source.add_dataframe_asset(spec.model)
        self._batch_def = asset.add_batch_definition_whole_dataframe("all")
        self._suite = context.suites.add(build_suite(spec, engine))
        self._rules = {(r.check, r.text): r for r in spec.rules}

    def __call__(self, df) -> list[RuleOutcome]:
        """Validate ``df``; unexpected rows are reported by ``df``'s index labels (pandas) or
        ``ROW_ID`` values (Spark)."""
        batch = self._batch_def.get_batch(batch_parameters={"dataframe": df})
        result = batch.validate(self._suite, result_format=self._format)
        merged: dict[tuple[str, str], RuleOutcome] = {}
        for res in result.results:
            meta = res.expectation_config.meta or {}
            rule = self._rules[(meta["check"], meta["rule"])]
            error = _exception_message(res.exception_info)
            body = res.result or {}
            outcome = RuleOutcome(
                rule=rule,
                success=bool(res.success) and error is None,
                unexpected_index=[
                    i[ROW_ID] if isinstance(i, dict) else i
                    for i in body.get("unexpected_index_list") or []
                ],
                element_count=int(body.get("element_count") or 0),
                error=error,
            )
            key = (rule.check, rule.text)
            if key in merged:  # a rule made of two expectations (flag in set + not null)
                prev = merged[key]
                prev.success = prev.success and outcome.success
                prev.unexpected_index = sorted(
                    set(prev.unexpected_index) | set(outcome.unexpected_index)
                )
                prev.error = prev.error or outcome.error
            else:
                merged[key] = outcome
        return list(merged.values())


def _exception_message(info: Any) -> str | None:
    """GX reports an expectation that raised either flat or keyed by metric; find the message."""
    if not isinstance(info, dict):
        return None
    if info.get("raised_exception"):
        return str(info.get("exception_message") or "expectation raised")
    for value in info.values():
        if isinstance(value, dict) and value.get("raised_exception"):
            return str(value.get("exception_message") or "expectation raised")
    return None
