{#- Communes and the district transaction office they belong to, learnt from the district
    offices' Mẫu 31 files (office 0100 lends city-wide, so its rows do not place a commune).
    Used to place the branch office's direct loans in districts (its form 01.1 is by district). -#}
with

district_rows as (
    select
        commune_code,
        pgd_code,
        commune_name,
        as_of_date
    from {{ ref('stg_branch__loan_places') }}
    where pgd_code <> '0100'
),

communes as (
    select
        commune_code,
        min(pgd_code) as district_pgd_code,
        count(distinct pgd_code) as offices_seen,
        max(commune_name) as commune_name,
        min(as_of_date) as first_seen_date,
        max(as_of_date) as last_seen_date
    from district_rows
    group by commune_code
)

select * from communes
