{#- One row per journal line (SKGD), current revision only. The free-text memo (Diễn giải) is
    dropped: bank memos routinely carry customer names. -#}
with

skgd as (
    {{ current_revision(source('raw', 'skgd')) }}
),

transactions as (
    select
        txn_date,
        {{ month_end('txn_date') }} as month_end_date,
        txn_id,
        pgd_code,
        commune_code,
        group_code,
        customer_code,
        loan_code,
        program_code,
        txn_type,
        amount,
        _source_file,
        _revision,
        _loaded_at
    from skgd
)

select * from transactions
