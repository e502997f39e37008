{#- The delivered files that carry the briefing's figures, per office and organization: one row
    per report × data date × office × organization × file (current revision) with the file's
    lineage (revision, SHA-256, load time: the raw rows' lineage columns) and its rows. Mẫu 31
    counts its loan rows (a savings-only row carries no figure), DOICHIEU every row. Codes and
    counts only. -#}
with

m31 as (
    {{ current_revision(source('raw', 'm31')) }}
),

doichieu as (
    {{ current_revision(source('raw', 'doichieu')) }}
),

file_rows as (
    select
        'M31' as source_report,
        _data_date as source_date,
        _unit as pgd_code,
        org_code,
        _source_file as source_file,
        _revision as source_revision,
        _sha256 as source_sha256,
        min(_loaded_at) as source_loaded_at,
        count(*) as source_rows
    from m31
    where loan_code is not null
    group by _data_date, _unit, org_code, _source_file, _revision, _sha256
    union all
    select
        'DOICHIEU' as source_report,
        _data_date as source_date,
        _unit as pgd_code,
        org_code,
        _source_file as source_file,
        _revision as source_revision,
        _sha256 as source_sha256,
        min(_loaded_at) as source_loaded_at,
        count(*) as source_rows
    from doichieu
    group by _data_date, _unit, org_code, _source_file, _revision, _sha256
)

select * from file_rows
