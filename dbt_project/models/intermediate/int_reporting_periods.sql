{#- The reporting periods of each delivered month-end and whether their flows are complete.
    ytd flows come from the as-of Mẫu 31's year-to-date columns, so they are always complete;
    qtd flows of the first quarter are the ytd ones; qtd flows of a later quarter sum the month
    columns of the quarter's month-ends, so they are complete only when every month-end of the
    quarter up to the as-of date was delivered. Marts report an incomplete period's flows as
    NULL rather than an undercount. -#}
with

report_dates as (
    select distinct as_of_date
    from {{ ref('int_loan_month_balances') }}
),

periods as (
    select
        as_of_date,
        'ytd' as period,
        {{ year_start('as_of_date') }} as period_start
    from report_dates
    union all
    select
        as_of_date,
        'qtd' as period,
        {{ quarter_start('as_of_date') }} as period_start
    from report_dates
),

coverage as (
    select
        p.as_of_date,
        p.period,
        p.period_start,
        extract(month from p.as_of_date) - extract(month from p.period_start) + 1 as months_in_period,
        count(d.as_of_date) as months_delivered
    from periods as p
    left join report_dates as d
        on p.period_start <= d.as_of_date and p.as_of_date >= d.as_of_date
    group by p.as_of_date, p.period, p.period_start
)

select
    as_of_date,
    period,
    period_start,
    cast(months_in_period as integer) as months_in_period,
    months_delivered,
    period = 'ytd' or extract(month from period_start) = 1 or months_delivered = months_in_period
        as is_complete
from coverage
