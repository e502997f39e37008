{#- Official form 01.1/BCTD rows (by commune; by district for office 0100) and its TỔNG CỘNG
    row, current revision only, amounts converted from triệu đồng to integer đồng. -#}
{{ stg_form_rows('bcdhtd_011') }}
