"""Text cleaning: what every document goes through before segmentation.

The steps, in order (the README lists them for researchers):

1. Unicode NFC, so "å" is one character whichever program wrote it; stray combining accents
   left by PDF extraction after an already accented letter ("også̊") are dropped.
2. Line ends unified; soft hyphens, zero-width characters and the byte-order mark removed;
   non-breaking and other exotic spaces become plain spaces.
3. Bullets ("•", "▪", "", "*", "–" ...) at the start of a line become "- ".
4. Footnote markers (superscript digits after a word, "¹") removed, and footnote lines
   ("¹ Hvidbog om ...") dropped.
5. Markdown emphasis ("**bold**", "*italic*") unwrapped.
6. Runs of spaces collapsed; lines stripped.

Usage::

    from analysis.corpus.clean import normalize_text
    normalize_text("Borgerne¹ •  får\u00adhjælp")
"""

from __future__ import annotations

import re
import unicodedata

from analysis.base.danish import BULLET_CHARS, SUPERSCRIPT_DIGITS, SUSPENDED_COMPOUND_NEXT

_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"), " ")
_STRAY_COMBINING = re.compile(r"(?<=[åÅæÆøØéÉüÜöÖäÄ])[\u0300-\u036f]+")
_BULLET_LINE = re.compile(r"^[ \t]*[" + re.escape(BULLET_CHARS) + r"][ \t]+(?=\S)", re.M)
_FOOTNOTE_LINE = re.compile(r"^[ \t]*[" + SUPERSCRIPT_DIGITS + r"]+[ \t]*\S.*$\n?", re.M)
_FOOTNOTE_MARK = re.compile(r"(?<=[\w.,;:!?)\"”'’])[" + SUPERSCRIPT_DIGITS + r"]+")
_BOLD = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_MULTISPACE = re.compile(r"[ ]{2,}")


def normalize_text(text: str) -> str:
    """Return text cleaned by steps 1-6 above, line structure kept (tabs too, for tables)."""
    text = unicodedata.normalize("NFC", text)
    text = _STRAY_COMBINING.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n\n")
    text = text.translate(_INVISIBLE).translate(_SPACES)
    text = _BULLET_LINE.sub(lambda m: " " * (len(m.group(0)) - len(m.group(0).lstrip())) + "- ", text)
    text = _FOOTNOTE_LINE.sub("", text)
    text = _FOOTNOTE_MARK.sub("", text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    lines = []
    for line in text.split("\n"):
        body = line.lstrip(" ")
        lines.append(line[: len(line) - len(body)] + _MULTISPACE.sub(" ", body).rstrip() if body.strip() else "")
    return "\n".join(lines)


def clean_inline(text: str) -> str:
    """Return one block's text on one line: normalized, whitespace collapsed (for DOCX/HTML text)."""
    text = normalize_text(text)
    return re.sub(r"\s+", " ", text).strip()


def join_lines(lines: list[str]) -> str:
    """Join the lines of one paragraph, rejoining words hyphenated at line ends.

    "beskæftigel-" + "sesindsats" becomes "beskæftigelsesindsats"; "Social-" + "og Sundhed"
    keeps its hyphen (a suspended compound); "Job-" + "Centret" keeps it too (capital next).
    """
    out = ""
    for line in (ln.strip() for ln in lines):
        if not line:
            continue
        if not out:
            out = line
            continue
        first_word = line.split(" ", 1)[0]
        if (
            out.endswith("-")
            and len(out) > 1
            and out[-2].isalpha()
            and first_word[:1].islower()
            and first_word.strip(",.;:").lower() not in SUSPENDED_COMPOUND_NEXT
        ):
            out = out[:-1] + line
        elif out.endswith("-") and len(out) > 1 and out[-2].isalpha():
            out = out + " " + line if first_word.lower() in SUSPENDED_COMPOUND_NEXT else out + line
        else:
            out = out + " " + line
    return out
