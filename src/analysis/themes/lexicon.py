"""The codebook as data, and the lexicon that measures its themes in every segment.

The codebook (``codebook.yaml``; its header documents the pattern syntax) gives each theme
Danish patterns: stems that match inflections and compounds where they come first ("bolig"),
stems that also match as a later part of a compound ("*bolig": "akutboliger"), exact words by
form or lemma ("=bo": "bor", not "bog"), and phrases ("housing first"). Exclusions remove matches
inside passing mentions (committee names, target-group lists, lists of other plans).

Matching is vectorised over the corpus's distinct word forms, so a million words cost little
more than their vocabulary.

Usage::

    from analysis.themes.lexicon import load_codebook, score_themes
    codebook = load_codebook("codebook.yaml")
    scores, matches, excluded = score_themes(segments, tokens, codebook)
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.base.errors import ConfigError, Problem
from analysis.base.paths import PROJECT_ROOT
from analysis.themes.structure import passing_spans, structure_features

MIN_STEM = 3  # letters; shorter stems must be written as exact words ("=bo")
MIN_HEAD = 3  # letters before an infix stem ("akut" + "bolig")
SECTION_WEIGHT = 0.5  # a heading helps decide (at most this much per theme), it cannot code alone
MIN_ITEM_WORDS = 3  # list items shorter than this are labels, not scored on their own
TOKENS_PER_MATCH = 40  # a unit of this many words needs one clear match; 160 words need two
PASSING_WEIGHT = 0.25  # a passing mention counts this much, unless the theme is treated elsewhere in the segment


@dataclass(frozen=True)
class WordPattern:
    """One word of a pattern: alternatives of (mode, text), mode in stem, infix, exact."""

    alternatives: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Pattern:
    """A codebook pattern of one theme: one or more words, and a weight."""

    theme: str
    term: str
    words: tuple[WordPattern, ...]
    weight: float
    order: int


@dataclass(frozen=True)
class Exclusion:
    """A passage type that does not code (a passing mention)."""

    name: str
    regex: re.Pattern
    themes: tuple[str, ...] | None
    requires: tuple[str, ...] = ()  # literal words one of which the text must contain (a speed hint)
    description: str = ""  # what the rule leaves out, in words (shown to coders on the coding sheets)


@dataclass
class Theme:
    """A theme of the codebook."""

    key: str
    label_da: str
    label_en: str
    core: bool
    definition: str
    patterns: list[Pattern] = field(default_factory=list)
    definition_da: str = ""  # the definition in Danish (Danish reports); empty: only `definition`

    def definition_in(self, language: str) -> str:
        """The definition in ``language`` ("da" or "en"), the English one when there is no Danish."""
        return self.definition_da if language == "da" and self.definition_da else self.definition


@dataclass
class Codebook:
    """The themes, their patterns and the exclusions, with the file they came from."""

    version: str
    themes: dict[str, Theme]
    exclusions: list[Exclusion]
    path: str
    fingerprint: str

    @property
    def keys(self) -> list[str]:
        """Theme keys in codebook order."""
        return list(self.themes)

    @property
    def core_keys(self) -> list[str]:
        """Keys of the core themes."""
        return [k for k, t in self.themes.items() if t.core]

    @property
    def patterns(self) -> list[Pattern]:
        return [p for t in self.themes.values() for p in t.patterns]

    def labels(self, language: str = "da") -> dict[str, str]:
        """Theme key -> label in Danish ("da") or English ("en")."""
        return {k: (t.label_da if language == "da" else t.label_en) for k, t in self.themes.items()}


# --------------------------------------------------------------------------- loading


def _parse_word(token: str) -> WordPattern:
    alts = []
    for alt in token.split("|"):
        if alt.startswith("="):
            alts.append(("exact", alt[1:]))
        elif alt.startswith("*"):
            alts.append(("infix", alt[1:]))
        else:
            alts.append(("stem", alt))
    return WordPattern(tuple(alts))


def _check_word(word: WordPattern, n_words: int) -> str | None:
    for mode, text in word.alternatives:
        if not text or not re.fullmatch(r"[\wæøåéü-]+", text):
            return f"'{text}' is not a word (letters, digits and '-' only)"
        if mode != "exact" and n_words == 1 and len(text) < MIN_STEM:
            return (f"stem '{text}' has {len(text)} letters; write '={text}' for the exact word "
                    f"or use a stem of at least {MIN_STEM} letters")
    return None


def _enumeration_regex(items: list[str], min_items: int) -> str:
    item = "(?:" + "|".join(f"(?:{i})" for i in items) + ")"
    sep = r"(?:\s*,\s*(?:og\s+|eller\s+|samt\s+)?|\s+(?:og|eller|samt)\s+)"
    return rf"\b{item}(?:{sep}{item}){{{min_items - 1},}}\b"


def load_codebook(path: str | Path | None = None) -> Codebook:
    """Load and validate a codebook YAML.

    Parameters
    ----------
    path : str or Path, optional
        The file; relative paths are taken from the working directory, then the project root.
        ``None`` is the project's ``codebook.yaml``.

    Raises
    ------
    ConfigError
        Naming the file, the theme and what is wrong, for every problem found.
    """
    path = Path(path) if path else PROJECT_ROOT / "codebook.yaml"
    if not path.is_absolute() and not path.exists() and (PROJECT_ROOT / path).exists():
        path = PROJECT_ROOT / path
    label = str(path)
    if not path.is_file():
        raise ConfigError(Problem(label, "codebook not found", fix="pass an existing file to --codebook"))
    raw_text = path.read_text(encoding="utf-8")
    try:
        raw = yaml.safe_load(raw_text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(Problem(label, f"not valid YAML ({getattr(exc, 'problem', exc)})",
                                  line=mark.line + 1 if mark else None, fix="check indentation and quoting")) from None
    problems: list[Problem] = []

    def bad(message: str, fix: str | None = None) -> None:
        problems.append(Problem(label, message, fix=fix))

    if not isinstance(raw, dict) or not isinstance(raw.get("themes"), dict) or not raw["themes"]:
        raise ConfigError(Problem(label, "no 'themes' mapping", fix="see the header of codebook.yaml"))
    themes: dict[str, Theme] = {}
    order = 0
    for key, spec in raw["themes"].items():
        where = f"theme '{key}'"
        if not re.fullmatch(r"[a-z][a-z0-9_]*", str(key)):
            bad(f"{where}: key must be lower-case letters, digits and '_'")
            continue
        if not isinstance(spec, dict):
            bad(f"{where}: must be a mapping with label_da, label_en, definition and patterns")
            continue
        for required in ("label_da", "label_en", "definition"):
            if not isinstance(spec.get(required), str) or not spec[required].strip():
                bad(f"{where}: missing '{required}'", fix="add it as text")
        unknown = set(spec) - {"label_da", "label_en", "definition", "definition_da", "patterns", "core"}
        if unknown:
            bad(f"{where}: unknown field(s) {', '.join(sorted(unknown))}",
                fix="fields are label_da, label_en, core, definition, definition_da, patterns")
        patterns_raw = spec.get("patterns")
        if not isinstance(patterns_raw, list) or not patterns_raw:
            bad(f"{where}: 'patterns' must be a non-empty list")
            patterns_raw = []
        theme = Theme(key, str(spec.get("label_da", "")), str(spec.get("label_en", "")), bool(spec.get("core", False)),
                      " ".join(str(spec.get("definition", "")).split()),
                      definition_da=" ".join(str(spec.get("definition_da") or "").split()))
        for item in patterns_raw:
            weight = 1.0
            if isinstance(item, dict):
                term, weight = item.get("term"), item.get("weight", 1.0)
                if not isinstance(weight, (int, float)) or not 0 < weight <= 5:
                    bad(f"{where}: pattern {term!r} has weight {weight!r}", fix="use a number above 0 and at most 5")
                    continue
            else:
                term = item
            if not isinstance(term, str) or not term.strip():
                bad(f"{where}: pattern {item!r} is not text")
                continue
            term = " ".join(term.lower().split())
            words = tuple(_parse_word(w) for w in term.split(" "))
            error = next((e for e in (_check_word(w, len(words)) for w in words) if e), None)
            if error:
                bad(f"{where}: pattern '{term}': {error}")
                continue
            theme.patterns.append(Pattern(key, term, words, float(weight), order))
            order += 1
        themes[key] = theme
    exclusions: list[Exclusion] = []
    for i, spec in enumerate(raw.get("exclusions") or [], start=1):
        name = spec.get("name", f"#{i}") if isinstance(spec, dict) else f"#{i}"
        where = f"exclusion '{name}'"
        if not isinstance(spec, dict) or ("regex" in spec) == ("enumeration" in spec):
            bad(f"{where}: give either 'regex' or 'enumeration'")
            continue
        if "enumeration" in spec:
            items, min_items = spec["enumeration"], spec.get("min_items", 3)
            if not isinstance(items, list) or not items or not isinstance(min_items, int) or min_items < 2:
                bad(f"{where}: 'enumeration' must be a list of patterns and 'min_items' a number of at least 2")
                continue
            pattern = _enumeration_regex([str(x) for x in items], min_items)
        else:
            pattern = str(spec["regex"])
        flags = re.IGNORECASE if spec.get("ignore_case", True) else 0
        try:
            compiled = re.compile(pattern, flags)
        except re.error as exc:
            bad(f"{where}: invalid regular expression ({exc})", fix="check brackets and escapes")
            continue
        targets = spec.get("themes")
        if targets is not None:
            missing = [t for t in targets if t not in themes]
            if missing:
                bad(f"{where}: unknown theme(s) {', '.join(missing)}")
        requires = spec.get("requires") or []
        if not isinstance(requires, list) or not all(isinstance(r, str) and r for r in requires):
            bad(f"{where}: 'requires' must be a list of words")
            requires = []
        described = " ".join(str(spec.get("description", "")).split())
        exclusions.append(Exclusion(name, compiled, tuple(targets) if targets else None,
                                    tuple(r.lower() for r in requires), described))
    if problems:
        raise ConfigError(problems)
    fingerprint = hashlib.sha256(raw_text.encode("utf-8")).hexdigest()[:16]
    return Codebook(str(raw.get("version", "unversioned")), themes, exclusions, label, fingerprint)


# --------------------------------------------------------------------------- matching


def _word_mask(forms: pd.DataFrame, word: WordPattern) -> np.ndarray:
    lower, lemma = forms["lower"], forms["lemma"]
    mask = np.zeros(len(forms), dtype=bool)
    for mode, text in word.alternatives:
        if mode == "exact":
            mask |= ((lower == text) | (lemma == text)).to_numpy()
        elif mode == "stem":
            mask |= lower.str.startswith(text).to_numpy()
        else:  # infix: first part of MIN_HEAD letters, or after a hyphen
            rx = rf"^(?:[^\W\d_]{{{MIN_HEAD},}}-?|.*-){re.escape(text)}"
            mask |= (lower.str.startswith(text) | lower.str.contains(rx, regex=True)).to_numpy()
    return mask


def find_matches(tokens: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Return every pattern occurrence in a token frame.

    Parameters
    ----------
    tokens : DataFrame
        segment_id, i, start, end, text, lower, lemma, ordered by segment and position.

    Returns
    -------
    DataFrame
        segment_id, theme, term, surface, start, end, first (row of the first token), n_words,
        weight, order; one row per occurrence, before exclusions and overlap resolution.
    """
    columns = ["segment_id", "theme", "term", "surface", "start", "end", "first", "n_words", "weight", "order"]
    if tokens.empty:
        return pd.DataFrame(columns=columns)
    tokens = tokens.reset_index(drop=True)
    # Patterns are matched once against the distinct (form, lemma) pairs, then looked up per token.
    lower_codes, lower_values = pd.factorize(tokens["lower"])
    lemma_codes, lemma_values = pd.factorize(tokens["lemma"])
    n_lemmas = max(1, len(lemma_values))
    codes, pairs = pd.factorize(lower_codes.astype(np.int64) * n_lemmas + lemma_codes)
    forms = pd.DataFrame({"lower": np.asarray(lower_values, dtype=object)[pairs // n_lemmas],
                          "lemma": np.asarray(lemma_values, dtype=object)[pairs % n_lemmas]})
    seg_codes, seg_values = pd.factorize(tokens["segment_id"])
    seg_values = np.asarray(seg_values, dtype=object)
    pos = tokens["i"].to_numpy()
    text = tokens["text"]  # strings are taken for the matched rows only (memory on a long document)
    starts, ends = tokens["start"].to_numpy(), tokens["end"].to_numpy()
    mask_cache: dict[WordPattern, np.ndarray] = {}
    out: list[pd.DataFrame] = []
    n = len(tokens)
    for pattern in codebook.patterns:
        hit = None
        for k, word in enumerate(pattern.words):
            if word not in mask_cache:
                mask_cache[word] = _word_mask(forms, word)
            on_token = mask_cache[word][codes]
            if k == 0:
                hit = on_token.copy()
            else:
                shifted = np.zeros(n, dtype=bool)
                shifted[:-k] = on_token[k:] & (seg_codes[k:] == seg_codes[:-k]) & (pos[k:] == pos[:-k] + k)
                hit &= shifted
            if not hit.any():
                break
        rows = np.flatnonzero(hit) if hit is not None else np.array([], dtype=int)
        if rows.size == 0:
            continue
        last = rows + len(pattern.words) - 1
        surface = text.iloc[rows].to_numpy(dtype=object)
        for k in range(1, len(pattern.words)):
            surface = surface + " " + text.iloc[rows + k].to_numpy(dtype=object)
        out.append(pd.DataFrame({
            "segment_id": seg_values[seg_codes[rows]], "theme": pattern.theme, "term": pattern.term, "surface": surface,
            "start": starts[rows], "end": ends[last], "first": rows, "n_words": len(pattern.words),
            "weight": pattern.weight, "order": pattern.order,
        }))
    if not out:
        return pd.DataFrame(columns=columns)
    return pd.concat(out, ignore_index=True)[columns]


def _lists(frame: pd.DataFrame, *columns: str) -> list[list]:
    """Columns as Python lists: what a loop over many rows iterates fastest."""
    return [frame[c].to_numpy().tolist() for c in columns]


def _resolve_overlaps(matches: pd.DataFrame) -> pd.DataFrame:
    """Keep, per theme and token, one match: the heaviest, then the longest, then codebook order."""
    if matches.empty:
        return matches
    ranked = matches.sort_values(["theme", "weight", "n_words", "order"], ascending=[True, False, False, True],
                                 kind="stable")
    keep = []
    covered: set[tuple[str, int]] = set()
    for idx, theme, first, n_words in zip(ranked.index.tolist(), *_lists(ranked, "theme", "first", "n_words")):
        cells = [(theme, first + k) for k in range(n_words)]
        if any(c in covered for c in cells):
            continue
        covered.update(cells)
        keep.append(idx)
    return matches.loc[sorted(keep)]


def exclusion_spans(texts: pd.Series, codebook: Codebook) -> dict[str, list[tuple[int, int, str, tuple | None]]]:
    """Return, per segment id (the Series index), the character spans caught by exclusions."""
    spans: dict[str, list] = {}
    for seg_id, text in zip(texts.index.tolist(), texts.to_numpy(dtype=object).tolist()):
        lower = text.lower()
        found = [(m.start(), m.end(), ex.name, ex.themes) for ex in codebook.exclusions
                 if not ex.requires or any(r in lower for r in ex.requires)
                 for m in ex.regex.finditer(text) if m.end() > m.start()]
        if found:
            spans[seg_id] = found
    return spans


def apply_exclusions(matches: pd.DataFrame, spans: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split matches into those that count and those inside an exclusion span (with its name)."""
    if matches.empty:
        return matches, matches.assign(rule=pd.Series(dtype=str))
    rules = []
    for seg_id, theme, start, end in zip(*_lists(matches, "segment_id", "theme", "start", "end")):
        rule = ""
        for s, e, name, themes in spans.get(seg_id, ()):
            if s <= start and end <= e and (themes is None or theme in themes):
                rule = name
                break
        rules.append(rule)
    rules = np.array(rules, dtype=object)
    excluded = rules != ""
    return matches[~excluded], matches[excluded].assign(rule=rules[excluded])


def passing_matches(matches: pd.DataFrame, spans: dict[str, list]) -> np.ndarray:
    """True for matches that are passing mentions by their structure (see :mod:`analysis.themes.structure`):
    inside an enumeration, an example list, label bullets or a target-group definition (``spans``:
    segment id -> :func:`analysis.themes.structure.passing_spans`), or a word that names a plan, law,
    reform or administrative unit ("Sundhedspolitikken")."""
    from analysis.themes.structure import named_unit_mask

    if matches.empty:
        return np.zeros(0, dtype=bool)
    named = named_unit_mask(matches["surface"])
    # "boligområdet" is a place where people live, not an administrative area.
    named &= ~((matches["theme"] == "bolig") & matches["surface"].str.lower().str.contains("område")).to_numpy()
    inside = np.fromiter((any(s <= a and b <= e for s, e, _ in spans[sid])
                          for sid, a, b in zip(*_lists(matches, "segment_id", "start", "end"))),
                         dtype=bool, count=len(matches))
    return named | inside


def section_tokens(segments: pd.DataFrame) -> pd.DataFrame:
    """Tokenize the section headings (plain word split, lookup lemmas) into a token frame."""
    from analysis.nlp.tokens import lemmatize_word

    rows = {k: [] for k in ("segment_id", "i", "start", "end", "text", "lower", "lemma")}
    cache: dict[str, list] = {}
    for seg_id, section in zip(*_lists(segments.assign(section=segments["section"].fillna("")), "segment_id", "section")):
        if not section:
            continue
        if section not in cache:
            cache[section] = [(m.start(), m.end(), m.group(0)) for m in re.finditer(r"[^\W\d_]+(?:-[^\W\d_]+)*", section)]
        for i, (s, e, word) in enumerate(cache[section]):
            rows["segment_id"].append(seg_id)
            rows["i"].append(i)
            rows["start"].append(s)
            rows["end"].append(e)
            rows["text"].append(word)
            rows["lower"].append(word.lower())
            rows["lemma"].append(lemmatize_word(word))
    return pd.DataFrame(rows)


def score_from_evidence(evidence: np.ndarray, n_tokens: np.ndarray) -> np.ndarray:
    """Map evidence (summed match weights) to a score in [0, 1]: 0.5 when evidence equals what is needed."""
    needed = np.maximum(1.0, np.sqrt(np.asarray(n_tokens, dtype=float) / TOKENS_PER_MATCH))
    return 1.0 - np.power(2.0, -np.asarray(evidence, dtype=float) / needed)


def _item_scores(segments: pd.DataFrame, tokens: pd.DataFrame, matches: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Best score of any list item (or the introducing sentence) of each list segment.

    The codebook's rule: a list codes every theme that one of its items is substantively about,
    so an item is scored on its own length, not diluted by the rest of the list. Matches in the
    section heading count in every item.
    """
    is_list = segments["text"].str.contains("\n- ", regex=False)
    if not is_list.any() or matches.empty:
        return pd.DataFrame(columns=keys, dtype=float)
    lists = segments.loc[is_list, ["segment_id", "text"]]
    breaks = {sid: [m.start() for m in re.finditer("\n", text)]
              for sid, text in zip(lists["segment_id"].to_numpy(dtype=object), lists["text"].to_numpy(dtype=object))}
    list_code = {sid: i for i, sid in enumerate(breaks)}
    span = 1 + max((len(t) for t in lists["text"].to_numpy(dtype=object)), default=0)
    break_keys = np.sort(np.array([list_code[sid] * span + b for sid, bs in breaks.items() for b in bs], dtype=np.int64))

    def item_of(seg_ids, starts) -> np.ndarray:
        """The item (0 = the text before the first line break) of each offset: the breaks before it."""
        code = pd.Series(seg_ids, dtype=object).map(list_code).to_numpy(dtype=np.int64) * span
        return np.searchsorted(break_keys, code + np.asarray(starts, dtype=np.int64)) - np.searchsorted(break_keys, code)

    tok = tokens[tokens["segment_id"].isin(breaks)]
    sizes = tok.assign(item=item_of(tok["segment_id"], tok["start"])).groupby(["segment_id", "item"]).size()
    in_text = matches[(matches["where"] == "text") & matches["segment_id"].isin(breaks)]
    ev = (in_text.assign(item=item_of(in_text["segment_id"], in_text["start"]))
          .groupby(["segment_id", "item", "theme"])["weight"].sum().unstack(fill_value=0.0)
          .reindex(columns=keys, fill_value=0.0))
    heads = (matches[(matches["where"] == "section") & matches["segment_id"].isin(breaks)]
             .groupby(["segment_id", "theme"])["weight"].sum().unstack(fill_value=0.0).reindex(columns=keys, fill_value=0.0))
    if ev.empty:
        return pd.DataFrame(columns=keys, dtype=float)
    n = sizes.reindex(ev.index, fill_value=1).to_numpy()
    head = np.minimum(heads.reindex(ev.index.get_level_values(0), fill_value=0.0).to_numpy(), SECTION_WEIGHT)
    item = score_from_evidence(ev.to_numpy() + head, n[:, None])
    item[n < MIN_ITEM_WORDS] = 0.0  # a bare label ("- Bolig") is not a substantive treatment
    return pd.DataFrame(item, index=ev.index, columns=keys).groupby(level=0).max()


def score_themes(segments: pd.DataFrame, tokens: pd.DataFrame, codebook: Codebook, threshold: float = 0.5,
                 occurrences: bool = False) -> tuple[pd.DataFrame, ...]:
    """Measure every theme in every segment with the lexicon.

    Parameters
    ----------
    segments : DataFrame
        segment_id, section, text, n_tokens.
    tokens : DataFrame
        The token table of the same segments (see :func:`analysis.nlp.tokens.token_table`).
    codebook : Codebook
    threshold : float
        Score from which a theme is assigned.

    Returns
    -------
    scores : DataFrame
        segment_id, then per theme ``evidence_<key>``, ``passing_<key>`` (the evidence inside
        passing-mention spans), ``treated_<key>`` (the evidence of the text outside them),
        ``score_<key>`` (in [0, 1]) and ``theme_<key>`` (0/1), in segment order.
    matches : DataFrame
        The counted matches: segment_id, theme, term, surface, where ("text" or "section"), count.
    excluded : DataFrame
        The matches left out as passing mentions, with the exclusion rule that caught them.
    occurrences : DataFrame, only with ``occurrences=True``
        Every counted match in the text with its character offsets (segment_id, theme, term,
        surface, start, end), for passages in context.
    """
    texts = segments.set_index("segment_id")["text"]
    found = find_matches(tokens, codebook)
    # Exclusions only matter where something matched.
    with_matches = texts[texts.index.isin(found["segment_id"].unique())]
    counted, excluded = apply_exclusions(found, exclusion_spans(with_matches, codebook))
    counted = _resolve_overlaps(counted)
    # The passing-mention structure of every segment, found once: for the matches and for the model.
    spans = dict(zip(texts.index.tolist(), map(passing_spans, texts.to_numpy(dtype=object).tolist())))
    counted = counted.assign(where=np.where(passing_matches(counted, spans), "passing", "text"))
    heads = section_tokens(segments)
    in_section = _resolve_overlaps(find_matches(heads, codebook)).assign(where="section")
    in_section["weight"] = in_section["weight"] * SECTION_WEIGHT
    both = pd.concat([counted, in_section], ignore_index=True)

    keys = codebook.keys
    ids = segments["segment_id"]
    def summed(frame: pd.DataFrame) -> pd.DataFrame:
        return (frame.groupby(["segment_id", "theme"])["weight"].sum().unstack(fill_value=0.0)
                .reindex(index=ids, columns=keys, fill_value=0.0).astype(float))

    # A passing mention counts in full only when the segment also treats the theme elsewhere.
    treated = summed(counted[counted["where"] == "text"])
    passing = summed(counted[counted["where"] == "passing"])
    evidence = (treated + passing.where(treated > 0, passing * PASSING_WEIGHT)
                + np.minimum(summed(in_section), SECTION_WEIGHT))
    whole = {k: score_from_evidence(evidence[k].to_numpy(), segments["n_tokens"].to_numpy()) for k in keys}
    best_item = _item_scores(segments, tokens, both, keys)
    scores = pd.DataFrame({"segment_id": ids.to_numpy()})
    for key in keys:
        score = np.maximum(whole[key], best_item[key].reindex(ids, fill_value=0.0).to_numpy())
        scores[f"evidence_{key}"] = np.round(evidence[key].to_numpy(), 4)
        scores[f"passing_{key}"] = np.round(passing[key].to_numpy(), 4)
        scores[f"treated_{key}"] = np.round(treated[key].to_numpy(), 4)
        scores[f"score_{key}"] = np.round(score, 4)
        scores[f"theme_{key}"] = (score >= threshold - 1e-9).astype(int)

    structure = structure_features(texts, spans)
    for column in structure.columns:
        scores[f"struct_{column}"] = np.round(structure[column].to_numpy(), 4)

    order = {s: i for i, s in enumerate(segments["segment_id"])}
    theme_order = {k: i for i, k in enumerate(keys)}

    def tidy(frame: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
        cols = ["segment_id", "theme", "term", "surface", *extra]
        if frame.empty:
            return pd.DataFrame(columns=[*cols, "count"])
        frame = frame.assign(surface=frame["surface"].str.lower())
        table = frame.groupby(cols, sort=False).size().rename("count").reset_index()
        table["_s"] = table["segment_id"].map(order)
        table["_t"] = table["theme"].map(theme_order)
        return (table.sort_values(["_s", "_t", "term", "surface", *extra], kind="stable")
                .drop(columns=["_s", "_t"]).reset_index(drop=True))

    tables = (scores, tidy(both, ["where"]), tidy(excluded, ["rule"]))
    if not occurrences:
        return tables
    occ = counted.loc[counted["where"] == "text", ["segment_id", "theme", "term", "surface", "start", "end"]].copy()
    occ["_s"] = occ["segment_id"].map(order)
    occ = occ.sort_values(["_s", "start", "theme"], kind="stable").drop(columns="_s").reset_index(drop=True)
    occ[["start", "end"]] = occ[["start", "end"]].astype("int32")
    return (*tables, occ)


def explain_segment(segment_id: str, matches: pd.DataFrame) -> dict[str, list[str]]:
    """Return theme -> the matched words ("surface (term) ×count") of one segment, for display."""
    rows = matches[matches["segment_id"] == segment_id]
    return {theme: [f"{r.surface} ({r.term}) ×{r.count}" for r in group.itertuples()]
            for theme, group in rows.groupby("theme", sort=False)}


def needed_evidence(n_tokens: int) -> float:
    """Evidence a segment of ``n_tokens`` words needs for a score of 0.5."""
    return max(1.0, math.sqrt(n_tokens / TOKENS_PER_MATCH))
