"""Fonts for PDFs: the one place that registers a CJK font with ReportLab.

Chinese text needs a font with its glyphs embedded in the PDF: ReportLab's built-in
`STSong-Light` is a CID font that is *not* embedded, and viewers without Adobe's Asian
font pack (poppler, so most Linux tools) draw it blank. So receipts and reports use a
TrueType font, embedded as a subset: the `pdf_font` setting when given, else the
bundled WenQuanYi Micro Hei (README.md beside this file). STSong-Light is the last
resort, used only when no TrueType font can be loaded, with a warning.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

BUNDLED = Path(__file__).with_name("wqy-microhei.ttc")
FALLBACK = "STSong-Light"


@dataclass(frozen=True)
class PdfFont:
    name: str  # the name to pass to ReportLab's setFont / paragraph styles
    source: str  # the file it came from, or the CID font's name
    embedded: bool


@lru_cache(maxsize=8)
def cjk_font(path: Path | None = None) -> PdfFont:
    """Register the CJK font once per process and return how to use it."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    for candidate in [p for p in (path, BUNDLED) if p is not None]:
        try:
            font = TTFont("MallctlCJK", str(candidate), subfontIndex=0)
        except (OSError, TTFError):
            if candidate == path:
                from mallctl.errors import ConfigError

                raise ConfigError(
                    f"pdf_font {path} is not a TrueType font ReportLab can embed "
                    "(.ttf or .ttc with TrueType outlines; OpenType/CFF fonts such as "
                    "Noto CJK .otf cannot be used)"
                ) from None
            continue
        pdfmetrics.registerFont(font)
        return PdfFont("MallctlCJK", str(candidate), True)
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    pdfmetrics.registerFont(UnicodeCIDFont(FALLBACK))
    return PdfFont(FALLBACK, FALLBACK, False)
