"""The official forms' column macros are exactly what the report specs render (no drift)."""

from pipelines.contract.reports import BCDHTD_011
from pipelines.settings import DBT_PROJECT_DIR
from tests.dbt_writers import dbt_script


def _writer():
    return dbt_script("write_form_columns")


def test_form_column_macros_equal_the_report_specs():
    on_disk = (DBT_PROJECT_DIR / "macros" / "form_columns.sql").read_text(encoding="utf-8")
    assert on_disk == _writer().render(), (
        "macros/form_columns.sql differs from pipelines.contract.reports: "
        "run `.venv/bin/python dbt_project/scripts/write_form_columns.py`"
    )


def test_every_figure_column_of_the_forms_is_reconciled():
    """Markers (3)..(17): every amount and count of the form reaches staging and the
    control-total reconciliation; the row label columns (1), (2) do not."""
    listed = [row for rows in _writer().form_columns().values() for row in rows]
    assert [marker for marker, _, _ in listed] == [f"({n})" for n in range(3, 18)]
    assert {raw for _, raw, _ in listed} == set(BCDHTD_011.keys) - {"stt", "row_name"}
    assert all(not staged.endswith("_mil") for _, _, staged in listed)
