{#- What is delivered: one row per raw report table × data date, with the latest load time
    (max _loaded_at) and the rows held. The incremental models compare these load times with
    the ones they were built from (macros/incremental.sql) to find the months a night's
    deliveries touched, a re-delivered (_rN) old date included. Rebuilt every run from the raw
    tables' two lineage columns: a few thousand rows, whatever the history. -#}
{%- set reports = ['m31', 'skgd', 'bcdhtd_011', 'bcdhtd_012', 'bc0437', 'doichieu', 'hoi'] -%}
with

deliveries as (
    {%- for report in reports %}
        select
            '{{ report }}' as report,
            _data_date as data_date,
            max(_loaded_at) as loaded_at,
            count(*) as delivered_rows
        from {{ source('raw', report) }}
        group by _data_date
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    report,
    data_date,
    {{ month_end('data_date') }} as month_end_date,
    loaded_at,
    delivered_rows
from deliveries
