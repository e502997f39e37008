{#- The delivered files behind the raw layer, one row per file of the current revision: its
    raw table, unit, data date, organization (HOI_<ORG> files, which share unit HOI), file path,
    revision, SHA-256, rows loaded and load time, from the lineage columns ingestion stamps on
    every raw row (so on the Spark lake as on DuckDB). A file that loaded no row leaves no
    lineage and is not listed. File paths hold dates, units and report codes only. -#}
{%- set tables = [
    ('m31', none), ('skgd', none), ('bcdhtd_011', none), ('bcdhtd_012', none),
    ('bc0437', none), ('doichieu', none), ('hoi', 'org_code'),
] -%}
with

files as (
    {%- for table, org_column in tables %}
        select
            '{{ table }}' as raw_table,
            _unit as unit,
            _data_date as data_date,
            {% if org_column %}{{ org_column }}{% else %}cast(null as {{ dbt.type_string() }}){% endif %} as org_code,
            _source_file as source_file,
            _revision as revision,
            _sha256 as sha256,
            count(*) as rows_loaded,
            max(_loaded_at) as loaded_at
        from {{ source('raw', table) }}
        group by _unit, _data_date, {% if org_column %}{{ org_column }}, {% endif %}_source_file, _revision, _sha256
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

current_revisions as (
    select
        raw_table,
        unit,
        data_date,
        org_code,
        max(revision) as current_revision
    from files
    group by raw_table, unit, data_date, org_code
)

select f.*
from files as f
inner join current_revisions as c
    on
        f.raw_table = c.raw_table
        and f.unit = c.unit
        and f.data_date = c.data_date
        and coalesce(f.org_code, '-') = coalesce(c.org_code, '-')
        and f.revision = c.current_revision
