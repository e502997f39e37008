{#- Workers attracted (Số lao động thu hút), one row per loan of a job-creating program (03
    GQVL, 04 XKLD, 30 TLNV) in the month-end of its first disbursement, counted when the month's
    net disbursement is > 0 (a fully reversed loan creates no jobs). Incremental by month-end. -#}
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
        b.as_of_date as month_end_date,
        b.loan_code,
        b.customer_code,
        b.pgd_code,
        b.commune_code,
        b.org_code,
        b.is_entrusted,
        b.program_code,
        b.disbursement_date,
        b.net_disbursed_month as net_disbursed_vnd,
        b.workers_attracted
    from {{ ref('int_loan_month_balances') }} as b
    inner join {{ ref('programs') }} as p
        on b.program_code = p.program_code
    where
        p.counts_workers
        and b.is_first_disbursed_in_month
        and b.net_disbursed_month > 0
        and {{ months_filter('b.as_of_date', months.reads) }}
)

{{ select_with_inputs_loaded_at('rows_of_month', months) }}
