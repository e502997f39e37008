-- The benchmark's SQL floor: the briefing KPIs computed by hand, straight from raw.*, in one
-- script. It is the yardstick for the dbt build (issue 10), not a second source of figures.
-- The savings-book quirk (contract 4.1) is handled as the models do: one row per loan.
create or replace temp table floor_loans as
select
    as_of_date,
    org_code,
    customer_code,
    group_code,
    loan_code,
    program_code,
    disbursement_date,
    any_value(outstanding) as outstanding,
    any_value(outstanding_overdue) as overdue,
    any_value(outstanding_frozen) as frozen,
    any_value(disbursed_month - disbursement_reversed_month) as net_disbursed_month,
    any_value(workers_attracted) as workers,
    any_value(water_works + sanitation_works) as works
from raw.m31
where loan_code is not null
group by all;

create or replace temp table floor_turns as
select
    l.as_of_date,
    t.loan_code,
    t.program_code,
    t.workers,
    t.works,
    t.disbursement_date,
    t.net_disbursed_month
from (select distinct as_of_date from floor_loans) as l
inner join floor_loans as t
    on
        t.as_of_date <= l.as_of_date
        and t.as_of_date >= date_trunc('quarter', l.as_of_date)
        and date_trunc('year', t.as_of_date) = date_trunc('year', l.as_of_date);

select
    b.as_of_date,
    sum(b.outstanding) filter (where b.org_code <> '99') as entrusted_outstanding_vnd,
    sum(b.outstanding) filter (where b.org_code = '99') as direct_outstanding_vnd,
    count(distinct b.customer_code) filter (
        where b.org_code <> '99' and b.outstanding > 0
    ) as households,
    count(distinct b.group_code) filter (
        where b.org_code <> '99' and b.outstanding > 0
    ) as groups_with_outstanding,
    sum(b.overdue) as overdue_vnd,
    sum(b.frozen) as frozen_vnd,
    any_value(q.loan_turns) as loan_turns_qtd,
    any_value(q.poor_turns) as poor_group_turns_qtd,
    any_value(q.job_turns) as job_creation_turns_qtd,
    any_value(q.workers) as workers_attracted_qtd,
    any_value(q.works) as water_sanitation_works_qtd,
    any_value(r.in_scope) as reconciliation_in_scope,
    any_value(r.reconciled) as reconciled_customers
from floor_loans as b
left join (
    select
        as_of_date,
        count(*) as loan_turns,
        count(*) filter (where program_code in ('01', '19', '20')) as poor_turns,
        count(*) filter (where program_code = '03') as job_turns,
        sum(workers) filter (where program_code = '03' and first_in_period) as workers,
        sum(works) filter (where program_code = '06' and first_in_period) as works
    from (
        select
            as_of_date,
            loan_code,
            any_value(program_code) as program_code,
            any_value(workers) as workers,
            any_value(works) as works,
            bool_or(disbursement_date >= date_trunc('quarter', as_of_date)) as first_in_period
        from floor_turns
        group by as_of_date, loan_code
        having sum(net_disbursed_month) > 0
    )
    group by as_of_date
) as q on b.as_of_date = q.as_of_date
left join (
    select
        _data_date as as_of_date,
        count(*) as in_scope,
        count(result) as reconciled
    from raw.doichieu
    group by _data_date
) as r on b.as_of_date = r.as_of_date
group by b.as_of_date
order by b.as_of_date;
