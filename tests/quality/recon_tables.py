"""Hand-made ``recon.*`` tables shaped like the dbt recon models (same columns and types), so
the suites can be tested without the generator, ingestion or dbt. ``clean_recon`` returns a
small consistent set; tests then alter rows to plant breaks."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

D1 = dt.date(2022, 1, 31)
D2 = dt.date(2022, 2, 28)


def _with_verdict(rows: list[dict], extra: dict | None = None) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df["difference"] = df["actual"] - df["expected"]
    df["is_break"] = df["actual"] != df["expected"]
    for k, v in (extra or {}).items():
        df[k] = v
    return df


def clean_recon() -> dict[str, pd.DataFrame]:
    control = []
    for d in (D1, D2):
        for pgd, form, code, name in (
            ("0101", "01.1", "010101", "Phúc Xá"),
            ("0101", "01.1", "010102", "Trúc Bạch"),
            ("0101", "01.2", "01", "Cho vay hộ nghèo"),
        ):
            for marker, col, value in (
                ("(9)", "outstanding", 50_000_000),
                ("(16)", "customers_with_outstanding", 2),
            ):
                control.append(
                    dict(
                        identity_no=1,
                        as_of_date=d,
                        pgd_code=pgd,
                        form_code=form,
                        check_item="row_vs_m31",
                        row_code=code,
                        row_name=name,
                        column_marker=marker,
                        column_name=col,
                        missing_in=None,
                        expected=value,
                        actual=value,
                    )
                )
    rollforward = [
        dict(
            identity_no=2,
            as_of_date=D2,
            previous_as_of_date=D1,
            pgd_code="0101",
            loan_code=f"660001010000000{i}",
            customer_code=f"010100000{i}",
            program_code="01",
            org_code="12",
            check_item=item,
            missing_in=None,
            expected=v,
            actual=v,
        )
        for i in range(1, 4)
        for item, v in (("outstanding", 49_000_000), ("TNTH", 1_000_000))
    ]
    groups = [
        dict(
            identity_no=3,
            as_of_date=d,
            pgd_code="0101",
            group_code=g,
            commune_code="010101",
            org_code="12",
            check_item=item,
            missing_in=None,
            expected=v,
            actual=v,
        )
        for d in (D1, D2)
        for g in ("0101001", "0101002")
        for item, v in (("outstanding", 98_000_000), ("members_with_outstanding", 2))
    ]
    orgs = [
        dict(
            identity_no=4, as_of_date=d, check_item=item, expected_source=src, expected=v, actual=v
        )
        for d in (D1, D2)
        for item, src, v in (
            ("entrusted_outstanding", "Σ organizations 11-14", 900_000_000),
            ("direct_outstanding", "organization 99", 30_000_000),
            ("total_outstanding", "entrusted + direct", 930_000_000),
        )
    ]
    campaign = []
    for d in (D1, D2):
        for i, res in enumerate(("Khớp", "Khớp", None), start=1):
            cust = f"010100000{i}"
            campaign.append(
                dict(
                    as_of_date=d,
                    pgd_code="0101",
                    campaign_year=2022,
                    customer_code=cust,
                    check_item="scope_customer",
                    missing_in=None,
                    expected=20_000_000,
                    actual=20_000_000,
                )
            )
            if res == "Khớp":
                for item in ("matched_principal", "matched_interest"):
                    campaign.append(
                        dict(
                            as_of_date=d,
                            pgd_code="0101",
                            campaign_year=2022,
                            customer_code=cust,
                            check_item=item,
                            missing_in=None,
                            expected=19_000_000,
                            actual=19_000_000,
                        )
                    )
        campaign.append(
            dict(
                as_of_date=d,
                pgd_code="0101",
                campaign_year=2022,
                customer_code=None,
                check_item="reconciled_within_scope",
                missing_in=None,
                expected=3,
                actual=2,
            )
        )
    camp = pd.DataFrame(campaign)
    camp.insert(0, "identity_no", 5)
    camp["difference"] = camp["actual"] - camp["expected"]
    camp["is_break"] = False
    camp["is_finding"] = False
    hoi = [
        dict(
            identity_no=6,
            as_of_date=dt.date(2022, 3, 31),
            pgd_code=f"01{i:02d}",
            org_code=org,
            district_name=name,
            check_item="outstanding",
            missing_in=None,
            expected=100_000_000,
            actual=100_000_000,
        )
        for i, name in ((1, "Ba Đình"), (2, "Hoàn Kiếm"))
        for org in ("11", "12")
    ]
    return {
        "recon_control_totals": _with_verdict(control),
        "recon_loan_rollforward": _with_verdict(rollforward),
        "recon_group_register": _with_verdict(groups),
        "recon_org_totals": _with_verdict(orgs),
        "recon_reconciliation_campaign": camp,
        "recon_org_reports": _org_reports(hoi),
    }


def _org_reports(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(rows)
    df.insert(5, "is_total_row", False)
    df["difference"] = df["actual"] - df["expected"]
    df["tolerance"] = 5000
    df["is_break"] = False
    df["is_finding"] = df["difference"].abs() > df["tolerance"]
    return df


def write_recon(warehouse: Path, tables: dict[str, pd.DataFrame], *, coverage: bool = True) -> Path:
    """Write the recon tables, and (``coverage``) the two intermediate tables the coverage
    rules read: office 0101 delivered Mẫu 31 at D1 and D2 and has groups."""
    with duckdb.connect(str(warehouse)) as con:
        if coverage:
            con.execute("create schema if not exists intermediate")
            for name in ("int_loan_month_balances", "int_group_month_facts"):
                con.execute(
                    f"create or replace table intermediate.{name} as select * from (values "
                    f"(date '{D1}', '0101'), (date '{D2}', '0101')) as t(as_of_date, pgd_code)"
                )
        con.execute("create schema if not exists recon")
        for name, df in tables.items():
            con.register("_df", df)
            con.execute(f"create or replace table recon.{name} as select * from _df")
            con.unregister("_df")
    return warehouse


def set_row(df: pd.DataFrame, mask, **values) -> pd.DataFrame:
    """Change the rows selected by ``mask`` and recompute difference (not is_break)."""
    df = df.copy()
    for k, v in values.items():
        df.loc[mask, k] = v
    df["difference"] = df["actual"] - df["expected"]
    return df
