{#- The organizations' own quarter-end reports (HOI_<ORG>), one row per organization × district
    × date plus each file's TỔNG CỘNG row; amounts from triệu đồng (2 decimals) to đồng. A file
    is identified by its organization as well as unit and date, so the current-revision key
    includes org_code. -#}
with

hoi as (
    {{ current_revision(source('raw', 'hoi'), extra_keys=['org_code']) }}
),

reports as (
    select
        _data_date as as_of_date,
        org_code,
        pgd_code,
        district_name,
        is_total as is_total_row,
        stt,
        groups as groups_reported,
        households_with_outstanding,
        {{ million_to_vnd('outstanding_mil') }} as outstanding,
        {{ million_to_vnd('overdue_mil') }} as outstanding_overdue,
        _row_number,
        _source_file,
        _revision,
        _loaded_at
    from hoi
)

select * from reports
