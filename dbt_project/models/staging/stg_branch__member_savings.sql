{#- One row per savings book (TK 105) × month-end from Mẫu 31: a book is carried on one row of
    its owner (a loan row or a savings-only row), so each book counts once. -#}
with

m31 as (
    {{ current_revision(source('raw', 'm31')) }}
),

books as (
    select distinct
        as_of_date,
        pgd_code,
        commune_code,
        hamlet_code,
        group_code,
        org_code,
        customer_code,
        savings_book_no,
        savings_balance,
        loan_code is null as is_savings_only_row,
        _source_file,
        _revision,
        _loaded_at
    from m31
    where savings_book_no is not null
)

select * from books
