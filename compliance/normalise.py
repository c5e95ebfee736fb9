"""Name normalisation for screening: turn a name as it really arrives into comparable tokens.

Pure Python, no Django: the matcher, the CLI, the API and the tasks all call this one module,
so a name is normalised the same way whether it is on the list or on a licence request.

The pipeline, in order (each step is a small function so tests can name the rule they check):
0. What a person sees (`visible_text`): a name stored with direction overrides is put in the
   order it is displayed, and invisible characters (zero-width, BOM, tag characters...) go.
1. Unicode compatibility folding (NFKC: full-width letters, ligatures).
2. A glossary of generic Chinese company words (有限公司 -> "co ltd", 技术 -> "technologies"),
   because pinyin of 技术 ("ji shu") would never meet the English name on the list.
3. Transliteration to ASCII with anyascii (Cyrillic, Arabic, Greek, Armenian, Georgian, kana...);
   Han and Hangul syllables are spaced so "华为" becomes "hua wei" and word-joining repair can
   meet "Huawei".
4. Case folding, apostrophes dropped ("Qa'ida" -> "qaida"), every other punctuation mark splits.
5. Number words to digits ("forty-four" -> "44", "1st"/"first" -> "1").
6. Legal forms recognised and set aside with a generic kind (LLC, JSC, ...): "OOO", "Limited
   Liability Company" and "GmbH" are the same kind of thing and carry no identity.
7. Leading titles and articles dropped ("Mr.", "Dr.", "President", "The", "MV").
8. Abbreviations expanded to one spelling ("Tech" -> "technologies", "Int'l" -> "international").
9. Runs of initials joined ("A.B.C." -> "abc").
Token order is left as written and a repeated word is kept: "Johnson & Johnson" is not
"Johnson", and the matcher compares tokens as a multiset.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from anyascii import anyascii
from bidi import get_display

# Generic Chinese company words, longest first so 股份有限公司 wins over 有限公司. Translated
# rather than transliterated because lists and applicants write these parts in English.
CJK_GLOSSARY: tuple[tuple[str, str], ...] = (
    ("股份有限公司", " joint stock company "),
    ("有限责任公司", " limited liability company "),
    ("有限公司", " co ltd "),
    ("公司", " company "),
    ("集团", " group "),
    ("技术", " technologies "),
    ("科技", " technology "),
    ("研究所", " research institute "),
    ("研究院", " research institute "),
    ("大学", " university "),
    ("国际", " international "),
    ("电子", " electronics "),
    ("通信", " communications "),
    ("贸易", " trading "),
    ("终端", " device "),
    ("软件", " software "),
    ("中国", " china "),
    ("香港", " hong kong "),
)

# Legal forms and their generic kind. Kinds follow the `generic` vocabulary of OpenSanctions'
# org_types data (LLC, JSC, ...), hand-picked for the forms that appear on export-control lists.
# Keys are space-separated normalised tokens (after transliteration and punctuation splitting).
_LEGAL_FORMS: dict[str, tuple[str, ...]] = {
    "LLC": (
        "llc",
        "l l c",
        "limited liability company",
        "limited liability co",
        "limited liability partnership",
        "ltd",
        "limited",
        "ltd co",
        "co ltd",
        "company limited",
        "pte ltd",
        "pty ltd",
        "pvt ltd",
        "private limited",
        "pte",
        "pty",
        "pvt",
        "gmbh",
        "g m b h",
        "gesellschaft mit beschrankter haftung",
        "ooo",
        "o o o",
        "obshchestvo s ogranichennoy otvetstvennostyu",
        "obshchestvo s ogranichennoi otvetstvennostiu",
        "tov",
        "srl",
        "s r l",
        "sarl",
        "s a r l",
        "societatea cu raspundere limitata",
        "sp z o o",
        "sp z oo",
        "spolka z ograniczona odpowiedzialnoscia",
        "sro",
        "s r o",
        "bv",
        "b v",
        "ltda",
        "sdn bhd",
        "bhd",
        "fze",
        "fzco",
        "fzc",
        "fz llc",
        "dmcc",
        "llp",
        "yugen kaisha",
        "sl",
        "s de rl",
        "ltd sti",
        "limited sirketi",
    ),
    "JSC": (
        "jsc",
        "j s c",
        "joint stock company",
        "joint stock co",
        "ojsc",
        "open joint stock company",
        "cjsc",
        "closed joint stock company",
        "pjsc",
        "public joint stock company",
        "ao",
        "a o",
        "oao",
        "zao",
        "pao",
        "aktsionernoe obshchestvo",
        "aktsionernoye obshchestvo",
        "otkrytoe aktsionernoe obshchestvo",
        "zakrytoe aktsionernoe obshchestvo",
        "publichnoe aktsionernoe obshchestvo",
        "ag",
        "a g",
        "aktiengesellschaft",
        "plc",
        "p l c",
        "public limited company",
        "sa",
        "s a",
        "sociedad anonima",
        "societe anonyme",
        "spa",
        "s p a",
        "nv",
        "n v",
        "as",
        "asa",
        "ab",
        "oy",
        "oyj",
        "se",
        "kk",
        "kabushiki kaisha",
        "tbk",
        "pt",
        "anonim sirketi",
        "sa de cv",
        "de cv",
        "sab de cv",
    ),
    "CORP": (
        "co",
        "company",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "incorporation",
        "kg",
        "kgaa",
        "lp",
        "l p",
        "cv",
        "gk",
        "godo kaisha",
    ),
    "NGO": (
        "ano",
        "avtonomnaya nekommercheskaya organizatsiya",
        "foundation",
        "ev",
        "e v",
    ),
    "SP": ("ip", "individualnyy predprinimatel"),
}

# Forms that are ordinary words or letters elsewhere ("AS", "SA", "PT", "AO", "CO") are only
# taken as legal forms at the start or end of a name; longer phrases are taken anywhere.
_LEGAL_INDEX: dict[tuple[str, ...], str] = {
    tuple(alias.split()): kind for kind, aliases in _LEGAL_FORMS.items() for alias in aliases
}
_LEGAL_MAX_LEN = max(len(k) for k in _LEGAL_INDEX)

_TITLES = frozenset(
    {
        "the",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "prof",
        "sir",
        "president",
        "prasident",
        "monsieur",
        "madame",
        "mme",
        "sheikh",
        "shaikh",
        "mv",
    }
)

# One spelling per abbreviation family; the long form is kept so explanations read naturally.
ABBREVIATIONS: dict[str, str] = {
    "tech": "technologies",
    "techn": "technologies",
    "technology": "technologies",
    "intl": "international",
    "int": "international",
    "internat": "international",
    "inter": "international",
    "natl": "national",
    "univ": "university",
    "inst": "institute",
    "instit": "institute",
    "ind": "industries",
    "inds": "industries",
    "indus": "industries",
    "industry": "industries",
    "industrial": "industries",
    "mfg": "manufacturing",
    "eng": "engineering",
    "engg": "engineering",
    "elec": "electronics",
    "electronic": "electronics",
    "comm": "communications",
    "comms": "communications",
    "communication": "communications",
    "telecom": "telecommunications",
    "telecommunication": "telecommunications",
    "grp": "group",
    "hldgs": "holdings",
    "holding": "holdings",
    "svcs": "services",
    "svc": "services",
    "service": "services",
    "sys": "systems",
    "system": "systems",
    "lab": "laboratory",
    "labs": "laboratory",
    "laboratories": "laboratory",
    "sci": "science",
    "sciences": "science",
    "dept": "department",
    "assn": "association",
    "assoc": "association",
    "bros": "brothers",
    "mgmt": "management",
    "dev": "development",
    "equip": "equipment",
    "imp": "import",
    "exp": "export",
    "ibn": "bin",
}

# Digits written for look-alike letters inside a word ("Ig0r Sech1n") are obfuscation.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "9": "g"})
_LEET_WORD = re.compile(r"^[a-z]+[0-9][a-z0-9]*[a-z]$")

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_ORDINALS = {
    "first": "1",
    "second": "2",
    "third": "3",
    "fourth": "4",
    "fifth": "5",
    "1st": "1",
    "2nd": "2",
    "3rd": "3",
    "4th": "4",
    "5th": "5",
}

_APOSTROPHES = re.compile(r"['’‘`ʼʻ´]")
# "AT&T", "P&G", "H&M": an ampersand inside a word is part of the name, not "and".
_WORD_AMPERSAND = re.compile(r"(?<=[a-z0-9])&(?=[a-z0-9])")
_TOKEN = re.compile(r"[a-z0-9]+")


def _is_spaced_script(ch: str) -> bool:
    """Han ideographs and Hangul syllables are written without spaces; one syllable, one token."""
    code = ord(ch)
    return 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF or 0xF900 <= code <= 0xFAFF or 0xAC00 <= code <= 0xD7AF


# Explicit directional formatting characters (Unicode UAX #9, section 2): embeddings, overrides,
# isolates and their terminators. They change the order in which a name is displayed.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Drawn as nothing although not format characters: Hangul fillers, the braille blank, the
# combining grapheme joiner and variation selectors.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f") | frozenset(map(chr, range(0xFE00, 0xFE10)))
_RTL_CLASSES = frozenset({"R", "AL"})
# What may sit between two right-to-left letters and still belong to the same run of text.
_RTL_RUN_CLASSES = frozenset({"R", "AL", "NSM", "WS", "ON", "CS", "ES", "ET", "BN"})


def is_invisible(ch: str) -> bool:
    """A character a reader cannot see: a Unicode format character (category Cf: direction
    controls, zero-width space and joiners, the BOM, soft hyphen, tag characters) or a blank letter."""
    return unicodedata.category(ch) == "Cf" or ch in _BLANK_LETTERS


def hidden_characters(name: str) -> list[str]:
    """The invisible characters in a name, as 'U+202E RIGHT-TO-LEFT OVERRIDE', once each."""
    seen = dict.fromkeys(ch for ch in name if is_invisible(ch))
    return [f"U+{ord(ch):04X} {unicodedata.name(ch, 'UNNAMED FORMAT CHARACTER')}" for ch in seen]


def _restore_rtl_runs(visual: str) -> str:
    """Visual order back to reading order for right-to-left script: a reader takes an Arabic or
    Hebrew run from right to left, so each run of such letters (with the spaces and punctuation
    between them) is reversed; everything else is read as laid out, left to right."""
    out: list[str] = []
    i = 0
    while i < len(visual):
        if unicodedata.bidirectional(visual[i]) not in _RTL_CLASSES:
            out.append(visual[i])
            i += 1
            continue
        end = i
        j = i
        while j < len(visual) and unicodedata.bidirectional(visual[j]) in _RTL_RUN_CLASSES:
            if unicodedata.bidirectional(visual[j]) in _RTL_CLASSES | {"NSM"}:
                end = j + 1
            j += 1
        out.append(visual[i:end][::-1])
        i = end
    return "".join(out)


def visible_text(name: str) -> str:
    """The name as a person reads it on screen; screening compares this, not the stored characters.

    A name stored as RIGHT-TO-LEFT OVERRIDE + "seigolonhceT iewauH" is displayed, and read, as
    "Huawei Technologies". When a name holds explicit direction controls, its display order is
    computed with the Unicode Bidirectional Algorithm (python-bidi's `get_display`, the base
    direction taken from the first strong letter as a browser's `<bdi>` does), and runs of
    right-to-left script are then read right to left again; a name without such controls is
    already in reading order (an Arabic name is stored in the order it is read). Invisible
    characters are dropped in either case.
    """
    text = name
    if any(ch in BIDI_CONTROLS for ch in text):
        # One line per paragraph separator would be reordered alone; a name is one line.
        text = _restore_rtl_runs("".join(ch for ch in get_display(" ".join(text.splitlines())) if not is_invisible(ch)))
    return "".join(ch for ch in text if not is_invisible(ch))


def has_visible_letters(name: str) -> bool:
    """Whether a reader sees at least one letter or digit in the name."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in visible_text(name))


def fold(name: str) -> str:
    """NFKC-fold, translate generic CJK words, and transliterate to lower-case ASCII."""
    text = unicodedata.normalize("NFKC", visible_text(name))
    if any(_is_spaced_script(ch) for ch in text):
        for cjk, english in CJK_GLOSSARY:
            text = text.replace(cjk, english)
        text = "".join(f" {anyascii(ch)} " if _is_spaced_script(ch) else ch for ch in text)
    text = anyascii(text).lower()
    text = _WORD_AMPERSAND.sub("", text)
    return _APOSTROPHES.sub("", text)


def _numbers(tokens: list[str]) -> list[str]:
    """Number words to digits: 'forty four', 'forty 4' and 'fourty-four' all become '44'."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok in _ORDINALS:
            out.append(_ORDINALS[tok])
        elif tok in _TENS:
            value = _TENS[tok]
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
            if nxt in _UNITS and _UNITS[nxt] < 10:
                value += _UNITS[nxt]
                i += 1
            elif len(nxt) == 1 and nxt.isdigit():
                value += int(nxt)
                i += 1
            out.append(str(value))
        elif tok in _UNITS:
            out.append(str(_UNITS[tok]))
        else:
            out.append(tok)
        i += 1
    return out


def _edge_kind(tokens: list[str], *, at_end: bool) -> tuple[str, int] | None:
    """The legal form (kind, length) that the name starts or ends with, longest first."""
    for size in range(min(_LEGAL_MAX_LEN, len(tokens) - 1), 0, -1):
        part = tuple(tokens[-size:] if at_end else tokens[:size])
        kind = _LEGAL_INDEX.get(part)
        # Spelled-out letters lead many names ("A O Smith"); as a legal form they only trail.
        if kind is not None and (at_end or any(len(tok) > 1 for tok in part)):
            return kind, size
    return None


def _strip_legal_forms(tokens: list[str]) -> tuple[list[str], list[str]]:
    """Set legal forms aside: word phrases anywhere, short or spelled-out forms only at an edge.

    "AS", "SA", "CO" or "A O" are ordinary words or initials in the middle of a name ("A O
    Smith"), so only phrases of real words ("joint stock company", "co ltd") are taken anywhere.
    """
    kinds: list[str] = []
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in range(min(_LEGAL_MAX_LEN, len(tokens) - i), 1, -1):
            part = tuple(tokens[i : i + size])
            kind = _LEGAL_INDEX.get(part)
            if kind is not None and all(len(tok) > 1 for tok in part):
                kinds.append(kind)
                i += size
                break
        else:
            out.append(tokens[i])
            i += 1
    # Edges, repeatedly ("Huawei Technologies Co Ltd" ends in two); never strip a name bare.
    while (found := _edge_kind(out, at_end=True)) is not None:
        kinds.append(found[0])
        del out[-found[1] :]
    while (found := _edge_kind(out, at_end=False)) is not None:
        kinds.append(found[0])
        del out[: found[1]]
    return out, kinds


def _join_initials(tokens: list[str]) -> list[str]:
    """Runs of two or more single letters are one acronym: 'a b c' (from A.B.C.) -> 'abc'."""
    out: list[str] = []
    run: list[str] = []
    for tok in [*tokens, ""]:
        if len(tok) == 1 and tok.isalpha():
            run.append(tok)
            continue
        if run:
            out.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if tok:
            out.append(tok)
    return out


@dataclass(frozen=True, slots=True)
class NormalisedName:
    """A name reduced to identity tokens, with what was set aside kept for explanations."""

    original: str
    tokens: tuple[str, ...]
    legal_forms: tuple[str, ...]
    dropped: tuple[str, ...]
    # Every token including legal forms, in written order: used to catch "SiemensAG".
    all_tokens: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


@lru_cache(maxsize=65536)
def analyse(name: str) -> NormalisedName:
    """Normalise a name into tokens; cached because batches repeat the same party names."""
    raw = _TOKEN.findall(fold(name))
    raw = [t.translate(_LEET) if _LEET_WORD.match(t) else t for t in raw]
    tokens = _numbers(raw)
    all_tokens = tuple(tokens)
    tokens, kinds = _strip_legal_forms(tokens)
    dropped: list[str] = []
    while len(tokens) > 1 and tokens[0] in _TITLES:
        dropped.append(tokens.pop(0))
    tokens = [ABBREVIATIONS.get(tok, tok) for tok in tokens]
    tokens = _join_initials(tokens)
    return NormalisedName(
        original=name,
        tokens=tuple(tokens),
        legal_forms=tuple(dict.fromkeys(kinds)),
        dropped=tuple(dropped),
        all_tokens=all_tokens,
    )


def normalise(name: str) -> str:
    """The comparable form of a name: folded, transliterated, legal forms and titles removed."""
    return analyse(name).text


# --- Names in other scripts -------------------------------------------------------------------
# Kept apart from the Latin pipeline above: these functions only serve the matcher's comparison
# of a name written in one script with the same name written in another ("محمد" / "Mohammed").
# anyascii reads Arabic and Hebrew letter by letter, and those scripts leave short vowels
# unwritten, so "محمد" becomes "mhmd" while the list says "Mohammed". The two meet on their
# consonant skeletons: vowels dropped, letters that romanisations swap folded to one class.

# Unicode block names (the first word of a letter's character name) to the script we report.
_SCRIPT_NAMES = {
    "ARABIC": "Arabic",
    "HEBREW": "Hebrew",
    "GREEK": "Greek",
    "CYRILLIC": "Cyrillic",
    "THAI": "Thai",
    "HIRAGANA": "Japanese",
    "KATAKANA": "Japanese",
    "CJK": "Han",
    "HANGUL": "Korean",
    "ARMENIAN": "Armenian",
    "GEORGIAN": "Georgian",
    "DEVANAGARI": "Devanagari",
}
# Letters Persian writes differently from Arabic; their presence names the language.
_PERSIAN_LETTERS = frozenset("پچژگکی")
_THAI_PREPOSED = re.compile("([เแโใไ])([ก-ฮ])")
# Word-initial alif, hamza and ayin carry the vowel Latin spellings start with ("Ali", "Omar").
_ARABIC_INITIAL_VOWELS = frozenset("اأإآعءئؤٱ")
_ARABIC_LETTERS = str.maketrans(
    {
        "ة": "",  # ta marbuta: "Fatima", "Fatimah" and "Fatimat" all occur
        "ى": "a",
        "ظ": "z",
        "ذ": "z",  # "dh" in Arabic romanisation, "z" in Persian: both fold to s-class below
        "ث": "s",
        "ـ": "",  # tatweel, a stretching stroke
        "\u200c": "",  # zero-width non-joiner inside Persian words ("خامنه‌ای")
    }
)
_HEBREW_LETTERS = str.maketrans(
    {
        "א": "",
        "ב": "b",
        "ג": "g",
        "ד": "d",
        "ה": "h",
        "ו": "w",
        "ז": "z",
        "ח": "h",
        "ט": "t",
        "י": "y",
        "כ": "k",
        "ך": "k",
        "ל": "l",
        "מ": "m",
        "ם": "m",
        "נ": "n",
        "ן": "n",
        "ס": "s",
        "ע": "",
        "פ": "p",
        "ף": "f",
        "צ": "ts",
        "ץ": "ts",
        "ק": "k",
        "ר": "r",
        "ש": "sh",
        "ת": "t",
    }
)
_HEBREW_INITIAL_VOWELS = frozenset("אע")

# Consonant classes: letters that romanisations of one sound use interchangeably.
_DIGRAPHS = (
    ("kh", "k"),
    ("gh", "k"),
    ("sh", "s"),
    ("dj", "j"),
    ("ch", "s"),  # French "sh" ("Akkacha", "Charia") far more often than English "ch" here
    ("dh", "t"),
    ("th", "t"),
    ("ph", "b"),
    ("ts", "s"),
    ("tz", "s"),
    ("ck", "k"),
)
_CONSONANT_CLASS = str.maketrans(
    {"p": "b", "f": "b", "v": "b", "c": "k", "g": "k", "q": "k", "d": "t", "z": "s", "x": "s", "l": "r"}
)
_VOWELS = frozenset("aeiouyw")
_ABD_ARTICLE = re.compile(r"^abd(?:u|e|a|ou|o)[lr](?=.)|^abd(?:u|e|a|ou|o)l$")
_SOFT_C = re.compile(r"c(?=[eiy])")


def script_of(name: str) -> str | None:
    """The non-Latin script a name is written in, or None when it is Latin (or has no letters).

    Kana anywhere makes a name Japanese, so its kanji are read the Japanese way; Han alone
    could be Chinese or Japanese and is reported as "Han".
    """
    found: str | None = None
    for ch in name:
        if not ch.isalpha() or ord(ch) < 0x250 or 0x1E00 <= ord(ch) <= 0x1EFF:
            continue
        block = unicodedata.name(ch, "").split(" ", 1)[0]
        script = _SCRIPT_NAMES.get(block, block.title() or None)
        if script == "Japanese":
            return "Japanese"
        if script == "Arabic" and ch in _PERSIAN_LETTERS:
            script = "Persian"
        if found is None or (found == "Arabic" and script == "Persian"):
            found = script
    return found


def _initial_vowels(text: str, initials: frozenset[str]) -> str:
    """Mark a word-initial vowel letter with "a", and drop the same letter elsewhere."""
    out: list[str] = []
    start = True
    for ch in text:
        if ch in initials:
            out.append("a" if start else "")
        else:
            out.append(ch)
        start = not ch.isalpha()
    return "".join(out)


def _arabic_article(text: str) -> str:
    """Write the attached article apart: "الرحمن" -> "ال رحمن", as Latin spellings do ("al-Rahman")."""
    text = re.sub(r"(?<!\w)عبد(?=ال\w)", "عبد ", text)  # "عبدالرحمن" is "عبد الرحمن" run together
    return re.sub(r"(?<!\w)ال(?=\w\w)", "ال ", text)


@lru_cache(maxsize=1)
def _japanese_tokenizer() -> object:
    # Janome (Apache-2.0, with the IPADIC dictionary) reads kanji the Japanese way; loaded on
    # first use (about a second) because most processes never meet a Japanese name.
    from janome.tokenizer import Tokenizer

    return Tokenizer()


def _japanese_reading(text: str) -> str:
    """Kanji and kana read in Hepburn-like romaji, word by word ("山田太郎" -> "yamada taro")."""
    tokenizer = _japanese_tokenizer()
    words = []
    for token in tokenizer.tokenize(text):  # type: ignore[attr-defined]
        reading = token.reading if token.reading not in (None, "*") else token.surface
        words.append(_romaji(reading))
    return " ".join(words)


_SMALL_KANA = {"ャ": "ya", "ュ": "yu", "ョ": "yo", "ゃ": "ya", "ゅ": "yu", "ょ": "yo"}
_SOKUON = frozenset("ッっ")


def _romaji(kana: str) -> str:
    """Kana to romaji as names are spelt in Latin: "ショウコウ" -> "shoko", not "shiyoukou".

    anyascii reads kana one by one; a small ya/yu/yo joins the syllable before it (kyo, sho,
    ja), a small tsu doubles the next consonant, and long vowels are written once (Taro, Shoko).
    """
    out = ""
    double = False
    for ch in kana:
        if ch in _SMALL_KANA and out.endswith("i"):
            out = out[:-1]
            glide = _SMALL_KANA[ch]
            out += glide[1:] if out.endswith(("sh", "ch", "j")) else glide
            continue
        if ch in _SOKUON:
            double = True
            continue
        piece = anyascii(ch).lower()
        if double and piece[:1].isalpha() and piece[0] not in "aeiou":
            piece = piece[0] + piece
        double = False
        out += piece
    return out.replace("ou", "o").replace("uu", "u").replace("oo", "o")


@lru_cache(maxsize=65536)
def romanise(name: str) -> tuple[str, ...]:
    """The Latin readings of a name in another script, each one way it may be spelt in Latin.

    Arabic, Persian and Hebrew get their word-initial vowels marked and their article set
    apart; kanji get a Japanese reading, and Han without kana gets both the Chinese (pinyin)
    and the Japanese reading. A Latin name is its own and only reading.
    """
    script = script_of(name)
    text = unicodedata.normalize("NFKC", name)
    if script in ("Arabic", "Persian"):
        text = _initial_vowels(_arabic_article(text), _ARABIC_INITIAL_VOWELS).translate(_ARABIC_LETTERS)
        return (fold(text),)
    if script == "Hebrew":
        return (fold(_initial_vowels(text, _HEBREW_INITIAL_VOWELS).translate(_HEBREW_LETTERS)),)
    if script == "Japanese":
        return (fold(_japanese_reading(text)),)
    if script == "Thai":
        # Thai writes some vowels before the consonant they follow in speech ("เวช" is "wech").
        return (fold(_THAI_PREPOSED.sub(r"\2\1", text)),)
    if script == "Han":
        chinese = fold(text)
        japanese = fold(_japanese_reading(text))
        return (chinese, japanese) if japanese != chinese else (chinese,)
    return (fold(text),)


def skeleton(token: str) -> str:
    """A romanised word reduced to its consonants, in classes: "muhammad" and "mhmd" -> "mhmt".

    A word-initial vowel is kept as "a" ("Ali" / "علي" -> "ar"), y and w only at the start
    (elsewhere Arabic and Hebrew write long vowels with them), doubled letters count once and a
    final "h" is dropped ("Abdullah" / "عبد الله", "Fatimah").
    """
    if not token or not token.isalpha():
        return token
    # "Abdul", "Abdel", "Abdur" carry the article the Arabic writes apart ("عبد ال..."), and the
    # compact skeleton leaves articles out; a soft "c" is an "s" ("Lounici", "Feliciano").
    word = _ABD_ARTICLE.sub("abd", token)
    word = _SOFT_C.sub("s", word)
    for digraph, single in _DIGRAPHS:
        word = word.replace(digraph, single)
    first = word[0]
    head = "a" if first in "aeiou" else first.translate(_CONSONANT_CLASS)
    body = [ch.translate(_CONSONANT_CLASS) for ch in word[1:] if ch not in _VOWELS]
    out = [head]
    for ch in body:
        if ch != out[-1]:
            out.append(ch)
    if len(out) > 1 and out[-1] == "h":
        out.pop()
    return "".join(out)


# Arabic-script and Hebrew letters straight to the consonant classes of `skeleton`, one letter
# one class: going through anyascii's digraphs would read "ظاهر" ("zhr") as "zh" + "r".
_ABJAD_CLASSES = {
    **dict.fromkeys("بپفڤ", "b"),
    **dict.fromkeys("تطدض", "t"),
    **dict.fromkeys("سصزذظژشچ", "s"),
    "ث": "t",  # "th" in Arabic romanisation: "Harith", "Muthanna", "Houthi"
    "ج": "j",
    **dict.fromkeys("حهۀہھ", "h"),
    **dict.fromkeys("خغقكکگ", "k"),
    **dict.fromkeys("لر", "r"),
    "م": "m",
    "ن": "n",
    **dict.fromkeys("وۇ", "w"),
    **dict.fromkeys("يىیئ", "y"),
    **dict.fromkeys("בפף", "b"),
    **dict.fromkeys("טתד", "t"),
    **dict.fromkeys("זסצץש", "s"),
    **dict.fromkeys("חה", "h"),
    **dict.fromkeys("כךקג", "k"),
    **dict.fromkeys("לר", "r"),
    **dict.fromkeys("מם", "m"),
    **dict.fromkeys("נן", "n"),
    "ו": "w",
    "י": "y",
}
# Persian and Urdu say ض as "z" ("فيض" is "Faiz") and ث as "s".
_PERSIAN_CLASSES = {**_ABJAD_CLASSES, "ض": "s", "ث": "s"}
_ABJAD_VOWELS = _ARABIC_INITIAL_VOWELS | _HEBREW_INITIAL_VOWELS


def abjad_skeleton(word: str, *, persian: bool = False) -> str:
    """The consonant skeleton of one Arabic-script or Hebrew word, read letter by letter."""
    classes = _PERSIAN_CLASSES if persian else _ABJAD_CLASSES
    out: list[str] = []
    for ch in word:
        if ch in _ABJAD_VOWELS:
            if not out:
                out.append("a")
            continue
        cls = classes.get(ch)
        if cls is None or (cls in "wy" and out):
            continue
        if not out or out[-1] != cls:
            out.append(cls)
    if len(out) > 1 and out[-1] == "h":
        out.pop()
    return "".join(out)


def abjad_words(name: str) -> tuple[tuple[str, str], ...]:
    """(reading, skeleton) of each word of an Arabic, Persian or Hebrew name, article apart."""
    script = script_of(name)
    text = _arabic_article(unicodedata.normalize("NFKC", name)).replace("\u200c", "").replace("ـ", "")
    out = []
    for word in re.findall(r"\w+", text):
        reading = "".join(_TOKEN.findall(romanise(word)[0]))
        # A Latin word inside ("El Harrachi (الحراشي)") is reduced as Latin.
        bones = abjad_skeleton(word, persian=script == "Persian") if script_of(word) else skeleton(reading)
        if reading and bones:
            out.append((reading, bones))
    return tuple(out)
