{#- Identity 5 (contract §4.5, §5.5): the reconciliation register (DOICHIEU) of each month-end.
    check_item:
    - scope_customer: the register lists exactly the customers with outstanding on the previous
      31 December's Mẫu 31, with that balance as Dư nợ chốt (expected = Mẫu 31 at 31/12,
      actual = the register; missing_in = 'register' or 'm31'). Checked only for offices whose
      31/12 Mẫu 31 was delivered.
    - reconciled_within_scope: per office, customers reconciled on the register <= customers
      in scope by the previous 31/12 Mẫu 31 (expected = in scope from Mẫu 31, actual =
      register rows with a result; a break only when actual > expected). Checked where the
      scope's Mẫu 31 was delivered.
    - matched_principal / matched_interest: a `Khớp` row has confirmed = bank (expected = bank,
      actual = confirmed).
    - discrepancy: a `Chênh lệch` row (expected = bank, actual = confirmed principal); a finding
      the branch must explain, not a break (is_finding).

    Incremental by month-end: a register's month is rebuilt when it or its campaign's 31
    December changed (macros/incremental.sql). -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('campaign') %}
with

register as (
    select * from {{ ref('stg_branch__reconciliation') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

register_deliveries as (
    select distinct
        as_of_date,
        pgd_code,
        campaign_year
    from register
),

m31_deliveries as (
    select distinct
        as_of_date,
        pgd_code
    from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

year_end_customers as (
    select
        as_of_date,
        customer_code,
        min(pgd_code) as pgd_code,
        {{ sum_bigint('outstanding') }} as outstanding
    from {{ ref('int_customer_month_facts') }}
    where {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date, customer_code
    having sum(outstanding) > 0
),

-- each delivered register, with the 31/12 of the year before its campaign
scopes as (
    select
        r.as_of_date,
        r.pgd_code,
        r.campaign_year,
        m.as_of_date as scope_date
    from register_deliveries as r
    inner join m31_deliveries as m
        on
            r.pgd_code = m.pgd_code
            and m.as_of_date = cast(
                {{ dbt.concat(["cast(r.campaign_year - 1 as " ~ dbt.type_string() ~ ")", "'-12-31'"]) }} as date
            )
),

expected_scope as (
    select
        s.as_of_date,
        s.pgd_code,
        s.campaign_year,
        y.customer_code,
        y.outstanding
    from scopes as s
    inner join year_end_customers as y
        on s.scope_date = y.as_of_date and s.pgd_code = y.pgd_code
),

actual_scope as (
    select r.*
    from register as r
    inner join scopes as s
        on
            r.as_of_date = s.as_of_date
            and r.pgd_code = s.pgd_code
            and r.campaign_year = s.campaign_year
),

scope_checks as (
    select
        coalesce(a.as_of_date, e.as_of_date) as as_of_date,
        coalesce(a.pgd_code, e.pgd_code) as pgd_code,
        coalesce(a.campaign_year, e.campaign_year) as campaign_year,
        coalesce(a.customer_code, e.customer_code) as customer_code,
        'scope_customer' as check_item,
        case
            when a.customer_code is null then 'register'
            when e.customer_code is null then 'm31'
        end as missing_in,
        coalesce(e.outstanding, 0) as expected,
        coalesce(a.scope_outstanding, 0) as actual,
        false as is_finding
    from actual_scope as a
    full outer join expected_scope as e
        on
            a.as_of_date = e.as_of_date
            and a.campaign_year = e.campaign_year
            and a.customer_code = e.customer_code
),

scope_counts as (
    select
        as_of_date,
        pgd_code,
        campaign_year,
        count(*) as customers
    from expected_scope
    group by as_of_date, pgd_code, campaign_year
),

reconciled_counts as (
    select
        as_of_date,
        pgd_code,
        campaign_year,
        count(*) as customers
    from register
    where is_reconciled
    group by as_of_date, pgd_code, campaign_year
),

progress_checks as (
    select
        s.as_of_date,
        s.pgd_code,
        s.campaign_year,
        cast(null as {{ dbt.type_string() }}) as customer_code,
        'reconciled_within_scope' as check_item,
        cast(null as {{ dbt.type_string() }}) as missing_in,
        coalesce(e.customers, 0) as expected,
        coalesce(r.customers, 0) as actual,
        false as is_finding
    from scopes as s
    left join scope_counts as e
        on s.as_of_date = e.as_of_date and s.pgd_code = e.pgd_code and s.campaign_year = e.campaign_year
    left join reconciled_counts as r
        on s.as_of_date = r.as_of_date and s.pgd_code = r.pgd_code and s.campaign_year = r.campaign_year
),

matched_checks as (
    select
        as_of_date,
        pgd_code,
        campaign_year,
        customer_code,
        'matched_principal' as check_item,
        cast(null as {{ dbt.type_string() }}) as missing_in,
        bank_outstanding as expected,
        confirmed_outstanding as actual,
        false as is_finding
    from register
    where result = 'Khớp'
    union all
    select
        as_of_date,
        pgd_code,
        campaign_year,
        customer_code,
        'matched_interest' as check_item,
        cast(null as {{ dbt.type_string() }}) as missing_in,
        bank_interest as expected,
        confirmed_interest as actual,
        false as is_finding
    from register
    where result = 'Khớp'
    union all
    select
        as_of_date,
        pgd_code,
        campaign_year,
        customer_code,
        'discrepancy' as check_item,
        cast(null as {{ dbt.type_string() }}) as missing_in,
        bank_outstanding as expected,
        confirmed_outstanding as actual,
        true as is_finding
    from register
    where result = 'Chênh lệch'
),

checks as (
    select * from scope_checks
    union all
    select * from progress_checks
    union all
    select * from matched_checks
),

final as (
    select
        5 as identity_no,
        as_of_date,
        pgd_code,
        campaign_year,
        customer_code,
        check_item,
        missing_in,
        cast(expected as {{ dbt.type_bigint() }}) as expected,
        cast(actual as {{ dbt.type_bigint() }}) as actual,
        cast(actual - expected as {{ dbt.type_bigint() }}) as difference,
        case
            when is_finding then false
            when check_item = 'reconciled_within_scope' then actual > expected
            when check_item in ('matched_principal', 'matched_interest')
                then coalesce(actual <> expected, true)
            else actual <> expected or missing_in is not null
        end as is_break,
        is_finding
    from checks
)

{{ select_with_inputs_loaded_at('final', months) }}
