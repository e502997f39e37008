{#- What a code is, read from the seeds (written from pipelines/contract/codes.py), so that no
    model spells a code of the contract as a literal. -#}

{#- The organizations that are direct lending, not entrusted (seed organizations; 99), as
    direct_org_code: left-join them on a row's org_code and read is_entrusted() from the join. -#}
{% macro direct_organizations() -%}
    select org_code as direct_org_code from {{ ref('organizations') }} where not is_entrusted
{%- endmacro %}

{#- An organization is entrusted unless the seed makes it direct lending: a code outside the
    seed (which ingestion rejects) counts as entrusted and breaks identity 4 in recon_org_totals;
    NULL where the row has no organization. -#}
{% macro is_entrusted(org_code, direct_org_code='direct_org_code') -%}
    case when {{ direct_org_code }} is not null then false when {{ org_code }} is not null then true end
{%- endmacro %}

{#- The branch office's own code(s) (seed units, is_branch_office; 0100), for a NOT IN filter:
    the branch office lends city-wide, the district offices by commune. -#}
{% macro branch_office_codes() -%}
    select unit_code from {{ ref('units') }} where is_branch_office
{%- endmacro %}
