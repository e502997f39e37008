{#- The briefing by lending program: one row per month-end as_of_date × program (every program
    of the code list), with the measures of mart_briefing_kpis that apply to a program.
    Workers count for programs that carry them (03, 04, 30) and works for program 06, for the
    loan turns first disbursed in the period; NULL where they do not apply or the period is
    incomplete.

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

report_dates as (
    select distinct as_of_date
    from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

balances as (
    select
        as_of_date,
        program_code,
        {{ sum_bigint('outstanding') }} as outstanding_vnd,
        {{ sum_bigint('case when is_entrusted then outstanding else 0 end') }} as entrusted_outstanding_vnd,
        {{ sum_bigint('case when not is_entrusted then outstanding else 0 end') }} as direct_outstanding_vnd,
        {{ sum_bigint('outstanding_overdue') }} as overdue_vnd,
        {{ sum_bigint('outstanding_frozen') }} as frozen_vnd,
        count(distinct case when outstanding > 0 then customer_code end) as households_with_outstanding,
        count(case when outstanding > 0 then 1 end) as loans_with_outstanding
    from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date, program_code
),

turns as (
    select
        as_of_date,
        period,
        program_code,
        net_disbursed,
        case when is_loan_turn then 1 else 0 end as loan_turn,
        case when is_loan_turn and is_first_disbursed_in_period then workers_attracted else 0 end as workers_counted,
        case
            when is_loan_turn and is_first_disbursed_in_period then water_works + sanitation_works
            else 0
        end as works_counted
    from {{ ref('int_loan_period_disbursements') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

flows as (
    select
        as_of_date,
        period,
        program_code,
        {{ sum_bigint('net_disbursed') }} as disbursed_vnd,
        {{ sum_bigint('loan_turn') }} as loan_turns,
        {{ sum_bigint('workers_counted') }} as workers_attracted,
        {{ sum_bigint('works_counted') }} as water_sanitation_works
    from turns
    group by as_of_date, period, program_code
),

period_flows as (
    select
        p.as_of_date,
        p.period,
        pr.program_code,
        case when p.is_complete then coalesce(f.disbursed_vnd, 0) end as disbursed_vnd,
        case when p.is_complete then coalesce(f.loan_turns, 0) end as loan_turns,
        case when p.is_complete and pr.counts_workers then coalesce(f.workers_attracted, 0) end
            as workers_attracted,
        case when p.is_complete and pr.is_water_sanitation then coalesce(f.water_sanitation_works, 0) end
            as water_sanitation_works
    from {{ ref('int_reporting_periods') }} as p
    cross join {{ ref('dim_program') }} as pr
    left join flows as f
        on p.as_of_date = f.as_of_date and p.period = f.period and pr.program_code = f.program_code
),

final as (
    select
        d.as_of_date,
        p.program_code,
        p.program_short,
        p.is_poor_group,
        coalesce(b.outstanding_vnd, 0) as outstanding_vnd,
        coalesce(b.entrusted_outstanding_vnd, 0) as entrusted_outstanding_vnd,
        coalesce(b.direct_outstanding_vnd, 0) as direct_outstanding_vnd,
        coalesce(b.overdue_vnd, 0) as overdue_vnd,
        coalesce(b.frozen_vnd, 0) as frozen_vnd,
        coalesce(b.households_with_outstanding, 0) as households_with_outstanding,
        coalesce(b.loans_with_outstanding, 0) as loans_with_outstanding,
        qtd.disbursed_vnd as disbursed_qtd_vnd,
        qtd.loan_turns as loan_turns_qtd,
        qtd.workers_attracted as workers_attracted_qtd,
        qtd.water_sanitation_works as water_sanitation_works_qtd,
        ytd.disbursed_vnd as disbursed_ytd_vnd,
        ytd.loan_turns as loan_turns_ytd,
        ytd.workers_attracted as workers_attracted_ytd,
        ytd.water_sanitation_works as water_sanitation_works_ytd,
        {{ safe_ratio('b.overdue_vnd + b.frozen_vnd', 'b.outstanding_vnd') }} as overdue_frozen_ratio
    from report_dates as d
    cross join {{ ref('dim_program') }} as p
    left join balances as b
        on d.as_of_date = b.as_of_date and p.program_code = b.program_code
    left join period_flows as qtd
        on d.as_of_date = qtd.as_of_date and p.program_code = qtd.program_code and qtd.period = 'qtd'
    left join period_flows as ytd
        on d.as_of_date = ytd.as_of_date and p.program_code = ytd.program_code and ytd.period = 'ytd'
)

{{ select_with_inputs_loaded_at('final', months) }}
