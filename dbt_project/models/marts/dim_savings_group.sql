{#- Savings and loan groups (Tổ TK&VV) with their rating history: one row per group × register
    month-end (BC0437), with the previous month-end's rating and whether it changed;
    is_latest marks the group's most recent register row. No leader names. -#}
with

register as (
    select * from {{ ref('stg_branch__savings_groups') }}
),

latest as (
    select
        group_code,
        max(as_of_date) as latest_as_of_date
    from register
    group by group_code
)

select
    r.group_code,
    r.as_of_date,
    r.pgd_code,
    r.commune_code,
    r.hamlet_code,
    r.org_code,
    r.established_date,
    r.members,
    r.members_with_outstanding,
    r.score,
    r.rating,
    prev.score as previous_score,
    prev.rating as previous_rating,
    coalesce(prev.rating <> r.rating, false) as is_rating_changed,
    r.as_of_date = l.latest_as_of_date as is_latest
from register as r
inner join latest as l
    on r.group_code = l.group_code
left join register as prev
    on
        r.group_code = prev.group_code
        and prev.as_of_date = {{ previous_month_end('r.as_of_date') }}
