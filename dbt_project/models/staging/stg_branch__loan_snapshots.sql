{#- One row per loan × month-end from Mẫu 31 (current revision only), personal data dropped.
    A customer with two savings books appears on two rows of the same loan that differ only in
    the savings-book columns (contract §4.1): those columns are left out here (they live in
    stg_branch__member_savings) and the remaining identical rows collapse to one with DISTINCT.
    If two rows of one loan differed in anything else, the unique test on
    (as_of_date, loan_code) fails instead of a silent double count. -#}
with

m31 as (
    {{ current_revision(source('raw', 'm31')) }}
),

loan_rows as (
    select distinct
        as_of_date,
        pgd_code,
        commune_code,
        commune_name,
        hamlet_code,
        group_code,
        org_code,
        customer_code,
        household_category,
        loan_code,
        program_code,
        channel,
        funding_source,
        disbursement_date,
        maturity_date,
        term_class,
        interest_rate_pct_month,
        loan_amount,
        outstanding,
        outstanding_in_term,
        outstanding_overdue,
        outstanding_frozen,
        accrued_interest_in_term,
        accrued_interest_overdue,
        disbursed_month,
        disbursement_reversed_month,
        repaid_in_term_month,
        repaid_overdue_month,
        repaid_frozen_month,
        interest_collected_month,
        written_off_month,
        disbursed_ytd,
        disbursement_reversed_ytd,
        repaid_ytd,
        interest_collected_ytd,
        written_off_ytd,
        loan_status,
        workers_attracted,
        water_works,
        sanitation_works,
        _source_file,
        _revision,
        _loaded_at
    from m31
    where loan_code is not null
)

select * from loan_rows
