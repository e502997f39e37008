"""Contract section 5 identities and the calibration definitions, on frames read back.

Each check returns a frame of violations (empty when the identity holds), so a failing test
shows where it breaks.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipelines.contract.codes import PROGRAM_BY_CODE, UNIT_BY_CODE

REPAID_M = ["repaid_in_term_month", "repaid_overdue_month", "repaid_frozen_month"]
TYPE_COL = {
    "GN": "disbursed_month",
    "DK": "disbursement_reversed_month",
    "TNTH": "repaid_in_term_month",
    "TNQH": "repaid_overdue_month",
    "TNKH": "repaid_frozen_month",
    "TL": "interest_collected_month",
    "XN": "written_off_month",
}


def loans(m31: pl.DataFrame) -> pl.DataFrame:
    """One row per loan and date (the two-savings-book duplicates removed)."""
    return m31.filter(pl.col("loan_code").is_not_null()).unique(
        ["_date", "loan_code"], keep="first", maintain_order=True
    )


def row_totals(m31: pl.DataFrame) -> pl.DataFrame:
    return m31.filter(
        pl.col("outstanding")
        != pl.col("outstanding_in_term")
        + pl.col("outstanding_overdue")
        + pl.col("outstanding_frozen")
    )


def rollforward(m31: pl.DataFrame) -> pl.DataFrame:
    ln = loans(m31)
    dates = sorted(ln["_date"].unique())
    bad = []
    for prev, cur in zip(dates, dates[1:], strict=False):
        a = ln.filter(pl.col("_date") == prev).select(
            "loan_code", pl.col("outstanding").alias("prev")
        )
        b = ln.filter(pl.col("_date") == cur)
        j = b.join(a, on="loan_code", how="left").with_columns(pl.col("prev").fill_null(0))
        expect = (
            pl.col("prev")
            + pl.col("disbursed_month")
            - pl.col("disbursement_reversed_month")
            - pl.sum_horizontal(REPAID_M)
            - pl.col("written_off_month")
        )
        bad.append(
            j.filter(pl.col("outstanding") != expect).select(
                "_date", "loan_code", "outstanding", "prev"
            )
        )
        # A loan present before must still be present (settled loans stay as CLOSE in-year);
        # across a year end only the loans settled in the old year (balance 0) drop out.
        gone = a.join(b, on="loan_code", how="anti")
        if prev.year != cur.year:
            gone = gone.filter(pl.col("prev") != 0)
        bad.append(
            gone.select(
                pl.lit(cur).alias("_date"),
                "loan_code",
                pl.lit(None, pl.Int64).alias("outstanding"),
                "prev",
            )
        )
    return pl.concat(bad) if bad else pl.DataFrame()


def journal_vs_m31(m31: pl.DataFrame, skgd: pl.DataFrame) -> pl.DataFrame:
    """Σ journal lines per loan, type and month = that loan's month columns in M31 (every
    month-end after the first journal day: the opening snapshot has no journal)."""
    first = skgd["txn_date"].min()
    ln = loans(m31).filter(pl.col("_date") >= first)
    month = (pl.col("_date").dt.year() * 100 + pl.col("_date").dt.month()).alias("_m")
    j = (
        skgd.with_columns(pl.col("txn_date").alias("_date"))
        .with_columns(month)
        .filter(pl.col("txn_type").is_in(list(TYPE_COL)))
        .group_by("loan_code", "_m", "txn_type")
        .agg(pl.col("amount").sum())
    )
    long = ln.with_columns(month).unpivot(
        index=["loan_code", "_m"], on=list(TYPE_COL.values()), variable_name="col", value_name="m31"
    )
    long = long.with_columns(
        pl.col("col").replace_strict({v: k for k, v in TYPE_COL.items()}).alias("txn_type")
    )
    cmp = long.join(j, on=["loan_code", "_m", "txn_type"], how="full", coalesce=True).with_columns(
        pl.col("m31").fill_null(0), pl.col("amount").fill_null(0)
    )
    return cmp.filter(pl.col("m31") != pl.col("amount"))


def forms_vs_m31(m31: pl.DataFrame, form: pl.DataFrame, which: str) -> pl.DataFrame:
    """01.1 / 01.2 rows (and TỔNG CỘNG) against sums of M31, in đồng."""
    ln = loans(m31)
    if which == "01.1":
        # District offices by commune name; the branch office by district name.
        ln = ln.join(_district_of_commune(m31), on="commune_code", how="left").with_columns(
            pl.when(pl.col("_unit") == "0100")
            .then(pl.col("_district"))
            .otherwise(pl.col("commune_name"))
            .alias("row_name")
        )
    else:
        ln = ln.with_columns(
            pl.col("program_code")
            .replace_strict({k: v.name for k, v in PROGRAM_BY_CODE.items()})
            .alias("row_name")
        )
    exp = ln.group_by("_unit", "_date", "row_name").agg(
        (pl.col("disbursed_month") - pl.col("disbursement_reversed_month"))
        .sum()
        .alias("disbursed_month_mil"),
        (pl.col("disbursed_ytd") - pl.col("disbursement_reversed_ytd"))
        .sum()
        .alias("disbursed_ytd_mil"),
        pl.sum_horizontal(REPAID_M).sum().alias("repaid_month_mil"),
        pl.col("repaid_ytd").sum().alias("repaid_ytd_mil"),
        pl.col("written_off_month").sum().alias("written_off_month_mil"),
        pl.col("written_off_ytd").sum().alias("written_off_ytd_mil"),
        pl.col("outstanding").sum().alias("outstanding_mil"),
        pl.col("outstanding_in_term").sum().alias("outstanding_in_term_mil"),
        pl.col("outstanding_overdue").sum().alias("outstanding_overdue_mil"),
        pl.col("outstanding_frozen").sum().alias("outstanding_frozen_mil"),
        pl.col("outstanding")
        .filter(pl.col("term_class") == "Ngắn hạn")
        .sum()
        .alias("outstanding_short_mil"),
        pl.col("outstanding")
        .filter(pl.col("term_class") == "Trung hạn")
        .sum()
        .alias("outstanding_medium_mil"),
        pl.col("outstanding")
        .filter(pl.col("term_class") == "Dài hạn")
        .sum()
        .alias("outstanding_long_mil"),
        pl.col("customer_code")
        .filter(pl.col("outstanding") > 0)
        .n_unique()
        .alias("customers_with_outstanding"),
        ((pl.col("disbursed_ytd") - pl.col("disbursement_reversed_ytd")) > 0)
        .sum()
        .alias("loan_turns_ytd"),
    )
    keys = [c for c in exp.columns if c not in ("_unit", "_date", "row_name")]
    rows = form.filter(~pl.col("_total")).with_columns(
        pl.col("row_name").map_elements(lambda s: s, pl.String)
    )
    cmp = rows.join(
        exp, on=["_unit", "_date", "row_name"], how="full", suffix="_exp", coalesce=True
    )
    bad = cmp.filter(
        pl.any_horizontal(
            [
                pl.col(k).fill_null(0).cast(pl.Int64)
                != pl.col(f"{k}_exp").fill_null(0).cast(pl.Int64)
                for k in keys
            ]
        )
    )
    tot = form.filter(pl.col("_total"))
    sums = rows.group_by("_unit", "_date").agg([pl.col(k).sum() for k in keys])
    tcmp = tot.join(sums, on=["_unit", "_date"], suffix="_sum")
    tbad = tcmp.filter(pl.any_horizontal([pl.col(k) != pl.col(f"{k}_sum") for k in keys]))
    return pl.concat(
        [bad.select("_unit", "_date", "row_name"), tbad.select("_unit", "_date", "row_name")]
    )


def _district_of_commune(m31: pl.DataFrame) -> pl.DataFrame:
    """Commune code -> district name, from the district offices' own M31 rows."""

    return (
        m31.filter(pl.col("_unit") != "0100")
        .select("commune_code", "_unit")
        .unique("commune_code")
        .with_columns(
            pl.col("_unit")
            .replace_strict({k: v.name for k, v in UNIT_BY_CODE.items()})
            .alias("_district")
        )
        .drop("_unit")
    )


def groups_vs_m31(m31: pl.DataFrame, bc: pl.DataFrame) -> pl.DataFrame:
    m = m31.filter(pl.col("group_code").is_not_null())
    ln = loans(m)
    per_c = ln.group_by("_date", "customer_code").agg(pl.col("outstanding").sum())
    mem = (
        m.select("_date", "group_code", "customer_code")
        .unique()
        .join(per_c, on=["_date", "customer_code"], how="left")
    )
    exp = mem.group_by("_date", "group_code").agg(
        pl.len().alias("members"),
        (pl.col("outstanding").fill_null(0) > 0).sum().alias("members_with_outstanding"),
    )
    bal = ln.group_by("_date", "group_code").agg(
        pl.col("outstanding").sum(),
        pl.col("outstanding_overdue").sum(),
        pl.col("outstanding_frozen").sum(),
    )
    sav = (
        m.filter(pl.col("savings_book_no").is_not_null())
        .unique(["_date", "savings_book_no"])
        .group_by("_date", "group_code")
        .agg(pl.col("savings_balance").sum())
    )
    exp = (
        exp.join(bal, on=["_date", "group_code"], how="left")
        .join(sav, on=["_date", "group_code"], how="left")
        .fill_null(0)
    )
    keys = [
        "members",
        "members_with_outstanding",
        "outstanding",
        "outstanding_overdue",
        "outstanding_frozen",
        "savings_balance",
    ]
    cmp = bc.join(exp, on=["_date", "group_code"], how="left", suffix="_exp")
    return cmp.filter(
        pl.any_horizontal(
            [
                pl.col(k).cast(pl.Int64) != pl.col(f"{k}_exp").fill_null(-1).cast(pl.Int64)
                for k in keys
            ]
        )
    ).select("_date", "group_code", *keys)


def reconciliation(m31: pl.DataFrame, dc: pl.DataFrame) -> dict:
    """Per register date: its campaign, whether its rows are exactly the customers with
    outstanding in the M31 of the 31 December before the campaign year, and its counts."""
    ln = loans(m31)
    scopes: dict[int, set] = {}
    out = {}
    for d in sorted(dc["_date"].unique()):
        x = dc.filter(pl.col("_date") == d)
        years = sorted(x["campaign_year"].unique().to_list())
        year = years[-1]
        if year not in scopes:
            scopes[year] = set(
                ln.filter(
                    (pl.col("_date") == dt.date(year - 1, 12, 31)) & (pl.col("outstanding") > 0)
                )["customer_code"]
                .unique()
                .to_list()
            )
        out[d] = {
            "rows": x.height,
            "scope_equal": set(x["customer_code"].to_list()) == scopes[year],
            "scope_outstanding_equal": _scope_balances_equal(ln, x, year),
            "reconciled": x.filter(pl.col("result").is_not_null()).height,
            "khop_mismatch": x.filter(
                (pl.col("result") == "Khớp")
                & (
                    (pl.col("confirmed_outstanding") != pl.col("bank_outstanding"))
                    | (pl.col("confirmed_interest") != pl.col("bank_interest"))
                )
            ).height,
            "chenh_lech": x.filter(pl.col("result") == "Chênh lệch").height,
            "campaign_years": years,
        }
    out["_scope_size"] = {y: len(s) for y, s in scopes.items()}
    return out


def _scope_balances_equal(ln: pl.DataFrame, x: pl.DataFrame, year: int) -> bool:
    """Dư nợ chốt = the customer's outstanding in the M31 of 31/12 before the campaign."""
    bal = (
        ln.filter(pl.col("_date") == dt.date(year - 1, 12, 31))
        .group_by("customer_code")
        .agg(pl.col("outstanding").sum().alias("_bal"))
    )
    j = x.join(bal, on="customer_code", how="left")
    return j.filter(pl.col("_bal").fill_null(-1) != pl.col("scope_outstanding")).height == 0


def calibration_figures(m31: pl.DataFrame, as_of, year_start, period_start) -> dict:
    """The marts' definitions of calibration.md, computed from M31 read back: the figures at
    ``as_of``, the change since ``year_start`` (the last 31 December before it) and the
    lending of the month-ends from ``period_start`` to ``as_of``."""
    ln = loans(m31)
    end = ln.filter(pl.col("_date") == as_of)
    beg = ln.filter(pl.col("_date") == year_start)
    ent = end.filter(pl.col("org_code") != "99")
    orgs = {}
    for org in ("11", "12", "13", "14"):
        o = ent.filter(pl.col("org_code") == org)
        pos = o.filter(pl.col("outstanding") > 0)
        orgs[org] = {
            "outstanding_vnd": int(o["outstanding"].sum()),
            "households": pos["customer_code"].n_unique(),
            "groups": pos["group_code"].n_unique(),
        }
    period = ln.filter((pl.col("_date") >= period_start) & (pl.col("_date") <= as_of))
    net = period.group_by("loan_code").agg(
        (pl.col("disbursed_month") - pl.col("disbursement_reversed_month")).sum().alias("net")
    )
    turns = end.join(net.filter(pl.col("net") > 0), on="loan_code", how="semi")
    in_p = pl.col("disbursement_date") >= period_start
    beg_org = {
        org: int(beg.filter(pl.col("org_code") == org)["outstanding"].sum())
        for org in ("11", "12", "13", "14")
    }
    return {
        "orgs": orgs,
        "entrusted_change_vnd": int(ent["outstanding"].sum())
        - int(beg.filter(pl.col("org_code") != "99")["outstanding"].sum()),
        "org_change_vnd": {org: orgs[org]["outstanding_vnd"] - beg_org[org] for org in beg_org},
        "direct_outstanding_vnd": int(end.filter(pl.col("org_code") == "99")["outstanding"].sum()),
        "loan_turns": turns.height,
        "poor_group_turns": turns.filter(pl.col("program_code").is_in(["01", "19", "20"])).height,
        "job_creation_turns": turns.filter(pl.col("program_code") == "03").height,
        "workers_attracted": int(
            turns.filter((pl.col("program_code") == "03") & in_p)["workers_attracted"].sum()
        ),
        "water_sanitation_works": int(
            turns.filter((pl.col("program_code") == "06") & in_p)
            .select(pl.col("water_works") + pl.col("sanitation_works"))
            .sum()
            .item()
        ),
        "overdue_frozen_vnd": int(
            end["outstanding_overdue"].sum() + end["outstanding_frozen"].sum()
        ),
        "total_outstanding_vnd": int(end["outstanding"].sum()),
    }


def hoi_vs_bank(m31: pl.DataFrame, hoi: pl.DataFrame, as_of) -> tuple[set, bool]:
    """The (organization, office) rows of the ``as_of`` HOI_* reports that differ from the
    bank's M31 (households or outstanding beyond the report's rounding), and whether every
    TỔNG CỘNG row is the sum of its file's rows."""
    ln = loans(m31).filter((pl.col("_date") == as_of) & (pl.col("org_code") != "99"))
    per_c = ln.group_by("org_code", "_unit", "customer_code", "group_code").agg(
        pl.col("outstanding").sum()
    )
    bank = per_c.group_by("org_code", "_unit").agg(
        (pl.col("outstanding") > 0).sum().alias("h"), pl.col("outstanding").sum().alias("o")
    )
    name_to_unit = {u.name: u.code for u in UNIT_BY_CODE.values()}
    rows = hoi.filter(~pl.col("_total") & (pl.col("_date") == as_of)).with_columns(
        pl.col("_file").str.slice(4, 2).alias("org_code"),
        pl.col("district_name").replace_strict(name_to_unit).alias("_pgd"),
    )
    cmp = rows.join(
        bank, left_on=["org_code", "_pgd"], right_on=["org_code", "_unit"], how="left"
    ).with_columns(pl.col("h").fill_null(0), pl.col("o").fill_null(0))
    differs = cmp.filter(
        (pl.col("households_with_outstanding") != pl.col("h"))
        | ((pl.col("outstanding_mil") - (pl.col("o") + 5_000) // 10_000 * 10_000).abs() > 0)
    )
    got = {(r["org_code"], r["_pgd"]) for r in differs.iter_rows(named=True)}
    tot = hoi.filter(pl.col("_total") & (pl.col("_date") == as_of))
    sums = rows.group_by("_file").agg(
        pl.col("households_with_outstanding").sum(), pl.col("groups").sum()
    )
    j = tot.join(sums, on="_file", suffix="_s")
    ok = (
        j.height == tot.height
        and (j["households_with_outstanding"] == j["households_with_outstanding_s"]).all()
        and (j["groups"] == j["groups_s"]).all()
    )
    return got, bool(ok)
