"""The briefing's headline figures (calibration.md §1, F1–F14) and the columns of
``marts.mart_briefing_kpis`` that hold them: the one declarative map from a figure id to its
mart column. A ratio names its two parts (numerator, denominator), each a column broken down by
office and organization in ``marts.mart_figure_breakdown``; every other figure is broken down
itself. ``nhcs explain`` and the briefing's appendix read this map; a test holds the briefing's
headline to it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BriefingFigure:
    id: str  # F1..F14 (calibration.md §1)
    column: str  # the mart_briefing_kpis column
    label: str  # as the Vietnamese briefing words it
    ratio: tuple[str, str] | None = None  # (numerator, denominator) columns of a ratio

    @property
    def parts(self) -> tuple[str, ...]:
        """The columns whose breakdown explains the figure."""
        return self.ratio or (self.column,)


FIGURES: tuple[BriefingFigure, ...] = (
    BriefingFigure("F1", "entrusted_outstanding_vnd", "Tổng dư nợ ủy thác qua các TCCTXH"),
    BriefingFigure(
        "F2",
        "entrusted_share",
        "Tỷ trọng dư nợ ủy thác trên tổng dư nợ",
        ("entrusted_outstanding_vnd", "total_outstanding_vnd"),
    ),
    BriefingFigure("F3", "entrusted_change_ytd_vnd", "Dư nợ ủy thác tăng/giảm so với đầu năm"),
    BriefingFigure("F4", "households_with_entrusted_outstanding", "Hộ còn dư nợ ủy thác"),
    BriefingFigure("F5", "groups_with_outstanding", "Tổ TK&VV còn dư nợ"),
    BriefingFigure(
        "F6",
        "avg_entrusted_outstanding_per_household_vnd",
        "Dư nợ ủy thác bình quân một hộ",
        ("entrusted_outstanding_vnd", "households_with_entrusted_outstanding"),
    ),
    BriefingFigure("F7", "loan_turns_qtd", "Lượt hộ được vay vốn trong quý"),
    BriefingFigure("F8", "poor_group_turns_qtd", "Trong đó: hộ nghèo, cận nghèo, mới thoát nghèo"),
    BriefingFigure("F9", "job_creation_turns_qtd", "Trong đó: cho vay giải quyết việc làm"),
    BriefingFigure("F10", "workers_attracted_qtd", "Lao động được thu hút (cho vay GQVL)"),
    BriefingFigure(
        "F11", "water_sanitation_works_qtd", "Công trình nước sạch, vệ sinh được xây mới, cải tạo"
    ),
    BriefingFigure("F12", "reconciled_customers", "Khách hàng đã đối chiếu"),
    BriefingFigure("F13", "reconciliation_in_scope", "Khách hàng phải đối chiếu"),
    BriefingFigure(
        "F14",
        "reconciliation_completion",
        "Tỷ lệ hoàn thành kế hoạch đối chiếu",
        ("reconciled_customers", "reconciliation_in_scope"),
    ),
)
FIGURE_BY_ID: dict[str, BriefingFigure] = {f.id: f for f in FIGURES}
FIGURE_BY_COLUMN: dict[str, BriefingFigure] = {f.column: f for f in FIGURES}
