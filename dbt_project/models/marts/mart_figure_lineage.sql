{#- The delivered files behind every part of mart_figure_breakdown: one row per month-end ×
    figure × office × organization × file, with the file's revision, SHA-256, load time and
    the rows of that office and organization it holds (stg_branch__file_rows). A part's
    sources (mart_figure_breakdown.sources) say which month-ends' files carry it: the as-of
    file; the as-of and the previous 31 December's (a change since the year start); the
    quarter's month-end files up to the as-of date (a later quarter's flows sum their month
    columns; the first quarter's are the as-of file's year-to-date columns,
    int_loan_period_disbursements). Codes, file names and counts only. -#}
with

parts as (
    select * from {{ ref('mart_figure_breakdown') }}
),

files as (
    select * from {{ ref('stg_branch__file_rows') }}
),

m31_dates as (
    select distinct source_date
    from files
    where source_report = 'M31'
),

part_dates as (
    select distinct
        as_of_date,
        sources
    from parts
),

source_dates as (
    select
        as_of_date,
        sources,
        as_of_date as source_date
    from part_dates
    where sources in ('as_of', 'year_end') or extract(month from as_of_date) <= 3
    union all
    select
        as_of_date,
        sources,
        {{ previous_year_end('as_of_date') }} as source_date
    from part_dates
    where sources = 'year_end'
    union all
    select
        p.as_of_date,
        p.sources,
        d.source_date
    from part_dates as p
    inner join m31_dates as d
        on
            {{ quarter_start('p.as_of_date') }} <= d.source_date
            and p.as_of_date >= d.source_date
    where p.sources = 'quarter' and extract(month from p.as_of_date) > 3
)

select
    p.as_of_date,
    p.figure,
    p.pgd_code,
    p.org_code,
    f.source_report,
    f.source_date,
    f.source_file,
    f.source_revision,
    f.source_sha256,
    f.source_loaded_at,
    f.source_rows
from parts as p
inner join source_dates as s
    on p.as_of_date = s.as_of_date and p.sources = s.sources
inner join files as f
    on
        p.source_report = f.source_report
        and s.source_date = f.source_date
        and p.pgd_code = f.pgd_code
        and p.org_code = f.org_code
