{#- The group register BC0437, one row per group × month-end; the leader's name is dropped. -#}
with

bc0437 as (
    {{ current_revision(source('raw', 'bc0437')) }}
),

savings_groups as (
    select
        _data_date as as_of_date,
        pgd_code,
        commune_code,
        hamlet_code,
        org_code,
        group_code,
        established_date,
        members,
        members_with_outstanding,
        outstanding,
        outstanding_overdue,
        outstanding_frozen,
        savings_balance,
        score,
        rating,
        _source_file,
        _revision,
        _loaded_at
    from bc0437
)

select * from savings_groups
