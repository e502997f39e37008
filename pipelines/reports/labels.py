"""Vietnamese words for the exception lists that branch staff read (exceptions.xlsx): list
(sheet) names, column headers and the codes in the values. The keys are the recon models' and
marts' column names and check items; tests/reports/test_pipeline.py fails when a recon model of
the real build has a column or check item without a label here."""

from __future__ import annotations

from typing import Any

# recon model -> (sheet name ≤ 31 characters, what the list checks, expected is, actual is)
RECON_LISTS: dict[str, tuple[str, str, str, str]] = {
    "recon_deliveries": (
        "Tệp chưa nhận",
        "Các tệp phải giao ở mỗi ngày cuối tháng; nhật ký giao dịch của mỗi tháng",
        "Tệp phải giao (hoặc số khoản vay có phát sinh)",
        "Tệp đã nạp (hoặc số khoản vay có nhật ký)",
    ),
    "recon_control_totals": (
        "Tổng kiểm soát biểu 01",
        "Mẫu 31 cộng theo dòng, cột so với biểu 01.1/01.2; dòng TỔNG CỘNG",
        "Mẫu 31 (hoặc tổng các dòng)",
        "Biểu 01.x",
    ),
    "recon_loan_rollforward": (
        "Chuyển dư nợ khoản vay",
        "Dư nợ kỳ trước + phát sinh = dư nợ kỳ này; nhật ký giao dịch = cột phát sinh Mẫu 31",
        "Kỳ trước + phát sinh (hoặc tổng nhật ký)",
        "Mẫu 31 kỳ này",
    ),
    "recon_group_register": (
        "Sổ Tổ TK&VV",
        "Sổ Tổ TK&VV (BC0437) so với Mẫu 31 của các tổ viên",
        "Mẫu 31 của tổ viên",
        "Sổ tổ BC0437",
    ),
    "recon_org_totals": (
        "Tổng theo tổ chức",
        "Dư nợ theo hình thức vay và tổng chính thức biểu 01.1 so với cộng các tổ chức",
        "Hình thức vay (hoặc TỔNG CỘNG biểu 01.1)",
        "Cộng các tổ chức",
    ),
    "recon_reconciliation_campaign": (
        "Đợt đối chiếu",
        "Sổ đối chiếu (Mẫu 15/TD) so với Mẫu 31 ngày 31/12 và khách hàng xác nhận",
        "Sổ sách ngân hàng",
        "Sổ đối chiếu",
    ),
    "recon_org_reports": (
        "Hội vs Ngân hàng",
        "Báo cáo của Hội so với sổ sách ngân hàng; số tiền chỉ lệch khi vượt dung sai làm tròn",
        "Sổ sách ngân hàng",
        "Báo cáo của Hội",
    ),
}

CAMPAIGN_DISCREPANCIES = ("Đối chiếu chênh lệch", "Khách hàng có kết quả đối chiếu Chênh lệch")

HEADERS: dict[str, str] = {
    "identity_no": "Đẳng thức",
    "as_of_date": "Ngày số liệu",
    "previous_as_of_date": "Ngày số liệu kỳ trước",
    "pgd_code": "Mã PGD",
    "district_name": "Quận, huyện",
    "commune_code": "Mã xã",
    "group_code": "Mã tổ",
    "org_code": "Mã ĐVUT",
    "customer_code": "Mã khách hàng",
    "loan_code": "Số khế ước",
    "program_code": "Mã chương trình",
    "form_code": "Biểu",
    "row_code": "Mã dòng",
    "row_name": "Tên dòng",
    "column_marker": "Cột",
    "column_name": "Tên cột",
    "campaign_year": "Năm đối chiếu",
    "is_total_row": "Dòng tổng cộng",
    "check_item": "Nội dung kiểm tra",
    "expected_source": "Số kỳ vọng lấy từ",
    "actual_source": "Số thực tế lấy từ",
    "report_code": "Loại báo cáo",
    "expected_file": "Tệp",
    "needed_by": "Số liệu cần tệp",
    "missing_in": "Thiếu ở",
    "expected": "Số kỳ vọng",
    "actual": "Số thực tế",
    "difference": "Chênh lệch (thực tế − kỳ vọng)",
    "tolerance": "Dung sai",
    "is_break": "Lỗi chặn báo cáo",
    "is_finding": "Cần giải trình",
    "result": "Kết quả",
    "reconciled_on": "Ngày đối chiếu",
    "bank_outstanding_vnd": "Dư nợ theo ngân hàng (đồng)",
    "confirmed_outstanding_vnd": "Dư nợ khách hàng xác nhận (đồng)",
    "outstanding_difference_vnd": "Chênh lệch dư nợ (đồng)",
    "bank_interest_vnd": "Lãi theo ngân hàng (đồng)",
    "confirmed_interest_vnd": "Lãi khách hàng xác nhận (đồng)",
    "interest_difference_vnd": "Chênh lệch lãi (đồng)",
}

CHECK_ITEMS: dict[str, str] = {
    # deliveries
    "needed_file": "Tệp cần cho số liệu",
    "optional_file": "Tệp không số liệu nào cần",
    "journal_lines": "Nhật ký giao dịch của tháng",
    # identity 1
    "row_vs_m31": "Dòng của biểu so với Mẫu 31",
    "total_row_vs_rows": "Dòng TỔNG CỘNG so với cộng các dòng",
    # identity 2 (the journal's transaction types keep their contract codes)
    "outstanding": "Dư nợ",
    "GN": "Giải ngân (GN)",
    "DK": "Điều chỉnh giải ngân (DK)",
    "TNTH": "Thu nợ trong hạn (TNTH)",
    "TNQH": "Thu nợ quá hạn (TNQH)",
    "TNKH": "Thu nợ khoanh (TNKH)",
    "TL": "Thu lãi (TL)",
    "CQH": "Chuyển nợ quá hạn (CQH)",
    "KHN": "Khoanh nợ (KHN)",
    "XN": "Xóa nợ (XN)",
    # identity 3
    "members_with_outstanding": "Tổ viên còn dư nợ",
    "outstanding_overdue": "Nợ quá hạn",
    "outstanding_frozen": "Nợ khoanh",
    "savings_balance": "Số dư tiền gửi tiết kiệm",
    # identity 4
    "total_outstanding": "Tổng dư nợ",
    "entrusted_outstanding": "Dư nợ ủy thác",
    "direct_outstanding": "Dư nợ trực tiếp",
    "overdue": "Nợ quá hạn",
    "frozen": "Nợ khoanh",
    "groups_with_outstanding": "Tổ còn dư nợ",
    # identity 5
    "scope_customer": "Khách hàng thuộc phạm vi đối chiếu",
    "reconciled_within_scope": "Số đã đối chiếu không vượt phạm vi",
    "matched_principal": "Khớp: dư nợ gốc",
    "matched_interest": "Khớp: lãi",
    "discrepancy": "Chênh lệch",
    # identity 6
    "households_with_outstanding": "Hộ còn dư nợ",
    "report_delivered": "Báo cáo của Hội đã được giao",
}

MISSING_IN: dict[str, str] = {
    "delivery": "Chưa nhận (hoặc bị từ chối khi nạp)",
    "form": "Biểu 01.x",
    "m31": "Mẫu 31",
    "total_row": "Dòng TỔNG CỘNG",
    "rows": "Các dòng của biểu",
    "bc0437": "Sổ tổ BC0437",
    "current_m31": "Mẫu 31 kỳ này",
    "previous_m31": "Mẫu 31 kỳ trước",
    "journal": "Nhật ký giao dịch",
    "org_report": "Báo cáo của Hội",
    "bank": "Sổ sách ngân hàng",
    "register": "Sổ đối chiếu",
}

VALUES: dict[str, dict[str, str]] = {"check_item": CHECK_ITEMS, "missing_in": MISSING_IN}


def header(column: str) -> str:
    return HEADERS.get(column, column)


def value(column: str, v: Any) -> Any:
    """A cell as branch staff read it: codes of check items and sides in words, flags Có/Không."""
    if isinstance(v, bool):
        return "Có" if v else "Không"
    words = VALUES.get(column)
    if words is not None and isinstance(v, str):
        return words.get(v, v)
    return v


def outcome(row: dict[str, Any]) -> str:
    """The item's result column: every listed item is a difference; a break blocks the report,
    a finding is to be explained."""
    if row.get("is_break"):
        return "Chênh lệch — lỗi chặn báo cáo"
    return "Chênh lệch — cần giải trình"
