{#- Delivery lineage: one row per delivered file behind the warehouse (current revision), with
    its raw table, unit, data date and month-end, organization (HOI_<ORG>), path, revision,
    SHA-256, rows loaded and load time. Codes and paths only: no personal data. -#}
select
    {{ month_end('data_date') }} as month_end_date,
    data_date,
    raw_table,
    unit,
    org_code,
    source_file,
    revision,
    revision > 1 as is_redelivery,
    sha256,
    rows_loaded,
    loaded_at
from {{ ref('stg_ingest__delivered_files') }}
