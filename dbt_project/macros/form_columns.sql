{#- Written by dbt_project/scripts/write_form_columns.py from the 01.x forms' report specs
    (pipelines/contract/reports.py); do not edit: tests/dbt/test_form_columns.py fails when
    this file differs from the specs. -#}

{#- The amount columns of the official forms 01.1/01.2 (contract §4.3): marker, raw column in
    triệu đồng, staging column in đồng. One list, used by staging and by the control-total
    reconciliation, so the two cannot disagree on a column. -#}
{% macro form_amount_columns() -%}
    {{ return([
        ('(3)', 'disbursed_month_mil', 'disbursed_month'),
        ('(4)', 'disbursed_ytd_mil', 'disbursed_ytd'),
        ('(5)', 'repaid_month_mil', 'repaid_month'),
        ('(6)', 'repaid_ytd_mil', 'repaid_ytd'),
        ('(7)', 'written_off_month_mil', 'written_off_month'),
        ('(8)', 'written_off_ytd_mil', 'written_off_ytd'),
        ('(9)', 'outstanding_mil', 'outstanding'),
        ('(10)', 'outstanding_in_term_mil', 'outstanding_in_term'),
        ('(11)', 'outstanding_overdue_mil', 'outstanding_overdue'),
        ('(12)', 'outstanding_frozen_mil', 'outstanding_frozen'),
        ('(13)', 'outstanding_short_mil', 'outstanding_short'),
        ('(14)', 'outstanding_medium_mil', 'outstanding_medium'),
        ('(15)', 'outstanding_long_mil', 'outstanding_long'),
    ]) }}
{%- endmacro %}

{#- The count columns: marker, raw column, staging column. -#}
{% macro form_count_columns() -%}
    {{ return([
        ('(16)', 'customers_with_outstanding', 'customers_with_outstanding'),
        ('(17)', 'loan_turns_ytd', 'loan_turns_ytd'),
    ]) }}
{%- endmacro %}
