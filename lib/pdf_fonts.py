"""Fonts for PDFs that print every script a party's name may be written in.

xhtml2pdf (reportlab underneath) embeds TrueType fonts only and picks one font per run of text,
with no fallback per character: Helvetica prints a Chinese name as black boxes. So the rendered
HTML is split into runs by script and each run gets a font that covers it:

- Latin, Cyrillic and Greek: Noto Sans (``fontpkg-noto-sans``, Google Fonts, OFL);
- Arabic and Persian: Noto Sans Arabic (``fontpkg-noto-sans-arabic``, OFL), with xhtml2pdf's own
  shaping and right-to-left ordering;
- Chinese, Japanese and Korean: Noto Sans CJK SC as shipped in ``mplfonts`` (OFL). That file has
  PostScript (CFF) outlines, which reportlab cannot embed, and 65,000 glyphs; converting it whole
  would take minutes, so each PDF gets a small TrueType font of exactly the CJK characters it
  prints, built once per character set and kept in a cache directory.

Nothing is downloaded at run time: the fonts are files inside pinned PyPI packages.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import tempfile
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

# Han (incl. extension A and compatibility), kana, Hangul (syllables and jamo), CJK punctuation
# and full-width forms.
_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3000-\u30ff\u3130-\u318f\u31f0-\u31ff\u3200-\u33ff"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
_ARABIC = "\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff"
# Arrows and mathematical symbols (the timeline's "∅ → value") are not in Noto Sans; the CJK font
# has them.
_SYMBOLS = "\u2190-\u21ff\u2200-\u22ff"
# A run may carry the spaces and digits between two letters of its script.
_EAST = _CJK + _SYMBOLS
_RUN = re.compile(rf"[{_EAST}](?:[{_EAST}\s\d]*[{_EAST}])?|[{_ARABIC}](?:[{_ARABIC}\s\d]*[{_ARABIC}])?")
_CJK_CHAR = re.compile(f"[{_CJK}{_SYMBOLS}]")
_TAG_OR_TEXT = re.compile(r"(<style.*?</style>|<[^>]*>)", re.S | re.I)

_build_lock = threading.Lock()


def _package_dir(name: str) -> Path:
    # find_spec does not import the package: mplfonts' __init__ would import matplotlib.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"the font package {name} is not installed (pip install -r requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def latin_font() -> Path:
    return next((_package_dir("fontpkg_noto_sans") / "files").glob("NotoSans[[]*].ttf"))


def arabic_font() -> Path:
    return next((_package_dir("fontpkg_noto_sans_arabic") / "files").glob("NotoSansArabic[[]*].ttf"))


def _cjk_source() -> Path:
    return _package_dir("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"


def _cjk_font() -> Any:
    """The CJK source font, opened lazily (outlines are read per glyph). Opened afresh for each
    subset: a second subset drawn from a font object an earlier one used came out without glyphs."""
    from fontTools.ttLib import TTFont

    return TTFont(str(_cjk_source()), lazy=True)


@lru_cache(maxsize=1)
def _cjk_cmap() -> dict[int, str]:  # the character map alone is safe to keep
    return dict(_cjk_font().getBestCmap())


def _cache_dir() -> Path:
    return Path(settings.PDF_FONT_CACHE_DIR or Path(tempfile.gettempdir()) / "clearance-fonts")


def cjk_font_for(characters: str) -> Path:
    """A TrueType font holding just these characters' CJK glyphs (cached on disk by character set)."""
    cmap = _cjk_cmap()
    wanted = sorted({ord(c) for c in characters if ord(c) in cmap})
    # "v2": files from before the build was made safe across processes are not trusted.
    digest = hashlib.sha256(("v4:" + ",".join(map(str, wanted))).encode()).hexdigest()[:24]
    cache_dir = _cache_dir()
    path = cache_dir / f"cjk-{digest}.ttf"
    if path.exists():
        return path
    with _build_lock:
        if not path.exists():
            cache_dir.mkdir(parents=True, exist_ok=True)
            # Unique per process and thread: two test or web processes may build the same set at once.
            partial = path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.part")
            _build_cjk_subset(wanted, partial, name=f"ClearanceCJK{digest}")
            partial.replace(path)  # atomic: another process never reads half a font
    return path


def _build_cjk_subset(codepoints: list[int], target: Path, *, name: str) -> None:
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    source = _cjk_font()
    cmap = _cjk_cmap()
    glyph_set = source.getGlyphSet()
    metrics = source["hmtx"]
    names = [".notdef", *dict.fromkeys(cmap[cp] for cp in codepoints)]
    glyphs = {}
    for name in names:
        # CFF draws cubic curves; TrueType needs quadratic ones (cu2qu converts within 1 unit).
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, 1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    builder = FontBuilder(source["head"].unitsPerEm, isTTF=True)
    builder.setupGlyphOrder(names)
    builder.setupCharacterMap({cp: cmap[cp] for cp in codepoints})
    builder.setupGlyf(glyphs)
    builder.setupHorizontalMetrics({name: metrics[name] for name in names})
    hhea = source["hhea"]
    builder.setupHorizontalHeader(ascent=hhea.ascent, descent=hhea.descent)
    # reportlab keeps faces by their PostScript name: each subset needs a name of its own.
    builder.setupNameTable({"familyName": name, "styleName": "Regular", "psName": f"{name}-Regular"})
    builder.setupOS2(
        sTypoAscender=hhea.ascent, sTypoDescender=hhea.descent, usWinAscent=hhea.ascent, usWinDescent=-hhea.descent
    )
    builder.setupPost()
    builder.save(str(target))


def font_dirs() -> list[Path]:
    return [latin_font().parent, arabic_font().parent, _cache_dir()]


def resource_policy() -> Any:
    """xhtml2pdf may read the font files and nothing else on disk, and nothing from the network."""
    from xhtml2pdf.config.resources import ResourceAccessPolicy

    return ResourceAccessPolicy(allow_remote=False, base_dir=str(settings.BASE_DIR), extra_roots=font_dirs())


def with_script_fonts(html: str) -> str:
    """The rendered HTML with each Arabic or CJK run wrapped in a span that names its font,
    and ``@font-face`` rules for the fonts it uses."""
    parts = _TAG_OR_TEXT.split(html)
    cjk_text: list[str] = []
    for i in range(0, len(parts), 2):  # even indexes are text between tags
        cjk_text.extend(m.group(0) for m in _RUN.finditer(parts[i]) if _CJK_CHAR.match(m.group(0)))
        parts[i] = _RUN.sub(_wrap, parts[i])
    faces = [f"@font-face {{ font-family: NotoSans; src: url('{latin_font()}'); }}"]
    faces.append(f"@font-face {{ font-family: NotoSansArabic; src: url('{arabic_font()}'); }}")
    # Each character set is its own font file; xhtml2pdf (reportlab) registers a family once per
    # process by name, so the family is named after its file or a later PDF would get the glyphs
    # of the first one.
    cjk_family = "ClearanceCJK"
    if cjk_text:
        subset = cjk_font_for("".join(cjk_text))
        cjk_family = f"ClearanceCJK{subset.stem.removeprefix('cjk-')}"
        faces.append(f"@font-face {{ font-family: {cjk_family}; src: url('{subset}'); }}")
    style = (
        "<style>" + " ".join(faces) + " * { font-family: NotoSans; } "
        f".script-arabic {{ font-family: NotoSansArabic; }} .script-cjk {{ font-family: {cjk_family}; }}</style>"
    )
    return "".join(parts).replace("</head>", style + "</head>", 1)


def _wrap(match: re.Match[str]) -> str:
    run = match.group(0)
    if _CJK_CHAR.match(run):
        return f'<span class="script-cjk">{run}</span>'
    return f'<span class="script-arabic" lang="ar">{run}</span>'
