"""A hand-made warehouse shaped like the marts of issue 5, for the report and publish tests
that must not wait for generate → ingest → dbt.

Figures come from the shipped calibration file (full scale, so the page shows the published
figures: 11.637 tỷ đồng, 97,3%, ...); distributions over districts, programs and months are
simple deterministic splits. The raw schema holds a few rows with personal data, which the
reports must never show and publish must never copy.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import yaml

from pipelines.contract import codes
from pipelines.quality.store import DDL

CALIBRATION = (
    Path(__file__).resolve().parents[2] / "pipelines/generate/calibrations/hanoi-2022q1.yaml"
)
MONTH_ENDS = (date(2021, 12, 31), date(2022, 1, 31), date(2022, 2, 28), date(2022, 3, 31))
PERSONAL_VALUES = ("Nguyễn Thị Bí Mật", "001099012345", "0912345678", "Trần Văn Tổ Trưởng")


def calibration() -> dict:
    return yaml.safe_load(CALIBRATION.read_text(encoding="utf-8"))


def _split(total: int, weights: list[int]) -> list[int]:
    """Integer split of ``total`` proportional to ``weights``; parts sum to ``total``."""
    s = sum(weights)
    parts = [total * w // s for w in weights]
    parts[0] += total - sum(parts)
    return parts


def build_fixture(path: Path, *, with_checks: bool = True) -> dict:
    """Write the fixture warehouse; returns the calibration it was built from."""
    cal = calibration()
    orgs = cal["orgs"]
    entrusted = sum(o["outstanding_vnd"] for o in orgs.values())
    direct = cal["direct_outstanding_vnd"]
    change = cal["entrusted_change_vnd"]
    lend = cal["period_lending"]
    rec = cal["reconciliation"]
    con = duckdb.connect(str(path))
    con.execute("set enable_progress_bar = false")
    try:
        for s in ("marts", "recon", "quality", "raw", "staging"):
            con.execute(f"create schema if not exists {s}")
        con.execute(
            "create table marts.dim_organization (org_code varchar, org_name varchar, "
            "org_short varchar, is_entrusted boolean)"
        )
        con.executemany(
            "insert into marts.dim_organization values (?, ?, ?, ?)",
            [(o.code, o.name, o.short, o.entrusted) for o in codes.ORGANIZATIONS],
        )
        con.execute(
            "create table marts.dim_unit (pgd_code varchar, district_name varchar, "
            "unit_kind varchar, office_name varchar, is_branch_office boolean)"
        )
        con.executemany(
            "insert into marts.dim_unit values (?, ?, ?, ?, ?)",
            [(u.code, u.name, u.kind, u.office_name, u.kind == "branch") for u in codes.UNITS],
        )
        con.execute(
            "create table marts.dim_program (program_code varchar, program_short varchar, "
            "program_name varchar)"
        )
        con.executemany(
            "insert into marts.dim_program values (?, ?, ?)",
            [(p.code, p.short, p.name) for p in codes.PROGRAMS],
        )

        # --- mart_org_summary and mart_briefing_kpis, month by month -----------------------
        org_rows, kpi_rows = [], []
        n = len(MONTH_ENDS)
        for i, d in enumerate(MONTH_ENDS):
            # outstanding grows linearly from (end - change) to end over the quarter
            frac = (i, n - 1)
            org_out = {}
            for code, o in orgs.items():
                start = o["outstanding_vnd"] - change * o["outstanding_vnd"] // entrusted
                org_out[code] = start + (o["outstanding_vnd"] - start) * frac[0] // frac[1]
            org_out["99"] = direct - 5_000_000_000 * (n - 1 - i)
            ent = sum(v for k, v in org_out.items() if k != "99")
            is_qe = d.month in (3, 6, 9, 12)
            quarter_start = d.month in (1, 4, 7, 10)
            months_in_q = 0 if d.month == 12 else (d.month - 1) % 3 + 1
            qf = (months_in_q, 3)
            total_turns = lend["loan_turns"] * qf[0] // qf[1]
            for code in [*orgs, "99"]:
                o = orgs.get(code, {"households": 900, "groups": 0})
                overdue = org_out[code] * 2 // 10_000
                frozen = org_out[code] // 10_000
                has_report = code != "99" and is_qe and d != MONTH_ENDS[0]
                hh = o["households"] if i == n - 1 else o["households"] - 500 * (n - 1 - i)
                org_rows.append(
                    dict(
                        as_of_date=d,
                        org_code=code,
                        org_short=codes.ORG_BY_CODE[code].short,
                        is_entrusted=code != "99",
                        is_quarter_end=is_qe,
                        households_with_outstanding=hh,
                        groups_with_outstanding=o["groups"],
                        outstanding_vnd=org_out[code],
                        overdue_vnd=overdue,
                        frozen_vnd=frozen,
                        disbursed_qtd_vnd=org_out[code] // 40 * qf[0] // 3,
                        loan_turns_qtd=total_turns // 5,
                        has_org_report=has_report,
                        reported_groups=o["groups"] if has_report else None,
                        reported_households_with_outstanding=(hh + (1 if code == "13" else 0))
                        if has_report
                        else None,
                        reported_outstanding_vnd=org_out[code] if has_report else None,
                        reported_overdue_vnd=overdue if has_report else None,
                    )
                )
            hh_total = sum(
                r["households_with_outstanding"]
                for r in org_rows
                if r["as_of_date"] == d and r["org_code"] != "99"
            )
            ov = sum(r["overdue_vnd"] for r in org_rows if r["as_of_date"] == d)
            fr = sum(r["frozen_vnd"] for r in org_rows if r["as_of_date"] == d)
            in_scope = rec["in_scope"] if d.year == rec["campaign_year"] else None
            reconciled = rec["reconciled"] * (i) // (n - 1) if in_scope else None
            kpi_rows.append(
                dict(
                    as_of_date=d,
                    entrusted_outstanding_vnd=ent,
                    direct_outstanding_vnd=org_out["99"],
                    total_outstanding_vnd=ent + org_out["99"],
                    entrusted_share=ent / (ent + org_out["99"]),
                    entrusted_change_ytd_vnd=None
                    if d == MONTH_ENDS[0]
                    else ent - (entrusted - change),
                    previous_year_end_date=None if d == MONTH_ENDS[0] else MONTH_ENDS[0],
                    households_with_entrusted_outstanding=hh_total,
                    groups_with_outstanding=sum(o["groups"] for o in orgs.values()),
                    avg_entrusted_outstanding_per_household_vnd=ent / hh_total,
                    loan_turns_qtd=total_turns,
                    poor_group_turns_qtd=lend["poor_group_turns"] * qf[0] // 3,
                    job_creation_turns_qtd=lend["job_creation_turns"] * qf[0] // 3,
                    workers_attracted_qtd=lend["workers_attracted"] * qf[0] // 3,
                    water_sanitation_works_qtd=lend["water_sanitation_works"] * qf[0] // 3,
                    loan_turns_ytd=total_turns,
                    reconciliation_campaign_year=rec["campaign_year"] if in_scope else None,
                    reconciled_customers=reconciled,
                    reconciliation_in_scope=in_scope,
                    reconciliation_completion=reconciled / in_scope if in_scope else None,
                    overdue_vnd=ov,
                    frozen_vnd=fr,
                    overdue_frozen_ratio=(ov + fr) / (ent + org_out["99"]),
                )
            )
            del quarter_start
        _table(con, "marts.mart_org_summary", org_rows)
        con.execute(
            """create or replace table marts.mart_org_summary as select *,
               reported_groups - groups_with_outstanding as groups_difference,
               reported_households_with_outstanding - households_with_outstanding
                   as households_difference,
               reported_outstanding_vnd - outstanding_vnd as outstanding_difference_vnd,
               reported_overdue_vnd - overdue_vnd as overdue_difference_vnd
               from marts.mart_org_summary"""
        )
        _table(con, "marts.mart_briefing_kpis", kpi_rows)

        # --- programs and districts --------------------------------------------------------
        prog_rows, dist_rows = [], []
        for k in kpi_rows:
            d = k["as_of_date"]
            other = k["loan_turns_qtd"] - k["job_creation_turns_qtd"] - k["poor_group_turns_qtd"]
            ws = other * 2 // 3
            turns = {
                "01": k["poor_group_turns_qtd"] // 2,
                "19": k["poor_group_turns_qtd"] - k["poor_group_turns_qtd"] // 2,
                "03": k["job_creation_turns_qtd"],
                "06": ws,
                "02": other - ws - 40,
                "12": 10,
                "30": 30,
            }
            for p in codes.PROGRAMS:
                t = turns.get(p.code, 0)
                prog_rows.append(
                    dict(
                        as_of_date=d,
                        program_code=p.code,
                        loan_turns_qtd=t,
                        disbursed_qtd_vnd=t * 45_000_000,
                        workers_attracted_qtd=k["workers_attracted_qtd"] if p.code == "03" else 0,
                        water_sanitation_works_qtd=k["water_sanitation_works_qtd"]
                        if p.code == "06"
                        else 0,
                        outstanding_vnd=k["total_outstanding_vnd"] // len(codes.PROGRAMS),
                    )
                )
            units = codes.DISTRICT_OFFICES
            weights = [3 if u.kind == "rural" else 2 if u.kind != "branch" else 1 for u in units]
            weights = [w * (7 + j % 5) for j, w in enumerate(weights)]
            outs = _split(k["total_outstanding_vnd"], weights)
            hhs = _split(k["households_with_entrusted_outstanding"], weights)
            grs = _split(k["groups_with_outstanding"], weights)
            for j, u in enumerate(units):
                dist_rows.append(
                    dict(
                        as_of_date=d,
                        pgd_code=u.code,
                        district_name=u.name,
                        outstanding_vnd=outs[j],
                        overdue_vnd=outs[j] * 2 // 10_000 if j % 4 == 0 else 0,
                        frozen_vnd=outs[j] // 10_000 if j % 6 == 0 else 0,
                        households_with_outstanding=hhs[j],
                        groups_with_outstanding=grs[j],
                    )
                )
        _table(con, "marts.mart_program_summary", prog_rows)
        _table(con, "marts.mart_district_summary", dist_rows)

        # --- the reconciliation register and the groups ------------------------------------
        con.execute(
            f"""
            create table marts.fct_reconciliation as
            with c as (
                select i,
                       '01' || lpad(cast(1 + i % 30 as varchar), 2, '0') as pgd_code,
                       ['11','12','13','14'][1 + (i // 7) % 4] as org_code
                from range({rec["in_scope"]}) t(i)
            )
            select d.as_of_date, {rec["campaign_year"]} as campaign_year,
                   lpad(cast(i as varchar), 10, '0') as customer_code, pgd_code,
                   pgd_code || lpad(cast(i % 19 as varchar), 2, '0') as commune_code,
                   pgd_code || 'T' || lpad(cast(i % 200 as varchar), 2, '0') as group_code,
                   org_code, 40000000 as scope_outstanding_vnd,
                   case when reconciled then d.as_of_date end as reconciled_on,
                   reconciled as is_reconciled,
                   case when not reconciled then null
                        when i % 50000 = 7 then 'Chênh lệch' else 'Khớp' end as result,
                   case when not reconciled then 'pending'
                        when i % 50000 = 7 then 'discrepancy' else 'matched' end
                        as reconciliation_state,
                   40000000 as bank_outstanding_vnd,
                   40000000 - case when i % 50000 = 7 then 1000000 else 0 end
                        as confirmed_outstanding_vnd,
                   - case when i % 50000 = 7 then 1000000 else 0 end
                        as outstanding_difference_vnd,
                   10000 as bank_interest_vnd, 10000 as confirmed_interest_vnd,
                   0 as interest_difference_vnd
            from c
            cross join (values {
                ", ".join(
                    f"(date '{k['as_of_date']}', {k['reconciled_customers']})"
                    for k in kpi_rows
                    if k["reconciled_customers"] is not None
                )
            }
                       ) d(as_of_date, reconciled_count)
            cross join lateral (select
                hash(i) % {rec["in_scope"]} < reconciled_count as reconciled) r
            """
        )
        # exact reconciled counts per date, as the KPI mart says
        for k in kpi_rows:
            if k["reconciled_customers"] is None:
                continue
            have = con.execute(
                "select count(*) filter (where is_reconciled) from marts.fct_reconciliation "
                "where as_of_date = ?",
                [k["as_of_date"]],
            ).fetchone()[0]
            con.execute(
                "update marts.mart_briefing_kpis set reconciled_customers = ?, "
                "reconciliation_completion = ? / reconciliation_in_scope where as_of_date = ?",
                [have, have, k["as_of_date"]],
            )
        con.execute(
            """
            create table marts.dim_savings_group as
            select o.as_of_date, o.org_code || lpad(cast(i as varchar), 5, '0') as group_code,
                   '01' || lpad(cast(1 + i % 30 as varchar), 2, '0') as pgd_code,
                   o.org_code,
                   case when i % 100 < 90 then 'Tốt' when i % 100 < 97 then 'Khá'
                        when i % 100 < 99 then 'Trung bình' else 'Yếu' end as rating
            from (select * from marts.mart_org_summary where org_code <> '99') o
            cross join range(o.groups_with_outstanding) t(i)
            """
        )
        # one loan per group, carrying the group's share of its organization's balances
        con.execute(
            """
            create table marts.fct_loan_balance as
            select g.as_of_date, 'L' || g.group_code as loan_code, g.group_code, g.org_code,
                   o.outstanding_vnd // o.groups_with_outstanding as outstanding_vnd,
                   case when hash(g.group_code) % 37 = 0 then 5000000 else 0 end as overdue_vnd,
                   case when hash(g.group_code) % 101 = 0 then 3000000 else 0 end as frozen_vnd
            from marts.dim_savings_group g
            join marts.mart_org_summary o using (as_of_date, org_code)
            """
        )
        # --- recon, quality, raw -----------------------------------------------------------
        con.execute(
            """create table recon.recon_control_totals as
            select * from (values
              (1, date '2022-03-31', '0107', '01.1', 'outstanding', 1000::bigint,
               1000::bigint, 0::bigint, false),
              (1, date '2022-03-31', '0108', '01.1', 'outstanding', 5000::bigint,
               4000::bigint, -1000::bigint, true))
            t(identity_no, as_of_date, pgd_code, form_code, check_item, expected, actual,
              difference, is_break)"""
        )
        con.execute(
            """create view recon.recon_org_totals as
            select 4 as identity_no, as_of_date, 'total' as check_item,
                   entrusted_outstanding_vnd + direct_outstanding_vnd as expected,
                   total_outstanding_vnd as actual,
                   total_outstanding_vnd - entrusted_outstanding_vnd - direct_outstanding_vnd
                   as difference,
                   total_outstanding_vnd <> entrusted_outstanding_vnd + direct_outstanding_vnd
                   as is_break
            from marts.mart_briefing_kpis"""
        )
        if with_checks:
            at2 = "2022-04-01 08:00:00"
            con.execute(DDL)
            for run, at, ok in (("r1", "2022-04-01 07:00:00", False), ("r2", at2, False)):
                for no, name, model, failed in (
                    (1, "control_totals", "recon.recon_control_totals", 1),
                    (4, "org_totals", "recon.recon_org_totals", 0),
                ):
                    con.execute(
                        "insert into quality.check_results (run_id, checked_at, identity_no, "
                        "check_name, source_model, blocking, row_type, status, items_checked, "
                        "items_failed) values (?, ?, ?, ?, ?, true, 'summary', ?, 2, ?)",
                        [run, at, no, name, model, "failed" if failed or ok else "passed", failed],
                    )
        con.execute(
            "create table raw.m31 (customer_code varchar, customer_name varchar, "
            "national_id varchar, phone varchar, group_name varchar)"
        )
        con.execute("insert into raw.m31 values ('0000000001', ?, ?, ?, ?)", list(PERSONAL_VALUES))
        con.execute(
            "create table raw._loads (source_file varchar, revision integer, loaded_at timestamp)"
        )
        con.execute(
            "insert into raw._loads values ('2022-03-31/0107/M31_0107_20220331.xlsx', 1, "
            "timestamp '2022-04-01 07:00:00'), ('2022-03-31/0107/M31_0107_20220331_r2.xlsx', 2, "
            "timestamp '2022-04-01 07:30:00'), ('2022-03-31/HOI/HOI_12_20220331.xlsx', 1, "
            "timestamp '2022-04-01 07:10:00')"
        )
        con.execute("create view staging.stg_secret as select customer_name from raw.m31")
    finally:
        con.close()
    return cal


def _table(con: duckdb.DuckDBPyConnection, name: str, rows: list[dict]) -> None:
    import polars as pl

    df = pl.DataFrame(rows, infer_schema_length=None)  # noqa: F841 (read by DuckDB)
    con.execute(f"create or replace table {name} as select * from df")
