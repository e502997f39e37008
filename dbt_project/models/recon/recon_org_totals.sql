{#- Identity 4 (contract §5.4): the briefing's branch figures against its organization rows,
    per month-end: entrusted outstanding = Σ organizations 11-14; direct = organization 99;
    total = entrusted + direct; overdue, frozen and groups with outstanding = Σ organizations.
    expected = the sum over organizations (mart_org_summary), actual = the branch figure
    (mart_briefing_kpis).
    Incremental by month-end, as the marts it reads. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('quarter') %}
with

orgs as (
    select
        as_of_date,
        {{ sum_bigint('case when is_entrusted then outstanding_vnd else 0 end') }} as entrusted_outstanding,
        {{ sum_bigint('case when not is_entrusted then outstanding_vnd else 0 end') }} as direct_outstanding,
        {{ sum_bigint('overdue_vnd') }} as overdue,
        {{ sum_bigint('frozen_vnd') }} as frozen,
        {{ sum_bigint('groups_with_outstanding') }} as groups_with_outstanding
    from {{ ref('mart_org_summary') }}
    where {{ months_filter('as_of_date', months.reads) }}
    group by as_of_date
),

kpis as (
    select * from {{ ref('mart_briefing_kpis') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

checks as (
    select
        k.as_of_date,
        'entrusted_outstanding' as check_item,
        'Σ organizations 11-14' as expected_source,
        o.entrusted_outstanding as expected,
        k.entrusted_outstanding_vnd as actual
    from kpis as k
    left join orgs as o on k.as_of_date = o.as_of_date
    union all
    select
        k.as_of_date,
        'direct_outstanding' as check_item,
        'organization 99' as expected_source,
        o.direct_outstanding as expected,
        k.direct_outstanding_vnd as actual
    from kpis as k
    left join orgs as o on k.as_of_date = o.as_of_date
    union all
    select
        as_of_date,
        'total_outstanding' as check_item,
        'entrusted + direct' as expected_source,
        entrusted_outstanding_vnd + direct_outstanding_vnd as expected,
        total_outstanding_vnd as actual
    from kpis
    union all
    select
        k.as_of_date,
        'overdue' as check_item,
        'Σ organizations' as expected_source,
        o.overdue as expected,
        k.overdue_vnd as actual
    from kpis as k
    left join orgs as o on k.as_of_date = o.as_of_date
    union all
    select
        k.as_of_date,
        'frozen' as check_item,
        'Σ organizations' as expected_source,
        o.frozen as expected,
        k.frozen_vnd as actual
    from kpis as k
    left join orgs as o on k.as_of_date = o.as_of_date
    union all
    select
        k.as_of_date,
        'groups_with_outstanding' as check_item,
        'Σ organizations' as expected_source,
        o.groups_with_outstanding as expected,
        k.groups_with_outstanding as actual
    from kpis as k
    left join orgs as o on k.as_of_date = o.as_of_date
),

final as (
    select
        4 as identity_no,
        as_of_date,
        check_item,
        expected_source,
        cast(expected as {{ dbt.type_bigint() }}) as expected,
        cast(actual as {{ dbt.type_bigint() }}) as actual,
        cast(actual - expected as {{ dbt.type_bigint() }}) as difference,
        coalesce(actual <> expected, true) as is_break
    from checks
)

{{ select_with_inputs_loaded_at('final', months) }}
