{#- Clean-water and sanitation works financed (program 06 NSVSMT), one row per loan in the
    month-end of its first disbursement, counted when the month's net disbursement is > 0. Incremental by month-end. -#}
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
        b.group_code,
        b.org_code,
        b.disbursement_date,
        b.net_disbursed_month as net_disbursed_vnd,
        b.water_works,
        b.sanitation_works,
        b.water_works + b.sanitation_works as works
    from {{ ref('int_loan_month_balances') }} as b
    inner join {{ ref('programs') }} as p
        on b.program_code = p.program_code
    where
        p.is_water_sanitation
        and b.is_first_disbursed_in_month
        and b.net_disbursed_month > 0
        and {{ months_filter('b.as_of_date', months.reads) }}
)

{{ select_with_inputs_loaded_at('rows_of_month', months) }}
