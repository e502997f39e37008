{#- Disbursement of every loan over the reporting periods of each month-end (the loan-turn
    rule). For each month-end as_of_date and period (qtd: from the first day of its quarter;
    ytd: from 1 January), the loan's net disbursement is the sum over the period's month-ends
    of the Mẫu 31 month columns (disbursed_month - disbursement_reversed_month). A loan turn
    (lượt vay) is a loan, of any channel, with net disbursement > 0 in the period; its output
    (workers, works) counts only when the loan was first disbursed in the period. Only loans
    with disbursement activity in some month of the period appear. -#}
with

activity as (
    select
        as_of_date as month_end_date,
        loan_code,
        pgd_code,
        commune_code,
        org_code,
        is_entrusted,
        customer_code,
        program_code,
        disbursement_date,
        disbursed_month,
        disbursement_reversed_month,
        net_disbursed_month,
        workers_attracted,
        water_works,
        sanitation_works
    from {{ ref('int_loan_month_balances') }}
    where disbursed_month <> 0 or disbursement_reversed_month <> 0
),

report_dates as (
    select distinct as_of_date
    from {{ ref('int_loan_month_balances') }}
),

periods as (
    select
        as_of_date,
        'qtd' as period,
        {{ quarter_start('as_of_date') }} as period_start
    from report_dates
    union all
    select
        as_of_date,
        'ytd' as period,
        {{ year_start('as_of_date') }} as period_start
    from report_dates
),

period_activity as (
    select
        p.as_of_date,
        p.period,
        p.period_start,
        a.loan_code,
        max(a.pgd_code) as pgd_code,
        max(a.commune_code) as commune_code,
        max(a.org_code) as org_code,
        max(a.customer_code) as customer_code,
        max(a.program_code) as program_code,
        max(a.disbursement_date) as disbursement_date,
        {{ sum_bigint('a.disbursed_month') }} as disbursed,
        {{ sum_bigint('a.disbursement_reversed_month') }} as disbursement_reversed,
        {{ sum_bigint('a.net_disbursed_month') }} as net_disbursed,
        max(a.workers_attracted) as workers_attracted,
        max(a.water_works) as water_works,
        max(a.sanitation_works) as sanitation_works
    from periods as p
    inner join activity as a
        on
            a.month_end_date >= p.period_start
            and a.month_end_date <= p.as_of_date
    group by p.as_of_date, p.period, p.period_start, a.loan_code
),

final as (
    select
        pa.*,
        pa.org_code <> '99' as is_entrusted,
        coalesce(prog.is_poor_group, false) as is_poor_group,
        coalesce(prog.is_job_creation, false) as is_job_creation,
        coalesce(prog.is_water_sanitation, false) as is_water_sanitation,
        pa.net_disbursed > 0 as is_loan_turn,
        coalesce(
            pa.disbursement_date >= pa.period_start and pa.disbursement_date <= pa.as_of_date,
            false
        ) as is_first_disbursed_in_period
    from period_activity as pa
    left join {{ ref('programs') }} as prog
        on pa.program_code = prog.program_code
)

select * from final
