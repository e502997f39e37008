{#- The roll-forward of every loan from one month-end to the next (contract §4.1, §4.2):
    previous month-end outstanding + the month's columns of the current Mẫu 31 = current
    outstanding, and the month's journal per type = the month's columns. One row per loan ×
    month-end m, for the months whose previous month-end Mẫu 31 of the same office was
    delivered (otherwise the opening balance is unknown). A loan absent from the previous file
    opens at 0; a loan absent from the current file closes at 0 (both show as breaks when they
    should not). Incremental by month: month m is rebuilt when m or the month-end before it
    changed (macros/incremental.sql).
    With the var `journal_without_opening` (default false; `nhcs validate` sets it, since one
    office's folder has no opening balance), every delivered month-end is kept, those without
    a previous month-end with previous_as_of_date NULL: their journal can still be checked
    against the month columns, their roll-forward cannot (recon_loan_rollforward). -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('previous_month') %}
with

balances as (
    select * from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

journal as (
    select * from {{ ref('int_loan_journal_monthly') }}
    where {{ months_filter('month_end_date', months.reads) }}
),

deliveries as (
    select distinct
        pgd_code,
        as_of_date
    from balances
),

checkable_months as (
    select
        curr.pgd_code,
        curr.as_of_date,
        prev.as_of_date as previous_as_of_date
    from deliveries as curr
    {% if var('journal_without_opening', false) %}left{% else %}inner{% endif %} join deliveries as prev
        on
            curr.pgd_code = prev.pgd_code
            and prev.as_of_date = {{ previous_month_end('curr.as_of_date') }}
),

-- Each month-end's rows meet the previous month-end's rows shifted one month forward and the
-- month's journal in two full outer joins on (loan, month-end): one pass over each side, where a
-- UNION of the three key sets followed by three joins sorted and hashed every row three times
-- (4.6 min of the national build).
current_rows as (
    select
        as_of_date,
        loan_code,
        pgd_code,
        customer_code,
        program_code,
        org_code,
        outstanding,
        disbursed_month,
        disbursement_reversed_month,
        repaid_in_term_month,
        repaid_overdue_month,
        repaid_frozen_month,
        repaid_month,
        interest_collected_month,
        written_off_month
    from balances
),

previous_rows as (
    select
        {{ month_end(dbt.dateadd('day', 1, 'as_of_date')) }} as as_of_date,
        loan_code,
        pgd_code,
        customer_code,
        program_code,
        org_code,
        outstanding
    from balances
    -- only a month-end file opens the next month (a mid-month file is no opening balance)
    where as_of_date = {{ month_end('as_of_date') }}
),

snapshots as (
    select
        coalesce(curr.as_of_date, prev.as_of_date) as as_of_date,
        coalesce(curr.loan_code, prev.loan_code) as loan_code,
        coalesce(curr.pgd_code, prev.pgd_code) as pgd_code,
        coalesce(curr.customer_code, prev.customer_code) as customer_code,
        coalesce(curr.program_code, prev.program_code) as program_code,
        coalesce(curr.org_code, prev.org_code) as org_code,
        prev.loan_code is not null as is_in_previous_snapshot,
        curr.loan_code is not null as is_in_current_snapshot,
        prev.outstanding as opening_outstanding,
        curr.outstanding as closing_outstanding,
        curr.disbursed_month,
        curr.disbursement_reversed_month,
        curr.repaid_in_term_month,
        curr.repaid_overdue_month,
        curr.repaid_frozen_month,
        curr.repaid_month,
        curr.interest_collected_month,
        curr.written_off_month
    from current_rows as curr
    full outer join previous_rows as prev
        on curr.loan_code = prev.loan_code and curr.as_of_date = prev.as_of_date
),

rollforward as (
    select
        coalesce(s.as_of_date, j.month_end_date) as as_of_date,
        m.previous_as_of_date,
        coalesce(s.pgd_code, j.pgd_code) as pgd_code,
        coalesce(s.loan_code, j.loan_code) as loan_code,
        coalesce(s.customer_code, j.customer_code) as customer_code,
        coalesce(s.program_code, j.program_code) as program_code,
        s.org_code,
        coalesce(s.is_in_previous_snapshot, false) as is_in_previous_snapshot,
        coalesce(s.is_in_current_snapshot, false) as is_in_current_snapshot,
        coalesce(s.opening_outstanding, 0) as opening_outstanding,
        coalesce(s.disbursed_month, 0) as disbursed_month,
        coalesce(s.disbursement_reversed_month, 0) as disbursement_reversed_month,
        coalesce(s.repaid_in_term_month, 0) as repaid_in_term_month,
        coalesce(s.repaid_overdue_month, 0) as repaid_overdue_month,
        coalesce(s.repaid_frozen_month, 0) as repaid_frozen_month,
        coalesce(s.interest_collected_month, 0) as interest_collected_month,
        coalesce(s.written_off_month, 0) as written_off_month,
        coalesce(s.opening_outstanding, 0)
        + coalesce(s.disbursed_month, 0)
        - coalesce(s.disbursement_reversed_month, 0)
        - coalesce(s.repaid_month, 0)
        - coalesce(s.written_off_month, 0) as expected_outstanding,
        coalesce(s.closing_outstanding, 0) as closing_outstanding,
        coalesce(j.disbursed, 0) as journal_disbursed,
        coalesce(j.disbursement_reversed, 0) as journal_disbursement_reversed,
        coalesce(j.repaid_in_term, 0) as journal_repaid_in_term,
        coalesce(j.repaid_overdue, 0) as journal_repaid_overdue,
        coalesce(j.repaid_frozen, 0) as journal_repaid_frozen,
        coalesce(j.interest_collected, 0) as journal_interest_collected,
        coalesce(j.written_off, 0) as journal_written_off,
        coalesce(j.journal_lines, 0) as journal_lines
    from snapshots as s
    full outer join journal as j
        on s.loan_code = j.loan_code and s.as_of_date = j.month_end_date
    inner join checkable_months as m
        on
            coalesce(s.pgd_code, j.pgd_code) = m.pgd_code
            and coalesce(s.as_of_date, j.month_end_date) = m.as_of_date
),

final as (
    select
        *,
        closing_outstanding - expected_outstanding as outstanding_difference
    from rollforward
)

{{ select_with_inputs_loaded_at('final', months) }}
