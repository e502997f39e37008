{#- Incremental models by month: a night rebuilds the months its deliveries touched.

    A partitioned model (partition = a month-end date, or a day for the journal-by-day facts)
    keeps, on every row, `_inputs_loaded_at`: the latest load time (raw._loaded_at) of the
    deliveries its partition was computed from. On an incremental run a partition is rebuilt
    when that time differs from the one the deliveries give now (int_deliveries), or when it is
    new: absent from the model and loaded after the newest partition the model holds (a
    partition loaded with or before it was already considered by the run that built that one,
    since ingestion commits a load before any build sees it; one left absent had no rows).
    Everything else is kept as it is. A re-delivered (_rN) file of an old date is a newer
    load of that date, so its months are rebuilt like the night's new ones.

    Which deliveries a partition is computed from:
    - the raw reports the model reads, found by walking its refs down to the raw sources (dbt's
      graph): a model that reads only Mẫu 31 is not rebuilt for a journal day;
    - the months, by the model's `depends_on` kind (the same rule in SQL for every model, see
      month_dependency below). A change in month c touches month m when c is:
        month           m itself
        previous_month  m, or the month-end before m (the roll-forward's opening balance)
        quarter         the above, the earlier month-ends of m's quarter (qtd sums and whether
                        the quarter is complete) and the previous 31 December (change "so với
                        đầu năm")
        campaign        the above, and the 31 December before that (a register of year Y's
                        campaign is scoped on 31/12/Y-1; one dated in January may still carry
                        the previous year's campaign)
      A model's kind must cover the kinds of the incremental models it reads
      (tests/dbt/test_incremental.py checks this on the manifest).
    - `communes=true`: the model also reads int_communes, whose commune -> district map is
      learnt from every month; when the map changes, every partition is rebuilt.

    A first build or --full-refresh builds every partition. The vars `start_date` / `end_date`
    (ISO dates; widened to whole months for monthly models) force the partitions in that window
    to be rebuilt as well.

    "Rebuild a partition" is one strategy per engine (partitioned_incremental_config):
    - DuckDB: delete+insert with unique_key = the partition column (the rows of every partition
      value in the new batch are deleted, then the batch inserted);
    - Spark (parquet tables have no DELETE): insert_overwrite with partition_by = the partition
      column; dbt-spark sets partitionOverwriteMode=DYNAMIC, so exactly the partitions present
      in the new batch are replaced, the others kept: the same rows as delete+insert.
    In both, a selected partition whose batch is empty is left as it was (a date whose every raw
    row disappeared needs --full-refresh; ingestion never removes a date).

    Use in a model (see int_loan_rollforward.sql):
        {%- set months = incremental_months('previous_month') %}
        ... from {{ ref('x') }} where {{ months_filter('as_of_date', months.reads) }}
        ... final select: {{ select_with_inputs_loaded_at('final', months) }} -#}

{% macro partitioned_incremental_config(partition_column) -%}
    {{ return(adapter.dispatch('partitioned_incremental_config')(partition_column)) }}
{%- endmacro %}

{% macro default__partitioned_incremental_config(partition_column) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': partition_column}) }}
{%- endmacro %}

{% macro spark__partitioned_incremental_config(partition_column) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [partition_column]}) }}
{%- endmacro %}


{#- Kinds of month dependency, each covering the ones before it. -#}
{% macro month_dependency_kinds() -%}
    {{ return(['day', 'month', 'previous_month', 'quarter', 'campaign']) }}
{%- endmacro %}


{#- SQL condition: building partition `built` needs the deliveries of partition `read`. -#}
{% macro month_dependency(kind, built, read) -%}
    {%- if kind not in month_dependency_kinds() -%}
        {{ exceptions.raise_compiler_error("unknown month dependency kind '" ~ kind ~ "' (expected one of " ~ month_dependency_kinds() | join(', ') ~ ")") }}
    {%- endif -%}
    ({{ read }} = {{ built }}
    {%- if kind in ('previous_month', 'quarter', 'campaign') %}
        or {{ read }} = {{ previous_month_end(built) }}
    {%- endif %}
    {%- if kind in ('quarter', 'campaign') %}
        or ({{ read }} >= {{ quarter_start(built) }} and {{ read }} <= {{ built }})
        or {{ read }} = {{ previous_year_end(built) }}
    {%- endif %}
    {%- if kind == 'campaign' %}
        or {{ read }} = {{ previous_year_end(previous_year_end(built)) }}
    {%- endif %})
{%- endmacro %}


{#- The raw report tables a model reads, through its refs (int_deliveries excluded). -#}
{% macro raw_inputs() -%}
    {%- set reports = [] -%}
    {%- if execute -%}
        {%- set queue = [] -%}
        {%- set seen = [] -%}
        {%- for node_id in model.depends_on.nodes %}{% do queue.append(node_id) %}{% endfor -%}
        {%- for i in range(10000) if i < queue | length -%}
            {%- set node_id = queue[i] -%}
            {%- if node_id not in seen -%}
                {%- do seen.append(node_id) -%}
                {%- if node_id.startswith('source.') -%}
                    {%- set src = graph.sources[node_id] -%}
                    {%- if src.source_name == 'raw' and src.name not in reports -%}
                        {%- do reports.append(src.name) -%}
                    {%- endif -%}
                {%- elif node_id in graph.nodes and graph.nodes[node_id].name != 'int_deliveries' -%}
                    {%- for upstream in graph.nodes[node_id].depends_on.nodes -%}
                        {%- do queue.append(upstream) -%}
                    {%- endfor -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(reports | sort) }}
{%- endmacro %}


{%- macro _partition_key(grain) -%}
    {{ 'data_date' if grain == 'day' else 'month_end_date' }}
{%- endmacro -%}


{#- No report found (a unit test, whose graph is not the project's): every report counts, which
    can only rebuild more, never less. -#}
{%- macro _reports_in(reports) -%}
    {%- if reports -%}
        report in ({% for r in reports %}'{{ r }}'{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro -%}


{#- For every partition the model's raw inputs can produce: the latest load time of the
    deliveries it is computed from (partition_date, inputs_loaded_at). -#}
{% macro input_versions(kind, grain='month') -%}
    {%- set reports = raw_inputs() -%}
    {%- set key = _partition_key(grain) -%}
    select
        p.partition_date,
        max(d.loaded_at) as inputs_loaded_at
    from (
        select distinct {{ key }} as partition_date
        from {{ ref('int_deliveries') }}
        where {{ _reports_in(reports) }}
    ) as p
    inner join {{ ref('int_deliveries') }} as d
        on
            {{ _reports_in(reports) | replace('report in', 'd.report in') }}
            and {{ month_dependency(kind, 'p.partition_date', 'd.' ~ key) }}
    group by p.partition_date
{%- endmacro %}


{%- macro _date_literal(value) -%}
    cast('{{ value }}' as date)
{%- endmacro -%}


{#- Which partitions to build in this run, and which partitions of the inputs that needs:
    {'builds': [iso dates], 'reads': [iso dates]}, or none for both on a full build (every
    partition). `communes`: the model also depends on int_communes' map as a whole. -#}
{% macro incremental_months(kind='month', partition_column='as_of_date', grain='month', communes=false) -%}
    {%- set versions = input_versions(kind, grain) -%}
    {%- if communes -%}
        {#- always rendered, so that dbt records the dependency at parse time -#}
        {%- set current_map = communes_version() -%}
    {%- endif -%}
    {%- if not execute or model.resource_type == 'unit_test' or not is_incremental() -%}
        {{ return({'builds': none, 'reads': none, 'kind': kind, 'grain': grain, 'partition_column': partition_column, 'communes': communes}) }}
    {%- endif -%}
    {%- set key = _partition_key(grain) -%}
    {%- set start = var('start_date', none) -%}
    {%- set end = var('end_date', none) -%}
    {%- set map_changed = false -%}
    {%- if communes -%}
        {%- set stored = run_query("select max(_communes_version) from " ~ this).columns[0].values()[0] -%}
        {%- set now = run_query(current_map).columns[0].values()[0] -%}
        {%- set map_changed = stored is none or stored != now -%}
    {%- endif -%}
    {%- set query -%}
        with versions as (
            {{ versions }}
        ),
        built as (
            select
                {{ partition_column }} as partition_date,
                max(_inputs_loaded_at) as inputs_loaded_at
            from {{ this }}
            group by {{ partition_column }}
        ),
        newest as (
            select max(_inputs_loaded_at) as inputs_loaded_at from {{ this }}
        ),
        stale as (
            select v.partition_date
            from versions as v
            left join built as b
                on v.partition_date = b.partition_date
            cross join newest as n
            where
                {{ '1 = 1' if map_changed else '1 = 0' }}
                or b.inputs_loaded_at <> v.inputs_loaded_at
                or (
                    b.partition_date is null
                    and (n.inputs_loaded_at is null or v.inputs_loaded_at > n.inputs_loaded_at)
                )
                {%- if start %}
                    or (v.partition_date >= {{ _date_literal(start) }}
                    {%- if end %} and v.partition_date <= {{ month_end(_date_literal(end)) if grain == 'month' else _date_literal(end) }}{% endif %})
                {%- elif end %}
                    or v.partition_date <= {{ month_end(_date_literal(end)) if grain == 'month' else _date_literal(end) }}
                {%- endif %}
        ),
        delivered as (
            select distinct {{ key }} as partition_date
            from {{ ref('int_deliveries') }}
            where {{ _reports_in(raw_inputs()) }}
        )
        select
            cast(s.partition_date as {{ dbt.type_string() }}) as build_date,
            cast(d.partition_date as {{ dbt.type_string() }}) as read_date
        from stale as s
        inner join delivered as d
            on {{ month_dependency(kind, 's.partition_date', 'd.partition_date') }}
    {%- endset -%}
    {%- set rows = run_query(query) -%}
    {%- set builds = rows.columns[0].values() | unique | sort | list -%}
    {%- set reads = rows.columns[1].values() | unique | sort | list -%}
    {%- do log(model.name ~ ": rebuilding " ~ builds | length ~ " partition(s)"
        ~ (" (commune map changed)" if map_changed else "")
        ~ (": " ~ builds | join(", ") if builds else ""), info=true) -%}
    {{ return({'builds': builds, 'reads': reads, 'kind': kind, 'grain': grain, 'partition_column': partition_column, 'communes': communes}) }}
{%- endmacro %}


{#- A predicate keeping the rows of `column` (a date) that fall in the given partitions (month
    partitions: anywhere in their month, so it serves month-end dates and journal days alike;
    day partitions: that day). `partitions` none: every row. -#}
{% macro months_filter(column, partitions, grain='month') -%}
    {%- if partitions is none -%}
        1 = 1
    {%- elif partitions | length == 0 -%}
        1 = 0
    {%- elif grain == 'day' -%}
        {{ column }} in ({% for p in partitions %}{{ _date_literal(p) }}{% if not loop.last %}, {% endif %}{% endfor %})
    {%- else -%}
        ({% for p in partitions -%}
            ({{ column }} >= {{ _date_literal(p[0:8] ~ '01') }} and {{ column }} <= {{ _date_literal(p) }})
            {%- if not loop.last %} or {% endif %}
        {%- endfor %})
    {%- endif -%}
{%- endmacro %}


{#- The model's final select: the rows of `cte` in the partitions being built, each with the
    load time of the deliveries its partition was computed from, when this dbt run started
    (`_built_at`: the rows a run rebuilt, which its data tests look at, rebuilt_rows.sql), and
    the commune map's version when the model depends on it. -#}
{% macro select_with_inputs_loaded_at(cte, months) -%}
    select
        f.*,
        v.inputs_loaded_at as _inputs_loaded_at,
        {{ built_at() }} as _built_at
        {%- if months.communes %},
        ({{ communes_version() }}) as _communes_version
        {%- endif %}
    from {{ cte }} as f
    inner join ({{ input_versions(months.kind, months.grain) }}) as v
        on f.{{ months.partition_column }} = v.partition_date
    where {{ months_filter('f.' ~ months.partition_column, months.builds, months.grain) }}
{%- endmacro %}


{#- One number for int_communes' commune -> district map (changes when any commune's district
    does): the sum of the first 48 bits of each pair's MD5, the same value on every engine. -#}
{% macro communes_version() -%}
    select coalesce({{ sum_bigint(md5_bits48("concat(commune_code, '>', coalesce(district_pgd_code, '-'))")) }}, 0)
    from {{ ref('int_communes') }}
{%- endmacro %}

{% macro md5_bits48(expression) -%}
    {{ return(adapter.dispatch('md5_bits48')(expression)) }}
{%- endmacro %}

{% macro default__md5_bits48(expression) -%}
    cast(('0x' || substr(md5({{ expression }}), 1, 12)) as {{ dbt.type_bigint() }})
{%- endmacro %}

{% macro spark__md5_bits48(expression) -%}
    cast(conv(substr(md5({{ expression }}), 1, 12), 16, 10) as bigint)
{%- endmacro %}


{#- When this dbt invocation started (UTC, the same value in every node of the run). -#}
{% macro built_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
