{#- Customers (households and employers), one row per customer code, with the attributes of
    their latest Mẫu 31 month-end. Identified by the bank's code only: no names, ID numbers or
    phones. A customer listed under several organizations keeps the lowest code of each
    attribute (a deterministic choice; see int_customer_month_facts for the per-organization
    grain). -#}
with

customers as (
    select * from {{ ref('stg_branch__customers') }}
),

seen as (
    select
        customer_code,
        min(as_of_date) as first_seen_date,
        max(as_of_date) as last_seen_date
    from customers
    group by customer_code
)

select
    s.customer_code,
    min(c.gender) as gender,
    min(c.birth_year) as birth_year,
    min(c.ethnicity) as ethnicity,
    min(c.household_category) as household_category,
    min(c.pgd_code) as pgd_code,
    min(c.commune_code) as commune_code,
    min(c.hamlet_code) as hamlet_code,
    min(c.group_code) as group_code,
    min(c.org_code) as org_code,
    s.first_seen_date,
    s.last_seen_date
from seen as s
inner join customers as c
    on s.customer_code = c.customer_code and s.last_seen_date = c.as_of_date
group by s.customer_code, s.first_seen_date, s.last_seen_date
