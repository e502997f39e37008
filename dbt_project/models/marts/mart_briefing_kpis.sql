{#- The interagency briefing's figures, one row per month-end as_of_date (calibration §1).

    Definitions (issue 5): entrusted = organizations 11-14, direct = 99; a household is a
    customer; a group counts when at least one member has outstanding > 0; _qtd is from the
    first day of the as-of date's quarter, _ytd from 1 January; a loan turn is a loan with net
    disbursement (disbursed - reversed) > 0 in the period (see int_loan_period_disbursements);
    workers and works count the loan turns first disbursed in the period (program 03 workers,
    program 06 water + sanitation works); a period whose month-ends were not all delivered has
    NULL flows (int_reporting_periods); the reconciliation figures count the campaign register
    delivered for that date (in scope = its rows, reconciled = rows with a result);
    entrusted_change_ytd is against the previous 31 December's Mẫu 31 (NULL when that
    month-end was not delivered). Ratios are fractions.

    Incremental by month-end: month m is rebuilt when it, a month-end of its quarter before it
    or the previous 31 December changed (macros/incremental.sql). -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('quarter') %}
with

balances as (
    select
        as_of_date,
        {{ sum_bigint('case when is_entrusted then outstanding else 0 end') }} as entrusted_outstanding_vnd,
        {{ sum_bigint('case when not is_entrusted then outstanding else 0 end') }} as direct_outstanding_vnd,
        {{ sum_bigint('outstanding') }} as total_outstanding_vnd,
        {{ sum_bigint('outstanding_overdue') }} as overdue_vnd,
        {{ sum_bigint('outstanding_frozen') }} as frozen_vnd
    from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date
),

households as (
    select
        as_of_date,
        count(distinct customer_code) as households_with_entrusted_outstanding
    from {{ ref('int_customer_month_facts') }}
    where
        {{ months_filter('as_of_date', months.reads) }}
        and is_entrusted and has_outstanding
    group by as_of_date
),

savings_groups as (
    select
        as_of_date,
        count(*) as groups_with_outstanding
    from {{ ref('int_group_month_facts') }}
    where
        {{ months_filter('as_of_date', months.reads) }}
        and has_outstanding
    group by as_of_date
),

turns as (
    select
        as_of_date,
        period,
        net_disbursed,
        case when is_loan_turn then 1 else 0 end as loan_turn,
        case when is_loan_turn and is_poor_group then 1 else 0 end as poor_group_turn,
        case when is_loan_turn and is_job_creation then 1 else 0 end as job_creation_turn,
        case
            when is_loan_turn and is_job_creation and is_first_disbursed_in_period then workers_attracted
            else 0
        end as workers_counted,
        case
            when is_loan_turn and is_water_sanitation and is_first_disbursed_in_period
                then water_works + sanitation_works
            else 0
        end as works_counted
    from {{ ref('int_loan_period_disbursements') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

flows as (
    select
        as_of_date,
        period,
        {{ sum_bigint('loan_turn') }} as loan_turns,
        {{ sum_bigint('poor_group_turn') }} as poor_group_turns,
        {{ sum_bigint('job_creation_turn') }} as job_creation_turns,
        {{ sum_bigint('workers_counted') }} as workers_attracted,
        {{ sum_bigint('works_counted') }} as water_sanitation_works,
        {{ sum_bigint('net_disbursed') }} as net_disbursed_vnd
    from turns
    group by as_of_date, period
),

-- one row per month-end and period; an incomplete period's flows are NULL, not an undercount
period_flows as (
    select
        p.as_of_date,
        p.period,
        case when p.is_complete then coalesce(f.loan_turns, 0) end as loan_turns,
        case when p.is_complete then coalesce(f.poor_group_turns, 0) end as poor_group_turns,
        case when p.is_complete then coalesce(f.job_creation_turns, 0) end as job_creation_turns,
        case when p.is_complete then coalesce(f.workers_attracted, 0) end as workers_attracted,
        case when p.is_complete then coalesce(f.water_sanitation_works, 0) end as water_sanitation_works,
        case when p.is_complete then coalesce(f.net_disbursed_vnd, 0) end as net_disbursed_vnd
    from {{ ref('int_reporting_periods') }} as p
    left join flows as f
        on p.as_of_date = f.as_of_date and p.period = f.period
    where {{ months_filter('p.as_of_date', months.reads) }}
),

register_campaigns as (
    select
        as_of_date,
        max(campaign_year) as reconciliation_campaign_year
    from {{ ref('fct_reconciliation') }}
    where {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date
),

reconciliation as (
    select
        c.as_of_date,
        c.reconciliation_campaign_year,
        count(*) as reconciliation_in_scope,
        count(case when r.is_reconciled then 1 end) as reconciled_customers
    from register_campaigns as c
    inner join {{ ref('fct_reconciliation') }} as r
        on
            c.as_of_date = r.as_of_date
            and c.reconciliation_campaign_year = r.campaign_year
    group by c.as_of_date, c.reconciliation_campaign_year
),

kpis as (
    select
        b.as_of_date,
        b.entrusted_outstanding_vnd,
        b.direct_outstanding_vnd,
        b.total_outstanding_vnd,
        {{ safe_ratio('b.entrusted_outstanding_vnd', 'b.total_outstanding_vnd') }} as entrusted_share,
        b.entrusted_outstanding_vnd - year_end.entrusted_outstanding_vnd as entrusted_change_ytd_vnd,
        year_end.as_of_date as previous_year_end_date,
        coalesce(h.households_with_entrusted_outstanding, 0) as households_with_entrusted_outstanding,
        coalesce(g.groups_with_outstanding, 0) as groups_with_outstanding,
        {{ safe_ratio('b.entrusted_outstanding_vnd', 'h.households_with_entrusted_outstanding') }}
            as avg_entrusted_outstanding_per_household_vnd,
        qtd.loan_turns as loan_turns_qtd,
        qtd.poor_group_turns as poor_group_turns_qtd,
        qtd.job_creation_turns as job_creation_turns_qtd,
        qtd.workers_attracted as workers_attracted_qtd,
        qtd.water_sanitation_works as water_sanitation_works_qtd,
        qtd.net_disbursed_vnd as net_disbursed_qtd_vnd,
        ytd.loan_turns as loan_turns_ytd,
        ytd.poor_group_turns as poor_group_turns_ytd,
        ytd.job_creation_turns as job_creation_turns_ytd,
        ytd.workers_attracted as workers_attracted_ytd,
        ytd.water_sanitation_works as water_sanitation_works_ytd,
        ytd.net_disbursed_vnd as net_disbursed_ytd_vnd,
        r.reconciliation_campaign_year,
        r.reconciled_customers,
        r.reconciliation_in_scope,
        {{ safe_ratio('r.reconciled_customers', 'r.reconciliation_in_scope') }} as reconciliation_completion,
        b.overdue_vnd,
        b.frozen_vnd,
        {{ safe_ratio('b.overdue_vnd + b.frozen_vnd', 'b.total_outstanding_vnd') }} as overdue_frozen_ratio
    from balances as b
    left join balances as year_end
        on year_end.as_of_date = {{ previous_year_end('b.as_of_date') }}
    left join households as h
        on b.as_of_date = h.as_of_date
    left join savings_groups as g
        on b.as_of_date = g.as_of_date
    left join period_flows as qtd
        on b.as_of_date = qtd.as_of_date and qtd.period = 'qtd'
    left join period_flows as ytd
        on b.as_of_date = ytd.as_of_date and ytd.period = 'ytd'
    left join reconciliation as r
        on b.as_of_date = r.as_of_date
)

{{ select_with_inputs_loaded_at('kpis', months) }}
