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
            identity_no=4,
            as_of_date=d,
            pgd_code="0101",
            check_item=item,
            expected_source=src,
            actual_source=act,
            expected=v,
            actual=v,
        )
        for d in (D1, D2)
        for item, src, act, v in (
            ("entrusted_outstanding", "channel 2", "Σ organizations 11-14", 900_000_000),
            ("direct_outstanding", "channel 1", "organization 99", 30_000_000),
            ("total_outstanding", "form 01.1 TỔNG CỘNG (9)", "Σ 11-14 + 99", 930_000_000),
        )
    ]
    deliveries = [
        dict(
            identity_no=0,
            as_of_date=d,
            pgd_code="0101",
            report_code=report,
            expected_file=f"{report}_0101_{d:%Y%m%d}",
            check_item=item,
            needed_by="every figure of the month-end" if item != "optional_file" else "none",
            missing_in=None,
            expected=n,
            actual=n,
        )
        for d in (D1, D2)
        for report, item, n in (
            ("M31", "needed_file", 1),
            ("DOICHIEU", "optional_file" if d == D1 else "needed_file", 1),
            ("SKGD", "journal_lines", 3),
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
            expected_file=None,
            expected=100_000_000,
            actual=100_000_000,
        )
        for i, name in ((1, "Ba Đình"), (2, "Hoàn Kiếm"))
        for org in ("11", "12")
    ]
    deliv = _with_verdict(deliveries)
    deliv["is_finding"] = False
    return {
        "recon_deliveries": deliv,
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


def write_recon(warehouse: Path, tables: dict[str, pd.DataFrame]) -> Path:
    """Write the recon tables into ``warehouse``."""
    with duckdb.connect(str(warehouse)) as con:
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
