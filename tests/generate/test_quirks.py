"""The format quirks of contract sections 3, 4.1 and 4.2 are present (and deterministic)."""

from __future__ import annotations

import re
import unicodedata

import polars as pl

from pipelines.contract.naming import fold
from pipelines.contract.reports import M31

from . import checks
from .sheetxml import cells

THOUSANDS = re.compile(r"^\d{1,3}(\.\d{3})+$")


def _m31_heads(tree, n=12):
    out = {}
    for p in sorted(tree.glob("20*/*/M31_*.xlsx")):
        c = cells(p, max_row=n)
        hr = next(r for (r, _c), (_t, v) in c.items() if fold(v) == "ma pgd")
        hdr = {fold(v): col for (r, col), (_t, v) in c.items() if r == hr}
        out[p.name] = (c, hr, hdr)
    return out


def test_excel_quirks_present(clean_tree):
    heads = _m31_heads(clean_tree)
    text_amount = numeric_amount = numeric_code = text_code = 0
    date_cell = date_text = extra = swapped = nfd = 0
    order = [fold(c.header) for c in M31.columns]
    for c, hr, hdr in heads.values():
        out_col, pgd_col, date_col = hdr["tong du no"], hdr["ma pgd"], hdr["ngay so lieu"]
        t, v = c[(hr + 1, out_col)]
        text_amount += t == "s" and bool(THOUSANDS.match(v))
        numeric_amount += t == "n"
        t, v = c[(hr + 1, pgd_col)]
        numeric_code += t == "n" and not v.startswith("0")
        text_code += t == "s" and v.startswith("01")
        t, v = c[(hr + 1, date_col)]
        date_cell += t == "n"
        date_text += t == "s" and bool(re.fullmatch(r"\d\d/\d\d/\d{4}", v))
        extra += "ghi chu" in hdr
        got = [k for k, _ in sorted(hdr.items(), key=lambda kv: kv[1]) if k in order]
        swapped += got != order
        nfd += any(
            tp == "s" and unicodedata.normalize("NFC", s) != s
            for (r, _c), (tp, s) in c.items()
            if r > hr
        )
    for name, count in [
        ("text amounts", text_amount),
        ("numeric amounts", numeric_amount),
        ("numeric codes", numeric_code),
        ("text codes", text_code),
        ("date cells", date_cell),
        ("text dates", date_text),
        ("extra column", extra),
        ("swapped columns", swapped),
        ("NFD", nfd),
    ]:
        assert count > 0, f"no M31 file with {name}"
    assert text_code > numeric_code, "most files keep codes as text"


def test_journal_csv_format(clean_tree):
    files = sorted(clean_tree.glob("20*/*/SKGD_*.csv"))
    separated = 0
    for p in files:
        data = p.read_bytes()
        assert data.startswith(b"\xef\xbb\xbf")
        header = data[3:].split(b"\n", 1)[0].decode("utf-8")
        assert header.split(";")[0] == "Ngày GD" and len(header.split(";")) == 11
        first = data[3:].split(b"\n")[1].decode("utf-8").split(";")
        assert re.fullmatch(r"\d\d/\d\d/\d{4}", first[0])
        separated += bool(THOUSANDS.match(first[9]))
    assert 0 < separated < len(files)


def test_leading_zeros_kept(clean_frames):
    m = clean_frames["M31"]
    assert (m["commune_code"].str.len_chars() == 6).all()
    assert m["commune_code"].str.starts_with("0").all()
    assert m.filter(pl.col("group_code").is_not_null())["group_code"].str.starts_with("0").all()
    assert (m["customer_code"].str.starts_with("00")).any()
    loans = m.filter(pl.col("loan_code").is_not_null())
    assert (loans["loan_code"].str.len_chars() == 16).all()
    assert set(loans["loan_code"].str.slice(0, 4).unique()) == {"6600", "6000"}
    ent = loans.filter(pl.col("org_code") != "99")
    assert ent["loan_code"].str.starts_with("6600").all()
    assert (m["national_id"].str.len_chars() == 12).all()


def test_m31_population_quirks(clean_frames):
    m = clean_frames["M31"]
    last = m["_date"].max()
    x = m.filter(pl.col("_date") == last)
    dup = (
        x.filter(pl.col("loan_code").is_not_null())
        .group_by("loan_code")
        .agg(
            pl.len(),
            pl.col("savings_book_no").n_unique().alias("books"),
            pl.col("outstanding").n_unique().alias("outs"),
        )
    )
    two_books = dup.filter(pl.col("len") == 2)
    assert two_books.height > 0, "customers with two savings books"
    assert (two_books["books"] == 2).all() and (two_books["outs"] == 1).all()
    assert x.filter(pl.col("loan_code").is_null()).height > 0, "savings-only rows"
    progs = checks.loans(x).group_by("customer_code").agg(pl.col("program_code").n_unique())
    assert progs.filter(pl.col("program_code") > 1).height > 0, "loans in two programs"
    assert x["phone"].null_count() > 0 and x["phone"].drop_nulls().len() > 0
    assert set(x["ethnicity"].unique()) > {"Kinh"}
    assert set(x["gender"].unique()) == {"Nam", "Nữ"}
    assert set(x.filter(pl.col("loan_code").is_not_null())["loan_status"].unique()) == {
        "OPEN",
        "CLOSE",
    }
    assert (
        x.filter(pl.col("org_code") == "99")["group_code"].null_count()
        == x.filter(pl.col("org_code") == "99").height
    )
    names = x["commune_name"]
    assert (
        names.str.starts_with("Phường")
        | names.str.starts_with("Xã")
        | names.str.starts_with("Thị trấn")
    ).all()


def test_commune_transaction_day(clean_frames):
    j = clean_frames["SKGD"].filter(pl.col("group_code").is_not_null())
    days = j.group_by("commune_code").agg(pl.col("txn_date").dt.day().n_unique())
    assert (days["txn_date"] == 1).all()


def test_reversals_and_write_offs_present(clean_frames):
    j = clean_frames["SKGD"]
    dk = j.filter(pl.col("txn_type") == "DK")
    assert dk.height > 0
    # A reversed loan is re-disbursed the same day, so it stays a loan turn.
    gn = j.filter(pl.col("txn_type") == "GN").group_by("loan_code").agg(pl.len())
    assert dk.join(gn, on="loan_code").filter(pl.col("len") >= 2).height == dk.height
