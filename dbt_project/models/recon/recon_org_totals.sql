{#- Identity 4 (contract §5.4): entrusted outstanding = Σ over organizations 11-14; total =
    entrusted + direct (organization 99). Per office and month-end, each side from a source the
    other does not use:
    - entrusted_outstanding: expected = Mẫu 31 loans whose own channel (Hình thức vay) is 2,
      entrusted (the channels seed); actual = Σ over organizations 11-14 (Mã ĐVUT, the seed's entrusted list);
    - direct_outstanding: expected = loans of channel 1, direct; actual = organization 99;
    - total_outstanding: expected = the office's official total, form 01.1 TỔNG CỘNG column
      (9); actual = entrusted (Σ 11-14) + direct (99) of its Mẫu 31. Only where that total row
      was delivered (a missing form is recon_deliveries' to report).
    A loan booked to an organization its channel contradicts, or to a code outside 11-14 and
    99, breaks here.
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

organizations as (
    select * from {{ ref('organizations') }}
),

channels as (
    select * from {{ ref('channels') }}
),

balances as (
    select
        b.as_of_date,
        b.pgd_code,
        {{ sum_bigint("case when ch.is_entrusted then b.outstanding else 0 end") }} as channel_entrusted,
        {{ sum_bigint("case when not ch.is_entrusted then b.outstanding else 0 end") }} as channel_direct,
        {{ sum_bigint("case when o.is_entrusted then b.outstanding else 0 end") }} as orgs_entrusted,
        {{ sum_bigint("case when not o.is_entrusted then b.outstanding else 0 end") }} as org_direct
    from {{ ref('int_loan_month_balances') }} as b
    left join organizations as o
        on b.org_code = o.org_code
    left join channels as ch
        on b.channel = ch.channel
    where {{ months_filter('b.as_of_date', months.reads) }}
    group by b.as_of_date, b.pgd_code
),

official_totals as (
    select
        as_of_date,
        pgd_code,
        outstanding
    from {{ ref('stg_branch__form_011_rows') }}
    where is_total_row and {{ months_filter('as_of_date', months.reads) }}
),

checks as (
    select
        as_of_date,
        pgd_code,
        'entrusted_outstanding' as check_item,
        'Mẫu 31 loans of channel 2 (entrusted)' as expected_source,
        'Σ organizations 11-14' as actual_source,
        channel_entrusted as expected,
        orgs_entrusted as actual
    from balances
    union all
    select
        as_of_date,
        pgd_code,
        'direct_outstanding' as check_item,
        'Mẫu 31 loans of channel 1 (direct)' as expected_source,
        'organization 99' as actual_source,
        channel_direct as expected,
        org_direct as actual
    from balances
    union all
    select
        t.as_of_date,
        t.pgd_code,
        'total_outstanding' as check_item,
        'form 01.1 TỔNG CỘNG (9)' as expected_source,
        'Σ organizations 11-14 + organization 99' as actual_source,
        t.outstanding as expected,
        coalesce(b.orgs_entrusted + b.org_direct, 0) as actual
    from official_totals as t
    left join balances as b
        on t.as_of_date = b.as_of_date and t.pgd_code = b.pgd_code
),

final as (
    select
        4 as identity_no,
        as_of_date,
        pgd_code,
        check_item,
        expected_source,
        actual_source,
        cast(expected as {{ dbt.type_bigint() }}) as expected,
        cast(actual as {{ dbt.type_bigint() }}) as actual,
        cast(actual - expected as {{ dbt.type_bigint() }}) as difference,
        coalesce(actual <> expected, true) as is_break
    from checks
)

{{ select_with_inputs_loaded_at('final', months) }}
