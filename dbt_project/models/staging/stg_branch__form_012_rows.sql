{#- Official form 01.2/BCTD rows (by program) and its TỔNG CỘNG row, current revision only,
    amounts converted from triệu đồng to integer đồng. -#}
{{ stg_form_rows('bcdhtd_012') }}
