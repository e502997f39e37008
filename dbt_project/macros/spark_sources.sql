{#- The raw layer on each engine (issue 11).

    DuckDB: ingestion writes `raw.<table>` into the warehouse itself; nothing to do.

    Spark: the raw layer arrives as a Parquet lake exported from the DuckDB warehouse,
    $NHCS_LAKE_DIR/raw/<table>/_data_date=YYYY-MM-DD/*.parquet (hive-partitioned by the delivery
    date; the files hold every other column of the DuckDB table, same types). This macro, run as
    the project's on-run-start hook, registers `raw.<table>` over that folder for every table of
    the `raw` source, so `source('raw', ...)` resolves on Spark as on DuckDB.

    Choices:
    - The schema is the explicit column list of models/staging/__sources.yml (every column has
      its DuckDB `data_type`, checked against the ingestion DDL by tests/dbt/test_spark_sources.py),
      not inferred from the files: a table folder with no file yet (a delivery without that
      report) still gets its columns, and a file that drifted fails loudly instead of silently
      changing a type.
    - The catalog table is declared WITHOUT `PARTITIONED BY`, although the folder is partitioned:
      `_data_date` is a column of the declared schema and Spark's partition discovery fills it
      from the `_data_date=YYYY-MM-DD` folder names at read time (typed by the declaration), with
      partition pruning on it. So no partition list is kept in the metastore: a date delivered
      after the last run is read without `MSCK REPAIR TABLE` (which also fails on a table folder
      that does not exist yet, whereas an absent or empty folder reads here as an empty table).
    - The table is dropped and re-created on every run rather than CREATE ... IF NOT EXISTS:
      it is an external table (LOCATION), so the drop never touches the lake's files, and the
      catalog can never keep a schema older than the declared one. The cost is one metastore
      round trip per table. Views of the staging layer survive (Spark stores their SQL text).
      REFRESH TABLE then drops any file listing cached by the session.
-#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
{%- endmacro %}

{#- DuckDB type names of the ingestion DDL -> Spark SQL. DuckDB's TIMESTAMP has no time zone,
    so it is Spark's TIMESTAMP_NTZ; Spark's VARCHAR needs a length, STRING does not. -#}
{% macro spark_type_of(duckdb_type) -%}
    {%- set t = duckdb_type | upper | trim -%}
    {%- set mapping = {'VARCHAR': 'STRING', 'TEXT': 'STRING', 'TIMESTAMP': 'TIMESTAMP_NTZ'} -%}
    {{- return(mapping.get(t, t)) -}}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set lake = var('nhcs_lake_dir', env_var('NHCS_LAKE_DIR', '../data/lake')) ~ '/raw' -%}
        {%- set tables = graph.sources.values() | selectattr('source_name', 'equalto', 'raw') | list -%}
        {%- for src in tables | sort(attribute='name') -%}
            {%- set columns = src.columns.values() | list -%}
            {%- set untyped = columns | rejectattr('data_type') | map(attribute='name') | list -%}
            {%- if untyped or columns | length == 0 -%}
                {{ exceptions.raise_compiler_error(
                    "source raw." ~ src.name ~ ": every column needs a data_type in __sources.yml to be registered on Spark (missing: " ~ (untyped | join(', ')) ~ ")") }}
            {%- endif -%}
            {%- set relation = src.schema ~ '.' ~ src.identifier -%}
            {%- do run_query('create schema if not exists ' ~ src.schema) -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- set ddl -%}
                create table {{ relation }} (
                    {%- for c in columns %}
                    `{{ c.name }}` {{ spark_type_of(c.data_type) }}{% if not loop.last %},{% endif %}
                    {%- endfor %}
                )
                using parquet
                location '{{ lake }}/{{ src.identifier }}'
            {%- endset -%}
            {%- do run_query(ddl) -%}
            {%- do run_query('refresh table ' ~ relation) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
