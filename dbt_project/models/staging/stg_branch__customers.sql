{#- One row per customer × month-end from Mẫu 31 (loan rows and savings-only rows), with the
    customer's non-personal attributes. Names, national ID and phone are dropped. -#}
with

m31 as (
    {{ current_revision(source('raw', 'm31')) }}
),

customers as (
    select distinct
        as_of_date,
        customer_code,
        pgd_code,
        commune_code,
        hamlet_code,
        group_code,
        org_code,
        gender,
        birth_year,
        ethnicity,
        household_category
    from m31
)

select * from customers
