{#- One row per customer × organization × group × month-end: the customer's loans and savings
    books held through that organization (11-14 entrusted, 99 direct; group_code NULL for direct
    loans). A household is a customer; it has outstanding when the sum of its loans' outstanding
    is > 0. Savings-only members (no loan) appear with their books. Incremental by month-end. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('month') %}
with

loans as (
    select
        as_of_date,
        customer_code,
        org_code,
        group_code,
        min(pgd_code) as pgd_code,
        min(commune_code) as commune_code,
        min(hamlet_code) as hamlet_code,
        count(*) as loans,
        count(case when outstanding > 0 then 1 end) as loans_with_outstanding,
        {{ sum_bigint('outstanding') }} as outstanding,
        {{ sum_bigint('outstanding_overdue') }} as outstanding_overdue,
        {{ sum_bigint('outstanding_frozen') }} as outstanding_frozen
    from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date, customer_code, org_code, group_code
),

savings as (
    select
        as_of_date,
        customer_code,
        org_code,
        group_code,
        min(pgd_code) as pgd_code,
        min(commune_code) as commune_code,
        min(hamlet_code) as hamlet_code,
        count(*) as savings_books,
        {{ sum_bigint('savings_balance') }} as savings_balance
    from {{ ref('stg_branch__member_savings') }}
    where {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date, customer_code, org_code, group_code
),

direct_organizations as (
    {{ direct_organizations() }}
),

facts as (
    select
        coalesce(l.as_of_date, s.as_of_date) as as_of_date,
        coalesce(l.customer_code, s.customer_code) as customer_code,
        coalesce(l.org_code, s.org_code) as org_code,
        coalesce(l.group_code, s.group_code) as group_code,
        {{ is_entrusted('coalesce(l.org_code, s.org_code)', 'd.direct_org_code') }} as is_entrusted,
        coalesce(l.pgd_code, s.pgd_code) as pgd_code,
        coalesce(l.commune_code, s.commune_code) as commune_code,
        coalesce(l.hamlet_code, s.hamlet_code) as hamlet_code,
        coalesce(l.loans, 0) as loans,
        coalesce(l.loans_with_outstanding, 0) as loans_with_outstanding,
        coalesce(l.outstanding, 0) as outstanding,
        coalesce(l.outstanding_overdue, 0) as outstanding_overdue,
        coalesce(l.outstanding_frozen, 0) as outstanding_frozen,
        coalesce(l.outstanding, 0) > 0 as has_outstanding,
        coalesce(s.savings_books, 0) as savings_books,
        coalesce(s.savings_balance, 0) as savings_balance
    from loans as l
    full outer join savings as s
        on
            l.as_of_date = s.as_of_date
            and l.customer_code = s.customer_code
            and l.org_code = s.org_code
            and coalesce(l.group_code, '') = coalesce(s.group_code, '')
    left join direct_organizations as d
        on coalesce(l.org_code, s.org_code) = d.direct_org_code
)

{{ select_with_inputs_loaded_at('facts', months) }}
