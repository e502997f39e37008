{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}

{#- One row per loan × month-end: the collapsed Mẫu 31 loan rows with the measures every later
    model uses (net disbursement, principal repaid, balances by term class). Partitioned by
    as_of_date; an incremental run rebuilds only new or re-delivered month-ends
    (macros/incremental.sql). -#}
{%- set months = incremental_months('month') %}
with

loan_snapshots as (
    select * from {{ ref('stg_branch__loan_snapshots') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

direct_organizations as (
    {{ direct_organizations() }}
),

balances as (
    select
        as_of_date,
        loan_code,
        pgd_code,
        commune_code,
        hamlet_code,
        group_code,
        org_code,
        {{ is_entrusted('org_code') }} as is_entrusted,
        customer_code,
        household_category,
        program_code,
        channel,
        funding_source,
        disbursement_date,
        maturity_date,
        term_class,
        interest_rate_pct_month,
        loan_status,
        loan_amount,
        outstanding,
        outstanding_in_term,
        outstanding_overdue,
        outstanding_frozen,
        case when term_class = 'Ngắn hạn' then outstanding else 0 end as outstanding_short,
        case when term_class = 'Trung hạn' then outstanding else 0 end as outstanding_medium,
        case when term_class = 'Dài hạn' then outstanding else 0 end as outstanding_long,
        accrued_interest_in_term,
        accrued_interest_overdue,
        disbursed_month,
        disbursement_reversed_month,
        disbursed_month - disbursement_reversed_month as net_disbursed_month,
        repaid_in_term_month,
        repaid_overdue_month,
        repaid_frozen_month,
        repaid_in_term_month + repaid_overdue_month + repaid_frozen_month as repaid_month,
        interest_collected_month,
        written_off_month,
        disbursed_ytd,
        disbursement_reversed_ytd,
        disbursed_ytd - disbursement_reversed_ytd as net_disbursed_ytd,
        repaid_ytd,
        interest_collected_ytd,
        written_off_ytd,
        workers_attracted,
        water_works,
        sanitation_works,
        coalesce(
            disbursement_date > {{ previous_month_end('as_of_date') }}
            and disbursement_date <= as_of_date,
            false
        ) as is_first_disbursed_in_month,
        _loaded_at
    from loan_snapshots
    left join direct_organizations
        on org_code = direct_org_code
)

{{ select_with_inputs_loaded_at('balances', months) }}
