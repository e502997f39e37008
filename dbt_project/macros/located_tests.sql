{#- The built-in generic tests not_null, accepted_values and relationships, returning the
    failing rows themselves (every column of the model) instead of the bare value: a failure
    then says where it is (date, office, loan, group, customer, file row) and counts rows, not
    distinct values. dbt looks for these dispatched macros in the root project first. -#}

{% macro default__test_not_null(model, column_name) %}
    select *
    from {{ model }}
    where {{ column_name }} is null
{% endmacro %}

{% macro default__test_accepted_values(model, column_name, values, quote=True) %}
    select *
    from {{ model }}
    where {{ column_name }} not in (
        {%- for value in values -%}
            {%- if quote %}'{{ value }}'{% else %}{{ value }}{% endif -%}
            {%- if not loop.last %}, {% endif -%}
        {%- endfor -%}
    )
{% endmacro %}

{% macro default__test_relationships(model, column_name, to, field) %}
    {#- `model` may be a filtered subquery with its own alias (rebuilt_rows.sql) #}
    select child.*
    from (select * from {{ model }}) as child
    left join (select distinct {{ field }} as to_field from {{ to }}) as parent
        on child.{{ column_name }} = parent.to_field
    where child.{{ column_name }} is not null and parent.to_field is null
{% endmacro %}
