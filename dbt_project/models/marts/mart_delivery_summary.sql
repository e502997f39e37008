{#- The deliveries behind each month-end's figures: one row per month-end as_of_date of the
    warehouse (the dates of mart_briefing_kpis), counting the files (mart_deliveries) with a
    data date up to that month-end: files, re-delivered files (revision > 1), the highest
    revision, the latest load time; and the files of the month itself (data dates in the
    as-of month). -#}
with

report_dates as (
    select as_of_date from {{ ref('mart_briefing_kpis') }}
)

select
    d.as_of_date,
    count(f.source_file) as files,
    count(case when f.is_redelivery then 1 end) as redelivered_files,
    max(f.revision) as latest_revision,
    max(f.loaded_at) as last_loaded_at,
    count(case when f.month_end_date = d.as_of_date then 1 end) as files_in_month,
    {{ sum_bigint('f.rows_loaded') }} as rows_loaded
from report_dates as d
left join {{ ref('mart_deliveries') }} as f
    on d.as_of_date >= f.data_date
group by d.as_of_date
