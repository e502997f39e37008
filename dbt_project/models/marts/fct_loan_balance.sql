
{#- Loan balances, one row per loan × month-end: balances by debt status and term class, the
    month's and the year's flows. Partitioned by as_of_date (incremental, see
    macros/incremental.sql). -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('month') %}
with

balances as (
    select
        as_of_date,
        loan_code,
        customer_code,
        pgd_code,
        commune_code,
        group_code,
        org_code,
        is_entrusted,
        program_code,
        channel,
        funding_source,
        household_category,
        term_class,
        loan_status,
        disbursement_date,
        maturity_date,
        interest_rate_pct_month,
        loan_amount as loan_amount_vnd,
        outstanding as outstanding_vnd,
        outstanding_in_term as outstanding_in_term_vnd,
        outstanding_overdue as overdue_vnd,
        outstanding_frozen as frozen_vnd,
        outstanding_short as outstanding_short_vnd,
        outstanding_medium as outstanding_medium_vnd,
        outstanding_long as outstanding_long_vnd,
        accrued_interest_in_term as accrued_interest_in_term_vnd,
        accrued_interest_overdue as accrued_interest_overdue_vnd,
        net_disbursed_month as net_disbursed_month_vnd,
        repaid_month as repaid_month_vnd,
        interest_collected_month as interest_collected_month_vnd,
        written_off_month as written_off_month_vnd,
        net_disbursed_ytd as net_disbursed_ytd_vnd,
        repaid_ytd as repaid_ytd_vnd,
        interest_collected_ytd as interest_collected_ytd_vnd,
        written_off_ytd as written_off_ytd_vnd,
        _loaded_at
    from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
)

{{ select_with_inputs_loaded_at('balances', months) }}
