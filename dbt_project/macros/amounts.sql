{#- Amount helpers. All amounts from staging on are integer đồng (BIGINT). -#}

{#- triệu đồng (DECIMAL with up to 6 decimals, as delivered on the 01.x forms and HOI_*) to
    integer đồng. The product of a DECIMAL(24,6) by 10^6 has no fractional part, so the cast
    is exact; round() only guards against a source that delivers a DOUBLE. -#}
{% macro million_to_vnd(column) -%}
    cast(round({{ column }} * 1000000, 0) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- A SUM that stays BIGINT (DuckDB widens SUM(BIGINT) to HUGEINT; other engines differ). -#}
{% macro sum_bigint(expression) -%}
    cast(sum({{ expression }}) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- Month-end (last calendar day of the month) of a date, as DATE. -#}
{% macro month_end(column) -%}
    cast({{ dbt.last_day(column, 'month') }} as date)
{%- endmacro %}

{#- Last day of the previous month of a date, as DATE. -#}
{% macro previous_month_end(column) -%}
    cast({{ dbt.dateadd('day', -1, dbt.date_trunc('month', column)) }} as date)
{%- endmacro %}

{#- First day of the quarter / year of a date, as DATE. -#}
{% macro quarter_start(column) -%}
    cast({{ dbt.date_trunc('quarter', column) }} as date)
{%- endmacro %}

{% macro year_start(column) -%}
    cast({{ dbt.date_trunc('year', column) }} as date)
{%- endmacro %}

{#- 31 December of the previous year of a date, as DATE. -#}
{% macro previous_year_end(column) -%}
    cast({{ dbt.dateadd('day', -1, dbt.date_trunc('year', column)) }} as date)
{%- endmacro %}

{#- Last day of the quarter before the quarter of a date, as DATE (31/03 -> 31/12 of the
    previous year; 30/06 -> 31/03). -#}
{% macro previous_quarter_end(column) -%}
    cast({{ dbt.dateadd('day', -1, dbt.date_trunc('quarter', column)) }} as date)
{%- endmacro %}

{#- The same month-end a year earlier, as DATE (29/02/2024 -> 28/02/2023). -#}
{% macro year_ago_month_end(column) -%}
    cast({{ dbt.last_day(dbt.dateadd('year', -1, column), 'month') }} as date)
{%- endmacro %}

{#- A ratio as a fraction; NULL when the denominator is 0 or NULL. -#}
{% macro safe_ratio(numerator, denominator) -%}
    cast({{ numerator }} as double) / nullif({{ denominator }}, 0)
{%- endmacro %}
