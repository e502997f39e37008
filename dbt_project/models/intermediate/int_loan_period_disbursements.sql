{#- Disbursement of every loan over the reporting periods of each month-end (the loan-turn
    rule). A loan turn (lượt vay) is a loan, of any channel, with net disbursement (disbursed -
    reversed) > 0 in the period; its output (workers, works) counts only when the loan was first
    disbursed in the period.
    - ytd (from 1 January): the as-of Mẫu 31's year-to-date columns (disbursed_ytd -
      disbursement_reversed_ytd), as form 01.x column (17) counts them. They equal the month
      columns summed from January when every month-end is delivered, and stay right when the
      earlier month-ends of the year are not (e.g. the opening 31 December).
    - qtd (from the first day of the quarter): the month columns (disbursed_month -
      disbursement_reversed_month) summed over the quarter's delivered month-ends; in the first
      quarter this is the ytd figure.
    Only loans with disbursement activity in the period appear (one row per as-of date × period
    × loan). Incremental by month-end: month m is rebuilt when a month-end of its quarter
    before it changed too (macros/incremental.sql). -#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **partitioned_incremental_config('as_of_date')
    )
}}
{%- set months = incremental_months('quarter') %}
with

balances as (
    select * from {{ ref('int_loan_month_balances') }}
    where {{ months_filter('as_of_date', months.reads) }}
),

ytd as (
    select
        as_of_date,
        'ytd' as period,
        {{ year_start('as_of_date') }} as period_start,
        loan_code,
        pgd_code,
        commune_code,
        org_code,
        customer_code,
        program_code,
        disbursement_date,
        disbursed_ytd as disbursed,
        disbursement_reversed_ytd as disbursement_reversed,
        net_disbursed_ytd as net_disbursed,
        workers_attracted,
        water_works,
        sanitation_works
    from balances
    where disbursed_ytd <> 0 or disbursement_reversed_ytd <> 0
),

first_quarter as (
    select
        as_of_date,
        'qtd' as period,
        period_start,
        loan_code,
        pgd_code,
        commune_code,
        org_code,
        customer_code,
        program_code,
        disbursement_date,
        disbursed,
        disbursement_reversed,
        net_disbursed,
        workers_attracted,
        water_works,
        sanitation_works
    from ytd
    where extract(month from as_of_date) <= 3
),

later_quarter_dates as (
    select distinct
        as_of_date,
        {{ quarter_start('as_of_date') }} as period_start
    from balances
    where extract(month from as_of_date) > 3
),

later_quarters as (
    select
        q.as_of_date,
        'qtd' as period,
        q.period_start,
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
    from later_quarter_dates as q
    inner join balances as a
        on
            q.period_start <= a.as_of_date
            and q.as_of_date >= a.as_of_date
            and (a.disbursed_month <> 0 or a.disbursement_reversed_month <> 0)
    group by q.as_of_date, q.period_start, a.loan_code
),

period_activity as (
    select * from ytd
    union all
    select * from first_quarter
    union all
    select * from later_quarters
),

direct_organizations as (
    {{ direct_organizations() }}
),

final as (
    select
        pa.*,
        {{ is_entrusted('pa.org_code', 'd.direct_org_code') }} as is_entrusted,
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
    left join direct_organizations as d
        on pa.org_code = d.direct_org_code
)

{{ select_with_inputs_loaded_at('final', months) }}
