{#- Every row satisfies a boolean SQL expression (replaces dbt_utils.expression_is_true). -#}
{% test expression_is_true(model, expression) %}
    select *
    from {{ model }}
    where not ({{ expression }})
{% endtest %}
