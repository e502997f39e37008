{#- The briefing by lending program: one row per month-end as_of_date × program (every program
    of the code list), with the measures of mart_briefing_kpis that apply to a program.
    Workers count for programs that carry them (03, 04, 30) and works for program 06, for the
    loan turns first disbursed in the period. -#}
with

report_dates as (
    select distinct as_of_date
    from {{ ref('int_loan_month_balances') }}
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
    group by as_of_date, program_code
),

flows as (
    select
        as_of_date,
        program_code,
        {%- for period in ['qtd', 'ytd'] %}
        {{ sum_bigint("case when period = '" ~ period ~ "' then net_disbursed else 0 end") }}
            as disbursed_{{ period }}_vnd,
        count(case when period = '{{ period }}' and is_loan_turn then 1 end) as loan_turns_{{ period }},
        {{ sum_bigint("case when period = '" ~ period ~ "' and is_loan_turn and is_first_disbursed_in_period then workers_attracted else 0 end") }}
            as workers_attracted_{{ period }},
        {{ sum_bigint("case when period = '" ~ period ~ "' and is_loan_turn and is_first_disbursed_in_period then water_works + sanitation_works else 0 end") }}
            as water_sanitation_works_{{ period }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_loan_period_disbursements') }}
    group by as_of_date, program_code
)

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
    {%- for period in ['qtd', 'ytd'] %}
    {% if period == 'qtd' %}case when q.is_complete then {% endif %}coalesce(f.disbursed_{{ period }}_vnd, 0){% if period == 'qtd' %} end{% endif %}
        as disbursed_{{ period }}_vnd,
    {% if period == 'qtd' %}case when q.is_complete then {% endif %}coalesce(f.loan_turns_{{ period }}, 0){% if period == 'qtd' %} end{% endif %}
        as loan_turns_{{ period }},
    case when p.counts_workers{% if period == 'qtd' %} and q.is_complete{% endif %} then coalesce(f.workers_attracted_{{ period }}, 0) end
        as workers_attracted_{{ period }},
    case when p.is_water_sanitation{% if period == 'qtd' %} and q.is_complete{% endif %} then coalesce(f.water_sanitation_works_{{ period }}, 0) end
        as water_sanitation_works_{{ period }},
    {%- endfor %}
    {{ safe_ratio('b.overdue_vnd + b.frozen_vnd', 'b.outstanding_vnd') }} as overdue_frozen_ratio
from report_dates as d
left join {{ ref('int_reporting_periods') }} as q
    on d.as_of_date = q.as_of_date and q.period = 'qtd'
cross join {{ ref('dim_program') }} as p
left join balances as b
    on d.as_of_date = b.as_of_date and p.program_code = b.program_code
left join flows as f
    on d.as_of_date = f.as_of_date and p.program_code = f.program_code
