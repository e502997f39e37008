"""A battery of hostile delivery files, each one small on disk (issue 19, item 2).

Each builder returns the bytes of one file that a careless or malicious export could deliver
and that once cost the ingest gigabytes of memory or the whole process. The tests ingest each
among good files (only it may be rejected; nothing else may fail), and the memory figures of
``docs/ingestion.md`` come from ingesting each alone under ``/usr/bin/time -v``:

    python -m pipelines.ingest.hostile /tmp/hostile      # one raw folder per case
    for d in /tmp/hostile/*/; do
        /usr/bin/time -v nhcs ingest --raw "$d/raw" --warehouse "$d/w/warehouse.duckdb"
    done

The builders write the Office Open XML by hand where a writer library would refuse (a lying
dimension, a part whose size lies) and use nothing but the standard library.
"""

from __future__ import annotations

import hashlib
import io
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from datetime import date
from pathlib import Path

_CT = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="BCQUERY" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def workbook(sheet_xml: bytes, level: int = 9) -> bytes:
    """An .xlsx holding one sheet BCQUERY with the given worksheet XML."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return buf.getvalue()


def last_cell(declare: str | None = "A1:XFD1048576") -> bytes:
    """Two cells, A1 and the sheet's last one (XFD1048576): calamine makes a dense grid of
    17 billion cells (512 GiB) and aborts the process. ``declare``: the dimension the sheet
    states (``None``: none; ``"A1"``: a lie)."""
    dim = f'<dimension ref="{declare}"/>' if declare else ""
    xml = (
        _SHEET_HEAD
        + dim
        + "<sheetData>"
        + f'<row r="1">{_cell("A1", "Mã PGD")}</row>'
        + f'<row r="1048576">{_cell("XFD1048576", "x")}</row>'
        + "</sheetData></worksheet>"
    )
    return workbook(xml.encode())


def far_cell(rows: int = 400_000, column: str = "AZ") -> bytes:
    """Cells at A1 and ``<column><rows>`` with a dimension that lies (A1): a grid that fits
    in memory but costs about rows × 52 × 32 bytes before any check could see it."""
    return last_cell_at(f"{column}{rows}", declare="A1")


def last_cell_at(ref: str, declare: str | None) -> bytes:
    dim = f'<dimension ref="{declare}"/>' if declare else ""
    row = "".join(ch for ch in ref if ch.isdigit())
    xml = (
        _SHEET_HEAD
        + dim
        + "<sheetData>"
        + f'<row r="1">{_cell("A1", "Mã PGD")}</row>'
        + f'<row r="{row}">{_cell(ref, "x")}</row>'
        + "</sheetData></worksheet>"
    )
    return workbook(xml.encode())


def zip_bomb(expanded_mib: int = 1100) -> bytes:
    """A sheet whose XML expands ~1000 times: a few MB on disk, over a gigabyte of rows."""
    row = b'<row><c t="inlineStr"><is><t>0</t></is></c></row>'
    n = expanded_mib * 1024 * 1024 // len(row)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = (_SHEET_HEAD + '<dimension ref="A1"/><sheetData>').encode()
    parts = [comp.compress(head)]
    block = row * 4096
    for _ in range(n // 4096):
        parts.append(comp.compress(block))
    tail = b"</sheetData></worksheet>"
    parts.append(comp.compress(tail))
    parts.append(comp.flush())
    raw = b"".join(parts)
    crc, size = 0, 0
    crc = zlib.crc32(head, crc)
    for _ in range(n // 4096):
        crc = zlib.crc32(block, crc)
    crc = zlib.crc32(tail, crc)
    size = len(head) + (n // 4096) * len(block) + len(tail)
    return _with_raw_member(workbook(b"<worksheet/>"), "xl/worksheets/sheet1.xml", raw, crc, size)


def lying_size(expanded_mib: int = 600) -> bytes:
    """The zip bomb, but its zip directory says the sheet is 1 KB: a reader that trusts the
    directory finds out only while inflating."""
    data = zip_bomb(expanded_mib)
    return _patch_sizes(data, "xl/worksheets/sheet1.xml", 1024)


def shared_string_bomb(mib: int = 800) -> bytes:
    """One shared string of ``mib`` MiB of the same letter: a 1 MB file."""
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>'
    tail = b"</t></si></sst>"
    block = b"a" * (1024 * 1024)
    parts, crc = [comp.compress(head)], zlib.crc32(head)
    for _ in range(mib):
        parts.append(comp.compress(block))
        crc = zlib.crc32(block, crc)
    parts += [comp.compress(tail), comp.flush()]
    crc = zlib.crc32(tail, crc)
    sheet = (
        _SHEET_HEAD + '<sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    base = workbook(sheet)
    buf = io.BytesIO(base)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr("xl/sharedStrings.xml", b"<sst/>")
    return _with_raw_member(
        buf.getvalue(),
        "xl/sharedStrings.xml",
        b"".join(parts),
        crc,
        len(head) + mib * 2**20 + len(tail),
    )


def csv_one_line(mib: int = 600) -> bytes:
    """A journal of one header and one line of ``mib`` MiB (no line break)."""
    head = "Ngày GD;Mã GD;Mã PGD;Mã xã;Mã tổ;Mã KH;Số khế ước;Mã CT;Loại GD;Số tiền;Diễn giải\n"
    return head.encode() + b"9" * (mib * 2**20)


def csv_many_lines(lines: int = 40_000_000) -> bytes:
    """A journal of tens of millions of empty-ish lines (~80 MB)."""
    head = "Ngày GD;Mã GD;Mã PGD;Mã xã;Mã tổ;Mã KH;Số khế ước;Mã CT;Loại GD;Số tiền;Diễn giải\n"
    return head.encode() + b";;;;;;;;;;\n" * (lines // 8)


def parquet_rows(rows: int = 200_000_000) -> bytes:
    """A Parquet file of one constant column of ``rows`` rows: kilobytes on disk (run-length
    encoded), gigabytes once read as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    col = pa.repeat("0107", rows) if hasattr(pa, "repeat") else pa.array(["0107"] * rows)
    buf = io.BytesIO()
    pq.write_table(pa.table({"Mã PGD": col}), buf, compression="zstd")
    return buf.getvalue()


# --------------------------------------------------------------------------- zip surgery
def _with_raw_member(data: bytes, name: str, raw: bytes, crc: int, size: int) -> bytes:
    """``data`` with member ``name`` replaced by already-deflated ``raw`` bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    central = []
    for info in src.infolist():
        body = raw if info.filename == name else zlib.compressobj(9, zlib.DEFLATED, -15)
        if info.filename != name:
            plain = src.read(info.filename)
            body = body.compress(plain) + body.flush()
            c, s = zlib.crc32(plain), len(plain)
        else:
            c, s = crc, size
        fname = info.filename.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, c, len(body), s, len(fname), 0
            )
        )
        out.write(fname)
        out.write(body)
        central.append((fname, c, len(body), s, offset))
    start = out.tell()
    for fname, c, csize, s, offset in central:
        out.write(
            struct.pack(
                "<IHHHHHHIIIHHHHHII",
                0x02014B50,
                20,
                20,
                0,
                8,
                0,
                0x21,
                c,
                csize,
                s,
                len(fname),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
        )
        out.write(fname)
    end = out.tell()
    out.write(
        struct.pack(
            "<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), end - start, start, 0
        )
    )
    return out.getvalue()


def _patch_sizes(data: bytes, name: str, size: int) -> bytes:
    """Make the local header and the central directory state ``size`` for member ``name``."""
    buf = bytearray(data)
    fname = name.encode()
    pos = 0
    while (pos := buf.find(b"PK\x03\x04", pos)) != -1:
        n = struct.unpack_from("<H", buf, pos + 26)[0]
        if bytes(buf[pos + 30 : pos + 30 + n]) == fname:
            struct.pack_into("<I", buf, pos + 22, size)
        pos += 4
    pos = 0
    while (pos := buf.find(b"PK\x01\x02", pos)) != -1:
        n = struct.unpack_from("<H", buf, pos + 28)[0]
        if bytes(buf[pos + 46 : pos + 46 + n]) == fname:
            struct.pack_into("<I", buf, pos + 24, size)
        pos += 4
    return bytes(buf)


# ------------------------------------------------------------------------------ corpus
DAY = date(2022, 3, 31)
OFFICE = "0107"

CASES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "last_cell": (f"M31_{OFFICE}_{DAY:%Y%m%d}.xlsx", last_cell),
    "last_cell_lying_dimension": (f"M31_{OFFICE}_{DAY:%Y%m%d}.xlsx", lambda: last_cell("A1")),
    "last_cell_no_dimension": (f"M31_{OFFICE}_{DAY:%Y%m%d}.xlsx", lambda: last_cell(None)),
    "far_cell_lying_dimension": (f"M31_{OFFICE}_{DAY:%Y%m%d}.xlsx", far_cell),
    "zip_bomb": (f"DOICHIEU_{OFFICE}_{DAY:%Y%m%d}.xlsx", zip_bomb),
    "zip_bomb_lying_size": (f"DOICHIEU_{OFFICE}_{DAY:%Y%m%d}.xlsx", lying_size),
    "shared_string_bomb": (f"BC0437_{OFFICE}_{DAY:%Y%m%d}.xlsx", shared_string_bomb),
    "csv_one_huge_line": (f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv", csv_one_line),
    "csv_millions_of_lines": (f"SKGD_{OFFICE}_{DAY:%Y%m%d}.csv", csv_many_lines),
    "parquet_rle_bomb": (f"M31_{OFFICE}_{DAY:%Y%m%d}.parquet", parquet_rows),
}


def write_delivery(raw: Path, name: str, data: bytes, day: date = DAY, unit: str = OFFICE) -> Path:
    """One delivery folder holding ``name`` and its manifest."""
    folder = raw / day.isoformat() / unit
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    (folder / "manifest.csv").write_text(f"file_name,bytes,sha256\n{name},{len(data)},{sha}\n")
    return folder / name


def main(argv: list[str]) -> int:
    out = Path(argv[0]) if argv else Path("/tmp/hostile")
    for case, (name, build) in CASES.items():
        data = build()
        path = write_delivery(out / case / "raw", name, data)
        print(f"{case}: {path} ({len(data):,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
