{#- One row per month-end × district office × commune (and commune name) listed on that
    office's Mẫu 31 loan rows: what int_communes learns the commune -> district map from. Office
    0100 lends city-wide, so its rows do not place a commune. Incremental by month-end, so the
    map is learnt again from the month-ends a night changed, not from the whole history. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('month') %}
with

district_rows as (
    select distinct
        as_of_date,
        pgd_code,
        commune_code,
        commune_name
    from {{ ref('stg_branch__loan_places') }}
    where
        pgd_code not in ({{ branch_office_codes() }})
        and {{ months_filter('as_of_date', months.reads) }}
)

{{ select_with_inputs_loaded_at('district_rows', months) }}
