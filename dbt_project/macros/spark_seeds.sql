{#- Spark seeds live at location_root/<seed> (dbt_project.yml). dbt-spark re-seeds by dropping
    the table and creating it again over the same LOCATION, then INSERTing the rows; dropping an
    external table keeps its files, so the rows of the previous seed run would still be there
    (every re-seed would append a copy). After creating the table, empty it with an overwrite of
    zero rows (TRUNCATE is not allowed on external tables; an overwrite may not read the table it
    writes, hence the typed NULL row), then dbt-spark inserts the CSV rows as usual. -#}
{% macro spark__create_csv_table(model, agate_table) %}
    {%- set sql = dbt.spark__create_csv_table(model, agate_table) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- call statement('_') -%}
        insert overwrite table {{ this.render() }}
        select
        {%- for col_name in agate_table.column_names %}
            cast(null as {{ column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) }})
            {%- if not loop.last %},{% endif %}
        {%- endfor %}
        where 1 = 0
    {%- endcall -%}
    {{ return(sql) }}
{% endmacro %}

{#- dbt-spark's session connection formats seed bindings itself: a NULL (empty CSV cell) becomes
    the string 'None' and quotes inside a value are not escaped. Render the values as literals
    instead: NULL as null, everything else as an escaped string cast to the column type (the
    same casts dbt-spark uses). -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    {%- set value = row[loop.index0] -%}
                    cast({% if value is none %}null{% else %}'{{ dbt.escape_single_quotes(value | string) }}'{% endif %} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
                ){%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first -%}{%- do statements.append(sql) -%}{%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}
