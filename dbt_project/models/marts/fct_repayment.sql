
{#- Repayments from the daily journal (SKGD), one row per principal or interest collection
    (TNTH, TNQH, TNKH, TL). Partitioned by txn_date (incremental: new or re-delivered days, or
    the start_date/end_date window). Write-offs are not repayments (see fct_loan_balance). -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('txn_date')
    )
}}
{%- set months = incremental_months('day', partition_column='txn_date', grain='day') %}
with

repayments as (
    select
        txn_date,
        month_end_date,
        txn_id,
        pgd_code,
        commune_code,
        group_code,
        customer_code,
        loan_code,
        program_code,
        txn_type,
        case txn_type
            when 'TNTH' then 'in_term'
            when 'TNQH' then 'overdue'
            when 'TNKH' then 'frozen'
        end as debt_status,
        case when txn_type = 'TL' then 0 else amount end as principal_vnd,
        case when txn_type = 'TL' then amount else 0 end as interest_vnd,
        _loaded_at
    from {{ ref('stg_branch__transactions') }}
    where
        txn_type in ('TNTH', 'TNQH', 'TNKH', 'TL')
        and {{ months_filter('txn_date', months.reads, grain='day') }}
)

{{ select_with_inputs_loaded_at('repayments', months) }}
