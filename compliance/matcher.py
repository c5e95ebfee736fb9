"""The one screening matcher: fuzzy, explainable, fast. No database access.

Callers build an `Index` from `Candidate`s (list entities, or licence-request parties when a new
entity is screened against open cases) and search it. Every `Match` carries an explanation
that a reviewer can read and an auditor can replay: which name or alias matched, the normalised
forms, which tokens met which, the per-part scores, and what the country did.

How a pair is scored (all parts in [0, 1]):
- names are normalised (see `compliance.normalise`) into identity tokens plus legal forms;
- tokens are aligned one-to-one, best pairs first (a repeated word is two words: "Johnson &
  Johnson" is not "Johnson"); a token pair scores its optimal-string-alignment similarity,
  0 below 0.6 (typos count, unrelated words do not), raised when both sound alike (metaphone)
  and set to 0.9 when an initial meets a word it starts;
- a name of one word, or of generic words only, is *thin* evidence: its typos must stay at or
  above 0.8 (about one slip in five letters) and sounding alike earns nothing ("Hitachi" is
  not "Hitech");
- adjacent tokens are tried joined when that meets a token of the other name ("Hua Wei" and
  "Huawei", "SergeiLavrov"), so joined or split words cost nothing;
- coverage of each side is the length-weighted share of its tokens that were met; particles
  ("al", "bin", "de") and generic business words ("bank", "trading") weigh less because they
  say little about who someone is;
- name score = best coverage x (0.7 + 0.3 x other coverage): a shorter name wholly inside a
  longer one still scores well ("Boris Johnson" in "Alexandre Boris de Pfeffel Johnson"), and
  tokens left over on *both* sides (a conflict, not an omission) cost another 15 %;
- when either name is thin and words are left over, what the longer name has besides weighs
  more: best coverage x (0.45 + 0.55 x other coverage). "Shell" in "Donna Shell", "Alphabet" in "Alphabet
  International" or "Societe Generale" in "Societe Generale de Pain" stay under the default
  threshold on the name alone; an agreeing country lifts "Huawei" / "Huawei Technologies" over;
- a different kind of legal form on both sides (AG vs GmbH) costs 22 %;
- country, where both sides have one, adds 0.05 when it agrees and takes 0.05 when it
  disagrees, but an exact name match is never lowered;
- names in different writing systems are also compared through their Latin readings (the
  Japanese reading of kanji, say) and, where one side is Arabic, Persian, Hebrew, Thai or
  Korean, through consonant skeletons ("محمد" and "Mohammed" both "mhmt"), at most 0.95; the
  explanation's `transliteration` shows the readings and skeletons that met.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jellyfish
from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel, Levenshtein

from compliance.normalise import (
    NormalisedName,
    abjad_words,
    analyse,
    normalise,
    romanise,
    script_of,
    skeleton,
)

__all__ = [
    "DEFAULT_THRESHOLD",
    "Candidate",
    "Index",
    "Match",
    "Person",
    "normalise",
    "score_pair",
]

# Calibrated on OpenSanctions' curated pairs (see `manage.py calibrate`): the F1-maximising
# threshold, rounded to a value a compliance officer can reason about.
DEFAULT_THRESHOLD = 0.80

COUNTRY_BONUS = 0.05
COUNTRY_PENALTY = 0.05
ADDRESS_BONUS = 0.03
# The most a party's country and address can add to a name score.
MAX_LIFT = COUNTRY_BONUS + ADDRESS_BONUS
LEGAL_FORM_PENALTY = 0.78
# Token similarities below this are noise between unrelated words, not typos.
TOKEN_FLOOR = 0.6
# When a name has at most one distinctive word, that word is all the evidence there is: a typo
# must stay within about one letter in five, and sounding alike does not help.
THIN_TOKEN_FLOOR = 0.8
CONFLICT_PENALTY = 0.85
# How much of a subset score is granted before looking at what the longer name has besides.
SUBSET_BASE = 0.7
THIN_SUBSET_BASE = 0.45

# Scripts that leave vowels unwritten (or whose letter-by-letter romanisation does not follow the
# Latin spellings people use): a name in them meets its Latin form on consonant skeletons.
SKELETON_SCRIPTS = frozenset({"Arabic", "Persian", "Hebrew", "Thai", "Korean"})
# A meeting of skeletons is strong evidence but never proof, since vowels and near consonants
# are gone: it scores at most this, below an exact match, so a differing country still counts.
SKELETON_CAP = 0.95
# A skeleton of fewer consonants than this (articles left out) fits too many names to tell one
# party by: "Baidu" and "فيض" (Faiz) are both "bt", "Hershey" and "الحراشي" both "hrs". Such a
# meeting scores at most SHORT_SKELETON_CAP, which no country or address can lift to a match.
SHORT_SKELETON = 4
SHORT_SKELETON_CAP = 0.7
# Index keys of skeletons are runs of at least this many consonants, for the same reason.
MIN_SKELETON_KEY = 3

# Words that join a name rather than identify it.
PARTICLES = frozenset(
    {"al", "el", "bin", "bint", "abu", "abd", "de", "da", "di", "del", "der", "van", "von", "la"}
    | {"le", "du", "of", "and", "y", "i", "ul", "ad", "as"}
)
# Words that many unrelated organisations share; matching them alone proves little.
GENERIC_WORDS = frozenset(
    {
        "bank",
        "trust",
        "group",
        "holdings",
        "management",
        "trading",
        "international",
        "technologies",
        "industries",
        "services",
        "systems",
        "engineering",
        "electronics",
        "communications",
        "telecommunications",
        "company",
        "enterprise",
        "enterprises",
        "development",
        "import",
        "export",
        "science",
        "research",
        "institute",
        "university",
        "laboratory",
        "manufacturing",
        "national",
        "general",
        "government",
        "equipment",
        "center",
        "centre",
        "global",
        "investment",
        "investments",
        "shipping",
        "logistics",
        "marine",
        "energy",
        "china",
        "russia",
        "iran",
        "academy",
        "factory",
        "plant",
        "products",
        "solutions",
        "foundation",
        "association",
        "network",
        "aviation",
        "airlines",
        "commercial",
        "corporation",
        "europe",
        "asia",
        "america",
        "middle",
        "east",
        "uk",
        "usa",
        "hk",
        # The same words in the other languages company names are written in.
        "societe",
        "generale",
        "compagnie",
        "groupe",
        "internationale",
        "nationale",
        "construction",
    }
)


@dataclass(frozen=True, slots=True)
class Candidate:
    """One record to screen against: a list entity, or a licence-request party."""

    key: int
    name: str
    aliases: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    source: str = ""
    addresses: tuple[str, ...] = ()
    # For people: dates of birth as the list gives them ("1960-01-31", "1960", "circa 1958"),
    # nationalities (ISO codes) and identity document numbers (normalised by `document_number`).
    birth_dates: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Person:
    """What a party that is a person may carry beside its name: evidence for or against a match."""

    birth_date: str = ""
    nationalities: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.birth_date or self.nationalities or self.documents)


@dataclass(frozen=True)
class Match:
    """A candidate that scored at or above the threshold, with the reasons why."""

    key: int
    name: str
    matched_name: str
    source: str
    score: float
    explanation: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "entity_id": self.key,
            "name": self.name,
            "matched_name": self.matched_name,
            "source": self.source,
            "score": self.score,
            "explanation": self.explanation,
        }


# Russian, Ukrainian and Serbian patronymics, which Western records routinely leave out.
_PATRONYMIC = re.compile(r"(ovich|evich|ovych|evych|ovna|evna|ivna|ich)$")


def _distinctive(token: str) -> bool:
    """A word that can tell one party from another: not a particle, generic word, number or initial."""
    return len(token) > 1 and not token.isdigit() and token not in PARTICLES and token not in GENERIC_WORDS


def _thin(tokens: Sequence[str]) -> bool:
    """One word, or only generic ones: too little to tell a party by when it is all that meets."""
    return len(tokens) == 1 or not any(_distinctive(t) for t in tokens)


def _weight(token: str) -> float:
    base = float(min(len(token), 12))
    if token in PARTICLES:
        return base * 0.3
    if token in GENERIC_WORDS or (len(token) > 6 and _PATRONYMIC.search(token)):
        return base * 0.4
    return base


@lru_cache(maxsize=200_000)
def _phonetic(token: str) -> str:
    if not token.isalpha() or len(token) < 3:
        return ""
    return jellyfish.metaphone(token)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A name analysed once, with everything the scorer needs precomputed."""

    raw: str
    norm: NormalisedName
    tokens: tuple[str, ...]
    weights: tuple[float, ...]
    legal: frozenset[str]
    compact: str
    sorted_text: str
    # Names with at most one distinctive word carry thin evidence (see `_align`).
    thin: bool
    token_set: frozenset[str]
    # What runs of 2-4 adjacent tokens could meet when joined (their summed length, give or take
    # two letters) or read as an acronym: lets `_may_merge` rule out most pairs without `_merged`.
    merge_lengths: frozenset[int]
    run_initials: frozenset[str]
    # The non-Latin script the name is written in (None for Latin), see `_readings`.
    script: str | None = None
    # For a consonant skeleton, the romanised words its tokens came from (else the tokens).
    words: tuple[str, ...] = ()


def _runs(tokens: tuple[str, ...]) -> tuple[frozenset[int], frozenset[str]]:
    lengths: set[int] = set()
    initials: set[str] = set()
    for size in (2, 3, 4):
        for i in range(len(tokens) - size + 1):
            run = tokens[i : i + size]
            total = sum(len(t) for t in run)
            lengths.update(range(total - 2, total + 3))
            # Two letters standing for a whole name ("N.N.") could be anyone (see `_merged`).
            if not (size == len(tokens) and size < 3):
                initials.add("".join(t[0] for t in run))
    return frozenset(lengths), frozenset(initials)


@lru_cache(maxsize=65536)
def _prepare(name: str) -> _Prepared:
    return _prepared_from(name, analyse(name), script=script_of(name))


def _prepared_from(
    name: str,
    norm: NormalisedName,
    *,
    script: str | None = None,
    words: tuple[str, ...] | None = None,
    compact: str | None = None,
) -> _Prepared:
    """A name's tokens prepared to score; a skeleton passes the romanised `words` it came from."""
    tokens = norm.tokens
    merge_lengths, run_initials = _runs(tokens)
    return _Prepared(
        raw=name,
        norm=norm,
        tokens=tokens,
        weights=_weights(words if words is not None else tokens),
        # CORP ("Co.", "Inc.", "Corporation") says nothing about the kind of company.
        legal=frozenset(norm.legal_forms) - {"CORP"},
        compact=compact if compact is not None else "".join(norm.all_tokens),
        sorted_text=" ".join(sorted(tokens)),
        thin=_thin(words if words is not None else tokens),
        token_set=frozenset(tokens),
        merge_lengths=merge_lengths,
        run_initials=run_initials,
        script=script,
        words=words if words is not None else tokens,
    )


@dataclass(frozen=True, slots=True)
class _Reading:
    """One Latin reading of a name: the romanised form, and its consonant skeleton."""

    romanised: _Prepared
    skeleton: _Prepared


# Arabic articles as Latin spellings write them: left out of the compact skeleton, because the
# "l" is assimilated or dropped ("Shamsuddin" / "شمس الدین", "Abdurrahman" / "عبد الرحمن").
_ARTICLES = frozenset({"al", "el", "ul", "ud", "ur", "ad", "ash", "an", "at", "az", "as"})

ABJAD_SCRIPTS = frozenset({"Arabic", "Persian", "Hebrew"})
_LATIN_LETTER = re.compile("[A-Za-z]")


def _skeleton_prepared(form: str, words: tuple[str, ...], bones: tuple[str, ...], legal: tuple[str, ...]) -> _Prepared:
    """A skeleton as a name to score, weighted by the romanised `words` it came from."""
    norm = NormalisedName(original=form, tokens=bones, legal_forms=legal, dropped=(), all_tokens=bones)
    compact: list[str] = []
    for word, bone in zip(words, bones, strict=True):
        if word in _ARTICLES:
            continue
        for ch in bone:
            if not compact or compact[-1] != ch:
                compact.append(ch)
    return _prepared_from(form, norm, words=words, compact="".join(compact))


@lru_cache(maxsize=65536)
def _readings(name: str) -> tuple[_Reading, ...]:
    """Every Latin reading of a name (Han has a Chinese and a Japanese one), prepared to score.

    The skeleton keeps the romanised words' weights, so "al" in "عبد الرحمن" weighs as little
    as "al" does in Latin, and its compact form is the skeletons run together without articles,
    which is how "Abdul Rahman" meets "abd al rhmn". Arabic-script and Hebrew words are reduced
    letter by letter (`abjad_skeleton`), not through their romanisation.
    """
    script = script_of(name)
    if script in ABJAD_SCRIPTS:
        pairs = abjad_words(name)
        if pairs:
            words = tuple(word for word, _ in pairs)
            form = " ".join(words)
            bare = _skeleton_prepared(form, words, tuple(bone for _, bone in pairs), ())
            return (_Reading(romanised=_prepare(form), skeleton=bare),)
    out = []
    for form in romanise(name):
        romanised = _prepare(form)
        norm = romanised.norm
        bones = tuple(skeleton(t) for t in norm.tokens)
        bare = _skeleton_prepared(form, norm.tokens, bones, norm.legal_forms)
        out.append(_Reading(romanised=romanised, skeleton=bare))
    return tuple(out)


def _skeleton_keys(words: Sequence[str], bones: Sequence[str]) -> set[str]:
    """Index keys of a skeleton: each word's, and runs of two or three words joined.

    Articles are left out of the runs, which is how "Hidayatullah" ("htytr") meets "هدايت الله"
    ("htyt" + "ar" + "r"): Latin spellings run the words together and assimilate the article.
    """
    kept = [bone for word, bone in zip(words, bones, strict=True) if word not in _ARTICLES]
    keys = {"~" + bone for bone in kept if len(bone) >= MIN_SKELETON_KEY}
    for size in (2, 3):
        for i in range(len(kept) - size + 1):
            joined: list[str] = []
            for ch in "".join(kept[i : i + size]):
                if not joined or joined[-1] != ch:
                    joined.append(ch)
            if len(joined) >= MIN_SKELETON_KEY:
                keys.add("~" + "".join(joined))
    return keys


@lru_cache(maxsize=1 << 18)
def _token_sim(a: str, b: str, thin: bool = False) -> float:
    """Similarity of two tokens in [0, 1]; cached because screening meets the same words again and again."""
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        # An initial stands for any word it starts; two different initials never match.
        if len(a) != len(b) and a[0] == b[0]:
            return 0.9
        return 0.0
    if a.isdigit() or b.isdigit():
        return 0.0
    # Optimal string alignment: a substituted or swapped pair of letters is one edit, not two.
    sim = OSA.normalized_similarity(a, b)
    if thin:
        # One word is all the evidence: "Hitachi" and "Hitech" sound alike but are not a typo.
        return sim if sim >= THIN_TOKEN_FLOOR else 0.0
    if min(len(a), len(b)) >= 5 and sim >= TOKEN_FLOOR and (pa := _phonetic(a)) and pa == _phonetic(b):
        # Sounding alike closes half the remaining gap ("Schulze" / "Scholz").
        sim = 0.5 + 0.5 * sim
    return sim if sim >= TOKEN_FLOOR else 0.0


@dataclass(slots=True)
class _Alignment:
    cov_a: float
    cov_b: float
    pairs: list[tuple[str, str, float]]
    left_a: list[str]
    left_b: list[str]
    conflict: bool
    thin: bool = False

    @property
    def score(self) -> float:
        hi, lo = max(self.cov_a, self.cov_b), min(self.cov_a, self.cov_b)
        # A name met inside a longer one on the strength of one distinctive word ("Shell" in
        # "Donna Shell", "Alphabet" in "Alphabet International") proves little on its own, so
        # what the longer name has besides weighs more.
        base = THIN_SUBSET_BASE if self.thin else SUBSET_BASE
        value = hi * (base + (1 - base) * lo)
        return value * CONFLICT_PENALTY if self.conflict else value


def _align(
    ta: Sequence[str],
    wa: Sequence[float],
    tb: Sequence[str],
    wb: Sequence[float],
    *,
    thin: bool = False,
) -> _Alignment:
    """Greedy one-to-one token alignment, best pairs first."""
    scored = [(sim, i, j) for i, a in enumerate(ta) for j, b in enumerate(tb) if (sim := _token_sim(a, b, thin)) > 0.0]
    scored.sort(reverse=True)
    # Bit masks of the tokens already paired: this runs for every shortlisted pair.
    used_a = used_b = 0
    pairs: list[tuple[str, str, float]] = []
    got_a = got_b = 0.0
    for sim, i, j in scored:
        if used_a >> i & 1 or used_b >> j & 1:
            continue
        used_a |= 1 << i
        used_b |= 1 << j
        pairs.append((ta[i], tb[j], sim))
        got_a += sim * wa[i]
        got_b += sim * wb[j]
    left_a = [t for i, t in enumerate(ta) if not used_a >> i & 1]
    left_b = [t for j, t in enumerate(tb) if not used_b >> j & 1]
    # Unmatched tokens on both sides mean the names disagree, not that one is shorter.
    # Numbers are left out: vessels and units are renumbered ("Snow Storm 1" / "2").
    conflict = bool(left_a and left_b) and _weighty(left_a) and _weighty(left_b)
    return _Alignment(
        cov_a=got_a / sum(wa) if wa else 0.0,
        cov_b=got_b / sum(wb) if wb else 0.0,
        pairs=pairs,
        left_a=left_a,
        left_b=left_b,
        conflict=conflict,
        # Only a name met inside a longer one is judged by the thin rule; a typo is not.
        thin=thin and bool(left_a or left_b),
    )


def _weighty(tokens: list[str]) -> bool:
    return any(t not in PARTICLES and not t.isdigit() for t in tokens)


def _merged(tokens: tuple[str, ...], other: tuple[str, ...]) -> tuple[tuple[str, ...], bool] | None:
    """Join runs of 2-4 adjacent tokens that, joined, meet a token of the other name.

    Returns the new tokens and whether they are thin evidence: "hua wei" joined is one word,
    as thin as "huawei", but an acronym stands for all the words it was made from.
    """
    if len(tokens) < 2:
        return None
    targets = [t for t in other if len(t) >= 4 and t not in tokens]
    acronyms = {t for t in other if 2 <= len(t) <= 4 and t not in tokens}
    if not targets and not acronyms:
        return None
    # Joined lengths that could meet a target: a similarity of 0.88 cannot bridge more than a
    # couple of letters' difference. Checked on summed lengths first, because most runs of most
    # pairs fail here and building their strings is the expensive part.
    near = {n + d for n in {len(t) for t in targets} for d in (-2, -1, 0, 1, 2)}
    sizes = {len(t) for t in acronyms}
    lengths = [len(t) for t in tokens]
    out: list[str] = []
    i = 0
    changed = False
    acronym = False
    count = len(tokens)
    while i < count:
        for size in (4, 3, 2):
            if i + size > count:
                continue
            if size in sizes:
                initials = "".join(t[0] for t in tokens[i : i + size])
                # Two letters standing for a whole name ("N.N.") could be anyone.
                whole = size == count and size < 3
                if initials in acronyms and not whole:
                    # "JC Juncker" / "Jean-Claude Juncker", "PLA" / "People's Liberation Army".
                    out.append(initials)
                    acronym = True
                    i += size
                    changed = True
                    break
            if sum(lengths[i : i + size]) not in near:
                continue
            joined = "".join(tokens[i : i + size])
            if not any(Indel.normalized_similarity(joined, t) >= 0.88 for t in targets):
                continue
            out.append(joined)
            i += size
            changed = True
            break
        else:
            out.append(tokens[i])
            i += 1
    return (tuple(out), _thin(out) and not acronym) if changed else None


def _weights(tokens: tuple[str, ...]) -> tuple[float, ...]:
    return tuple(_weight(t) for t in tokens)


def _may_merge(p: _Prepared, other: _Prepared) -> bool:
    """Whether `_merged(p.tokens, other.tokens)` could join anything: most pairs cannot.

    A run can only be joined when its summed length comes within two letters of a word of the
    other name that `p` lacks, or its initials spell such a word; without either, `_merged`
    would return None.
    """
    if len(p.tokens) < 2:
        return False
    for token in other.tokens:
        if token in p.token_set:
            continue
        n = len(token)
        if (n >= 4 and n in p.merge_lengths) or (2 <= n <= 4 and token in p.run_initials):
            return True
    return False


def _best_alignment(a: _Prepared, b: _Prepared) -> _Alignment:
    best = _align(a.tokens, a.weights, b.tokens, b.weights, thin=a.thin or b.thin)
    if best.left_a or best.left_b:
        for side in ("a", "b"):
            if side == "a":
                if not _may_merge(a, b):
                    continue
                found = _merged(a.tokens, b.tokens)
                if found is None:
                    continue
                merged, thin = found
                trial = _align(merged, _weights(merged), b.tokens, b.weights, thin=thin or b.thin)
            else:
                if not _may_merge(b, a):
                    continue
                found = _merged(b.tokens, a.tokens)
                if found is None:
                    continue
                merged, thin = found
                trial = _align(a.tokens, a.weights, merged, _weights(merged), thin=a.thin or thin)
            if trial.score > best.score:
                best = trial
    return best


def _compact_score(a: _Prepared, b: _Prepared) -> float:
    """Whole names with spaces and legal forms left in: catches "SiemensAG" and run-ons."""
    # Legal forms are only left in when one side has none: "SiemensAG" / "Siemens AG". With
    # legal forms on both sides their long spellings would swamp a short differing word.
    if a.norm.legal_forms and b.norm.legal_forms:
        left, right = "".join(a.tokens), "".join(b.tokens)
    else:
        left, right = a.compact, b.compact
    if not left or not right:
        return 0.0
    ratio = Levenshtein.normalized_similarity(left, right)
    return max(0.0, (ratio - 0.7) / 0.3)


@dataclass(slots=True)
class _NameScore:
    """How two names compare, kept unexplained until the pair turns out to matter.

    Scoring is the hot path of screening: the explanation is built only for matches.
    """

    score: float
    exact: bool
    alignment: _Alignment
    token_score: float
    compact: float
    legal_effect: float
    # When a name in another script scored through its Latin reading: the readings that met.
    via: dict[str, Any] | None = None

    def detail(self, a: _Prepared, b: _Prepared) -> dict[str, Any]:
        alignment = self.alignment
        detail = {
            "exact": self.exact,
            "token_matches": [{"query": x, "name": y, "score": round(s, 3)} for x, y, s in alignment.pairs],
            "unmatched_query_tokens": alignment.left_a,
            "unmatched_name_tokens": alignment.left_b,
            "coverage": {"query": round(alignment.cov_a, 3), "name": round(alignment.cov_b, 3)},
            "conflict": alignment.conflict,
            "thin_evidence": alignment.thin,
            "token_score": round(self.token_score, 4),
            "compact_score": round(self.compact, 4),
            "legal_forms": {
                "query": list(a.norm.legal_forms),
                "name": list(b.norm.legal_forms),
                "effect": "different kinds of legal form" if self.legal_effect < 1 else "none",
            },
        }
        if self.via is not None:
            detail["transliteration"] = self.via
        return detail


def _score_names(a: _Prepared, b: _Prepared) -> _NameScore:
    """Score two non-empty prepared names, through their Latin readings when scripts differ.

    Names in one script are compared as written (folded): two Arabic names meet or not on
    their own letters, so folding to skeletons cannot make every "محمد" meet every other.
    """
    if a.script is b.script or _writing(a.script) == _writing(b.script):
        return _score_written(a, b)
    # Arabic and Hebrew read letter by letter have no vowels to compare: only skeletons can meet.
    # (A name that also has Latin words, "El Harrachi (الحراشي)", is compared as written too.)
    abjad = (a.script in ABJAD_SCRIPTS and not _LATIN_LETTER.search(a.raw)) or (
        b.script in ABJAD_SCRIPTS and not _LATIN_LETTER.search(b.raw)
    )
    result = _NO_SCORE if abjad else _score_written(a, b)
    if result.score >= SKELETON_CAP:
        return result
    skeletons = a.script in SKELETON_SCRIPTS or b.script in SKELETON_SCRIPTS
    for ra in _readings(a.raw):
        for rb in _readings(b.raw):
            trial = _NO_SCORE if abjad else _score_written(ra.romanised, rb.romanised)
            method = "transliteration"
            if skeletons:
                bare = _score_written(ra.skeleton, rb.skeleton)
                short = min(len(ra.skeleton.compact), len(rb.skeleton.compact)) < SHORT_SKELETON
                cap = SHORT_SKELETON_CAP if short else SKELETON_CAP
                if min(bare.score, cap) > trial.score:
                    bare.score = min(bare.score, cap)
                    bare.exact = False
                    trial, method = bare, "consonant skeleton"
            if trial.score > result.score:
                trial.via = {
                    "method": method,
                    "query_script": a.script or "Latin",
                    "name_script": b.script or "Latin",
                    "query_reading": ra.romanised.norm.text,
                    "name_reading": rb.romanised.norm.text,
                    "query_skeleton": ra.skeleton.norm.text if skeletons else None,
                    "name_skeleton": rb.skeleton.norm.text if skeletons else None,
                }
                result = trial
    return result


_NO_SCORE = _NameScore(0.0, False, _Alignment(0.0, 0.0, [], [], [], False), 0.0, 0.0, 1.0)


def _writing(script: str | None) -> str | None:
    """Persian is written in Arabic letters: two such names are compared as written."""
    return "Arabic" if script == "Persian" else script


def _score_written(a: _Prepared, b: _Prepared) -> _NameScore:
    exact = a.sorted_text == b.sorted_text
    alignment = _best_alignment(a, b)
    token_score = 1.0 if exact else alignment.score
    compact = _compact_score(a, b)
    score = max(token_score, compact)
    legal_effect = 1.0
    if a.legal and b.legal and not (a.legal & b.legal):
        legal_effect = LEGAL_FORM_PENALTY
        score *= legal_effect
    return _NameScore(min(1.0, score), exact, alignment, token_score, compact, legal_effect)


def _name_score(a: _Prepared, b: _Prepared) -> tuple[float, dict[str, Any]]:
    if not a.tokens or not b.tokens:
        return 0.0, {"reason": "empty name after normalisation"}
    result = _score_names(a, b)
    return result.score, result.detail(a, b)


def _country_effect(name_score: float, country: str | None, listed: Sequence[str]) -> tuple[float, dict[str, Any]]:
    if not country or not listed:
        return name_score, {
            "query": country or None,
            "listed": list(listed),
            "effect": 0.0,
            "note": "no country to compare",
        }
    code = country.strip().upper()
    if code in listed:
        adjusted = min(1.0, name_score + COUNTRY_BONUS)
        note = "country agrees"
    elif name_score >= 0.999:
        # A name that matches exactly is reported whatever the country: listed parties move.
        adjusted = name_score
        note = "country differs, but an exact name match is never lowered"
    else:
        adjusted = max(0.0, name_score - COUNTRY_PENALTY)
        note = "country differs"
    return adjusted, {
        "query": code,
        "listed": list(listed),
        "effect": round(adjusted - name_score, 4),
        "note": note,
    }


def _address_tokens(text: str) -> set[str]:
    return {t for t in analyse(text).all_tokens if len(t) >= 4 and not t.isdigit()}


# Person evidence (see `person_effect`). A birth year that agrees is modest evidence (many
# people share one); a full date that agrees is more; a document number is decisive.
BIRTH_YEAR_BONUS = 0.05
BIRTH_DATE_BONUS = 0.08
NATIONALITY_BONUS = 0.02
# Lists give approximate dates ("circa 1958", one of several years): within this many years a
# birth date neither helps nor hurts.
BIRTH_YEAR_TOLERANCE = 1
# Below the threshold by this much when birth dates say "a different person".
DIFFERENT_PERSON_MARGIN = 0.01
PERSON_LIFT = BIRTH_DATE_BONUS + NATIONALITY_BONUS
MIN_DOCUMENT_LENGTH = 5

_DATE = re.compile(r"\b(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?\b")


def document_number(text: str) -> str:
    """An identity document number compared as issued: letters and digits, case folded."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _birth_dates(text: str) -> list[tuple[int, str | None]]:
    """(year, full ISO date or None) of each date in a list's birth-date text ("1958 to 1962" gives both ends)."""
    found: list[tuple[int, str | None]] = []
    for year, month, day in _DATE.findall(text):
        if not 1800 <= int(year) <= 2100:
            continue
        found.append((int(year), f"{year}-{month}-{day}" if month and day else None))
    return found


def person_effect(
    score: float, name_score: float, person: Person, candidate: Candidate, *, threshold: float
) -> tuple[float, dict[str, Any] | None]:
    """Apply a person's birth date, nationalities and documents to a name's score, explained.

    - A document number that the listed record also carries is decisive: the score is 1.0.
    - A birth date more than `BIRTH_YEAR_TOLERANCE` years from every date the list gives marks
      the candidate "likely a different person": the score drops below the threshold, unless
      the name matches exactly (an exact name is never lowered: lists carry wrong and
      alternative dates, and missing the listed person is the costlier mistake).
    - A matching full birth date adds `BIRTH_DATE_BONUS`, a matching year `BIRTH_YEAR_BONUS`,
      a shared nationality `NATIONALITY_BONUS`; a differing nationality only says so (dual
      nationals are common).
    Returns (score, evidence) where evidence is None when there was nothing to compare.
    """
    evidence: list[dict[str, Any]] = []
    documents = {document_number(d) for d in person.documents} - {""}
    shared_documents = sorted(d for d in documents & set(candidate.documents) if len(d) >= MIN_DOCUMENT_LENGTH)
    if shared_documents:
        evidence.append(
            {
                "kind": "document",
                "effect": round(1.0 - score, 4),
                "note": f"document number {', '.join(shared_documents)} matches: decisive",
            }
        )
        return 1.0, {"evidence": evidence, "verdict": "same person (document)", "effect": round(1.0 - score, 4)}
    adjusted = score
    verdict = ""
    query_dates = _birth_dates(person.birth_date) if person.birth_date else []
    listed_dates = [d for text in candidate.birth_dates for d in _birth_dates(text)]
    if query_dates and listed_dates:
        year, full = query_dates[0]
        gap = min(abs(year - listed_year) for listed_year, _ in listed_dates)
        if full is not None and any(full == listed_full for _, listed_full in listed_dates):
            adjusted += BIRTH_DATE_BONUS
            evidence.append({"kind": "birth_date", "effect": BIRTH_DATE_BONUS, "note": f"birth date {full} matches"})
        elif gap == 0:
            adjusted += BIRTH_YEAR_BONUS
            evidence.append({"kind": "birth_date", "effect": BIRTH_YEAR_BONUS, "note": f"birth year {year} matches"})
        elif gap <= BIRTH_YEAR_TOLERANCE:
            evidence.append(
                {"kind": "birth_date", "effect": 0.0, "note": f"birth year {year} within {gap} year of the list's"}
            )
        elif name_score >= 0.999:
            evidence.append(
                {
                    "kind": "birth_date",
                    "effect": 0.0,
                    "note": f"birth year {year} is {gap} years from the list's; an exact name is never lowered",
                }
            )
        else:
            lowered = min(adjusted, threshold - DIFFERENT_PERSON_MARGIN)
            evidence.append(
                {
                    "kind": "birth_date",
                    "effect": round(lowered - adjusted, 4),
                    "note": f"birth year {year} is {gap} years from the list's: likely a different person",
                }
            )
            adjusted = lowered
            verdict = "likely a different person"
    elif query_dates:
        evidence.append({"kind": "birth_date", "effect": 0.0, "note": "the list gives no birth date"})
    nationalities = {n.strip().upper() for n in person.nationalities if n.strip()}
    if nationalities and candidate.nationalities:
        shared = sorted(nationalities & set(candidate.nationalities))
        if shared and not verdict:
            adjusted += NATIONALITY_BONUS
            evidence.append(
                {"kind": "nationality", "effect": NATIONALITY_BONUS, "note": f"nationality {', '.join(shared)} agrees"}
            )
        elif not shared:
            evidence.append(
                {
                    "kind": "nationality",
                    "effect": 0.0,
                    "note": f"nationality differs (list: {', '.join(candidate.nationalities)})",
                }
            )
    if not evidence:
        return score, None
    adjusted = max(0.0, min(1.0, adjusted))
    return adjusted, {"evidence": evidence, "verdict": verdict, "effect": round(adjusted - score, 4)}


def score_pair(
    a: str,
    b: str,
    *,
    country_a: str | None = None,
    country_b: str | None = None,
) -> tuple[float, dict[str, Any]]:
    """Score two names (a is the query) and explain the score; symmetric up to labels."""
    pa, pb = _prepare(a), _prepare(b)
    name_score, detail = _name_score(pa, pb)
    listed = (country_b.strip().upper(),) if country_b else ()
    score, country = _country_effect(name_score, country_a, listed)
    explanation = {
        "query": a,
        "query_normalised": pa.norm.text,
        "matched_name": b,
        "matched_normalised": pb.norm.text,
        "name_score": round(name_score, 4),
        **detail,
        "country": country,
        "score": round(score, 4),
    }
    return round(score, 4), explanation


class Index:
    """An in-memory index of names and aliases; build once per list version, search often.

    Retrieval is blocking by token: every normalised token (and every pair of adjacent tokens
    joined, so "hua wei" is found from "huawei") points at the names that contain it. A query
    token finds index tokens exactly or, for typos, through one rapidfuzz pass over the
    vocabulary that starts with the same letter. The few dozen names that share the most
    informative tokens with the query are then scored in full.
    """

    # How many names are scored in full per query; the rest cannot reach a threshold.
    SHORTLIST = 30
    # How many more names are scored that only meet the query across scripts.
    CROSS_SHORTLIST = 10
    FUZZY_CUTOFF = 0.75

    def __init__(self, version: int | None = None) -> None:
        self.version = version
        self.candidates: list[Candidate] = []
        self._names: list[_Prepared] = []
        self._owner: list[int] = []
        self._roots: list[float] = []
        self._postings: dict[str, list[int]] = {}
        self._buckets: dict[tuple[str, int], list[str]] = {}
        self._idf: dict[str, float] = {}
        self._lookups: dict[str, list[tuple[str, float]]] = {}
        # Skeleton key -> (name ids, idf): every name's, and only those of names written in a
        # script without vowels. A Latin query looks only at the latter, which are few.
        self._skeletons: dict[str, tuple[list[int], float]] = {}
        self._foreign: dict[str, tuple[list[int], float]] = {}
        # Name-stage results per (name, threshold): open cases repeat the same customers, and a
        # full re-screen in one worker process meets each distinct name once.
        self._hit_cache: dict[tuple[str, float], tuple[_Prepared, list[tuple[int, int, _NameScore]]]] = {}
        # Identity document number -> owners, and each owner's name ids: a document match finds
        # the listed person whatever the name says.
        self._documents: dict[str, list[int]] = {}
        self._names_of: list[list[int]] = []

    def __len__(self) -> int:
        return len(self.candidates)

    def forget_results(self) -> None:
        """Drop every remembered result, so the next queries are timed (or answered) cold.

        The index and the process-wide caches remember prepared names, token similarities, typo
        lookups and whole name-stage results; benchmarks that time screening must not time them.
        """
        self._lookups.clear()
        self._hit_cache.clear()
        _prepare.cache_clear()
        _token_sim.cache_clear()
        _phonetic.cache_clear()

    @classmethod
    def build(cls, candidates: Iterable[Candidate], *, version: int | None = None) -> Index:
        index = cls(version)
        postings: dict[str, set[int]] = {}
        # Consonant-skeleton keys of every name, and of the names in scripts without vowels.
        skeletons: dict[str, set[int]] = {}
        foreign: dict[str, set[int]] = {}
        for candidate in candidates:
            owner = len(index.candidates)
            index.candidates.append(candidate)
            index._names_of.append([])
            for document in candidate.documents:
                if len(document) >= MIN_DOCUMENT_LENGTH:
                    index._documents.setdefault(document, []).append(owner)
            for raw in dict.fromkeys((candidate.name, *candidate.aliases)):
                prepared = _prepare(raw)
                if not prepared.tokens:
                    continue
                name_id = len(index._names)
                index._names_of[owner].append(name_id)
                index._names.append(prepared)
                index._roots.append(math.sqrt(len(prepared.tokens)))
                index._owner.append(owner)
                toks = prepared.tokens
                keys = set(toks)
                keys.update(toks[i] + toks[i + 1] for i in range(len(toks) - 1))
                if prepared.script is None:
                    bones = _skeleton_keys(toks, [skeleton(t) for t in toks])
                else:
                    # A name in another script is also found by its Latin readings ("山田" by
                    # "yamada") and, in scripts without vowels, by its consonant skeleton.
                    bones = set()
                    for reading in _readings(raw):
                        words = reading.romanised.tokens
                        keys.update(words)
                        keys.update(words[i] + words[i + 1] for i in range(len(words) - 1))
                        bones |= _skeleton_keys(reading.skeleton.words, reading.skeleton.tokens)
                    if prepared.script in SKELETON_SCRIPTS:
                        for key in bones:
                            foreign.setdefault(key, set()).add(name_id)
                for key in keys:
                    postings.setdefault(key, set()).add(name_id)
                for key in bones:
                    skeletons.setdefault(key, set()).add(name_id)
        total = max(1, len(index._names))
        for key, ids in postings.items():
            index._postings[key] = sorted(ids)
            index._idf[key] = math.log(1 + total / len(ids))
            if len(key) >= 3:
                index._buckets.setdefault((key[0], len(key)), []).append(key)
        for built, target in ((skeletons, index._skeletons), (foreign, index._foreign)):
            for key, ids in built.items():
                target[key] = (sorted(ids), math.log(1 + total / len(ids)))
        return index

    def _lookup(self, token: str, *, fuzzy: bool = True) -> list[tuple[str, float]]:
        """Index tokens equal or close to a query token, with their similarity.

        Typos are looked for among tokens of the same first letter and a length within two,
        which is where one or two slips of the keyboard land; results are cached per index
        because the same words recur across queries.
        """
        cached = self._lookups.get(token)
        if cached is not None:
            return cached
        found: list[tuple[str, float]] = []
        if token in self._postings:
            found.append((token, 1.0))
        if fuzzy and len(token) >= 4:
            for size in range(len(token) - 2, len(token) + 3):
                bucket = self._buckets.get((token[0], size))
                if not bucket:
                    continue
                for key, ratio, _ in process.extract(
                    token,
                    bucket,
                    scorer=Indel.normalized_similarity,
                    score_cutoff=self.FUZZY_CUTOFF,
                    limit=4,
                ):
                    if key != token:
                        found.append((key, ratio))
        if len(self._lookups) < 200_000:
            self._lookups[token] = found
        return found

    def _shortlist(self, query: _Prepared) -> list[int]:
        toks = query.tokens
        # Joined neighbours are probed exactly: "hua wei" meets the indexed "huawei".
        probes = [(t, True) for t in toks]
        probes += [(toks[i] + toks[i + 1], False) for i in range(len(toks) - 1)]
        probes += [(toks[i] + toks[i + 1] + toks[i + 2], False) for i in range(len(toks) - 2)]
        if query.script is not None:
            for reading in _readings(query.raw):
                words = reading.romanised.tokens
                probes += [(t, True) for t in words]
                probes += [(words[i] + words[i + 1], False) for i in range(len(words) - 1)]
        votes: defaultdict[int, float] = defaultdict(float)
        for probe, fuzzy in dict.fromkeys(probes):
            weight = _weight(probe)
            for key, sim in self._lookup(probe, fuzzy=fuzzy):
                gain = weight * sim * self._idf[key]
                for name_id in self._postings[key]:
                    votes[name_id] += gain
        shortlist = self._best(votes)
        # Names that only meet across scripts are shortlisted on their own skeleton votes, so
        # they neither crowd out nor are crowded out by names written in the query's script.
        if query.script in SKELETON_SCRIPTS:
            table = self._skeletons
        elif query.script is None and self._foreign:
            table = self._foreign
        else:
            return shortlist
        bones: set[str] = set()
        for reading in _readings(query.raw) if query.script else ():
            bones |= _skeleton_keys(reading.skeleton.words, reading.skeleton.tokens)
        if query.script is None:
            bones = _skeleton_keys(toks, [skeleton(t) for t in toks])
        cross: defaultdict[int, float] = defaultdict(float)
        for key in bones:
            found = table.get(key)
            if found is not None:
                ids, idf = found
                for name_id in ids:
                    cross[name_id] += len(key) * idf
        seen = set(shortlist)
        return shortlist + [i for i in self._best(cross, self.CROSS_SHORTLIST) if i not in seen]

    def _best(self, votes: dict[int, float], size: int = SHORTLIST) -> list[int]:
        if len(votes) <= size:
            return list(votes)
        # Among names sharing the same words, prefer those with fewest other words: "Huawei
        # Technologies Co Ltd" before "Huawei Technologies Co Ltd Chengdu Research Institute".
        # (nlargest is sorted(..., reverse=True)[:n], ties in first-voted order, without the sort.)
        roots = self._roots
        return heapq.nlargest(size, votes, key=lambda i: votes[i] / roots[i])

    def _name_hits(self, query: _Prepared, *, threshold: float) -> list[tuple[int, int, _NameScore]]:
        """(owner, name id, score) of each candidate's best name that could still reach threshold.

        Depends on the name alone, so a batch scores each distinct name once. A candidate whose
        name score is below the threshold by more than country and address can add is dropped
        here, before any explanation is built for it.
        """
        best: dict[int, tuple[int, _NameScore]] = {}
        names, owners = self._names, self._owner
        for name_id in self._shortlist(query):
            result = _score_names(query, names[name_id])
            owner = owners[name_id]
            if owner not in best or result.score > best[owner][1].score:
                best[owner] = (name_id, result)
        floor = threshold - MAX_LIFT - 1e-9
        return [(owner, name_id, result) for owner, (name_id, result) in best.items() if result.score >= floor]

    def _matches(
        self,
        raw: str,
        query: _Prepared,
        hits: list[tuple[int, int, _NameScore]],
        *,
        country: str | None,
        address: str | None,
        threshold: float,
        limit: int,
        person: Person | None = None,
    ) -> list[Match]:
        """Apply a party's country, address and (for people) person evidence to its name's hits,
        and explain those that match."""
        matches: list[Match] = []
        query_address = _address_tokens(address) if address and hits else set()
        for owner, name_id, result in hits:
            name_score = result.score
            candidate = self.candidates[owner]
            score, country_detail = _country_effect(name_score, country, candidate.countries)
            address_detail: dict[str, Any] | None = None
            if query_address and candidate.addresses:
                shared = query_address & set().union(*(_address_tokens(a) for a in candidate.addresses))
                bonus = ADDRESS_BONUS if shared else 0.0
                score = min(1.0, score + bonus)
                address_detail = {"shared_words": sorted(shared), "effect": bonus}
            person_detail: dict[str, Any] | None = None
            if person:
                score, person_detail = person_effect(score, name_score, person, candidate, threshold=threshold)
            if score < threshold:
                continue
            matched = self._names[name_id]
            explanation = {
                "query": raw,
                "query_normalised": query.norm.text,
                "matched_name": matched.raw,
                "matched_is_alias": matched.raw != candidate.name,
                "matched_normalised": matched.norm.text,
                "name_score": round(name_score, 4),
                **result.detail(query, matched),
                "country": country_detail,
                "score": round(score, 4),
            }
            if address_detail is not None:
                explanation["address"] = address_detail
            if person_detail is not None:
                explanation["person"] = person_detail
            matches.append(
                Match(
                    key=candidate.key,
                    name=candidate.name,
                    matched_name=matched.raw,
                    source=candidate.source,
                    score=round(score, 4),
                    explanation=explanation,
                )
            )
        matches.sort(key=lambda m: (-m.score, m.name))
        return matches[:limit]

    HIT_CACHE_SIZE = 200_000

    def _name_stage(self, name: str, threshold: float) -> tuple[_Prepared, list[tuple[int, int, _NameScore]]]:
        key = (name, threshold)
        known = self._hit_cache.get(key)
        if known is None:
            query = _prepare(name)
            known = (query, self._name_hits(query, threshold=threshold) if query.tokens else [])
            if self.HIT_CACHE_SIZE:
                if len(self._hit_cache) >= self.HIT_CACHE_SIZE:
                    self._hit_cache.clear()
                self._hit_cache[key] = known
        return known

    def search(
        self,
        name: str,
        *,
        country: str | None = None,
        threshold: float,
        limit: int = 10,
        address: str | None = None,
        person: Person | None = None,
    ) -> list[Match]:
        """Candidates whose best name or alias scores at or above threshold, best first.

        With `person`, a listed record carrying one of its document numbers is a candidate
        whatever its name scores, and birth dates and nationalities weigh in (`person_effect`).
        """
        query, hits = self._name_stage(name, threshold)
        if person and person.documents and self._documents:
            hits = hits + self._document_hits(query, person, {owner for owner, _, _ in hits})
        if not hits:
            return []
        return self._matches(
            name, query, hits, country=country, address=address, threshold=threshold, limit=limit, person=person
        )

    def _document_hits(self, query: _Prepared, person: Person, known: set[int]) -> list[tuple[int, int, _NameScore]]:
        """Owners sharing a document number with `person` that the name stage did not find."""
        found: list[tuple[int, int, _NameScore]] = []
        owners = {o for d in person.documents for o in self._documents.get(document_number(d), ())} - known
        for owner in sorted(owners):
            scored = [(name_id, _score_names(query, self._names[name_id])) for name_id in self._names_of[owner]]
            if scored and query.tokens:
                name_id, result = max(scored, key=lambda pair: pair[1].score)
                found.append((owner, name_id, result))
        return found

    def search_many(
        self,
        queries: Sequence[tuple[str, str | None] | tuple[str, str | None, str | None]],
        *,
        threshold: float,
        limit: int = 10,
    ) -> list[list[Match]]:
        """Screen many (name, country[, address]) queries, as `search` would one by one."""
        results: list[list[Match]] = []
        for name, country, *rest in queries:
            results.append(
                self.search(name, country=country, address=rest[0] if rest else None, threshold=threshold, limit=limit)
            )
        return results
