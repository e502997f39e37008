{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('month_end_date')
    )
}}

{#- The journal (SKGD) summed per loan × month and transaction type, the journal side of the
    roll-forward. Partitioned by month; a month is rebuilt when any of its days is (re)loaded. -#}
{%- set months = incremental_months('month', partition_column='month_end_date') %}
with

transactions as (
    select * from {{ ref('stg_branch__transactions') }}
    where {{ months_filter('txn_date', months.reads) }}
),

monthly as (
    select
        month_end_date,
        loan_code,
        min(pgd_code) as pgd_code,
        min(customer_code) as customer_code,
        min(program_code) as program_code,
        {{ sum_bigint("case when txn_type = 'GN' then amount else 0 end") }} as disbursed,
        {{ sum_bigint("case when txn_type = 'DK' then amount else 0 end") }} as disbursement_reversed,
        {{ sum_bigint("case when txn_type = 'TNTH' then amount else 0 end") }} as repaid_in_term,
        {{ sum_bigint("case when txn_type = 'TNQH' then amount else 0 end") }} as repaid_overdue,
        {{ sum_bigint("case when txn_type = 'TNKH' then amount else 0 end") }} as repaid_frozen,
        {{ sum_bigint("case when txn_type = 'TL' then amount else 0 end") }} as interest_collected,
        {{ sum_bigint("case when txn_type = 'XN' then amount else 0 end") }} as written_off,
        {{ sum_bigint("case when txn_type = 'CQH' then amount else 0 end") }} as transferred_to_overdue,
        {{ sum_bigint("case when txn_type = 'KHN' then amount else 0 end") }} as transferred_to_frozen,
        count(*) as journal_lines,
        max(_loaded_at) as _loaded_at
    from transactions
    group by month_end_date, loan_code
)

{{ select_with_inputs_loaded_at('monthly', months) }}
