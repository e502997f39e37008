{#- One row per savings and loan group × month-end, computed from its members' Mẫu 31 rows
    (through int_customer_month_facts): balances, savings, members and members with outstanding
    (contract §4.4). A group has outstanding when at least one member has outstanding > 0.
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

group_facts as (
    select
        as_of_date,
        group_code,
        min(pgd_code) as pgd_code,
        min(commune_code) as commune_code,
        min(hamlet_code) as hamlet_code,
        min(org_code) as org_code,
        count(distinct customer_code) as members_in_m31,
        count(distinct case when has_outstanding then customer_code end) as members_with_outstanding,
        {{ sum_bigint('loans') }} as loans,
        {{ sum_bigint('outstanding') }} as outstanding,
        {{ sum_bigint('outstanding_overdue') }} as outstanding_overdue,
        {{ sum_bigint('outstanding_frozen') }} as outstanding_frozen,
        {{ sum_bigint('outstanding') }} > 0 as has_outstanding,
        {{ sum_bigint('savings_books') }} as savings_books,
        {{ sum_bigint('savings_balance') }} as savings_balance
    from {{ ref('int_customer_month_facts') }}
    where group_code is not null and {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date, group_code
)

{{ select_with_inputs_loaded_at('group_facts', months) }}
