{#- Lending programs, from the contract's code list, with the flags the briefing uses. -#}
select
    program_code,
    program_short,
    program_name,
    channels,
    rate_pct_month,
    priority_rate_pct_month,
    output,
    is_poor_group,
    is_job_creation,
    is_water_sanitation,
    counts_workers
from {{ ref('programs') }}
