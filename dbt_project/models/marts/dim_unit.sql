{#- Transaction offices: the branch office 0100 and the 30 district offices (one per district,
    so a district is identified by its office code). -#}
select
    unit_code as pgd_code,
    unit_name as district_name,
    unit_kind,
    office_name,
    is_branch_office
from {{ ref('units') }}
