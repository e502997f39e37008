{#- One row per office × commune × month-end from the loan rows of Mẫu 31 (current revision
    only): where the branch lends, with the commune name as delivered. A narrow view of its own
    because a reader of stg_branch__loan_snapshots pays for that view's DISTINCT over every loan
    column, even for four of them (73 s of the national build for int_communes). -#}
with

m31 as (
    {{ current_revision(source('raw', 'm31')) }}
),

places as (
    select distinct
        as_of_date,
        pgd_code,
        commune_code,
        commune_name
    from m31
    where loan_code is not null
)

select * from places
