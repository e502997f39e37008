"""Write the code-list seeds of dbt_project/seeds from the contract module.

The code lists live in ``pipelines/contract/codes.py``; the warehouse gets them as dbt seeds.
This script is their only writer, and ``tests/dbt/test_seeds.py`` fails when the CSVs differ
from what it would write, so the two cannot drift. Run from the project root:

    .venv/bin/python dbt_project/scripts/write_seeds.py
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from pipelines.contract import codes

SEEDS_DIR = Path(__file__).resolve().parents[1] / "seeds"

_TXN_DESCRIPTIONS = {
    codes.TXN_DISBURSE: ("disbursement", "Giải ngân", 1),
    codes.TXN_REVERSE: ("disbursement reversal", "Đảo khoản giải ngân", -1),
    codes.TXN_REPAY_IN_TERM: ("principal collected, in-term debt", "Thu nợ trong hạn", -1),
    codes.TXN_REPAY_OVERDUE: ("principal collected, overdue debt", "Thu nợ quá hạn", -1),
    codes.TXN_REPAY_FROZEN: ("principal collected, frozen debt", "Thu nợ khoanh", -1),
    codes.TXN_INTEREST: ("interest collected", "Thu lãi", 0),
    codes.TXN_TO_OVERDUE: ("in-term to overdue transfer", "Chuyển quá hạn", 0),
    codes.TXN_TO_FROZEN: ("transfer to frozen debt", "Khoanh nợ", 0),
    codes.TXN_WRITE_OFF: ("write-off", "Xóa nợ", -1),
}


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def seed_tables() -> dict[str, tuple[list[str], list[list]]]:
    """Every seed: name -> (header, rows), from the contract's code lists."""
    return {
        "units": (
            ["unit_code", "unit_name", "unit_kind", "office_name", "is_branch_office"],
            [
                [u.code, u.name, u.kind, u.office_name, u.code == codes.BRANCH_OFFICE]
                for u in codes.UNITS
            ],
        ),
        "organizations": (
            ["org_code", "org_name", "org_short", "is_entrusted"],
            [[o.code, o.name, o.short, o.entrusted] for o in codes.ORGANIZATIONS],
        ),
        "channels": (
            ["channel", "description", "is_entrusted"],
            [
                [codes.CHANNEL_DIRECT, "direct", False],
                [codes.CHANNEL_ENTRUSTED, "entrusted", True],
            ],
        ),
        "programs": (
            [
                "program_code",
                "program_short",
                "program_name",
                "channels",
                "rate_pct_month",
                "priority_rate_pct_month",
                "output",
                "is_poor_group",
                "is_job_creation",
                "is_water_sanitation",
                "counts_workers",
            ],
            [
                [
                    p.code,
                    p.short,
                    p.name,
                    "|".join(p.channels),
                    p.rate_pct_month,
                    p.priority_rate_pct_month,
                    p.output,
                    p.code in codes.POOR_GROUP_PROGRAMS,
                    p.code == codes.JOB_CREATION_PROGRAM,
                    p.code == codes.WATER_SANITATION_PROGRAM,
                    p.code in codes.WORKER_PROGRAMS,
                ]
                for p in codes.PROGRAMS
            ],
        ),
        "household_categories": (
            ["household_category", "sort_order"],
            [[c, i] for i, c in enumerate(codes.HOUSEHOLD_CATEGORIES, start=1)],
        ),
        "term_classes": (
            ["term_class", "min_months", "max_months", "sort_order"],
            [[b.name, b.low, b.high, i] for i, b in enumerate(codes.TERM_BANDS, start=1)],
        ),
        "group_ratings": (
            ["rating", "min_score", "max_score", "sort_order"],
            [[b.name, b.low, b.high, i] for i, b in enumerate(codes.RATING_BANDS, start=1)],
        ),
        "txn_types": (
            ["txn_type", "description", "description_vi", "outstanding_sign"],
            [[t, *_TXN_DESCRIPTIONS[t]] for t in codes.TXN_TYPES],
        ),
    }


def render(header: list[str], rows: list[list]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([_fmt(v) for v in row])
    return buf.getvalue()


def rendered_seeds() -> dict[str, str]:
    return {name: render(*table) for name, table in seed_tables().items()}


def main() -> None:
    SEEDS_DIR.mkdir(parents=True, exist_ok=True)
    for name, text in rendered_seeds().items():
        (SEEDS_DIR / f"{name}.csv").write_text(text, encoding="utf-8")
        print(f"wrote {SEEDS_DIR / name}.csv")


if __name__ == "__main__":
    main()
