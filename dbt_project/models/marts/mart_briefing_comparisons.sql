{#- The briefing's figures against the previous quarter and the same period a year earlier:
    one row per month-end as_of_date × measure, a measure being a column of mart_briefing_kpis.
    The previous quarter is the end of the quarter before the as-of date's quarter (31/12 for
    any month-end of Q1); a year earlier is the same month-end of the previous year. Each
    comparison is NULL when its month-end is not in the warehouse (or its figure is NULL, e.g.
    an incomplete quarter). as_of_value and the compared values are exact, as DECIMAL(38,6): counts
    and amounts in đồng are whole numbers, ratios fractions (a ratio's change is in fraction
    points). -#}
{%- set measures = [
    'entrusted_outstanding_vnd', 'direct_outstanding_vnd', 'total_outstanding_vnd', 'entrusted_share',
    'households_with_entrusted_outstanding', 'groups_with_outstanding',
    'avg_entrusted_outstanding_per_household_vnd',
    'loan_turns_qtd', 'poor_group_turns_qtd', 'job_creation_turns_qtd', 'workers_attracted_qtd',
    'water_sanitation_works_qtd', 'net_disbursed_qtd_vnd',
    'loan_turns_ytd', 'poor_group_turns_ytd', 'job_creation_turns_ytd', 'workers_attracted_ytd',
    'water_sanitation_works_ytd', 'net_disbursed_ytd_vnd',
    'overdue_vnd', 'frozen_vnd', 'overdue_frozen_ratio',
] -%}
with

kpis as (
    select * from {{ ref('mart_briefing_kpis') }}
),

measures as (
    {%- for measure in measures %}
        select
            as_of_date,
            '{{ measure }}' as measure,
            cast({{ measure }} as decimal(38, 6)) as as_of_value
        from kpis
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    m.as_of_date,
    m.measure,
    m.as_of_value,
    previous_quarter.as_of_date as previous_quarter_end_date,
    previous_quarter.as_of_value as previous_quarter_value,
    m.as_of_value - previous_quarter.as_of_value as change_previous_quarter,
    year_ago.as_of_date as year_ago_date,
    year_ago.as_of_value as year_ago_value,
    m.as_of_value - year_ago.as_of_value as change_year_ago
from measures as m
left join measures as previous_quarter
    on
        m.measure = previous_quarter.measure
        and previous_quarter.as_of_date = {{ previous_quarter_end('m.as_of_date') }}
left join measures as year_ago
    on
        m.measure = year_ago.measure
        and year_ago.as_of_date = {{ year_ago_month_end('m.as_of_date') }}
