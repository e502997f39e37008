{#- Savings and loan groups (Tổ TK&VV) with outstanding, by rating (Xếp loại of the register,
    BC0437) at each register month-end, for the whole branch and per organization: groups, the
    groups carrying overdue or frozen debt, their members' outstanding and overdue + frozen
    debt (int_group_month_facts), and the rating's share of the groups. breakdown 'branch'
    (org_code NULL) or 'organization'; rating NULL is the row of all ratings, whose
    share_of_groups is 1. rating_order is the code list's display order (best first). -#}
with

groups as (
    select
        g.as_of_date,
        g.org_code,
        g.rating,
        f.outstanding,
        f.outstanding_overdue + f.outstanding_frozen as overdue_frozen
    from {{ ref('dim_savings_group') }} as g
    inner join {{ ref('int_group_month_facts') }} as f
        on g.group_code = f.group_code and g.as_of_date = f.as_of_date
    where f.has_outstanding
),

cells as (
    {%- for breakdown, by_org, by_rating in [
        ('branch', false, true), ('branch', false, false),
        ('organization', true, true), ('organization', true, false),
    ] %}
        select
            as_of_date,
            '{{ breakdown }}' as breakdown,
            {% if by_org %}org_code,{% else %}cast(null as {{ dbt.type_string() }}) as org_code,{% endif %}
            {% if by_rating %}rating,{% else %}cast(null as {{ dbt.type_string() }}) as rating,{% endif %}
            count(*) as groups_with_outstanding,
            count(case when overdue_frozen > 0 then 1 end) as groups_with_overdue_frozen,
            {{ sum_bigint('outstanding') }} as outstanding_vnd,
            {{ sum_bigint('overdue_frozen') }} as overdue_frozen_vnd
        from groups
        group by as_of_date{% if by_org %}, org_code{% endif %}{% if by_rating %}, rating{% endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    c.as_of_date,
    c.breakdown,
    c.org_code,
    o.org_short,
    c.rating,
    r.sort_order as rating_order,
    c.groups_with_outstanding,
    c.groups_with_overdue_frozen,
    c.outstanding_vnd,
    c.overdue_frozen_vnd,
    {{ safe_ratio('c.groups_with_outstanding', 'a.groups_with_outstanding') }} as share_of_groups
from cells as c
inner join cells as a
    on
        c.as_of_date = a.as_of_date
        and c.breakdown = a.breakdown
        and coalesce(c.org_code, '-') = coalesce(a.org_code, '-')
        and a.rating is null
left join {{ ref('dim_organization') }} as o
    on c.org_code = o.org_code
left join {{ ref('group_ratings') }} as r
    on c.rating = r.rating
