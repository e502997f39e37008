{#- The data tests of an incremental run look at the partitions it rebuilt, not at the whole
    history: a night's tests then cost what the night changed.

    dbt wraps the `model` argument of every generic test in get_where_subquery (the `where`
    config); this override adds `_built_at = <this run's start>` (incremental.sql) when
    - the run is a `dbt build` that selected the tested model, so built it before its tests
      (a `dbt test` alone, or a build of the tests only, reads every row: no row would carry
      its start), and not --full-refresh (which rebuilds, so tests, every partition; so does a
      first build),
    - the tested model is incremental (it carries _built_at), and
    - a failure of the test can only involve rows of one partition: a row-level test
      (not_null, accepted_values, relationships, expression_is_true), or a uniqueness test whose
      key includes the partition column. `unique` on another column (a transaction id seen on two
      days) still reads the whole table.
    Rows of partitions this run did not rebuild were tested by the run that built them, which
    failed if they were wrong (error severity): that run's results are in its run_results.json
    and in the Dagster asset checks of that run. -#}

{% macro get_where_subquery(relation) -%}
    {%- set conditions = [config.get('where', ''), rebuilt_rows_filter()] | select | list -%}
    {%- if conditions -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ conditions | join(' and ') }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}


{#- The tests whose failing rows always lie in one partition, by kind. -#}
{% macro partition_local_tests() -%}
    {{ return(['not_null', 'accepted_values', 'relationships', 'expression_is_true']) }}
{%- endmacro %}


{#- '' (every row) or the condition keeping the rows this run rebuilt (see above). -#}
{% macro rebuilt_rows_filter() -%}
    {%- if not execute or flags.WHICH != 'build' or flags.FULL_REFRESH or model.resource_type != 'test' -%}
        {{ return('') }}
    {%- endif -%}
    {%- if model.attached_node not in selected_resources -%}
        {{ return('') }}
    {%- endif -%}
    {%- set tested = graph.nodes.get(model.attached_node) -%}
    {%- if tested is none or tested.config.materialized != 'incremental' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set partition = tested.config.unique_key or (tested.config.partition_by or [none])[0] -%}
    {%- set test = model.test_metadata -%}
    {%- set kwargs = test.kwargs if test else {} -%}
    {%- set local = test and (
        test.name in partition_local_tests()
        or (test.name == 'unique_combination' and partition in kwargs.get('columns', []))
        or (test.name == 'unique' and kwargs.get('column_name') == partition)
    ) -%}
    {{ return('_built_at = ' ~ built_at() if local else '') }}
{%- endmacro %}
