{#- The parts of every figure of mart_figure_breakdown add up exactly to mart_briefing_kpis at
    every month-end; a NULL figure (an incomplete period, no year-end file) has no parts; and
    the breakdown holds no figure the briefing does not have. Returns the rows that do not. -#}
{%- set figures = [
    'entrusted_outstanding_vnd', 'direct_outstanding_vnd', 'total_outstanding_vnd',
    'overdue_vnd', 'frozen_vnd', 'entrusted_overdue_vnd', 'entrusted_frozen_vnd',
    'entrusted_change_ytd_vnd', 'total_change_ytd_vnd',
    'households_with_entrusted_outstanding', 'groups_with_outstanding',
    'loan_turns_qtd', 'poor_group_turns_qtd', 'job_creation_turns_qtd', 'workers_attracted_qtd',
    'water_sanitation_works_qtd', 'net_disbursed_qtd_vnd',
    'loan_turns_ytd', 'poor_group_turns_ytd', 'job_creation_turns_ytd', 'workers_attracted_ytd',
    'water_sanitation_works_ytd', 'net_disbursed_ytd_vnd',
    'reconciliation_in_scope', 'reconciled_customers',
] -%}
with

parts as (
    select
        as_of_date,
        figure,
        {{ sum_bigint('figure_value') }} as parts_value
    from {{ ref('mart_figure_breakdown') }}
    group by as_of_date, figure
),

kpis as (
    {%- for figure in figures %}
        select
            as_of_date,
            '{{ figure }}' as figure,
            cast({{ figure }} as {{ dbt.type_bigint() }}) as kpi_value
        from {{ ref('mart_briefing_kpis') }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    coalesce(k.as_of_date, p.as_of_date) as as_of_date,
    coalesce(k.figure, p.figure) as figure,
    k.kpi_value,
    p.parts_value
from kpis as k
full outer join parts as p
    on k.as_of_date = p.as_of_date and k.figure = p.figure
where
    k.figure is null
    or (k.kpi_value is null and p.figure is not null)
    or (k.kpi_value is not null and k.kpi_value <> coalesce(p.parts_value, 0))
