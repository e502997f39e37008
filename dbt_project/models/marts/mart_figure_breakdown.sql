{#- The briefing's additive figures (mart_briefing_kpis) broken down by office and organization:
    one row per month-end × figure × office × organization with the part's value and the items
    it counts, so that a disputed figure can be shown part by part (nhcs explain, the
    briefing's appendix). The parts of a figure add up exactly to it at every month-end
    (tests/assert_figure_breakdown_adds_up.sql); a ratio is explained by its two parts.

    Each figure is counted here as mart_briefing_kpis counts it, from the same intermediate
    models and flags; a customer with entrusted outstanding through several offices or
    organizations counts once in the branch figure, so it is placed in one part: the office
    and organization of its largest entrusted outstanding (then the lowest codes). A period's
    flows have parts only when the period is complete (else the figure is NULL).
    `sources` says which Mẫu 31 / DOICHIEU month-ends carry a part (mart_figure_lineage):
    as_of (the as-of file), year_end (the as-of file and the previous 31 December's),
    quarter (the quarter's month-end files up to the as-of date; the as-of file alone in the
    first quarter, whose flows are the year-to-date columns). -#}
{%- set balance_figures = [
    ('entrusted_outstanding_vnd', 'outstanding', 'is_entrusted'),
    ('direct_outstanding_vnd', 'outstanding', 'not is_entrusted'),
    ('total_outstanding_vnd', 'outstanding', 'true'),
    ('overdue_vnd', 'outstanding_overdue', 'true'),
    ('frozen_vnd', 'outstanding_frozen', 'true'),
    ('entrusted_overdue_vnd', 'outstanding_overdue', 'is_entrusted'),
    ('entrusted_frozen_vnd', 'outstanding_frozen', 'is_entrusted'),
] -%}
{#- a change since the previous 31 December: (figure, the outstanding figure it changes) -#}
{%- set change_figures = [
    ('entrusted_change_ytd_vnd', 'entrusted_outstanding_vnd'),
    ('total_change_ytd_vnd', 'total_outstanding_vnd'),
] -%}
{%- set flow_figures = [
    ('loan_turns', '1', 'is_loan_turn'),
    ('poor_group_turns', '1', 'is_loan_turn and is_poor_group'),
    ('job_creation_turns', '1', 'is_loan_turn and is_job_creation'),
    ('workers_attracted', 'workers_attracted', 'is_loan_turn and is_job_creation and is_first_disbursed_in_period'),
    ('water_sanitation_works', 'water_works + sanitation_works', 'is_loan_turn and is_water_sanitation and is_first_disbursed_in_period'),
    ('net_disbursed', 'net_disbursed', 'true'),
] -%}
with

balances as (
    select * from {{ ref('int_loan_month_balances') }}
),

balance_parts as (
    {%- for figure, measure, condition in balance_figures %}
        select
            as_of_date,
            '{{ figure }}' as figure,
            pgd_code,
            org_code,
            {{ sum_bigint(measure) }} as figure_value,
            count(*) as items_counted,
            'loans' as items_kind,
            'M31' as source_report,
            'as_of' as sources
        from balances
        where {{ condition }}
        group by as_of_date, pgd_code, org_code
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

month_ends as (
    select distinct as_of_date from balances
),

year_ends as (
    select
        m.as_of_date,
        y.as_of_date as year_end_date
    from month_ends as m
    inner join month_ends as y
        on y.as_of_date = {{ previous_year_end('m.as_of_date') }}
),

change_terms as (
    {%- for change, level in change_figures %}
        select
            y.as_of_date,
            '{{ change }}' as figure,
            p.pgd_code,
            p.org_code,
            p.figure_value,
            p.items_counted
        from year_ends as y
        inner join balance_parts as p
            on y.as_of_date = p.as_of_date and p.figure = '{{ level }}'
        union all
        select
            y.as_of_date,
            '{{ change }}' as figure,
            p.pgd_code,
            p.org_code,
            -p.figure_value as figure_value,
            0 as items_counted
        from year_ends as y
        inner join balance_parts as p
            on y.year_end_date = p.as_of_date and p.figure = '{{ level }}'
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

change_parts as (
    select
        as_of_date,
        figure,
        pgd_code,
        org_code,
        {{ sum_bigint('figure_value') }} as figure_value,
        {{ sum_bigint('items_counted') }} as items_counted,
        'loans' as items_kind,
        'M31' as source_report,
        'year_end' as sources
    from change_terms
    group by as_of_date, figure, pgd_code, org_code
),

entrusted_customers as (
    select
        as_of_date,
        customer_code,
        pgd_code,
        org_code,
        row_number() over (
            partition by as_of_date, customer_code
            order by outstanding desc, pgd_code asc, org_code asc, group_code asc
        ) as placed
    from {{ ref('int_customer_month_facts') }}
    where is_entrusted and has_outstanding
),

household_parts as (
    select
        as_of_date,
        'households_with_entrusted_outstanding' as figure,
        pgd_code,
        org_code,
        count(*) as figure_value,
        count(*) as items_counted,
        'customers' as items_kind,
        'M31' as source_report,
        'as_of' as sources
    from entrusted_customers
    where placed = 1
    group by as_of_date, pgd_code, org_code
),

group_parts as (
    select
        as_of_date,
        'groups_with_outstanding' as figure,
        pgd_code,
        org_code,
        count(*) as figure_value,
        count(*) as items_counted,
        'groups' as items_kind,
        'M31' as source_report,
        'as_of' as sources
    from {{ ref('int_group_month_facts') }}
    where has_outstanding
    group by as_of_date, pgd_code, org_code
),

turns as (
    select d.*
    from {{ ref('int_loan_period_disbursements') }} as d
    inner join {{ ref('int_reporting_periods') }} as p
        on d.as_of_date = p.as_of_date and d.period = p.period
    where p.is_complete
),

flow_parts as (
    {%- for period in ['qtd', 'ytd'] %}
        {%- set outer_loop = loop %}
        {%- for figure, measure, condition in flow_figures %}
            {%- set column = figure ~ '_' ~ period ~ ('_vnd' if figure == 'net_disbursed' else '') %}
            select
                as_of_date,
                '{{ column }}' as figure,
                pgd_code,
                org_code,
                {{ sum_bigint(measure) }} as figure_value,
                count(*) as items_counted,
                'loans' as items_kind,
                'M31' as source_report,
                '{{ "quarter" if period == "qtd" else "as_of" }}' as sources
            from turns
            where period = '{{ period }}' and {{ condition }}
            group by as_of_date, pgd_code, org_code
            {%- if not (loop.last and outer_loop.last) %}
                union all
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
),

register_campaigns as (
    select
        as_of_date,
        max(campaign_year) as campaign_year
    from {{ ref('fct_reconciliation') }}
    group by as_of_date
),

register as (
    select r.*
    from {{ ref('fct_reconciliation') }} as r
    inner join register_campaigns as c
        on r.as_of_date = c.as_of_date and r.campaign_year = c.campaign_year
),

reconciliation_parts as (
    select
        as_of_date,
        'reconciliation_in_scope' as figure,
        pgd_code,
        org_code,
        count(*) as figure_value,
        count(*) as items_counted,
        'customers' as items_kind,
        'DOICHIEU' as source_report,
        'as_of' as sources
    from register
    group by as_of_date, pgd_code, org_code
    union all
    select
        as_of_date,
        'reconciled_customers' as figure,
        pgd_code,
        org_code,
        count(*) as figure_value,
        count(*) as items_counted,
        'customers' as items_kind,
        'DOICHIEU' as source_report,
        'as_of' as sources
    from register
    where is_reconciled
    group by as_of_date, pgd_code, org_code
),

parts as (
    select * from balance_parts
    union all
    select * from change_parts
    union all
    select * from household_parts
    union all
    select * from group_parts
    union all
    select * from flow_parts
    union all
    select * from reconciliation_parts
)

select
    as_of_date,
    figure,
    pgd_code,
    org_code,
    cast(figure_value as {{ dbt.type_bigint() }}) as figure_value,
    cast(items_counted as {{ dbt.type_bigint() }}) as items_counted,
    items_kind,
    source_report,
    sources
from parts
