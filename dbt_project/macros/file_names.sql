{#- A delivery's file name without revision and extension (contract §1, §4), as
    pipelines/contract/naming.py writes it: <REPORT>_<UNIT>_<DATE>, the date as YYYYMMDD, or
    DDMMYYYY for the official forms BCDHTD_01.x. ``report_code`` is a literal; ``unit`` and
    ``date_column`` are SQL expressions; ``day`` (a literal such as 'dd') stands for the day of
    a daily report when the name means any day of the month. Tested for drift against the Python rule
    (tests/dbt/test_recon.py). -#}
{% macro delivery_file_stem(report_code, unit, date_column, day=none) -%}
    {%- set year = "lpad(cast(extract(year from " ~ date_column ~ ") as " ~ dbt.type_string() ~ "), 4, '0')" -%}
    {%- set month = "lpad(cast(extract(month from " ~ date_column ~ ") as " ~ dbt.type_string() ~ "), 2, '0')" -%}
    {%- set day = ("'" ~ day ~ "'") if day else "lpad(cast(extract(day from " ~ date_column ~ ") as " ~ dbt.type_string() ~ "), 2, '0')" -%}
    {%- set parts = [day, month, year] if report_code.startswith('BCDHTD') else [year, month, day] -%}
    {{ dbt.concat(["'" ~ report_code ~ "_'", unit, "'_'"] + parts) }}
{%- endmacro %}
