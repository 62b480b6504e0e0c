"""The structure of a passing mention: enumerations, example lists, label bullets, target-group
definitions and names of plans, laws and administrative units.

The codebook says that a word from a theme's area does not code the theme when it is only
mentioned in passing: in a definition of the target group, a list of problems or of the policy
areas a policy covers, bullets of single nouns, a list of plans or reforms, the name of an
administrative area or unit. This module finds those passages by their form, not by their
words, so that it works for themes and vocabularies it has never seen:

- ``enumeration``: three or more short items (one to three words) in a comma series ending in
  "og", "eller" or "samt", or four or more comma-separated short items;
- ``examples``: what follows "såsom", "fx", "f.eks.", "bl.a.", "herunder" ... to the end of the clause
  or a relative clause (", som ..."), unless the word introduces a clause ("viser blandt andet, at ...");
- ``label bullets``: bullet lines of at most three words, when a list has two or more of them;
- ``target group``: a coordinated list of two or more short items right after a cue that
  defines who the policy is for ("borgere, der er ramt af ...", "målgruppen er ..."), not after an
  infinitive ("mennesker med psykiske vanskeligheder i at komme sig og leve ...");
- ``named unit`` (per word, see :func:`named_unit_mask`): a compound whose last part names a
  plan, law, reform, administrative area or unit ("Sundhedspolitikken", "hjemløsereformen",
  "beskæftigelsesområdet").

The lexicon counts a match inside such a passage at a fraction of its weight unless the segment
also treats the theme outside it (:mod:`analysis.themes.lexicon`); the model sees the same passages as
features (:func:`structure_features`). The word lists are in :mod:`analysis.base.danish`.

Usage::

    from analysis.themes.structure import passing_spans
    passing_spans("Målgruppen er borgere, der er ramt af hjemløshed, misbrug eller psykisk sygdom.")
    # [(38, 82, 'target group')]
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.base.danish import EXAMPLE_INTRODUCERS, NAMED_UNIT_HEADS, STOP_WORDS, TARGET_GROUP_CUES

MAX_ITEM_WORDS = 3  # an item of an enumeration or a label bullet has at most this many words
MAX_EXAMPLE_CHARS = 200  # an example list ends at the clause end, or after this many characters
MAX_CUE_GAP = 40  # characters between a target-group cue and the list it introduces

_WORD = r"[^\W\d_][\w-]*"
_JOIN = r"(?:og|eller|samt)"
_ITEM = rf"(?!{_JOIN}\b){_WORD}(?:[ \t]+(?!{_JOIN}\b){_WORD}){{0,{MAX_ITEM_WORDS - 1}}}"
_COMMA = r"[ \t]*,[ \t]*"
_CONJ = rf"[ \t]*,?[ \t]*{_JOIN}[ \t]+"
_ENUMERATION = re.compile(rf"(?<![\w-]){_ITEM}(?:(?:{_COMMA}{_ITEM})+{_CONJ}{_ITEM}|(?:{_COMMA}{_ITEM}){{3,}})"
                          rf"(?![\w-])", re.IGNORECASE)
_COORDINATION = re.compile(rf"{_ITEM}(?:{_COMMA}{_ITEM})*{_CONJ}{_ITEM}(?![\w-])", re.IGNORECASE)
_INTRODUCER = re.compile(
    r"(?<![\w.])(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s*") for w in
                                sorted(EXAMPLE_INTRODUCERS, key=len, reverse=True)) + r")(?![\w])",
    re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;:!?\n(]|,\s*(?:som|der|hvor|hvis)\b")  # a relative clause ends a list of examples
_SUBORDINATE = re.compile(r"\s*,\s*(?:at|hvordan|om|hvis|når|fordi)\b", re.IGNORECASE)  # "viser blandt andet, at ..."
_INFINITIVE = re.compile(r"\bat\b", re.IGNORECASE)
_CLAUSE = re.compile(r"[^.;:!?\n(]+")
_CONJ_WORD = re.compile(rf"\b{_JOIN}\b", re.IGNORECASE)
_CUE = re.compile(r"(?<!\w)(?:" + "|".join(TARGET_GROUP_CUES) + r")", re.IGNORECASE)
_BULLET = re.compile(r"(?m)^- [ \t]*(.*?)[ \t.;:]*$")
_NAMED_UNIT = re.compile(r"^[^\W\d_]{3,}[\w-]*?(?:" + "|".join(sorted(NAMED_UNIT_HEADS, key=len, reverse=True))
                         + r")$")

#: Kinds of passage, in the order they are reported.
KINDS = ("target group", "enumeration", "examples", "label bullets")


_SPLIT = re.compile(rf"{_CONJ}|{_COMMA}", re.IGNORECASE)


def _items(span: str, offset: int) -> tuple[int, int, int]:
    """Number of items of a series and where it starts and ends once its outer items are trimmed.

    A regular expression finds a series from its leftmost start and lets its last item run on,
    so the first item takes in the words before it ("samarbejde med jobcentret, ...") and the
    last the words after it ("... psykisk sygdom med i bagagen"): each is cut to as many words
    as the longest inner item, and at least two.
    """
    parts = _SPLIT.split(span)
    longest = max([2, *(len(p.split()) for p in parts[1:-1])])
    first, last = parts[0].split()[-longest:], parts[-1].split()[:longest]
    while len(first) > 1 and first[0].lower() in STOP_WORDS:  # "af", "med", "har" before the first item
        first = first[1:]
    while len(last) > 1 and last[-1].lower() in STOP_WORDS:  # "med", "i" after the last item
        last = last[:-1]
    start = re.search(r"[ \t]+".join(map(re.escape, first)) + r"$", parts[0]).start()
    tail = span.rindex(parts[-1])
    end = tail + re.match(r"[ \t]+".join(map(re.escape, last)), parts[-1]).end()
    return len(parts), offset + start, offset + end


def passing_spans(text: str) -> list[tuple[int, int, str]]:
    """Return the passages of a segment that name things in passing.

    Parameters
    ----------
    text : str
        One segment (list items on lines of their own, starting with "- ").

    Returns
    -------
    list of (start, end, kind)
        Character spans, ``kind`` one of :data:`KINDS`; spans of different kinds may overlap.
    """
    spans: list[tuple[int, int, str]] = []
    for cue in _CUE.finditer(text):
        listed = _COORDINATION.search(text, cue.end(), cue.end() + MAX_CUE_GAP + 120)
        between = text[cue.end():listed.start()] if listed else ""
        # "mennesker med psykiske vanskeligheder i at komme sig og leve ...": a purpose, not a list of groups
        if listed and listed.start() - cue.end() <= MAX_CUE_GAP and "\n" not in between \
                and not _INFINITIVE.search(between):
            _, start, end = _items(listed.group(0), listed.start())
            spans.append((start, end, "target group"))
    for clause in _CLAUSE.finditer(text):
        # An enumeration stays inside a clause and needs a comma and a conjunction, or three commas:
        # looking only where they are is what keeps this cheap on a million words.
        part = clause.group(0)
        commas = part.count(",")
        if not commas or (commas < 3 and not _CONJ_WORD.search(part, part.index(","))):
            continue
        for m in _ENUMERATION.finditer(part):
            n, start, end = _items(m.group(0), clause.start() + m.start())
            if n >= 3:
                spans.append((start, end, "enumeration"))
    for m in _INTRODUCER.finditer(text):
        if _SUBORDINATE.match(text, m.end()):  # introduces a clause, not examples
            continue
        end = _CLAUSE_END.search(text, m.end())
        stop = min(end.start() if end else len(text), m.end() + MAX_EXAMPLE_CHARS)
        if stop > m.end():
            spans.append((m.end(), stop, "examples"))
    labels = [m for m in _BULLET.finditer(text) if 0 < len(m.group(1).split()) <= MAX_ITEM_WORDS]
    if len(labels) >= 2:
        spans.extend((m.start(1), m.end(1), "label bullets") for m in labels)
    return sorted(spans)


def named_unit_mask(words: pd.Series) -> np.ndarray:
    """True for words that name a plan, law, reform, administrative area or unit by a compound
    ("sundhedspolitikken", "hjemløsereformen", "beskæftigelsesområdet"); input in any case."""
    lower = words.astype(str).str.lower()
    return lower.str.match(_NAMED_UNIT.pattern).to_numpy(dtype=bool, copy=True)


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_DATE = re.compile(r"(?i)\b(?:\d{1,2}\.\s*(?:januar|februar|marts|april|maj|juni|juli|august|september|oktober|"
                   r"november|december)|(?:januar|februar|marts|april|maj|juni|juli|august|september|oktober|"
                   r"november|december)\s+\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|kl\.\s*\d)")

#: The columns of :func:`structure_features`.
STRUCTURE_FEATURES = ["n_lines", "n_bullets", "n_label_bullets", "n_enumerations", "n_examples", "n_numbers",
                      "n_dates", "target_group", "passing_share"]


def structure_features(texts: pd.Series, spans: dict | None = None) -> pd.DataFrame:
    """Per segment: its form (for the theme model): lines and bullets, passing-mention structure,
    and the numbers and dates that mark procedural text (adoption, deadlines, budgets).

    ``spans`` (index of ``texts`` -> :func:`passing_spans`) saves finding them again.

    Returns
    -------
    DataFrame
        Indexed like ``texts``, the columns of :data:`STRUCTURE_FEATURES`: counts, then
        ``target_group`` (0/1) and ``passing_share`` (share of the text's characters inside
        passing spans).
    """
    rows = []
    for key, text in zip(texts.index.tolist(), texts.astype(str).to_numpy(dtype=object).tolist()):
        found = spans[key] if spans is not None else passing_spans(text)
        covered = np.zeros(len(text) + 1, dtype=bool)
        for s, e, _ in found:
            covered[s:e] = True
        kinds = [k for _, _, k in found]
        rows.append((text.count("\n") + 1, len(_BULLET.findall(text)), kinds.count("label bullets"),
                     kinds.count("enumeration"), kinds.count("examples"), len(_NUMBER.findall(text)),
                     len(_DATE.findall(text)), int("target group" in kinds),
                     covered[:len(text)].mean() if text else 0.0))
    return pd.DataFrame(rows, index=texts.index, columns=STRUCTURE_FEATURES)
