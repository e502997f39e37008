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
    month-end was not delivered). Ratios are fractions. The lending flows are counted once, in
    mart_program_summary, and rolled up here with the program flags; the reconciliation figures
    are the branch rows of mart_reconciliation_summary.

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
        {{ sum_bigint('outstanding_frozen') }} as frozen_vnd,
        {{ sum_bigint('case when is_entrusted then outstanding_overdue else 0 end') }} as entrusted_overdue_vnd,
        {{ sum_bigint('case when is_entrusted then outstanding_frozen else 0 end') }} as entrusted_frozen_vnd
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

-- the lending flows are counted once, per program (mart_program_summary), and rolled up here
-- with the program flags; an incomplete period's flows stay NULL (NULL for every program)
flows as (
    select
        s.as_of_date,
        {%- for period in ['qtd', 'ytd'] %}
            {{ sum_bigint('s.loan_turns_' ~ period) }} as loan_turns_{{ period }},
            {{ sum_bigint('case when p.is_poor_group then s.loan_turns_' ~ period ~ ' end') }}
                as poor_group_turns_{{ period }},
            {{ sum_bigint('case when p.is_job_creation then s.loan_turns_' ~ period ~ ' end') }}
                as job_creation_turns_{{ period }},
            {{ sum_bigint('case when p.is_job_creation then s.workers_attracted_' ~ period ~ ' end') }}
                as workers_attracted_{{ period }},
            {{ sum_bigint('case when p.is_water_sanitation then s.water_sanitation_works_' ~ period ~ ' end') }}
                as water_sanitation_works_{{ period }},
            {{ sum_bigint('s.disbursed_' ~ period ~ '_vnd') }} as net_disbursed_{{ period }}_vnd
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('mart_program_summary') }} as s
    inner join {{ ref('dim_program') }} as p
        on s.program_code = p.program_code
    where {{ months_filter('s.as_of_date', months.reads) }}
    group by s.as_of_date
),

-- the campaign of the register delivered for the date (the latest if several)
register_campaigns as (
    select
        as_of_date,
        max(campaign_year) as reconciliation_campaign_year
    from {{ ref('mart_reconciliation_summary') }}
    where
        {{ months_filter('as_of_date', months.reads) }}
        and breakdown = 'branch'
    group by as_of_date
),

reconciliation as (
    select
        c.as_of_date,
        c.reconciliation_campaign_year,
        r.in_scope_customers as reconciliation_in_scope,
        r.reconciled_customers,
        r.completion_rate as reconciliation_completion
    from register_campaigns as c
    inner join {{ ref('mart_reconciliation_summary') }} as r
        on
            c.as_of_date = r.as_of_date
            and c.reconciliation_campaign_year = r.campaign_year
            and r.breakdown = 'branch'
),

kpis as (
    select
        b.as_of_date,
        extract(month from b.as_of_date) in (3, 6, 9, 12) as is_quarter_end,
        b.entrusted_outstanding_vnd,
        b.direct_outstanding_vnd,
        b.total_outstanding_vnd,
        {{ safe_ratio('b.entrusted_outstanding_vnd', 'b.total_outstanding_vnd') }} as entrusted_share,
        b.entrusted_outstanding_vnd - year_end.entrusted_outstanding_vnd as entrusted_change_ytd_vnd,
        b.total_outstanding_vnd - year_end.total_outstanding_vnd as total_change_ytd_vnd,
        year_end.as_of_date as previous_year_end_date,
        coalesce(h.households_with_entrusted_outstanding, 0) as households_with_entrusted_outstanding,
        coalesce(g.groups_with_outstanding, 0) as groups_with_outstanding,
        {{ safe_ratio('b.entrusted_outstanding_vnd', 'h.households_with_entrusted_outstanding') }}
            as avg_entrusted_outstanding_per_household_vnd,
        f.loan_turns_qtd,
        f.poor_group_turns_qtd,
        f.job_creation_turns_qtd,
        f.workers_attracted_qtd,
        f.water_sanitation_works_qtd,
        f.net_disbursed_qtd_vnd,
        f.loan_turns_ytd,
        f.poor_group_turns_ytd,
        f.job_creation_turns_ytd,
        f.workers_attracted_ytd,
        f.water_sanitation_works_ytd,
        f.net_disbursed_ytd_vnd,
        r.reconciliation_campaign_year,
        r.reconciled_customers,
        r.reconciliation_in_scope,
        r.reconciliation_completion,
        b.overdue_vnd,
        b.frozen_vnd,
        b.entrusted_overdue_vnd,
        b.entrusted_frozen_vnd,
        {{ safe_ratio('b.overdue_vnd + b.frozen_vnd', 'b.total_outstanding_vnd') }} as overdue_frozen_ratio
    from balances as b
    left join balances as year_end
        on year_end.as_of_date = {{ previous_year_end('b.as_of_date') }}
    left join households as h
        on b.as_of_date = h.as_of_date
    left join savings_groups as g
        on b.as_of_date = g.as_of_date
    left join flows as f
        on b.as_of_date = f.as_of_date
    left join reconciliation as r
        on b.as_of_date = r.as_of_date
)

{{ select_with_inputs_loaded_at('kpis', months) }}
