{#- The reconciliation campaign's progress (Mẫu 15/TD) per register date × campaign year, for
    the whole branch and broken down by district office and by organization: customers in
    scope (rows of the register), reconciled (with a result), matched (Khớp), with a
    discrepancy (Chênh lệch), pending, and the completion rate. breakdown says which cut a row is:
    'branch' (pgd_code and org_code NULL), 'district' (pgd_code set) or 'organization'
    (org_code set). The branch rows are the campaign figures of mart_briefing_kpis. -#}
with

register as (
    select * from {{ ref('fct_reconciliation') }}
),

cuts as (
    {%- for breakdown, key in [
        ('branch', none), ('district', 'pgd_code'), ('organization', 'org_code'),
    ] %}
        select
            as_of_date,
            campaign_year,
            '{{ breakdown }}' as breakdown,
            {%- for column in ['pgd_code', 'org_code'] %}
                {% if column == key -%}
                    {{ column }},
                {%- else -%}
                    cast(null as {{ dbt.type_string() }}) as {{ column }},
                {%- endif %}
            {%- endfor %}
            count(*) as in_scope_customers,
            count(case when is_reconciled then 1 end) as reconciled_customers,
            count(case when reconciliation_state = 'matched' then 1 end) as matched_customers,
            count(case when reconciliation_state = 'discrepancy' then 1 end) as discrepancy_customers
        from register
        group by as_of_date, campaign_year{% if key %}, {{ key }}{% endif %}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
)

select
    c.as_of_date,
    c.campaign_year,
    c.breakdown,
    c.pgd_code,
    u.district_name,
    c.org_code,
    o.org_short,
    c.in_scope_customers,
    c.reconciled_customers,
    c.matched_customers,
    c.discrepancy_customers,
    c.in_scope_customers - c.reconciled_customers as pending_customers,
    {{ safe_ratio('c.reconciled_customers', 'c.in_scope_customers') }} as completion_rate
from cuts as c
left join {{ ref('dim_unit') }} as u
    on c.pgd_code = u.pgd_code
left join {{ ref('dim_organization') }} as o
    on c.org_code = o.org_code
