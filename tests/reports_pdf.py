"""Reading a report's PDF the way a person's tools would: poppler's pdfinfo, pdftotext and
pdftoppm (Debian's poppler-utils), with no browser."""

from __future__ import annotations

import re
import subprocess
import zlib
from pathlib import Path


def pdf_info(pdf: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    pairs = (line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
    return {key.strip(): value.strip() for key, value in pairs}


def pdf_text(pdf: Path) -> str:
    out = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    )
    # Lines wrap where the page ends them: one space between words is what is compared.
    return " ".join(out.stdout.split())


def first_page_image(pdf: Path, out: Path) -> bytes:
    """Page 1 turned into a PNG image at a low resolution (it must draw, not look sharp)."""
    subprocess.run(
        ["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out)],
        check=True,
        capture_output=True,
    )
    return out.with_suffix(".png").read_bytes()


def pdf_language(pdf: Path) -> str:
    """The language the document catalog declares (/Lang), read from the file itself: WeasyPrint
    keeps the catalog in a compressed object stream, which poppler's tools do not print."""
    data = pdf.read_bytes()
    parts = [data]
    for stream in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            parts.append(zlib.decompress(stream.group(1)))
        except zlib.error:
            continue  # an image or a font, not an object stream
    for part in parts:
        if found := re.search(rb"/Type\s*/Catalog\b.*?/Lang\s*\(([^)]*)\)", part, re.S):
            return found.group(1).decode("ascii")
        if found := re.search(rb"/Lang\s*\(([^)]*)\).*?/Type\s*/Catalog\b", part, re.S):
            return found.group(1).decode("ascii")
    return ""
