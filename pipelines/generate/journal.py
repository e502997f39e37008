"""The journal (SKGD, contract 4.2): one line per transaction of the scenario's flows, in
delivery order, numbered branch-wide, one CSV per office and day with transactions."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from pipelines.contract import codes
from pipelines.contract.reports import SKGD

from . import writers as w
from .frames import Frames
from .offices import OFFICE_CODES, OfficeSplit
from .scenario import Scenario, dense_column

# One line per loan, month and flow type with an amount (besides GN / DK).
FLOW_OF_TYPE = {
    codes.TXN_REPAY_IN_TERM: "th",
    codes.TXN_REPAY_OVERDUE: "qh",
    codes.TXN_REPAY_FROZEN: "kh",
    codes.TXN_INTEREST: "tl",
    codes.TXN_TO_OVERDUE: "cqh",
    codes.TXN_TO_FROZEN: "khn",
    codes.TXN_WRITE_OFF: "wo",
}
MEMO = {
    codes.TXN_DISBURSE: "Giải ngân khế ước",
    codes.TXN_REVERSE: "Đảo khoản giải ngân sai số tiền",
    codes.TXN_REPAY_IN_TERM: "Thu nợ gốc trong hạn",
    codes.TXN_REPAY_OVERDUE: "Thu nợ gốc quá hạn",
    codes.TXN_REPAY_FROZEN: "Thu nợ khoanh",
    codes.TXN_INTEREST: "Thu lãi tháng",
    codes.TXN_TO_OVERDUE: "Chuyển nợ quá hạn",
    codes.TXN_TO_FROZEN: "Chuyển nợ khoanh",
    codes.TXN_WRITE_OFF: "Xóa nợ theo quyết định",
}
# The journal's txn id is ``yymmdd`` + an 8-digit sequence number (14 characters).
TXN_SEQ_DIGITS = 8


def build_journal(fr: Frames, base: dict[dt.date, int]) -> pl.DataFrame:
    """Every journal line of an office's slice (one frame), in delivery order, with txn ids.

    ``base``: the branch-wide sequence number before the office's first line of each day
    (``txn_bases``).
    """
    df = _lines(fr.sc)
    order = {t: n for n, t in enumerate(codes.TXN_TYPES)}
    static = fr.loans_static().select("loan_idx", "cust_idx", "loan_code", "program_code", "tday")
    cust = fr.customers().select(
        "cust_idx", "pgd_code", "commune_code", "group_code", "customer_code"
    )
    df = (
        df.join(static, on="loan_idx", how="left")
        .join(cust, on="cust_idx", how="left")
        .with_columns(
            pl.date(pl.col("y"), pl.col("cm"), pl.col("tday")).alias("txn_date"),
            pl.col("txn_type").replace_strict(order, return_dtype=pl.Int64).alias("_t"),
            pl.col("txn_type").replace_strict(MEMO).alias("memo"),
        )
        .sort(
            "txn_date",
            "pgd_code",
            "commune_code",
            "group_code",
            "customer_code",
            "loan_code",
            "_t",
            "seq",
            nulls_last=False,
        )
    )
    if not base:  # an office with no journal line: an empty mapping has no dtype to return
        seq = pl.int_range(1, pl.len() + 1).over("txn_date")
    else:
        seq = pl.int_range(1, pl.len() + 1).over("txn_date") + pl.col("txn_date").replace_strict(
            base, return_dtype=pl.Int64
        )
    df = df.with_columns(
        (
            pl.col("txn_date").dt.strftime("%y%m%d") + seq.cast(pl.String).str.zfill(TXN_SEQ_DIGITS)
        ).alias("txn_id"),
        (
            pl.col("memo")
            + pl.when(pl.col("txn_type") == codes.TXN_INTEREST)
            .then(pl.col("txn_date").dt.strftime(" %m/%Y"))
            .otherwise(pl.lit(""))
        ).alias("memo"),
    )
    return df.select(
        "txn_date",
        "txn_id",
        "pgd_code",
        "commune_code",
        "group_code",
        "customer_code",
        "loan_code",
        "program_code",
        "txn_type",
        "amount",
        "memo",
        "loan_idx",
        "month",
    )


def _lines(sc: Scenario) -> pl.DataFrame:
    """One row per loan, month and transaction: a GN + DK pair per wrong disbursement
    (``seq`` 0, 1), the GN of the right amount (2), one line per other flow with an amount."""
    parts = []
    for m in range(1, sc.n_snap):
        disb = sc.flows["disb"][:, m]
        wrong = sc.gn_wrong[:, m]
        idx = np.flatnonzero(wrong > 0)
        for typ, amt, seq in (
            (codes.TXN_DISBURSE, wrong[idx], 0),
            (codes.TXN_REVERSE, wrong[idx], 1),
        ):
            parts.append((idx, m, typ, amt, seq))
        idx = np.flatnonzero(disb - wrong > 0)
        parts.append((idx, m, codes.TXN_DISBURSE, (disb - wrong)[idx], 2))
        for typ, flow in FLOW_OF_TYPE.items():
            a = sc.flows[flow][:, m]
            idx = np.flatnonzero(a > 0)
            parts.append((idx, m, typ, a[idx], 0))
    frames = [
        pl.DataFrame(
            {
                "loan_idx": i,
                "month": np.full(len(i), m),
                "y": np.full(len(i), sc.dates[m].year),
                "cm": np.full(len(i), sc.dates[m].month),
                "txn_type": t,
                "amount": a.astype(np.int64),
                "seq": np.full(len(i), s),
            },
            schema_overrides={"txn_type": pl.String},
        )
        for i, m, t, a, s in parts
        if len(i)
    ]
    if not frames:  # an office slice may have no line at all at tiny scales
        return pl.DataFrame(
            schema={
                "loan_idx": pl.Int64,
                "month": pl.Int64,
                "y": pl.Int64,
                "cm": pl.Int64,
                "txn_type": pl.String,
                "amount": pl.Int64,
                "seq": pl.Int64,
            }
        )
    return pl.concat(frames)


def txn_bases(split: OfficeSplit) -> dict[str, dict[dt.date, int]]:
    """Per office and journal day: the txn sequence number before its first line.

    The journal is numbered in delivery order (day, office, then the lines' own order),
    branch-wide, as one sequence; where the branch's lines would overflow the sequence's
    8 digits (a scale far beyond national size), the sequence restarts every day instead,
    which keeps the id unique with its ``yymmdd`` prefix.
    """
    sc = split.sc
    n_off = len(OFFICE_CODES)
    tday = sc.loans["tday"]
    # counts[(month * 29 + day) * n_off + office]: the journal lines of that day and office,
    # by the rules of ``build_journal`` (a GN + DK pair per wrong disbursement, the
    # GN of the rest, one line per other flow type with an amount).
    counts = np.zeros(sc.n_snap * 29 * n_off, np.int64)
    for m in range(1, sc.n_snap):
        wrong = dense_column(sc.gn_wrong, m)
        lines = 2 * (wrong > 0) + (dense_column(sc.flows["disb"], m) - wrong > 0)
        for flow in FLOW_OF_TYPE.values():
            lines = lines + (dense_column(sc.flows[flow], m) > 0)
        key = (m * 29 + tday) * n_off + split.loan_office
        counts += np.bincount(key, weights=lines, minlength=len(counts)).astype(np.int64)
    per_day = counts.reshape(-1, n_off)  # rows: (month, day) in date order
    day_tot = per_day.sum(1)
    if (day_tot >= 10**TXN_SEQ_DIGITS).any():
        raise ValueError("scale too large: more than 10^8 journal lines on one day")
    before_day = np.r_[0, np.cumsum(day_tot)[:-1]]
    if int(day_tot.sum()) >= 10**TXN_SEQ_DIGITS:
        before_day[:] = 0
    within = np.cumsum(per_day, 1) - per_day  # lines of the earlier offices that day
    out: dict[str, dict[dt.date, int]] = {o: {} for o in OFFICE_CODES}
    for r in np.flatnonzero(day_tot):
        m, d = divmod(int(r), 29)
        for j, o in enumerate(OFFICE_CODES):
            if per_day[r, j]:
                day = dt.date(sc.dates[m].year, sc.dates[m].month, d)
                out[o][day] = int(before_day[r] + within[r, j])
    return out


def day_file(lines: pl.DataFrame, q: w.Quirks) -> pl.DataFrame:
    """One day's lines as the file's columns, with the file's quirks."""
    out = lines.select([pl.col(c.key).alias(c.header) for c in SKGD.columns])
    if q.text_amounts:
        out = out.with_columns(w.thousands(pl.col("Số tiền")))
    if q.nfd:
        out = out.with_columns(pl.col("Diễn giải").str.normalize("NFD"))
    return out
