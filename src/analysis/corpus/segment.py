"""Split a document's blocks into segments, the codebook's unit of coding.

One paragraph is one segment; a list stays with the sentence that introduces it; headings
are not segments but become the ``section`` of the segments under them. Segment ids are
``<doc_id>:<nnn>``, numbered in reading order. A paragraph longer than ``max_chars`` (a text
export or a PDF without paragraph spacing can hold a whole document in one) is cut at sentence
ends into parts of at most that length, each a segment with its ``part`` number (1, 2, ...;
0 for a segment that is a whole paragraph).

Usage::

    from analysis.corpus.segment import split_segments
    segments = split_segments("odsherred-2017", blocks)
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from analysis.corpus.ingest import Block

SECTION_SEPARATOR = " › "


@dataclass(frozen=True)
class Segment:
    """One unit of coding: a paragraph, or a list with its introducing sentence."""

    segment_id: str
    doc_id: str
    position: int
    section: str
    text: str
    part: int = 0  # 1, 2, ... for the parts of a paragraph longer than the limit; 0 for a whole one


#: The longest segment, in characters, unless the config says otherwise (``corpus.max_segment_chars``).
MAX_SEGMENT_CHARS = 5000
_SENTENCE_END = re.compile(r"(?<=[.!?…:;])[\"”)]*\s+(?=\S)|\n+")


def split_long(text: str, max_chars: int) -> list[str]:
    """``text`` in parts of at most ``max_chars`` characters, cut after a sentence's end (or a line
    break); a sentence longer than that is cut at a space, and a word longer than that anywhere."""
    if len(text) <= max_chars:
        return [text]
    pieces, last = [], 0
    for m in _SENTENCE_END.finditer(text):
        pieces.append(text[last:m.end()])
        last = m.end()
    pieces.append(text[last:])
    parts, current = [], ""
    for piece in pieces:
        while len(piece) > max_chars:  # one sentence longer than a part
            if current:
                parts.append(current)
                current = ""
            cut = piece.rfind(" ", 0, max_chars)
            cut = cut if cut > 0 else max_chars
            parts.append(piece[:cut])
            piece = piece[cut:].lstrip()
        if current and len(current) + len(piece) > max_chars:
            parts.append(current)
            current = ""
        current += piece
    if current.strip():
        parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def _introduces_list(text: str) -> bool:
    # "Vi opnår vores mål ved at:" and "Fokusområder for de næste 4 år" introduce what follows;
    # a paragraph that ends its last sentence does not.
    return text.endswith(":") or not text.rstrip().endswith((".", "!", "?", "…", '"', "”", ")"))


def split_segments(doc_id: str, blocks: list[Block], max_chars: int = MAX_SEGMENT_CHARS) -> list[Segment]:
    """Return the segments of one document.

    Parameters
    ----------
    doc_id : str
        The document's id, used as the prefix of segment ids.
    blocks : list of Block
        The document's blocks in reading order (see :mod:`analysis.corpus.ingest`).
    max_chars : int
        The longest segment: a longer paragraph is cut at sentence ends into numbered parts.

    Returns
    -------
    list of Segment
        In reading order. A list item is joined to the paragraph right before it when that
        paragraph introduces the list (ends with ":" or without a full stop) and no heading
        came between; list items are written one per line, each starting with "- ". The rows
        of a table are one segment, one row per line.
    """
    headings: dict[int, str] = {}
    units: list[tuple[str, list[str]]] = []  # (section, [intro, item, item...]) or (section, [paragraph])
    kinds: list[str] = []
    for block in blocks:
        section = SECTION_SEPARATOR.join(headings[k] for k in sorted(headings))
        if block.kind == "heading":
            level = max(block.level, 1)
            headings = {k: v for k, v in headings.items() if k < level}
            headings[level] = block.text
            kinds.append("heading")
            continue
        if block.kind == "item":
            prev = kinds[-1] if kinds else None
            if prev == "item" or (prev == "paragraph" and _introduces_list(units[-1][1][0])):
                units[-1][1].append("- " + block.text)
            else:
                units.append((section, ["- " + block.text]))
        elif block.kind == "table" and kinds and kinds[-1] == "table":
            units[-1][1].append(block.text)  # the rows of one table are one unit
        else:
            units.append((section, [block.text]))
        kinds.append(block.kind)
    segments = []
    for section, lines in units:
        text = "\n".join(lines)
        parts = split_long(text, max_chars)
        for part, piece in enumerate(parts, start=1 if len(parts) > 1 else 0):
            position = len(segments) + 1
            segments.append(Segment(f"{doc_id}:{position:03d}", doc_id, position, section, piece, part))
    return segments


def fingerprint_text(text: str) -> str:
    """Return a fingerprint of a segment's text that survives re-segmentation and reformatting.

    Lower case, letters and digits only, hashed: two segments with the same words in the same
    order have the same fingerprint whatever their whitespace, bullets or punctuation.
    """
    key = re.sub(r"[^\wæøå]+", " ", text.casefold()).strip()
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
