{#- Identity 6 (contract §4.6, §5.6): each organization's own quarter-end report (HOI_<ORG>)
    against the bank's figures for that organization, per district (office) and for the
    TỔNG CỘNG row: groups with outstanding, households with outstanding, outstanding, overdue.
    expected = the bank (Mẫu 31), actual = the organization's report. These are findings, not
    errors: the organizations report from their own books. Amounts are reported in triệu đồng
    with 2 decimals, so an amount differs only beyond half that precision (tolerance 5,000 đồng);
    counts must be equal. check_item = report_delivered: every organization 11-14 owes its
    report at every quarter-end month-end after the history's opening (the first Mẫu 31): a
    report not delivered (or rejected) is a finding naming its file (expected_file).
    Incremental by month-end. -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('month') %}
with

reports as (
    select * from {{ ref('stg_orgs__reports') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

report_files as (
    select distinct
        as_of_date,
        org_code
    from reports
),

-- every quarter-end month-end after the opening, for every entrusted organization
expected_reports as (
    select
        d.as_of_date,
        o.org_code
    from (
        select distinct as_of_date
        from {{ ref('int_loan_month_balances') }}
        where
            {{ months_filter('as_of_date', months.reads) }}
            and extract(month from as_of_date) in (3, 6, 9, 12)
            and as_of_date > (select min(as_of_date) from {{ ref('int_loan_month_balances') }})
    ) as d
    cross join {{ ref('organizations') }} as o
    where o.is_entrusted
),

delivery_checks as (
    select
        e.as_of_date,
        e.org_code,
        cast(null as {{ dbt.type_string() }}) as pgd_code,
        cast(null as {{ dbt.type_string() }}) as district_name,
        false as is_total_row,
        'report_delivered' as check_item,
        case when f.org_code is null then 'org_report' end as missing_in,
        {{ delivery_file_stem('HOI', 'e.org_code', 'e.as_of_date') }} as expected_file,
        1 as expected,
        case when f.org_code is null then 0 else 1 end as actual,
        0 as tolerance
    from expected_reports as e
    left join report_files as f
        on e.as_of_date = f.as_of_date and e.org_code = f.org_code
),

bank_districts as (
    select
        c.as_of_date,
        c.org_code,
        c.pgd_code,
        count(distinct case when c.has_outstanding then c.customer_code end) as households_with_outstanding,
        {{ sum_bigint('c.outstanding') }} as outstanding,
        {{ sum_bigint('c.outstanding_overdue') }} as outstanding_overdue
    from {{ ref('int_customer_month_facts') }} as c
    inner join report_files as f
        on c.as_of_date = f.as_of_date and c.org_code = f.org_code
    group by c.as_of_date, c.org_code, c.pgd_code
),

bank_groups as (
    select
        g.as_of_date,
        g.org_code,
        g.pgd_code,
        count(case when g.has_outstanding then 1 end) as groups_with_outstanding
    from {{ ref('int_group_month_facts') }} as g
    inner join report_files as f
        on g.as_of_date = f.as_of_date and g.org_code = f.org_code
    group by g.as_of_date, g.org_code, g.pgd_code
),

bank as (
    select
        coalesce(d.as_of_date, g.as_of_date) as as_of_date,
        coalesce(d.org_code, g.org_code) as org_code,
        coalesce(d.pgd_code, g.pgd_code) as pgd_code,
        coalesce(g.groups_with_outstanding, 0) as groups_with_outstanding,
        coalesce(d.households_with_outstanding, 0) as households_with_outstanding,
        coalesce(d.outstanding, 0) as outstanding,
        coalesce(d.outstanding_overdue, 0) as outstanding_overdue
    from bank_districts as d
    full outer join bank_groups as g
        on d.as_of_date = g.as_of_date and d.org_code = g.org_code and d.pgd_code = g.pgd_code
),

bank_with_totals as (
    select
        as_of_date,
        org_code,
        pgd_code,
        false as is_total_row,
        groups_with_outstanding,
        households_with_outstanding,
        outstanding,
        outstanding_overdue
    from bank
    union all
    select
        as_of_date,
        org_code,
        cast(null as {{ dbt.type_string() }}) as pgd_code,
        true as is_total_row,
        {{ sum_bigint('groups_with_outstanding') }} as groups_with_outstanding,
        {{ sum_bigint('households_with_outstanding') }} as households_with_outstanding,
        {{ sum_bigint('outstanding') }} as outstanding,
        {{ sum_bigint('outstanding_overdue') }} as outstanding_overdue
    from bank
    group by as_of_date, org_code
),

matched as (
    select
        coalesce(r.as_of_date, b.as_of_date) as as_of_date,
        coalesce(r.org_code, b.org_code) as org_code,
        coalesce(r.pgd_code, b.pgd_code) as pgd_code,
        coalesce(r.is_total_row, b.is_total_row) as is_total_row,
        r.district_name,
        case
            when r.org_code is null then 'org_report'
            when b.org_code is null then 'bank'
        end as missing_in,
        b.groups_with_outstanding as bank_groups,
        r.groups_reported as org_groups,
        b.households_with_outstanding as bank_households,
        r.households_with_outstanding as org_households,
        b.outstanding as bank_outstanding,
        r.outstanding as org_outstanding,
        b.outstanding_overdue as bank_overdue,
        r.outstanding_overdue as org_overdue
    from reports as r
    full outer join bank_with_totals as b
        on
            r.as_of_date = b.as_of_date
            and r.org_code = b.org_code
            and r.is_total_row = b.is_total_row
            and coalesce(r.pgd_code, '-') = coalesce(b.pgd_code, '-')
),

checks as (
    {%- for item, column, tolerance in [
        ('groups_with_outstanding', 'groups', 0),
        ('households_with_outstanding', 'households', 0),
        ('outstanding', 'outstanding', 5000),
        ('overdue', 'overdue', 5000),
    ] %}
        select
            as_of_date,
            org_code,
            pgd_code,
            district_name,
            is_total_row,
            '{{ item }}' as check_item,
            missing_in,
            cast(null as {{ dbt.type_string() }}) as expected_file,
            coalesce(bank_{{ column }}, 0) as expected,
            coalesce(org_{{ column }}, 0) as actual,
            {{ tolerance }} as tolerance
        from matched
        union all
    {%- endfor %}
    select * from delivery_checks
),

final as (
    select
        6 as identity_no,
        as_of_date,
        org_code,
        pgd_code,
        district_name,
        is_total_row,
        check_item,
        missing_in,
        expected_file,
        cast(expected as {{ dbt.type_bigint() }}) as expected,
        cast(actual as {{ dbt.type_bigint() }}) as actual,
        cast(actual - expected as {{ dbt.type_bigint() }}) as difference,
        tolerance,
        false as is_break,
        abs(actual - expected) > tolerance as is_finding
    from checks
)

{{ select_with_inputs_loaded_at('final', months) }}
