{#- Identity 1 (contract §4.3, §5.1): the official forms 01.1/BCTD (rows by commune; by district
    for the branch office 0100) and 01.2/BCTD (rows by program) against Mẫu 31 of the same
    office and month-end, every column (3)-(17), to the đồng; each form's TỔNG CỘNG row
    against the sum of its rows. One row per office × month-end × form × row × column, for every
    form delivered (a form missing or rejected at ingestion is recon_deliveries' to report).
    expected = Mẫu 31 (or Σ rows for the total-row check), actual = the form, difference =
    actual - expected. A row present on one side only counts as 0 on the other (missing_in
    says which). Differences are reported, never corrected.
    Incremental by month-end; every month is rebuilt when the commune -> district map changes
    (macros/incremental.sql). -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('month', communes=true) %}
{%- set columns = form_amount_columns() + form_count_columns() -%}
with

balances as (
    select
        b.*,
        case when u.is_branch_office then c.district_pgd_code else b.commune_code end as row_code_011
    from {{ ref('int_loan_month_balances') }} as b
    left join {{ ref('int_communes') }} as c
        on b.commune_code = c.commune_code
    left join {{ ref('units') }} as u
        on b.pgd_code = u.unit_code
    where {{ months_filter('b.as_of_date', months.reads) }}
),

m31_rows as (
    {%- for form_code, row_code in [('01.1', 'row_code_011'), ('01.2', 'program_code')] %}
        select
            as_of_date,
            pgd_code,
            '{{ form_code }}' as form_code,
            {{ row_code }} as row_code,
            {{ sum_bigint('net_disbursed_month') }} as disbursed_month,
            {{ sum_bigint('net_disbursed_ytd') }} as disbursed_ytd,
            {{ sum_bigint('repaid_month') }} as repaid_month,
            {{ sum_bigint('repaid_ytd') }} as repaid_ytd,
            {{ sum_bigint('written_off_month') }} as written_off_month,
            {{ sum_bigint('written_off_ytd') }} as written_off_ytd,
            {{ sum_bigint('outstanding') }} as outstanding,
            {{ sum_bigint('outstanding_in_term') }} as outstanding_in_term,
            {{ sum_bigint('outstanding_overdue') }} as outstanding_overdue,
            {{ sum_bigint('outstanding_frozen') }} as outstanding_frozen,
            {{ sum_bigint('outstanding_short') }} as outstanding_short,
            {{ sum_bigint('outstanding_medium') }} as outstanding_medium,
            {{ sum_bigint('outstanding_long') }} as outstanding_long,
            count(distinct case when outstanding > 0 then customer_code end) as customers_with_outstanding,
            count(case when net_disbursed_ytd > 0 then 1 end) as loan_turns_ytd
        from balances
        group by as_of_date, pgd_code, {{ row_code }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

form_all_rows as (
    select
        '01.1' as form_code,
        *
    from {{ ref('stg_branch__form_011_rows') }}
    where {{ months_filter('as_of_date', months.reads) }}
    union all
    select
        '01.2' as form_code,
        *
    from {{ ref('stg_branch__form_012_rows') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

form_rows as (
    select * from form_all_rows
    where not is_total_row
),

form_deliveries as (
    select distinct
        as_of_date,
        pgd_code,
        form_code
    from form_all_rows
),

matched as (
    select
        coalesce(f.as_of_date, m.as_of_date) as as_of_date,
        coalesce(f.pgd_code, m.pgd_code) as pgd_code,
        coalesce(f.form_code, m.form_code) as form_code,
        coalesce(f.row_code, m.row_code) as row_code,
        f.row_name,
        case
            when f.form_code is null then 'form'
            when m.form_code is null then 'm31'
        end as missing_in,
        {%- for marker, raw_column, column in columns %}
            m.{{ column }} as m31_{{ column }},
            f.{{ column }} as form_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from form_rows as f
    full outer join m31_rows as m
        on
            f.as_of_date = m.as_of_date
            and f.pgd_code = m.pgd_code
            and f.form_code = m.form_code
            and f.row_code = m.row_code
),

delivered_matched as (
    select matched.*
    from matched
    inner join form_deliveries as d
        on
            matched.as_of_date = d.as_of_date
            and matched.pgd_code = d.pgd_code
            and matched.form_code = d.form_code
),

-- one row per form column: the checks below unpivot the 15 column pairs with a cross join
-- and a CASE (one scan of the matched rows, where 15 UNION ALL branches made Spark plan and
-- run the whole join 15 times)
form_columns as (
    {%- for marker, raw_column, column in columns %}
        select
            '{{ marker }}' as column_marker,
            '{{ column }}' as column_name
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

row_checks as (
    select
        d.as_of_date,
        d.pgd_code,
        d.form_code,
        'row_vs_m31' as check_item,
        d.row_code,
        d.row_name,
        c.column_marker,
        c.column_name,
        d.missing_in,
        coalesce(case c.column_name
            {%- for marker, raw_column, column in columns %}
                when '{{ column }}' then d.m31_{{ column }}
            {%- endfor %}
        end, 0) as expected,
        coalesce(case c.column_name
            {%- for marker, raw_column, column in columns %}
                when '{{ column }}' then d.form_{{ column }}
            {%- endfor %}
        end, 0) as actual
    from delivered_matched as d
    cross join form_columns as c
),

row_sums as (
    select
        as_of_date,
        pgd_code,
        form_code,
        {%- for marker, raw_column, column in columns %}
            {{ sum_bigint(column) }} as {{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from form_rows
    group by as_of_date, pgd_code, form_code
),

total_rows as (
    select * from form_all_rows
    where is_total_row
),

total_matched as (
    select
        d.as_of_date,
        d.pgd_code,
        d.form_code,
        t.row_name,
        case
            when t.form_code is null then 'total_row'
            when s.form_code is null then 'rows'
        end as missing_in,
        {%- for marker, raw_column, column in columns %}
            s.{{ column }} as rows_{{ column }},
            t.{{ column }} as total_{{ column }}{% if not loop.last %},{% endif %}
        {%- endfor %}
    from form_deliveries as d
    left join total_rows as t
        on d.as_of_date = t.as_of_date and d.pgd_code = t.pgd_code and d.form_code = t.form_code
    left join row_sums as s
        on d.as_of_date = s.as_of_date and d.pgd_code = s.pgd_code and d.form_code = s.form_code
),

total_checks as (
    select
        t.as_of_date,
        t.pgd_code,
        t.form_code,
        'total_row_vs_rows' as check_item,
        cast(null as {{ dbt.type_string() }}) as row_code,
        t.row_name,
        c.column_marker,
        c.column_name,
        t.missing_in,
        coalesce(case c.column_name
            {%- for marker, raw_column, column in columns %}
                when '{{ column }}' then t.rows_{{ column }}
            {%- endfor %}
        end, 0) as expected,
        coalesce(case c.column_name
            {%- for marker, raw_column, column in columns %}
                when '{{ column }}' then t.total_{{ column }}
            {%- endfor %}
        end, 0) as actual
    from total_matched as t
    cross join form_columns as c
),

checks as (
    select * from row_checks
    union all
    select * from total_checks
),

final as (
    select
        1 as identity_no,
        as_of_date,
        pgd_code,
        form_code,
        check_item,
        row_code,
        row_name,
        column_marker,
        column_name,
        missing_in,
        cast(expected as {{ dbt.type_bigint() }}) as expected,
        cast(actual as {{ dbt.type_bigint() }}) as actual,
        cast(actual - expected as {{ dbt.type_bigint() }}) as difference,
        actual <> expected or coalesce(missing_in = 'total_row', false) as is_break
    from checks
)

{{ select_with_inputs_loaded_at('final', months) }}
