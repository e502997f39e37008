{#- Layer schemas are named as they are (staging, marts, ...), not prefixed with the target
    schema: analysts query marts.mart_briefing_kpis, not main_marts.mart_briefing_kpis. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
