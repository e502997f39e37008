{#- Identity 2 (contract §4.1, §4.2, §5.2): every loan rolls forward from the previous month-end
    Mẫu 31 through the month's columns to the current Mẫu 31
    (check_item = 'outstanding': expected = previous outstanding + disbursed - reversed -
    principal repaid - written off, actual = current outstanding), and the month's journal per
    transaction type equals the month's columns (check_item = the type: expected = Σ SKGD lines,
    actual = the Mẫu 31 month column; a type appears only when either side is non-zero).
    Only months whose previous month-end Mẫu 31 of the office was delivered (with the var
    journal_without_opening, the journal items of the other months too; int_loan_rollforward).
    column_name is the Mẫu 31 column compared (outstanding, or the type's month column).
    Incremental by month-end, as int_loan_rollforward. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('previous_month') %}
{%- set journal_items = [
    ('GN', 'journal_disbursed', 'disbursed_month'),
    ('DK', 'journal_disbursement_reversed', 'disbursement_reversed_month'),
    ('TNTH', 'journal_repaid_in_term', 'repaid_in_term_month'),
    ('TNQH', 'journal_repaid_overdue', 'repaid_overdue_month'),
    ('TNKH', 'journal_repaid_frozen', 'repaid_frozen_month'),
    ('TL', 'journal_interest_collected', 'interest_collected_month'),
    ('XN', 'journal_written_off', 'written_off_month'),
] -%}
with

rollforward as (
    select * from {{ ref('int_loan_rollforward') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

checks as (
    select
        as_of_date,
        previous_as_of_date,
        pgd_code,
        loan_code,
        customer_code,
        program_code,
        org_code,
        'outstanding' as check_item,
        'outstanding' as column_name,
        case
            when not is_in_current_snapshot then 'current_m31'
            when not is_in_previous_snapshot then 'previous_m31'
        end as missing_in,
        expected_outstanding as expected,
        closing_outstanding as actual
    from rollforward
    where previous_as_of_date is not null
    {%- for txn_type, journal_column, month_column in journal_items %}
        union all
        select
            as_of_date,
            previous_as_of_date,
            pgd_code,
            loan_code,
            customer_code,
            program_code,
            org_code,
            '{{ txn_type }}' as check_item,
            '{{ month_column }}' as column_name,
            case
                when not is_in_current_snapshot then 'current_m31'
                when journal_lines = 0 then 'journal'
            end as missing_in,
            {{ journal_column }} as expected,
            {{ month_column }} as actual
        from rollforward
        where {{ journal_column }} <> 0 or {{ month_column }} <> 0
    {%- endfor %}
),

final as (
    select
        2 as identity_no,
        as_of_date,
        previous_as_of_date,
        pgd_code,
        loan_code,
        customer_code,
        program_code,
        org_code,
        check_item,
        column_name,
        missing_in,
        cast(expected as {{ dbt.type_bigint() }}) as expected,
        cast(actual as {{ dbt.type_bigint() }}) as actual,
        cast(actual - expected as {{ dbt.type_bigint() }}) as difference,
        actual <> expected as is_break
    from checks
)

{{ select_with_inputs_loaded_at('final', months) }}
