{#- Communes and wards (Mã xã) with their district and transaction office, as seen in the
    district offices' Mẫu 31 files. -#}
select
    c.commune_code,
    c.commune_name,
    c.district_pgd_code as pgd_code,
    u.district_name,
    c.offices_seen,
    c.first_seen_date,
    c.last_seen_date
from {{ ref('int_communes') }} as c
left join {{ ref('dim_unit') }} as u
    on c.district_pgd_code = u.pgd_code
