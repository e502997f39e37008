{#- Rows of the current revision only: for each delivery key (unit, data date, plus any extra
    key columns such as the organization of a HOI_* file), keep the rows of the highest
    _revision. Ingestion already replaces superseded rows; this is a defensive second line.
    Portable SQL (a join on the grouped maximum), no QUALIFY. -#}
{% macro current_revision(relation, extra_keys=[]) -%}
    {%- set keys = ['_unit', '_data_date'] + extra_keys -%}
    select delivered.*
    from {{ relation }} as delivered
    inner join (
        select
            {% for k in keys %}{{ k }},{% endfor %}
            max(_revision) as _current_revision
        from {{ relation }}
        group by {% for k in keys %}{{ k }}{% if not loop.last %}, {% endif %}{% endfor %}
    ) as current_files
        on
            {% for k in keys %}delivered.{{ k }} = current_files.{{ k }} and {% endfor %}
            delivered._revision = current_files._current_revision
{%- endmacro %}
