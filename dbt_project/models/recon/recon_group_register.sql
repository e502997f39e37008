{#- Identity 3 (contract §4.4, §5.3): the group register BC0437 against the members' Mẫu 31
    rows, every group of every delivered register: outstanding, overdue, frozen, savings and
    the number of members with outstanding. expected = Mẫu 31, actual = BC0437. A group on one
    side only counts as 0 on the other (the register lists only groups with outstanding or
    savings, so a Mẫu 31 group with nothing is not a break).
    Incremental by month-end. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('month') %}
{%- set items = [
    ('outstanding', 'outstanding'),
    ('outstanding_overdue', 'outstanding_overdue'),
    ('outstanding_frozen', 'outstanding_frozen'),
    ('savings_balance', 'savings_balance'),
    ('members_with_outstanding', 'members_with_outstanding'),
] -%}
with

register as (
    select * from {{ ref('stg_branch__savings_groups') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

register_deliveries as (
    select distinct
        as_of_date,
        pgd_code
    from register
),

members as (
    select * from {{ ref('int_group_month_facts') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

matched as (
    select
        coalesce(r.as_of_date, m.as_of_date) as as_of_date,
        coalesce(r.pgd_code, m.pgd_code) as pgd_code,
        coalesce(r.group_code, m.group_code) as group_code,
        coalesce(r.commune_code, m.commune_code) as commune_code,
        coalesce(r.org_code, m.org_code) as org_code,
        case
            when r.group_code is null then 'bc0437'
            when m.group_code is null then 'm31'
        end as missing_in,
        {%- for register_column, member_column in items %}
            m.{{ member_column }} as m31_{{ register_column }},
            r.{{ register_column }} as register_{{ register_column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from register as r
    full outer join members as m
        on r.as_of_date = m.as_of_date and r.group_code = m.group_code
),

delivered as (
    select matched.*
    from matched
    inner join register_deliveries as d
        on matched.as_of_date = d.as_of_date and matched.pgd_code = d.pgd_code
),

checks as (
    {%- for register_column, member_column in items %}
        select
            as_of_date,
            pgd_code,
            group_code,
            commune_code,
            org_code,
            '{{ register_column }}' as check_item,
            missing_in,
            coalesce(m31_{{ register_column }}, 0) as expected,
            coalesce(register_{{ register_column }}, 0) as actual
        from delivered
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        3 as identity_no,
        as_of_date,
        pgd_code,
        group_code,
        commune_code,
        org_code,
        check_item,
        missing_in,
        cast(expected as {{ dbt.type_bigint() }}) as expected,
        cast(actual as {{ dbt.type_bigint() }}) as actual,
        cast(actual - expected as {{ dbt.type_bigint() }}) as difference,
        actual <> expected as is_break
    from checks
)

{{ select_with_inputs_loaded_at('final', months) }}
