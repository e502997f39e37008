"""Report contents as polars frames, computed from the scenario (before any format quirk).

Column names are the contract keys (``pipelines.contract.reports``); the writers map them to
the Vietnamese headers. Amounts are integer đồng here, also for the 01.x forms (the writers
convert to triệu đồng), so every identity can be checked exactly.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from pipelines.contract.codes import (
    BRANCH_OFFICE,
    DIRECT_ORG,
    ENTRUSTED_ORGS,
    GENDER_FEMALE,
    GENDER_MALE,
    LOAN_CLOSED,
    LOAN_CODE_PREFIX_DIRECT,
    LOAN_CODE_PREFIX_ENTRUSTED,
    LOAN_OPEN,
    PROGRAMS,
    RECON_MATCH,
    TERM_LONG,
    TERM_MEDIUM,
    TERM_SHORT,
    UNIT_BY_CODE,
    rating_for_score,
    term_class,
)
from pipelines.contract.reports import M31

from .scenario import C_SAVINGS, Scenario

ORG_CODES = (*ENTRUSTED_ORGS, DIRECT_ORG)
MONTH_FLOW_COLS = {
    "disb": "disbursed_month",
    "rev": "disbursement_reversed_month",
    "th": "repaid_in_term_month",
    "qh": "repaid_overdue_month",
    "kh": "repaid_frozen_month",
    "tl": "interest_collected_month",
    "wo": "written_off_month",
}
# The contract's rating function, tabulated (scores are integers 0..100).
_RATING_OF_SCORE = {score: rating_for_score(score) for score in range(101)}
OFFICERS = ("Nguyễn Thị Thu Hà", "Trần Văn Minh", "Lê Thị Hồng", "Phạm Đức Anh", "Vũ Thị Lan")


class Frames:
    """Lazily built, cached frames of one scenario."""

    def __init__(self, sc: Scenario):
        self.sc = sc
        self._static: pl.DataFrame | None = None
        self._cust: pl.DataFrame | None = None
        self._loan_level: dict[int, pl.DataFrame] = {}
        self._m31: dict[int, dict[str, pl.DataFrame]] = {}
        self._cust_bal: tuple[np.ndarray, np.ndarray] | None = None
        self._forms: dict[tuple, pl.DataFrame] = {}
        self._forms_all: dict[tuple, dict[str, pl.DataFrame]] = {}
        self._bc: dict[tuple, pl.DataFrame] = {}

    # ----- static attributes ---------------------------------------------------------------
    def customers(self) -> pl.DataFrame:
        if self._cust is None:
            sc = self.sc
            c, com, g = sc.customers, sc.communes, sc.groups
            grp = c["group"]
            has_g = grp >= 0
            gi = np.maximum(grp, 0)
            if len(g["code"]):
                leader_name = c["name"][np.maximum(g["leader"], 0)]
                g_code = np.where(has_g, g["code"][gi], "")
                g_name = np.where(has_g, leader_name[gi], None)
            else:  # an office slice without groups (the branch office)
                g_code = np.full(len(grp), "")
                g_name = np.full(len(grp), None, dtype=object)
            self._cust = pl.DataFrame(
                {
                    "cust_idx": np.arange(len(grp)),
                    "cust_kind": c["kind"],
                    "pgd_code": c["office"],
                    "commune_code": com["code"][c["commune"]],
                    "commune_name": com["name"][c["commune"]].tolist(),
                    "district_name": com["district"][c["commune"]].tolist(),
                    "hamlet_code": np.char.add(
                        com["code"][c["commune"]],
                        # zfill of an empty array fails (an office without customers)
                        np.char.zfill(c["hamlet_no"].astype(str), 2) if len(grp) else "",
                    ),
                    "group_code": pl.Series(g_code).replace("", None),
                    "group_name": pl.Series(g_name.tolist(), dtype=pl.String),
                    "org_code": np.asarray(ORG_CODES)[c["org"]],
                    "customer_code": c["code"],
                    "customer_name": c["name"].tolist(),
                    "national_id": c["national_id"],
                    "phone": pl.Series(c["phone"].tolist(), dtype=pl.String),
                    "gender": np.where(c["female"], GENDER_FEMALE, GENDER_MALE),
                    "birth_year": c["birth"],
                    "ethnicity": c["ethnicity"].tolist(),
                    "household_category": c["category"].tolist(),
                    "cust_day": np.zeros(len(grp), np.int64),
                }
            )
        return self._cust

    def loans_static(self) -> pl.DataFrame:
        if self._static is None:
            sc = self.sc
            L = sc.loans
            n = len(L["customer"])
            # Codes come from the branch-wide loan index (an office slice carries it).
            gidx = L.get("gidx", np.arange(n, dtype=np.int64)).astype(np.int64)
            num = (100_000_000_000 + gidx * 37).astype(str)
            prefix = np.where(L["direct"], LOAN_CODE_PREFIX_DIRECT, LOAN_CODE_PREFIX_ENTRUSTED)
            classes = {m: term_class(int(m)) for m in np.unique(L["term"])}
            self._static = pl.DataFrame(
                {
                    "loan_idx": np.arange(n),
                    "cust_idx": L["customer"],
                    "loan_code": np.char.add(prefix, num),
                    "program_code": L["program"].astype(str),
                    "channel": np.where(L["direct"], "1", "2"),
                    "funding_source": L["funding"],
                    "disbursement_date": pl.Series(L["disb_date"].tolist(), dtype=pl.Date),
                    "maturity_date": pl.Series(L["mat_date"].tolist(), dtype=pl.Date),
                    "term_class": [classes[m] for m in L["term"]],
                    "interest_rate_pct_month": L["rate"],
                    "loan_amount": L["amount"],
                    "workers_attracted": L["workers"],
                    "water_works": L["water"],
                    "sanitation_works": L["sanit"],
                    "tday": L["tday"],
                }
            )
        return self._static

    def accrued(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Accrued interest at snapshot ``k`` of every loan (in term, overdue + frozen)."""
        sc = self.sc
        rate = sc.loans["rate"]
        dim = sc.dates[k].day
        it = np.rint(sc.it[:, k] * rate / 100 * np.maximum(dim - sc.loans["tday"], 0) / dim)
        ov = np.rint((sc.ov[:, k] + sc.fz[:, k]) * rate / 100 * 3)
        return it.astype(np.int64), ov.astype(np.int64)

    def release(self, k: int) -> None:
        """Drop the big per-snapshot caches once that snapshot's outputs are computed."""
        self._forms_all.pop((k, "01.1"), None)
        self._forms_all.pop((k, "01.2"), None)
        self._loan_level.pop(k, None)
        self._m31.pop(k, None)
        for key_ in [x for x in self._forms if x[0] == k]:
            del self._forms[key_]
        for key_ in [x for x in self._bc if x[0] == k]:
            del self._bc[key_]

    # ----- loan level, one row per loan (no savings duplicates) ------------------------------
    def loan_level(self, k: int) -> pl.DataFrame:
        """Loans present in snapshot ``k`` with balances and month/ytd columns (đồng)."""
        if k in self._loan_level:
            return self._loan_level[k]
        sc = self.sc
        d = sc.dates[k]
        pres = sc.present[:, k]
        idx = np.flatnonzero(pres)
        f = sc.flows
        tot = sc.it + sc.ov + sc.fz
        cols: dict[str, np.ndarray] = {
            "loan_idx": idx,
            "outstanding": tot[idx, k],
            "outstanding_in_term": sc.it[idx, k],
            "outstanding_overdue": sc.ov[idx, k],
            "outstanding_frozen": sc.fz[idx, k],
        }
        for t, col in MONTH_FLOW_COLS.items():
            cols[col] = f[t][idx, k]
        if k == 0:
            # The opening snapshot's year-to-date columns describe the previous year.
            L = sc.loans
            in_year = L["disb_date"][idx].astype("datetime64[Y]").astype(np.int64) + 1970 == d.year
            amt = L["amount"][idx]
            opened = tot[idx, 0]
            est = np.minimum(
                amt - opened, (amt * 12 // np.maximum(L["term"][idx], 1)) // 1000 * 1000
            )
            cols["disbursed_ytd"] = np.where(in_year, amt, 0)
            cols["disbursement_reversed_ytd"] = np.zeros(len(idx), np.int64)
            cols["repaid_ytd"] = np.maximum(0, np.where(in_year, amt - opened, est))
            cols["interest_collected_ytd"] = f["tl"][idx, 0] * np.minimum(
                12, np.maximum(L["age"][idx], 1)
            )
            cols["written_off_ytd"] = np.zeros(len(idx), np.int64)
        else:
            s = slice(sc.year_first(k), k + 1)
            cols["disbursed_ytd"] = f["disb"][idx, s].sum(1)
            cols["disbursement_reversed_ytd"] = f["rev"][idx, s].sum(1)
            cols["repaid_ytd"] = (f["th"][idx, s] + f["qh"][idx, s] + f["kh"][idx, s]).sum(1)
            cols["interest_collected_ytd"] = f["tl"][idx, s].sum(1)
            cols["written_off_ytd"] = f["wo"][idx, s].sum(1)
        acc_it, acc_ov = self.accrued(k)
        cols["accrued_interest_in_term"] = acc_it[idx]
        cols["accrued_interest_overdue"] = acc_ov[idx]
        df = pl.DataFrame(cols).with_columns(
            pl.lit(d).alias("as_of_date"),
            pl.when(pl.col("outstanding") > 0)
            .then(pl.lit(LOAN_OPEN))
            .otherwise(pl.lit(LOAN_CLOSED))
            .alias("loan_status"),
        )
        df = df.join(self.loans_static(), on="loan_idx", how="left").join(
            self.customers(), on="cust_idx", how="left"
        )
        self._loan_level[k] = df
        return df

    # ----- M31 rows (with savings books) ----------------------------------------------------
    def m31(self, k: int) -> pl.DataFrame:
        """All M31 rows of snapshot ``k`` (every office), in delivery order."""
        sc = self.sc
        ll = self.loan_level(k)
        sv = sc.savings
        books = pl.DataFrame(
            {
                "cust_idx": sv["customer"],
                "book_no": sv["no"],
                "savings_book_no": sv["code"],
                "savings_balance": sv["balance"][:, k],
            }
        )
        first = ll.filter(pl.col("loan_idx") == pl.col("loan_idx").min().over("cust_idx"))
        with_book = first.join(books, on="cust_idx", how="inner")
        plain = ll.join(with_book.select("loan_idx", "book_no"), on="loan_idx", how="anti")
        cust = self.customers()
        sav_only = books.join(
            cust.filter(pl.col("cust_kind") == C_SAVINGS), on="cust_idx", how="inner"
        ).with_columns(pl.lit(sc.dates[k]).alias("as_of_date"))
        out = pl.concat(
            [
                plain.with_columns(
                    pl.lit(None, pl.Int64).alias("book_no"),
                    pl.lit(None, pl.String).alias("savings_book_no"),
                    pl.lit(None, pl.Int64).alias("savings_balance"),
                ),
                with_book,
                sav_only,
            ],
            how="diagonal_relaxed",
        )
        zero_cols = [
            c.key
            for c in M31.columns
            if c.type == "int" and c.key not in ("savings_balance", "birth_year")
        ]
        out = out.with_columns([pl.col(c).fill_null(0) for c in zero_cols]).with_columns(
            pl.col("loan_idx").fill_null(-1), pl.col("book_no").fill_null(0)
        )
        return out.sort(
            ["pgd_code", "commune_code", "group_code", "customer_code", "loan_idx", "book_no"],
            nulls_last=False,
        )

    # ----- 01.1 / 01.2 (đồng, with the total row) -------------------------------------------
    def form(self, k: int, office: str, which: str) -> pl.DataFrame:
        key_ = (k, office, which)
        if key_ not in self._forms:
            self._forms[key_] = self._form(k, office, which)
        return self._forms[key_]

    def _form(self, k: int, office: str, which: str) -> pl.DataFrame:
        # All offices are aggregated in one pass per snapshot and form (per-office group-bys
        # cost more in polars overhead than in work at small scales).
        if (k, which) not in self._forms_all:
            self._forms_all[(k, which)] = self._forms_grouped(k, which)
        agg = self._forms_all[(k, which)].get(office)
        if agg is None:
            agg = self._forms_grouped_empty(k, which)
        agg = agg.sort("_order").drop("_order", "pgd_code")
        agg = agg.with_row_index("stt", offset=1).with_columns(pl.col("stt").cast(pl.String))
        total = agg.select(
            pl.lit(None, pl.String).alias("stt"),
            pl.lit("TỔNG CỘNG").alias("row_name"),
            *[pl.col(f"c{i}").sum() for i in range(3, 18)],
        )
        return pl.concat([agg, total])

    def _forms_grouped_empty(self, k: int, which: str) -> pl.DataFrame:
        parts = self._forms_all[(k, which)]
        if parts:
            return next(iter(parts.values())).clear()
        return self._forms_grouped(k, which, empty=True)

    def _forms_grouped(self, k: int, which: str, empty: bool = False):
        ll = self.loan_level(k)
        if empty:
            ll = ll.clear()
        if which == "01.1":
            # District offices by commune; the branch office (direct borrowers city-wide) by
            # district.
            branch = pl.col("pgd_code") == BRANCH_OFFICE
            ll = ll.with_columns(
                pl.when(branch)
                .then(pl.col("district_name"))
                .otherwise(pl.col("commune_name"))
                .alias("row_name"),
                pl.when(branch)
                .then(
                    pl.col("district_name").replace_strict(
                        {u.name: u.code for u in UNIT_BY_CODE.values()}, default=None
                    )
                )
                .otherwise(pl.col("commune_code"))
                .alias("order_key"),
            )
        else:
            ll = ll.with_columns(
                pl.col("program_code")
                .replace_strict({p.code: p.name for p in PROGRAMS})
                .alias("row_name"),
                pl.col("program_code").alias("order_key"),
            )
        order_key = "order_key"
        agg = (
            ll.group_by("pgd_code", "row_name")
            .agg(
                pl.col(order_key).min().alias("_order"),
                (pl.col("disbursed_month") - pl.col("disbursement_reversed_month"))
                .sum()
                .alias("c3"),
                (pl.col("disbursed_ytd") - pl.col("disbursement_reversed_ytd")).sum().alias("c4"),
                (
                    pl.col("repaid_in_term_month")
                    + pl.col("repaid_overdue_month")
                    + pl.col("repaid_frozen_month")
                )
                .sum()
                .alias("c5"),
                pl.col("repaid_ytd").sum().alias("c6"),
                pl.col("written_off_month").sum().alias("c7"),
                pl.col("written_off_ytd").sum().alias("c8"),
                pl.col("outstanding").sum().alias("c9"),
                pl.col("outstanding_in_term").sum().alias("c10"),
                pl.col("outstanding_overdue").sum().alias("c11"),
                pl.col("outstanding_frozen").sum().alias("c12"),
                pl.col("outstanding").filter(pl.col("term_class") == TERM_SHORT).sum().alias("c13"),
                pl.col("outstanding")
                .filter(pl.col("term_class") == TERM_MEDIUM)
                .sum()
                .alias("c14"),
                pl.col("outstanding").filter(pl.col("term_class") == TERM_LONG).sum().alias("c15"),
                pl.col("cust_idx").filter(pl.col("outstanding") > 0).n_unique().alias("c16"),
                ((pl.col("disbursed_ytd") - pl.col("disbursement_reversed_ytd")) > 0)
                .sum()
                .cast(pl.Int64)
                .alias("c17"),
            )
            .with_columns([pl.col(f"c{i}").cast(pl.Int64) for i in range(3, 18)])
        )
        if empty:
            return agg
        return {key[0]: v for key, v in agg.partition_by("pgd_code", as_dict=True).items()}

    # ----- BC0437 ---------------------------------------------------------------------------
    def m31_by_office(self, k: int) -> dict[str, pl.DataFrame]:
        if k not in self._m31:
            parts = self.m31(k).partition_by("pgd_code", as_dict=True)
            self._m31[k] = {key[0]: v for key, v in parts.items()}
        return self._m31[k]

    def bc0437(self, k: int, office: str) -> pl.DataFrame:
        if (k, office) not in self._bc:
            self._bc[(k, office)] = self._bc0437(k, office)
        return self._bc[(k, office)]

    def _bc0437(self, k: int, office: str) -> pl.DataFrame:
        sc = self.sc
        m = self.m31_by_office(k).get(office)
        if m is None:
            m = self.m31(k).clear()
        m = m.filter(pl.col("group_code").is_not_null())
        loans = m.filter(pl.col("loan_idx") >= 0).unique("loan_idx", keep="first")
        per_c = loans.group_by("cust_idx").agg(pl.col("outstanding").sum().alias("c_out"))
        books = m.filter(pl.col("savings_book_no").is_not_null()).unique("savings_book_no")
        g = sc.groups
        gdf = pl.DataFrame(
            {
                "group_code": g["code"],
                "leader_name": sc.customers["name"][np.maximum(g["leader"], 0)].tolist(),
                "established_date": pl.Series(g["established"].tolist(), dtype=pl.Date),
                "score": g["score"],
            }
        )
        members = (
            m.select(
                "group_code", "cust_idx", "pgd_code", "commune_code", "hamlet_code", "org_code"
            )
            .unique("cust_idx")
            .join(per_c, on="cust_idx", how="left")
        )
        agg = members.group_by("group_code").agg(
            pl.col("pgd_code").first(),
            pl.col("commune_code").first(),
            pl.col("hamlet_code").first(),
            pl.col("org_code").first(),
            pl.len().cast(pl.Int64).alias("members"),
            (pl.col("c_out").fill_null(0) > 0)
            .sum()
            .cast(pl.Int64)
            .alias("members_with_outstanding"),
        )
        bal = loans.group_by("group_code").agg(
            pl.col("outstanding").sum(),
            pl.col("outstanding_overdue").sum(),
            pl.col("outstanding_frozen").sum(),
        )
        sav = books.group_by("group_code").agg(pl.col("savings_balance").sum())
        out = (
            agg.join(bal, on="group_code", how="left")
            .join(sav, on="group_code", how="left")
            .join(gdf, on="group_code", how="left")
            .with_columns(
                [
                    pl.col(c).fill_null(0).cast(pl.Int64)
                    for c in (
                        "outstanding",
                        "outstanding_overdue",
                        "outstanding_frozen",
                        "savings_balance",
                    )
                ]
            )
            .filter((pl.col("outstanding") > 0) | (pl.col("savings_balance") > 0))
            .with_columns(pl.col("score").replace_strict(_RATING_OF_SCORE).alias("rating"))
            .sort("commune_code", "group_code")
        )
        return out.select(
            "pgd_code",
            "commune_code",
            "hamlet_code",
            "org_code",
            "group_code",
            "leader_name",
            "established_date",
            "members",
            "members_with_outstanding",
            "outstanding",
            "outstanding_overdue",
            "outstanding_frozen",
            "savings_balance",
            "score",
            "rating",
        )

    # ----- DOICHIEU -------------------------------------------------------------------------
    def doichieu_all(self, k: int) -> pl.DataFrame:
        sc = self.sc
        rc = sc.recon
        tot = sc.it + sc.ov + sc.fz
        n_c = len(sc.customers["kind"])
        L = sc.loans
        if self._cust_bal is None:
            c_bal = np.zeros((n_c, sc.n_snap), np.int64)
            acc = np.zeros((n_c, sc.n_snap), np.int64)
            for j in range(sc.n_snap):
                c_bal[:, j] = np.bincount(L["customer"], weights=tot[:, j], minlength=n_c)
                a_it, a_ov = self.accrued(j)
                acc[:, j] = np.bincount(L["customer"], weights=a_it + a_ov, minlength=n_c)
            self._cust_bal = (c_bal, acc)
        c_bal, acc = self._cust_bal
        campaign = sc.campaign_of(k)
        rows = np.flatnonzero(rc["campaign"] == campaign)
        cust = rc["customer"][rows]
        month = rc["month"][rows]
        done = (month > 0) & (month <= k)
        mm = np.where(done, month, 0)
        on = [
            dt.date(sc.dates[m_].year, sc.dates[m_].month, int(d_)) if ok else None
            for m_, d_, ok in zip(month, rc["day"][rows], done, strict=True)
        ]
        bank = np.where(done, c_bal[cust, mm], 0)
        bank_i = np.where(done, acc[cust, mm], 0)
        cdf = self.customers()
        office = sc.customers["office"][cust]
        off_n = np.array([int(o) for o in office], dtype=np.int64)
        g_cust = sc.customers.get("gidx", np.arange(n_c))[cust]
        df = (
            pl.DataFrame(
                {
                    "cust_idx": cust,
                    "campaign_year": np.full(len(cust), campaign),
                    "scope_outstanding": c_bal[cust, sc.scope_index(campaign)],
                    "reconciled_on": pl.Series(on, dtype=pl.Date),
                    "bank_outstanding": pl.Series(np.where(done, bank, -1)).replace(-1, None),
                    "bank_interest": pl.Series(np.where(done, bank_i, -1)).replace(-1, None),
                    "result": pl.Series(np.where(done, RECON_MATCH, "")).replace("", None),
                    "officer": pl.Series(
                        np.where(
                            done,
                            np.asarray(OFFICERS, dtype=object)[(g_cust + off_n) % len(OFFICERS)],
                            None,
                        ).tolist(),
                        dtype=pl.String,
                    ),
                }
            )
            .with_columns(
                pl.col("bank_outstanding").alias("confirmed_outstanding"),
                pl.col("bank_interest").alias("confirmed_interest"),
            )
            .join(
                cdf.select(
                    "cust_idx",
                    "pgd_code",
                    "commune_code",
                    "group_code",
                    "org_code",
                    "customer_code",
                ),
                on="cust_idx",
                how="left",
            )
        )
        return df.sort("pgd_code", "commune_code", "group_code", "customer_code")

    # ----- HOI (bank's own figures; deviations are applied by the caller) --------------------
    def hoi_bank(self, k: int) -> pl.DataFrame:
        ll = self.loan_level(k).filter(pl.col("org_code") != DIRECT_ORG)
        per_c = ll.group_by("cust_idx", "org_code", "pgd_code", "group_code").agg(
            pl.col("outstanding").sum(), pl.col("outstanding_overdue").sum()
        )
        return (
            per_c.group_by("org_code", "pgd_code")
            .agg(
                pl.col("group_code").filter(pl.col("outstanding") > 0).n_unique().alias("groups"),
                (pl.col("outstanding") > 0)
                .sum()
                .cast(pl.Int64)
                .alias("households_with_outstanding"),
                pl.col("outstanding").sum().alias("outstanding_vnd"),
                pl.col("outstanding_overdue").sum().alias("overdue_vnd"),
            )
            .sort("org_code", "pgd_code")
        )
