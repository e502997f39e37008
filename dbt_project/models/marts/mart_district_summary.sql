{#- The briefing by district: one row per month-end as_of_date × district (the 30 district
    offices). A loan is placed in the district of its commune, so the branch office's (0100)
    direct loans are spread over the districts where the borrowers are, as on its form 01.1;
    a commune the district offices never listed falls in no district (district NULL is not
    reported here). Groups belong to their office.

    Incremental by month-end: month m is rebuilt when it, a month-end of its quarter before it
    or the previous 31 December changed (macros/incremental.sql).
    Every month is rebuilt when the commune -> district map (int_communes) changes. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('quarter', communes=true) %}
with

report_dates as (
    select distinct as_of_date
    from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

loans as (
    select
        b.*,
        c.district_pgd_code
    from {{ ref('int_loan_month_balances') }} as b
    left join {{ ref('int_communes') }} as c
        on b.commune_code = c.commune_code
    where {{ months_filter('b.as_of_date', months.reads) }}
),

balances as (
    select
        as_of_date,
        district_pgd_code,
        {{ sum_bigint('outstanding') }} as outstanding_vnd,
        {{ sum_bigint('case when is_entrusted then outstanding else 0 end') }} as entrusted_outstanding_vnd,
        {{ sum_bigint('case when not is_entrusted then outstanding else 0 end') }} as direct_outstanding_vnd,
        {{ sum_bigint('outstanding_overdue') }} as overdue_vnd,
        {{ sum_bigint('outstanding_frozen') }} as frozen_vnd,
        count(distinct case when outstanding > 0 then customer_code end) as households_with_outstanding,
        count(distinct case when outstanding > 0 and is_entrusted then customer_code end)
            as households_with_entrusted_outstanding
    from loans
    group by as_of_date, district_pgd_code
),

savings_groups as (
    select
        as_of_date,
        pgd_code,
        count(case when has_outstanding then 1 end) as groups_with_outstanding
    from {{ ref('int_group_month_facts') }}
    where {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date, pgd_code
),

turns as (
    select
        t.as_of_date,
        c.district_pgd_code,
        {%- for period in ['qtd', 'ytd'] %}
            {{ sum_bigint("case when t.period = '" ~ period ~ "' then t.net_disbursed else 0 end") }}
                as disbursed_{{ period }}_vnd,
            count(case when t.period = '{{ period }}' and t.is_loan_turn then 1 end) as loan_turns_{{ period }}
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_loan_period_disbursements') }} as t
    left join {{ ref('int_communes') }} as c
        on t.commune_code = c.commune_code
    where {{ months_filter('t.as_of_date', months.reads) }}
    group by t.as_of_date, c.district_pgd_code
),

final as (
    select
        d.as_of_date,
        u.pgd_code,
        u.district_name,
        u.unit_kind,
        coalesce(b.outstanding_vnd, 0) as outstanding_vnd,
        coalesce(b.entrusted_outstanding_vnd, 0) as entrusted_outstanding_vnd,
        coalesce(b.direct_outstanding_vnd, 0) as direct_outstanding_vnd,
        coalesce(b.overdue_vnd, 0) as overdue_vnd,
        coalesce(b.frozen_vnd, 0) as frozen_vnd,
        coalesce(b.households_with_outstanding, 0) as households_with_outstanding,
        coalesce(b.households_with_entrusted_outstanding, 0) as households_with_entrusted_outstanding,
        coalesce(g.groups_with_outstanding, 0) as groups_with_outstanding,
        case when q.is_complete then coalesce(t.disbursed_qtd_vnd, 0) end as disbursed_qtd_vnd,
        case when q.is_complete then coalesce(t.loan_turns_qtd, 0) end as loan_turns_qtd,
        coalesce(t.disbursed_ytd_vnd, 0) as disbursed_ytd_vnd,
        coalesce(t.loan_turns_ytd, 0) as loan_turns_ytd,
        {{ safe_ratio('b.overdue_vnd + b.frozen_vnd', 'b.outstanding_vnd') }} as overdue_frozen_ratio
    from report_dates as d
    cross join {{ ref('dim_unit') }} as u
    left join {{ ref('int_reporting_periods') }} as q
        on d.as_of_date = q.as_of_date and q.period = 'qtd'
    left join balances as b
        on d.as_of_date = b.as_of_date and u.pgd_code = b.district_pgd_code
    left join savings_groups as g
        on d.as_of_date = g.as_of_date and u.pgd_code = g.pgd_code
    left join turns as t
        on d.as_of_date = t.as_of_date and u.pgd_code = t.district_pgd_code
    where not u.is_branch_office
)

{{ select_with_inputs_loaded_at('final', months) }}
