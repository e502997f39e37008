{#- Staging select of one form: amounts to đồng, keys renamed. -#}
{% macro stg_form_rows(source_table) -%}
with

form as (
    {{ current_revision(source('raw', source_table)) }}
),

form_rows as (
    select
        _data_date as as_of_date,
        _unit as pgd_code,
        row_kind,
        row_code,
        row_name,
        stt,
        row_kind = 'total' as is_total_row,
        {%- for marker, raw_column, column in form_amount_columns() %}
        {{ million_to_vnd(raw_column) }} as {{ column }},
        {%- endfor %}
        {%- for marker, raw_column, column in form_count_columns() %}
        {{ raw_column }} as {{ column }},
        {%- endfor %}
        _row_number,
        _source_file,
        _revision,
        _loaded_at
    from form
)

select * from form_rows
{%- endmacro %}
