{#- One row per savings and loan group × month-end, computed from its members' Mẫu 31 rows:
    balances, savings, members and members with outstanding (contract §4.4). A group has
    outstanding when at least one member has outstanding > 0. -#}
with

loans as (
    select
        as_of_date,
        group_code,
        {{ sum_bigint('outstanding') }} as outstanding,
        {{ sum_bigint('outstanding_overdue') }} as outstanding_overdue,
        {{ sum_bigint('outstanding_frozen') }} as outstanding_frozen,
        count(distinct case when outstanding > 0 then customer_code end) as members_with_outstanding,
        count(*) as loans
    from {{ ref('int_loan_month_balances') }}
    where group_code is not null
    group by as_of_date, group_code
),

savings as (
    select
        as_of_date,
        group_code,
        {{ sum_bigint('savings_balance') }} as savings_balance,
        count(*) as savings_books
    from {{ ref('stg_branch__member_savings') }}
    where group_code is not null
    group by as_of_date, group_code
),

members as (
    select
        as_of_date,
        group_code,
        min(pgd_code) as pgd_code,
        min(commune_code) as commune_code,
        min(hamlet_code) as hamlet_code,
        min(org_code) as org_code,
        count(distinct customer_code) as members_in_m31
    from {{ ref('stg_branch__customers') }}
    where group_code is not null
    group by as_of_date, group_code
),

facts as (
    select
        m.as_of_date,
        m.group_code,
        m.pgd_code,
        m.commune_code,
        m.hamlet_code,
        m.org_code,
        m.members_in_m31,
        coalesce(l.members_with_outstanding, 0) as members_with_outstanding,
        coalesce(l.loans, 0) as loans,
        coalesce(l.outstanding, 0) as outstanding,
        coalesce(l.outstanding_overdue, 0) as outstanding_overdue,
        coalesce(l.outstanding_frozen, 0) as outstanding_frozen,
        coalesce(l.outstanding, 0) > 0 as has_outstanding,
        coalesce(s.savings_books, 0) as savings_books,
        coalesce(s.savings_balance, 0) as savings_balance
    from members as m
    left join loans as l
        on m.as_of_date = l.as_of_date and m.group_code = l.group_code
    left join savings as s
        on m.as_of_date = s.as_of_date and m.group_code = s.group_code
)

select * from facts
