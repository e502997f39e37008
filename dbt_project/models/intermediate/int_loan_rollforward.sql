{#- The roll-forward of every loan from one month-end to the next (contract §4.1, §4.2):
    previous month-end outstanding + the month's columns of the current Mẫu 31 = current
    outstanding, and the month's journal per type = the month's columns. One row per loan ×
    month-end m, for the months whose previous month-end Mẫu 31 of the same office was
    delivered (otherwise the opening balance is unknown). A loan absent from the previous file
    opens at 0; a loan absent from the current file closes at 0 (both show as breaks when they
    should not). -#}
with

balances as (
    select * from {{ ref('int_loan_month_balances') }}
),

journal as (
    select * from {{ ref('int_loan_journal_monthly') }}
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
    inner join deliveries as prev
        on
            curr.pgd_code = prev.pgd_code
            and prev.as_of_date = {{ previous_month_end('curr.as_of_date') }}
),

loan_keys as (
    select
        as_of_date,
        loan_code,
        pgd_code
    from balances
    union
    select
        {{ month_end(dbt.dateadd('day', 1, 'as_of_date')) }} as as_of_date,
        loan_code,
        pgd_code
    from balances
    union
    select
        month_end_date as as_of_date,
        loan_code,
        pgd_code
    from journal
),

rollforward as (
    select
        k.as_of_date,
        m.previous_as_of_date,
        k.pgd_code,
        k.loan_code,
        coalesce(curr.customer_code, prev.customer_code, j.customer_code) as customer_code,
        coalesce(curr.program_code, prev.program_code, j.program_code) as program_code,
        coalesce(curr.org_code, prev.org_code) as org_code,
        prev.loan_code is not null as is_in_previous_snapshot,
        curr.loan_code is not null as is_in_current_snapshot,
        coalesce(prev.outstanding, 0) as opening_outstanding,
        coalesce(curr.disbursed_month, 0) as disbursed_month,
        coalesce(curr.disbursement_reversed_month, 0) as disbursement_reversed_month,
        coalesce(curr.repaid_in_term_month, 0) as repaid_in_term_month,
        coalesce(curr.repaid_overdue_month, 0) as repaid_overdue_month,
        coalesce(curr.repaid_frozen_month, 0) as repaid_frozen_month,
        coalesce(curr.interest_collected_month, 0) as interest_collected_month,
        coalesce(curr.written_off_month, 0) as written_off_month,
        coalesce(prev.outstanding, 0)
        + coalesce(curr.disbursed_month, 0)
        - coalesce(curr.disbursement_reversed_month, 0)
        - coalesce(curr.repaid_month, 0)
        - coalesce(curr.written_off_month, 0) as expected_outstanding,
        coalesce(curr.outstanding, 0) as closing_outstanding,
        coalesce(j.disbursed, 0) as journal_disbursed,
        coalesce(j.disbursement_reversed, 0) as journal_disbursement_reversed,
        coalesce(j.repaid_in_term, 0) as journal_repaid_in_term,
        coalesce(j.repaid_overdue, 0) as journal_repaid_overdue,
        coalesce(j.repaid_frozen, 0) as journal_repaid_frozen,
        coalesce(j.interest_collected, 0) as journal_interest_collected,
        coalesce(j.written_off, 0) as journal_written_off,
        coalesce(j.journal_lines, 0) as journal_lines
    from loan_keys as k
    inner join checkable_months as m
        on k.pgd_code = m.pgd_code and k.as_of_date = m.as_of_date
    left join balances as curr
        on k.loan_code = curr.loan_code and k.as_of_date = curr.as_of_date
    left join balances as prev
        on k.loan_code = prev.loan_code and m.previous_as_of_date = prev.as_of_date
    left join journal as j
        on k.loan_code = j.loan_code and k.as_of_date = j.month_end_date
)

select
    *,
    closing_outstanding - expected_outstanding as outstanding_difference
from rollforward
