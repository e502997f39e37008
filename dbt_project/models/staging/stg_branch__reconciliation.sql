{#- The reconciliation register DOICHIEU (Mẫu 15/TD results), one row per customer × register
    date × campaign; the officer's name is dropped. -#}
with

doichieu as (
    {{ current_revision(source('raw', 'doichieu')) }}
),

reconciliation as (
    select
        _data_date as as_of_date,
        campaign_year,
        pgd_code,
        commune_code,
        group_code,
        org_code,
        customer_code,
        scope_outstanding,
        reconciled_on,
        bank_outstanding,
        confirmed_outstanding,
        bank_interest,
        confirmed_interest,
        result,
        result is not null as is_reconciled,
        _source_file,
        _revision,
        _loaded_at
    from doichieu
)

select * from reconciliation
