"""The raw source declared for dbt (models/staging/__sources.yml) has exactly the columns and
types of the ingestion DDL (pipelines.ingest.loader.table_ddl, built from the contract's
REPORTS + LINEAGE_COLUMNS). On the Spark target `raw.<table>` is registered over the Parquet
lake from these declarations (macros/spark_sources.sql), so a drift here would be a wrong or
missing column on Spark."""

import re

import pytest
import yaml

from pipelines.contract.reports import REPORTS
from pipelines.ingest.loader import table_ddl
from pipelines.settings import DBT_PROJECT_DIR

# DuckDB types the Spark registration knows how to translate (spark_type_of in
# macros/spark_sources.sql maps VARCHAR -> STRING and TIMESTAMP -> TIMESTAMP_NTZ, the others are
# spelt the same on Spark). A new type in the DDL must be checked there first.
SPARK_TRANSLATABLE = re.compile(
    r"^(VARCHAR|BIGINT|INTEGER|DOUBLE|DATE|TIMESTAMP|BOOLEAN|DECIMAL\(\d+,\d+\))$"
)


def _ddl_columns(spec) -> list[tuple[str, str]]:
    lines = table_ddl(spec).splitlines()[1:-1]  # between "CREATE TABLE ... (" and ")"
    return [tuple(line.strip().rstrip(",").split(" ", 1)) for line in lines]


def _declared() -> dict[str, list[tuple[str, str]]]:
    doc = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "__sources.yml").read_text())
    (raw,) = [s for s in doc["sources"] if s["name"] == "raw"]
    return {
        t["name"]: [(c["name"], c.get("data_type")) for c in t.get("columns", [])]
        for t in raw["tables"]
    }


def test_every_report_table_is_declared():
    assert set(_declared()) == {spec.table for spec in REPORTS}


@pytest.mark.parametrize("spec", REPORTS, ids=lambda s: s.table)
def test_source_columns_equal_the_ingestion_ddl(spec):
    assert _declared()[spec.table] == _ddl_columns(spec)


@pytest.mark.parametrize("spec", REPORTS, ids=lambda s: s.table)
def test_ddl_types_translate_to_spark(spec):
    for name, typ in _ddl_columns(spec):
        assert SPARK_TRANSLATABLE.match(typ), f"{spec.table}.{name}: {typ}"


def test_lake_partition_column_is_a_lineage_date():
    for spec in REPORTS:
        assert ("_data_date", "DATE") in _ddl_columns(spec), spec.table
