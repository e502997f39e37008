{#- The interagency briefing's figures, one row per month-end as_of_date (calibration §1).

    Definitions (issue 5): entrusted = organizations 11-14, direct = 99; a household is a
    customer; a group counts when at least one member has outstanding > 0; _qtd is from the
    first day of the as-of date's quarter, _ytd from 1 January; a loan turn is a loan with net
    disbursement (disbursed - reversed, Mẫu 31 month columns over the period's month-ends) > 0;
    workers and works count the loan turns first disbursed in the period (program 03 workers,
    program 06 water + sanitation works); the reconciliation figures count the campaign
    register delivered for that date (in scope = its rows, reconciled = rows with a result);
    entrusted_change_ytd is against the previous 31 December's Mẫu 31 (NULL when that
    month-end was not delivered). Ratios are fractions. -#}
with

balances as (
    select
        as_of_date,
        {{ sum_bigint('case when is_entrusted then outstanding else 0 end') }} as entrusted_outstanding_vnd,
        {{ sum_bigint('case when not is_entrusted then outstanding else 0 end') }} as direct_outstanding_vnd,
        {{ sum_bigint('outstanding') }} as total_outstanding_vnd,
        {{ sum_bigint('outstanding_overdue') }} as overdue_vnd,
        {{ sum_bigint('outstanding_frozen') }} as frozen_vnd
    from {{ ref('int_loan_month_balances') }}
    group by as_of_date
),

households as (
    select
        as_of_date,
        count(distinct customer_code) as households_with_entrusted_outstanding
    from {{ ref('int_customer_month_facts') }}
    where is_entrusted and has_outstanding
    group by as_of_date
),

savings_groups as (
    select
        as_of_date,
        count(*) as groups_with_outstanding
    from {{ ref('int_group_month_facts') }}
    where has_outstanding
    group by as_of_date
),

flows as (
    select
        as_of_date,
        {%- for period in ['qtd', 'ytd'] %}
        count(case when period = '{{ period }}' and is_loan_turn then 1 end)
            as loan_turns_{{ period }},
        count(case when period = '{{ period }}' and is_loan_turn and is_poor_group then 1 end)
            as poor_group_turns_{{ period }},
        count(case when period = '{{ period }}' and is_loan_turn and is_job_creation then 1 end)
            as job_creation_turns_{{ period }},
        cast(sum(
            case
                when period = '{{ period }}' and is_loan_turn and is_job_creation and is_first_disbursed_in_period
                    then workers_attracted
                else 0
            end
        ) as {{ dbt.type_bigint() }}) as workers_attracted_{{ period }},
        cast(sum(
            case
                when period = '{{ period }}' and is_loan_turn and is_water_sanitation and is_first_disbursed_in_period
                    then water_works + sanitation_works
                else 0
            end
        ) as {{ dbt.type_bigint() }}) as water_sanitation_works_{{ period }},
        {{ sum_bigint("case when period = '" ~ period ~ "' then net_disbursed else 0 end") }}
            as net_disbursed_{{ period }}_vnd{% if not loop.last %},{% endif %}
        {%- endfor %}
    from {{ ref('int_loan_period_disbursements') }}
    group by as_of_date
),

qtd_period as (
    select
        as_of_date,
        is_complete
    from {{ ref('int_reporting_periods') }}
    where period = 'qtd'
),

register_campaigns as (
    select
        as_of_date,
        max(campaign_year) as reconciliation_campaign_year
    from {{ ref('fct_reconciliation') }}
    group by as_of_date
),

reconciliation as (
    select
        c.as_of_date,
        c.reconciliation_campaign_year,
        count(*) as reconciliation_in_scope,
        count(case when r.is_reconciled then 1 end) as reconciled_customers
    from register_campaigns as c
    inner join {{ ref('fct_reconciliation') }} as r
        on
            c.as_of_date = r.as_of_date
            and c.reconciliation_campaign_year = r.campaign_year
    group by c.as_of_date, c.reconciliation_campaign_year
),

kpis as (
    select
        b.as_of_date,
        b.entrusted_outstanding_vnd,
        b.direct_outstanding_vnd,
        b.total_outstanding_vnd,
        {{ safe_ratio('b.entrusted_outstanding_vnd', 'b.total_outstanding_vnd') }} as entrusted_share,
        b.entrusted_outstanding_vnd - year_end.entrusted_outstanding_vnd as entrusted_change_ytd_vnd,
        year_end.as_of_date as previous_year_end_date,
        coalesce(h.households_with_entrusted_outstanding, 0) as households_with_entrusted_outstanding,
        coalesce(g.groups_with_outstanding, 0) as groups_with_outstanding,
        {{ safe_ratio('b.entrusted_outstanding_vnd', 'h.households_with_entrusted_outstanding') }}
            as avg_entrusted_outstanding_per_household_vnd,
        {%- for period in ['qtd', 'ytd'] %}
        {% if period == 'qtd' %}case when q.is_complete then {% endif %}coalesce(f.loan_turns_{{ period }}, 0){% if period == 'qtd' %} end{% endif %}
            as loan_turns_{{ period }},
        {% if period == 'qtd' %}case when q.is_complete then {% endif %}coalesce(f.poor_group_turns_{{ period }}, 0){% if period == 'qtd' %} end{% endif %}
            as poor_group_turns_{{ period }},
        {% if period == 'qtd' %}case when q.is_complete then {% endif %}coalesce(f.job_creation_turns_{{ period }}, 0){% if period == 'qtd' %} end{% endif %}
            as job_creation_turns_{{ period }},
        {% if period == 'qtd' %}case when q.is_complete then {% endif %}coalesce(f.workers_attracted_{{ period }}, 0){% if period == 'qtd' %} end{% endif %}
            as workers_attracted_{{ period }},
        {% if period == 'qtd' %}case when q.is_complete then {% endif %}coalesce(f.water_sanitation_works_{{ period }}, 0){% if period == 'qtd' %} end{% endif %}
            as water_sanitation_works_{{ period }},
        {% if period == 'qtd' %}case when q.is_complete then {% endif %}coalesce(f.net_disbursed_{{ period }}_vnd, 0){% if period == 'qtd' %} end{% endif %}
            as net_disbursed_{{ period }}_vnd,
        {%- endfor %}
        r.reconciliation_campaign_year,
        r.reconciled_customers,
        r.reconciliation_in_scope,
        {{ safe_ratio('r.reconciled_customers', 'r.reconciliation_in_scope') }} as reconciliation_completion,
        b.overdue_vnd,
        b.frozen_vnd,
        {{ safe_ratio('b.overdue_vnd + b.frozen_vnd', 'b.total_outstanding_vnd') }} as overdue_frozen_ratio
    from balances as b
    left join balances as year_end
        on year_end.as_of_date = {{ previous_year_end('b.as_of_date') }}
    left join households as h
        on b.as_of_date = h.as_of_date
    left join savings_groups as g
        on b.as_of_date = g.as_of_date
    left join flows as f
        on b.as_of_date = f.as_of_date
    left join qtd_period as q
        on b.as_of_date = q.as_of_date
    left join reconciliation as r
        on b.as_of_date = r.as_of_date
)

select * from kpis
