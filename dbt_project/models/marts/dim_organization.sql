{#- The entrusted organizations (11-14) and direct lending (99), from the contract's code list. -#}
select
    org_code,
    org_name,
    org_short,
    is_entrusted
from {{ ref('organizations') }}
