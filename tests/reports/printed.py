"""Read back a briefing Chromium printed to PDF: page sizes, text, and each page rendered to a
PNG (PDFium through pypdfium2; the PNG encoder is the few lines below, so no image library)."""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium

POINTS_PER_MM = 72 / 25.4


@dataclass
class PrintedPage:
    width_mm: float
    height_mm: float
    text: str
    pixels: np.ndarray  # RGB, height × width × 3
    dpi: float


def read_pdf(pdf: Path, dpi: float = 96) -> list[PrintedPage]:
    doc = pdfium.PdfDocument(str(pdf))
    try:
        pages = []
        for page in doc:
            width, height = page.get_size()
            text = page.get_textpage().get_text_range()
            pixels = page.render(scale=dpi / 72, rev_byteorder=True).to_numpy()[:, :, :3].copy()
            pages.append(
                PrintedPage(width / POINTS_PER_MM, height / POINTS_PER_MM, text, pixels, dpi)
            )
        return pages
    finally:
        doc.close()


def png(pixels: np.ndarray) -> bytes:
    """An RGB array as PNG bytes (8-bit truecolour, no filter)."""
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 6))
        + chunk(b"IEND", b"")
    )


def inked_box_mm(page: PrintedPage, threshold: int = 245) -> tuple[float, float, float, float]:
    """The rectangle (left, top, right, bottom, in mm from the page's top-left corner) holding
    every pixel darker than ``threshold``: where anything was printed."""
    ink = (page.pixels < threshold).any(axis=2)
    rows, cols = np.nonzero(ink.any(axis=1))[0], np.nonzero(ink.any(axis=0))[0]
    mm = 25.4 / page.dpi
    return (cols[0] * mm, rows[0] * mm, (cols[-1] + 1) * mm, (rows[-1] + 1) * mm)
