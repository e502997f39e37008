{#- Deliveries (contract §1): every file the history calls for, and whether it was loaded. The
    identities compare what was delivered; a file that never arrived, or that ingestion
    rejected, leaves no rows to compare, so it is named here instead.

    The history runs from its opening month-end (the first Mẫu 31) to the latest data date
    delivered (any report, the journal included): every calendar month-end in between is due,
    a month with no delivery at all included. At each month-end every office that ever
    delivered a Mẫu 31 owes its Mẫu 31, forms 01.1 and 01.2 and campaign register DOICHIEU, and
    every office with savings and loan groups its register BC0437. The organizations' reports
    (HOI) are identity 6's (recon_org_reports).

    check_item:
    - needed_file: a file some published figure depends on (expected 1, actual 1 when
      loaded); missing, it is a break that blocks the report (needed_by says which figures).
    - optional_file: a file no published figure needs: BC0437 and DOICHIEU at the history's
      opening month-end, which only serves as the base of the roll-forward and of the changes
      since 31 December; missing, it is a finding.
    - journal_lines: per office and month after the opening, the loans whose Mẫu 31 month
      columns show activity (expected) against those with at least one journal line in the
      month (actual): fewer means journal files (SKGD) missing for that office and month, a
      break (the journal is the control of the month's flows, identity 2).
    expected_file names the file without revision and extension (dd: any day of the month). -#}
with

m31 as (
    select distinct
        as_of_date,
        pgd_code
    from {{ ref('int_loan_month_balances') }}
),

opening as (
    select min(as_of_date) as opening_date
    from m31
),

latest_delivery as (
    select max(data_date) as latest_date
    from (
        select max(as_of_date) as data_date from m31
        union all
        select max(_data_date) as data_date from {{ source('raw', 'skgd') }}
        union all
        select max(as_of_date) as data_date from {{ ref('stg_branch__form_011_rows') }}
        union all
        select max(as_of_date) as data_date from {{ ref('stg_branch__form_012_rows') }}
        union all
        select max(as_of_date) as data_date from {{ ref('stg_branch__savings_groups') }}
        union all
        select max(as_of_date) as data_date from {{ ref('stg_branch__reconciliation') }}
        union all
        select max(as_of_date) as data_date from {{ ref('stg_orgs__reports') }}
    ) as delivered_dates
),

digits as (
    {%- for n in range(10) %}
        select {{ n }} as n
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

-- months after the opening month: 0..999 (83 years of history)
month_offsets as (
    select hundreds.n * 100 + tens.n * 10 + units.n as n
    from digits as hundreds
    cross join digits as tens
    cross join digits as units
),

month_ends as (
    select
        {{ month_end(dbt.dateadd('month', 'm.n', dbt.date_trunc('month', 'o.opening_date'))) }} as as_of_date,
        o.opening_date
    from month_offsets as m
    cross join opening as o
),

due_month_ends as (
    select
        m.as_of_date,
        m.as_of_date = m.opening_date as is_opening
    from month_ends as m
    cross join latest_delivery as l
    where m.as_of_date <= l.latest_date
),

offices as (
    select distinct pgd_code
    from m31
),

group_offices as (
    select distinct pgd_code
    from {{ ref('int_group_month_facts') }}
),

expected_files as (
    {%- for report_code, offices, opening_needed, needed_by in [
        ('M31', 'offices', true, 'every figure of the month-end'),
        ('BCDHTD_01.1', 'offices', true, 'the official control totals (identity 1) and the office total (identity 4)'),
        ('BCDHTD_01.2', 'offices', true, 'the official control totals (identity 1)'),
        ('BC0437', 'group_offices', false, 'the group register check of the group figures (identity 3)'),
        ('DOICHIEU', 'offices', false, 'the reconciliation campaign figures (identity 5)'),
    ] %}
        select
            d.as_of_date,
            o.pgd_code,
            '{{ report_code }}' as report_code,
            {{ delivery_file_stem(report_code, 'o.pgd_code', 'd.as_of_date') }} as expected_file,
            {%- if opening_needed %}
                true as is_needed,
                '{{ needed_by }}' as needed_by
            {%- else %}
                not d.is_opening as is_needed,
                case
                    when d.is_opening then 'no published figure (the opening month-end is only a base for comparisons)'
                    else '{{ needed_by }}'
                end as needed_by
            {%- endif %}
        from due_month_ends as d
        cross join {{ offices }} as o
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

delivered_files as (
    select
        as_of_date,
        pgd_code,
        'M31' as report_code
    from m31
    {%- for report_code, relation in [
        ('BCDHTD_01.1', 'stg_branch__form_011_rows'),
        ('BCDHTD_01.2', 'stg_branch__form_012_rows'),
        ('BC0437', 'stg_branch__savings_groups'),
        ('DOICHIEU', 'stg_branch__reconciliation'),
    ] %}
        union all
        select distinct
            as_of_date,
            pgd_code,
            '{{ report_code }}' as report_code
        from {{ ref(relation) }}
    {%- endfor %}
),

file_checks as (
    select
        e.as_of_date,
        e.pgd_code,
        e.report_code,
        e.expected_file,
        case when e.is_needed then 'needed_file' else 'optional_file' end as check_item,
        e.needed_by,
        case when d.report_code is null then 'delivery' end as missing_in,
        1 as expected,
        case when d.report_code is null then 0 else 1 end as actual,
        e.is_needed
    from expected_files as e
    left join delivered_files as d
        on e.as_of_date = d.as_of_date and e.pgd_code = d.pgd_code and e.report_code = d.report_code
),

loan_months as (
    select
        as_of_date,
        pgd_code,
        journal_lines > 0 as has_journal_lines,
        (
            disbursed_month <> 0 or disbursement_reversed_month <> 0
            or repaid_in_term_month <> 0 or repaid_overdue_month <> 0
            or repaid_frozen_month <> 0 or interest_collected_month <> 0
            or written_off_month <> 0
        ) as has_month_activity
    from {{ ref('int_loan_rollforward') }}
),

journal_activity as (
    select
        as_of_date,
        pgd_code,
        count(case when has_month_activity then 1 end) as loans_with_activity,
        count(case when has_month_activity and has_journal_lines then 1 end) as loans_with_journal_lines
    from loan_months
    group by as_of_date, pgd_code
),

journal_checks as (
    select
        as_of_date,
        pgd_code,
        'SKGD' as report_code,
        {{ delivery_file_stem('SKGD', 'pgd_code', 'as_of_date', day='dd') }} as expected_file,
        'journal_lines' as check_item,
        'the month''s flows (identity 2): loans with Mẫu 31 month activity and no journal line' as needed_by,
        case when loans_with_journal_lines < loans_with_activity then 'journal' end as missing_in,
        loans_with_activity as expected,
        loans_with_journal_lines as actual,
        true as is_needed
    from journal_activity
),

checks as (
    select * from file_checks
    union all
    select * from journal_checks
)

select
    0 as identity_no,
    as_of_date,
    pgd_code,
    report_code,
    expected_file,
    check_item,
    needed_by,
    missing_in,
    cast(expected as {{ dbt.type_bigint() }}) as expected,
    cast(actual as {{ dbt.type_bigint() }}) as actual,
    cast(actual - expected as {{ dbt.type_bigint() }}) as difference,
    is_needed and actual < expected as is_break,
    not is_needed and actual < expected as is_finding
from checks
