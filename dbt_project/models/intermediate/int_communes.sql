{#- Communes and the district transaction office they belong to, learnt from the district
    offices' Mẫu 31 files of every month-end (int_commune_offices). Used to place the branch
    office's direct loans in districts (its form 01.1 is by district). A table rebuilt every run
    from a few rows per commune and month; the models that place loans with it rebuild every
    month when the map changes (macros/incremental.sql, communes=true). -#}
select
    commune_code,
    min(pgd_code) as district_pgd_code,
    count(distinct pgd_code) as offices_seen,
    max(commune_name) as commune_name,
    min(as_of_date) as first_seen_date,
    max(as_of_date) as last_seen_date
from {{ ref('int_commune_offices') }}
group by commune_code
