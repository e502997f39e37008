{#- The reconciliation campaign (Mẫu 15/TD), one row per register date × campaign × customer:
    the customer's state in the cumulative register delivered at that month-end.
    Incremental by month-end. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('month') %}
with

rows_of_month as (
    select
        as_of_date,
        campaign_year,
        customer_code,
        pgd_code,
        commune_code,
        group_code,
        org_code,
        scope_outstanding as scope_outstanding_vnd,
        reconciled_on,
        is_reconciled,
        result,
        case
            when result is null then 'pending'
            when result = 'Khớp' then 'matched'
            else 'discrepancy'
        end as reconciliation_state,
        bank_outstanding as bank_outstanding_vnd,
        confirmed_outstanding as confirmed_outstanding_vnd,
        confirmed_outstanding - bank_outstanding as outstanding_difference_vnd,
        bank_interest as bank_interest_vnd,
        confirmed_interest as confirmed_interest_vnd,
        confirmed_interest - bank_interest as interest_difference_vnd
    from {{ ref('stg_branch__reconciliation') }}
    where {{ months_filter('as_of_date', months.reads) }}
)

{{ select_with_inputs_loaded_at('rows_of_month', months) }}
