{#- The briefing by organization: one row per month-end as_of_date × organization (11-14
    entrusted, 99 direct), with the bank's figures and, at quarter ends where the organization
    delivered its own report (HOI_<ORG>), the organization's figures and the differences
    (organization - bank). The organization's figures are its TỔNG CỘNG row (the sum of its
    district rows when the total row is missing). Direct lending (99) has no report. -#}
with

report_dates as (
    select distinct as_of_date
    from {{ ref('int_loan_month_balances') }}
),

balances as (
    select
        as_of_date,
        org_code,
        {{ sum_bigint('outstanding') }} as outstanding_vnd,
        {{ sum_bigint('outstanding_overdue') }} as overdue_vnd,
        {{ sum_bigint('outstanding_frozen') }} as frozen_vnd,
        count(case when outstanding > 0 then 1 end) as loans_with_outstanding
    from {{ ref('int_loan_month_balances') }}
    group by as_of_date, org_code
),

households as (
    select
        as_of_date,
        org_code,
        count(distinct customer_code) as households_with_outstanding
    from {{ ref('int_customer_month_facts') }}
    where has_outstanding
    group by as_of_date, org_code
),

savings_groups as (
    select
        as_of_date,
        org_code,
        count(*) as groups_with_outstanding
    from {{ ref('int_group_month_facts') }}
    where has_outstanding
    group by as_of_date, org_code
),

flows as (
    select
        as_of_date,
        org_code,
        {{ sum_bigint('net_disbursed') }} as disbursed_qtd_vnd,
        count(case when is_loan_turn then 1 end) as loan_turns_qtd
    from {{ ref('int_loan_period_disbursements') }}
    where period = 'qtd'
    group by as_of_date, org_code
),

org_reports as (
    select
        as_of_date,
        org_code,
        max(case when is_total_row then groups_reported end) as total_groups,
        max(case when is_total_row then households_with_outstanding end) as total_households,
        max(case when is_total_row then outstanding end) as total_outstanding,
        max(case when is_total_row then outstanding_overdue end) as total_overdue,
        {{ sum_bigint("case when not is_total_row then groups_reported end") }} as district_groups,
        {{ sum_bigint("case when not is_total_row then households_with_outstanding end") }} as district_households,
        {{ sum_bigint('case when not is_total_row then outstanding end') }} as district_outstanding,
        {{ sum_bigint('case when not is_total_row then outstanding_overdue end') }} as district_overdue
    from {{ ref('stg_orgs__reports') }}
    group by as_of_date, org_code
),

summary as (
    select
        d.as_of_date,
        o.org_code,
        o.org_short,
        o.is_entrusted,
        extract(month from d.as_of_date) in (3, 6, 9, 12) as is_quarter_end,
        coalesce(h.households_with_outstanding, 0) as households_with_outstanding,
        coalesce(g.groups_with_outstanding, 0) as groups_with_outstanding,
        coalesce(b.outstanding_vnd, 0) as outstanding_vnd,
        coalesce(b.overdue_vnd, 0) as overdue_vnd,
        coalesce(b.frozen_vnd, 0) as frozen_vnd,
        coalesce(b.loans_with_outstanding, 0) as loans_with_outstanding,
        case when q.is_complete then coalesce(f.disbursed_qtd_vnd, 0) end as disbursed_qtd_vnd,
        case when q.is_complete then coalesce(f.loan_turns_qtd, 0) end as loan_turns_qtd,
        r.org_code is not null as has_org_report,
        coalesce(r.total_groups, r.district_groups) as reported_groups,
        coalesce(r.total_households, r.district_households) as reported_households_with_outstanding,
        coalesce(r.total_outstanding, r.district_outstanding) as reported_outstanding_vnd,
        coalesce(r.total_overdue, r.district_overdue) as reported_overdue_vnd
    from report_dates as d
    cross join {{ ref('dim_organization') }} as o
    left join balances as b
        on d.as_of_date = b.as_of_date and o.org_code = b.org_code
    left join households as h
        on d.as_of_date = h.as_of_date and o.org_code = h.org_code
    left join savings_groups as g
        on d.as_of_date = g.as_of_date and o.org_code = g.org_code
    left join flows as f
        on d.as_of_date = f.as_of_date and o.org_code = f.org_code
    left join {{ ref('int_reporting_periods') }} as q
        on d.as_of_date = q.as_of_date and q.period = 'qtd'
    left join org_reports as r
        on d.as_of_date = r.as_of_date and o.org_code = r.org_code
),

branch_totals as (
    select
        as_of_date,
        {{ sum_bigint('outstanding_vnd') }} as total_outstanding_vnd
    from summary
    group by as_of_date
)

select
    s.*,
    s.reported_groups - s.groups_with_outstanding as groups_difference,
    s.reported_households_with_outstanding - s.households_with_outstanding as households_difference,
    s.reported_outstanding_vnd - s.outstanding_vnd as outstanding_difference_vnd,
    s.reported_overdue_vnd - s.overdue_vnd as overdue_difference_vnd,
    {{ safe_ratio('s.outstanding_vnd', 't.total_outstanding_vnd') }} as share_of_total_outstanding,
    {{ safe_ratio('s.overdue_vnd + s.frozen_vnd', 's.outstanding_vnd') }} as overdue_frozen_ratio,
    s.outstanding_vnd - ytd.outstanding_vnd as outstanding_change_ytd_vnd,
    s.outstanding_vnd - previous_quarter.outstanding_vnd as outstanding_change_previous_quarter_vnd,
    s.outstanding_vnd - year_ago.outstanding_vnd as outstanding_change_year_ago_vnd
from summary as s
inner join branch_totals as t
    on s.as_of_date = t.as_of_date
left join summary as ytd
    on
        s.org_code = ytd.org_code
        and ytd.as_of_date = {{ previous_year_end('s.as_of_date') }}
left join summary as previous_quarter
    on
        s.org_code = previous_quarter.org_code
        and previous_quarter.as_of_date = {{ previous_quarter_end('s.as_of_date') }}
left join summary as year_ago
    on
        s.org_code = year_ago.org_code
        and year_ago.as_of_date = {{ year_ago_month_end('s.as_of_date') }}
