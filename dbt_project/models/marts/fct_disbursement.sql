{#- Disbursements, one row per loan × month-end in which the loan had disbursement activity
    (Mẫu 31 month columns: disbursed and/or reversed). A loan turn (lượt vay) of a period is a
    loan whose net disbursement summed over the period's rows is > 0: for the briefing's
    periods this is int_loan_period_disbursements; here `is_first_disbursement` marks the month
    of the loan's first disbursement. Incremental by month-end. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('month_end_date')
    )
}}
{%- set months = incremental_months('month', partition_column='month_end_date') %}
with

rows_of_month as (
    select
        as_of_date as month_end_date,
        {{ quarter_start('as_of_date') }} as quarter_start_date,
        loan_code,
        customer_code,
        pgd_code,
        commune_code,
        group_code,
        org_code,
        is_entrusted,
        program_code,
        household_category,
        disbursement_date,
        is_first_disbursed_in_month as is_first_disbursement,
        disbursed_month as disbursed_vnd,
        disbursement_reversed_month as reversed_vnd,
        net_disbursed_month as net_disbursed_vnd,
        loan_amount as loan_amount_vnd
    from {{ ref('int_loan_month_balances') }}
    where
        (disbursed_month <> 0 or disbursement_reversed_month <> 0)
        and {{ months_filter('as_of_date', months.reads) }}
)

{{ select_with_inputs_loaded_at('rows_of_month', months) }}
