{#- Incremental windows for the append-by-date models.

    A model is partitioned by a date column (a month-end, or a journal day). On an incremental
    run it rebuilds whole partitions (delete+insert on the partition column), chosen by:

    - the vars `start_date` / `end_date` (ISO dates, both optional; Dagster passes its partition
      window): every partition in [start, end] widened to whole months when grain = 'month';
    - otherwise: every partition that is new, or whose source rows were (re)loaded after the
      partition was last built (max(_loaded_at) of the source > the one stored in the model),
      which picks up new month-ends, new journal days and re-delivered (_rN) files.

    A first build or --full-refresh builds every partition, whatever the vars: both paths give
    the same rows.

    "Rebuild whole partitions" is one strategy per engine (partitioned_incremental_config):
    - DuckDB: delete+insert with unique_key = the partition column (the rows of every partition
      value in the new batch are deleted, then the batch inserted);
    - Spark (parquet tables have no DELETE): insert_overwrite with partition_by = the partition
      column; dbt-spark sets partitionOverwriteMode=DYNAMIC, so exactly the partitions present
      in the new batch are replaced, the others kept: the same rows as delete+insert. In both,
      a selected partition whose batch is empty is left as it was. -#}

{% macro partitioned_incremental_config(partition_column) -%}
    {{ return(adapter.dispatch('partitioned_incremental_config')(partition_column)) }}
{%- endmacro %}

{% macro default__partitioned_incremental_config(partition_column) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': partition_column}) }}
{%- endmacro %}

{% macro spark__partitioned_incremental_config(partition_column) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [partition_column]}) }}
{%- endmacro %}



{#- The WHERE predicate selecting the partitions to (re)build.
    partition_column: the partition column in `source_relation` (and in this model).
    grain: 'month' or 'day'. -#}
{% macro incremental_partitions(partition_column, source_relation, grain='day') -%}
    {%- if is_incremental() -%}
        {%- set start = var('start_date', none) -%}
        {%- set end = var('end_date', none) -%}
        {%- if start or end -%}
            {%- if grain == 'month' -%}
                {%- set lo = "cast(" ~ dbt.date_trunc('month', "cast(" ~ dbt.string_literal(start) ~ " as date)") ~ " as date)" if start else none -%}
                {%- set hi = month_end("cast(" ~ dbt.string_literal(end) ~ " as date)") if end else none -%}
            {%- else -%}
                {%- set lo = "cast(" ~ dbt.string_literal(start) ~ " as date)" if start else none -%}
                {%- set hi = "cast(" ~ dbt.string_literal(end) ~ " as date)" if end else none -%}
            {%- endif -%}
            {%- if lo %}{{ partition_column }} >= {{ lo }}{% else %}1 = 1{% endif %}
            and {% if hi %}{{ partition_column }} <= {{ hi }}{% else %}1 = 1{% endif %}
        {%- else -%}
            {{ partition_column }} in (
                select delivered.partition_date
                from (
                    select
                        {{ partition_column }} as partition_date,
                        max(_loaded_at) as loaded_at
                    from {{ source_relation }}
                    group by {{ partition_column }}
                ) as delivered
                left join (
                    select
                        {{ partition_column }} as partition_date,
                        max(_loaded_at) as loaded_at
                    from {{ this }}
                    group by {{ partition_column }}
                ) as built
                    on delivered.partition_date = built.partition_date
                where built.partition_date is null or delivered.loaded_at > built.loaded_at
            )
        {%- endif -%}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
