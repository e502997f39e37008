"""Names of the bookkeeping columns that the parse stages pass along beside the spec's keys.

A file's body (``layout.cut_body``) carries each row's sheet row number and total-row flag; the
bodies of one report's files are stacked with the index of their file (``parse``); conversion
(``convert``) adds the data date and unit each row's file must show and keeps every column's
delivered text beside its typed value, for the checks (``checks``) to test and to quote. One
module holds the names so that no stage spells another's column.
"""

from __future__ import annotations

ROW = "_row_number"
TOTAL = "_is_total"
FILE = "__file"
WANT_DATE = "__want_date"
WANT_UNIT = "__want_unit"


def raw_of(key: str) -> str:
    """The column holding ``key``'s delivered text (trimmed where the full rules ran)."""
    return f"__raw_{key}"
