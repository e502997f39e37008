{#- The delivered files that carry the briefing's figures, per office and organization: one row
    per report × data date × office × organization × file (current revision) with the file's
    lineage (revision, SHA-256, load time: the raw rows' lineage columns) and its rows. Mẫu 31
    counts its loan rows (a savings-only row carries no figure), DOICHIEU every row. Codes and
    counts only. -#}
{%- set reports = [('M31', 'm31', 'loan_code is not null'), ('DOICHIEU', 'doichieu', 'true')] -%}
with

{% for report, table, rows in reports %}
    {{ table }} as (
        {{ current_revision(source('raw', table)) }}
    ),
{% endfor %}

file_rows as (
    {%- for report, table, rows in reports %}
        select
            '{{ report }}' as source_report,
            _data_date as source_date,
            _unit as pgd_code,
            org_code,
            _source_file as source_file,
            _revision as source_revision,
            _sha256 as source_sha256,
            min(_loaded_at) as source_loaded_at,
            count(*) as source_rows
        from {{ table }}
        where {{ rows }}
        group by _data_date, _unit, org_code, _source_file, _revision, _sha256
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select * from file_rows
