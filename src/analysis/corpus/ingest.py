"""Readers per file format: every document becomes a list of :class:`Block` in reading order.

A block is a heading, a paragraph, a list item or a table row. Plain text (and text rebuilt
from a PDF's layout) is turned into blocks by :func:`text_to_blocks`; Word and HTML carry
their structure and are read into blocks directly.

Usage::

    from analysis.corpus.ingest import read_document
    blocks = read_document(Path("corpus/documents/odsherred-2017.txt"))
"""

from __future__ import annotations

import re
import statistics
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from analysis.base.errors import InputError, Problem
from analysis.corpus.clean import clean_inline, join_lines, normalize_text


@dataclass(frozen=True)
class Block:
    """One unit of a document's structure.

    Attributes
    ----------
    kind : str
        "heading", "paragraph", "item" (a list item) or "table" (a table row or header block).
    text : str
        Cleaned text on one line.
    level : int
        Heading level (1 = top); 0 for other kinds.
    """

    kind: str
    text: str
    level: int = 0


# --------------------------------------------------------------------------- decoding

#: C0 control characters that never occur in text (tab, line feed, vertical tab, form feed and
#: carriage return do), and DEL.
_BINARY = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
#: C1 control characters: in a text file they are cp1252 punctuation that went through latin-1.
_C1 = re.compile(r"[\x80-\x9f]")
#: More stray control characters than this share of the text (and more than
#: :data:`MIN_CONTROLS_REFUSED` - 1) means the file is not text.
MAX_CONTROL_SHARE = 0.01
MIN_CONTROLS_REFUSED = 8


def _c1_to_cp1252(char: str) -> str:
    try:
        return char.encode("latin-1").decode("cp1252")
    except UnicodeDecodeError:  # 0x81, 0x8d, 0x8f, 0x90, 0x9d are unassigned in cp1252
        return ""


def _too_many_controls(text: str) -> tuple[int, str, int] | None:
    """(count, first character, its line) when the text has too many stray controls, else None."""
    found = _BINARY.findall(text)
    if len(found) < max(MIN_CONTROLS_REFUSED, MAX_CONTROL_SHARE * len(text)):
        return None
    first = _BINARY.search(text)
    return len(found), first.group(), text.count("\n", 0, first.start()) + 1


def _tidy_controls(text: str) -> str:
    """Repair the control characters of decoded text.

    C1 controls become the cp1252 characters they stand for (U+0092 -> ’), a vertical tab or
    form feed (Word's manual line and page breaks) becomes a line break, other stray controls
    are dropped.
    """
    text = _C1.sub(lambda m: _c1_to_cp1252(m.group()), text)
    text = text.replace("\x0b", "\n").replace("\x0c", "\n")
    return _BINARY.sub("", text)


def decode_text(raw: bytes, label: str) -> str:
    """Decode the bytes of a text file: UTF-8 first, then cp1252, then latin-1.

    UTF-8 is tried strictly (a cp1252 file almost never decodes as valid UTF-8), and a file
    that is valid UTF-8 is read as UTF-8. Of cp1252 and latin-1, cp1252 is preferred: it is
    what Windows writes and it agrees with latin-1 on æ, ø and å, while latin-1 would turn
    cp1252's quotes and dashes into control characters. Stray control characters are repaired
    (see :func:`_tidy_controls`); a file with NUL bytes, or with at least 8 control characters
    that are also at least 1% of it, is not text.

    Raises
    ------
    InputError
        When the bytes are not text in any of these encodings.
    """
    candidates = []
    if raw.startswith(b"\xff\xfe") or raw.startswith(b"\xfe\xff"):
        candidates.append("utf-16")
    if b"\x00" not in raw:
        candidates += ["utf-8-sig", "cp1252", "latin-1"]
    for encoding in candidates:
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = _too_many_controls(text)
        if controls is None:
            return _tidy_controls(text)
        n, char, line = controls
        raise InputError(Problem(label, f"contains {n} control characters (the first, U+{ord(char):04X}, on line "
                                        f"{line}): it looks like a binary file, not text",
                                 fix="save it again as plain text (UTF-8), or convert it to PDF or DOCX"))
    raise InputError(Problem(label, "cannot be decoded as text (not UTF-8, cp1252 or latin-1)",
                             fix="save it again as UTF-8 text, or convert it to PDF or DOCX"))


def read_text_file(path: Path, label: str) -> str:
    """Return the decoded, normalized text of a .txt or .md file."""
    return normalize_text(decode_text(path.read_bytes(), label))


# --------------------------------------------------------------------------- plain text -> blocks

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
_ITEM = re.compile(r"^(?:-\s+|\d{1,2}[.)]\s+(?=[A-ZÆØÅ]))(.*)$")
_SENTENCE_END = (".", "!", "?", "…", '"', "”", "»", ")")


def _looks_like_heading(line: str, next_kind: str | None) -> bool:
    """Decide whether one line on its own is a heading, given what follows it.

    A heading is short (at most 12 words and 100 characters), starts with a capital or digit
    and does not end like a sentence or clause. Before a list, only a one- or two-word line is
    a heading ("Vision"); a longer one introduces the list ("Vi opnår vores mål ved at:").
    Nothing after it (end of document) means it is not a heading.
    """
    if next_kind is None:
        return False
    words = line.split()
    if not words or len(words) > 12 or len(line) > 100:
        return False
    if not (line[0].isupper() or line[0].isdigit()):
        return False
    if line.endswith((".", ",", ";", "!", "…")):
        return False
    if next_kind == "item":
        return len(words) <= 2 and not line.endswith(":")
    if line.endswith(":"):
        return len(words) <= 6
    return True


def _split_block(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Split one blank-line-separated block into runs: ("text", lines), ("item", lines), ("table", lines)."""
    if lines and all("\t" in ln for ln in lines):
        return [("table", [ln]) for ln in lines]
    runs: list[tuple[str, list[str]]] = []
    for raw in lines:
        line = raw.strip()
        indented = raw[:1] in (" ", "\t")
        md = _MD_HEADING.match(line)
        item = _ITEM.match(line)
        if md:
            runs.append(("md", [line]))
        elif item:
            runs.append(("item", [item.group(1)]))
        elif runs and runs[-1][0] == "item" and (indented or line[:1].islower() or line[:1] == "("):
            runs[-1][1].append(line)  # continuation of a list item
        elif runs and runs[-1][0] == "text":
            runs[-1][1].append(line)
        else:
            runs.append(("text", [line]))
    return runs


def text_to_blocks(text: str) -> list[Block]:
    """Turn cleaned plain text into blocks.

    Paragraphs are separated by blank lines; lines inside a paragraph are joined (hyphenation
    at line ends undone); "- " lines are list items, with indented or lower-case lines after
    them as their continuation; a block whose every line has a tab is a table; markdown
    ``#`` lines and short title-like lines (see :func:`_looks_like_heading`) are headings. The
    first line of a paragraph is its heading when it looks like one and the next line starts
    with a capital ("Hvad er en udsattepolitik?" / "I Danmark er der ...").
    """
    raw_blocks = [b.split("\n") for b in re.split(r"\n[ \t]*\n", text)]
    runs: list[tuple[str, list[str]]] = []
    for lines in raw_blocks:
        lines = [ln for ln in lines if ln.strip()]
        if lines:
            runs.extend(_split_block(lines))
            runs.append(("break", []))

    # Pull a title line off the top of a multi-line text run.
    expanded: list[tuple[str, list[str]]] = []
    for kind, lines in runs:
        if kind == "text" and len(lines) > 1:
            first, rest = lines[0], lines[1:]
            if rest[0][:1].isupper() or rest[0][:1].isdigit() or rest[0][:1] in "\"“”»'":
                if _looks_like_heading(first, "text") and not first.endswith("-"):
                    expanded.append(("title", [first]))
                    expanded.append(("text", rest))
                    continue
        expanded.append((kind, lines))

    blocks: list[Block] = []
    content = [r for r in expanded if r[0] != "break"]
    for i, (kind, lines) in enumerate(content):
        next_kind = None
        if i + 1 < len(content):
            nk = content[i + 1][0]
            next_kind = "item" if nk == "item" else "text"
        if kind == "md":
            m = _MD_HEADING.match(lines[0])
            blocks.append(Block("heading", m.group(2).strip(), len(m.group(1))))
        elif kind == "title":
            blocks.append(Block("heading", lines[0].rstrip(":").strip(), 1))
        elif kind == "item":
            blocks.append(Block("item", join_lines(lines)))
        elif kind == "table":
            cells = [c.strip() for c in lines[0].split("\t") if c.strip()]
            blocks.append(Block("table", " | ".join(cells)))
        else:
            joined = join_lines(lines)
            if len(lines) == 1 and _looks_like_heading(joined, next_kind):
                blocks.append(Block("heading", joined.rstrip(":").strip(), 1))
            elif joined:
                blocks.append(Block("paragraph", joined))
    return blocks


# --------------------------------------------------------------------------- PDF

_PAGE_NUMBER = re.compile(r"^(?:side\s+|page\s+|s\.\s*)?\d{1,4}(?:\s*(?:af|/|of)\s*\d{1,4})?$", re.I)
_MARGIN = 0.09  # top and bottom share of the page where running headers and footers live


def _pdf_lines(path: Path, label: str) -> tuple[list[list[dict]], list[float]]:
    import logging

    import pdfplumber

    for name in ("pypdf", "pdfminer"):  # their warnings on broken files would bury our one-line error
        logging.getLogger(name).setLevel(logging.ERROR)
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001 - unsupported algorithm counts as locked
                opened = 0
            if not opened:
                raise InputError(Problem(label, "encrypted PDF (password-protected)",
                                         fix="save an unprotected copy of the PDF"))
        n_pages = len(reader.pages)
    except InputError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise InputError(Problem(label, f"corrupt PDF ({type(exc).__name__}: {str(exc)[:80]})",
                                 fix="download or export the PDF again")) from None
    if n_pages == 0:
        raise InputError(Problem(label, "corrupt PDF (no pages)", fix="download or export the PDF again"))
    pages: list[list[dict]] = []
    heights: list[float] = []
    try:
        with pdfplumber.open(str(path), password="") as pdf:
            for page in pdf.pages:
                heights.append(float(page.height))
                lines = page.extract_text_lines(layout=False, strip=True, return_chars=True)
                for line in lines:
                    sizes = [c.get("size", 0) for c in line.get("chars", []) if c.get("text", "").strip()]
                    line["size"] = statistics.median(sizes) if sizes else 0.0
                    line.pop("chars", None)
                pages.append(lines)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds on broken files
        raise InputError(Problem(label, f"corrupt PDF ({type(exc).__name__})",
                                 fix="download or export the PDF again")) from None
    return pages, heights


def _running_lines(pages: list[list[dict]], heights: list[float]) -> set[str]:
    """Texts (digits masked) in the page margins that repeat on at least half of the pages."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines, height in zip(pages, heights):
        seen = set()
        for line in lines:
            if line["top"] < height * _MARGIN or line["bottom"] > height * (1 - _MARGIN):
                seen.add(re.sub(r"\d+", "#", line["text"].strip().lower()))
        counts.update(seen)
    return {text for text, n in counts.items() if n >= max(2, len(pages) / 2)}


def pdf_to_text(path: Path, label: str) -> str:
    """Rebuild the text of a PDF's text layer as paragraphs separated by blank lines.

    Running headers and footers (margin lines repeated on at least half of the pages) and page
    numbers are dropped; a larger font than the body marks a heading (written as markdown
    ``#``); a vertical gap clearly larger than the usual line spacing starts a new paragraph;
    a paragraph that runs across a page break is kept whole.

    Raises
    ------
    InputError
        For an encrypted or corrupt PDF, or one without a text layer.
    """
    pages, heights = _pdf_lines(path, label)
    running = _running_lines(pages, heights)
    all_sizes = [ln["size"] for lines in pages for ln in lines if ln["size"]]
    body_size = statistics.median(all_sizes) if all_sizes else 0.0
    kept_pages = []
    for lines, height in zip(pages, heights):
        kept = []
        for line in lines:
            text = line["text"].strip()
            in_margin = line["top"] < height * _MARGIN or line["bottom"] > height * (1 - _MARGIN)
            if in_margin and (_PAGE_NUMBER.match(text) or re.sub(r"\d+", "#", text.lower()) in running):
                continue
            kept.append(line)
        kept_pages.append(kept)
    # The usual gap between lines of one paragraph, over the whole document: a low quantile, since
    # paragraph and heading gaps are the rarer, larger ones.
    gaps = sorted(b["top"] - a["bottom"] for kept in kept_pages for a, b in zip(kept, kept[1:])
                  if b["top"] > a["bottom"] - 1)
    usual_gap = gaps[int(len(gaps) * 0.3)] if gaps else 0.0
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for kept in kept_pages:
        for j, line in enumerate(kept):
            text = line["text"].strip()
            heading = body_size and line["size"] > body_size * 1.15 and len(text.split()) <= 15
            if j > 0:
                prev = kept[j - 1]
                gap = line["top"] - prev["bottom"]
                line_height = max(prev["bottom"] - prev["top"], 1.0)
                if gap > usual_gap + 0.5 * line_height or heading or prev.get("_heading"):
                    if current:
                        paragraphs.append(current)
                    current = []
            elif current and (heading or current[-1].rstrip().endswith(_SENTENCE_END) or text[:1].isupper()):
                paragraphs.append(current)  # page break ends the paragraph unless it clearly runs on
                current = []
            line["_heading"] = heading
            current.append(("# " + text) if heading else text)
            if heading:
                paragraphs.append(current)
                current = []
    if current:
        paragraphs.append(current)
    text = "\n\n".join("\n".join(p) for p in paragraphs)
    if len(re.sub(r"\s", "", text)) < 20:
        raise InputError(Problem(label, "no text layer (scanned?)",
                                 fix="run OCR on it (for example ocrmypdf) and add the OCR'd PDF"))
    return normalize_text(text)


# --------------------------------------------------------------------------- DOCX

_HEADING_STYLE = re.compile(r"^(?:heading|overskrift|titel|title)\s*(\d?)", re.I)


def read_docx(path: Path, label: str) -> list[Block]:
    """Read a Word document: headings (from their styles), paragraphs, list items and tables in order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise InputError(Problem(label, f"not a valid Word file ({type(exc).__name__})",
                                 fix="open it in Word and save it again as .docx")) from None
    blocks: list[Block] = []
    body = document.element.body
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            para = Paragraph(child, document)
            text = clean_inline(para.text)
            if not text:
                continue
            style = para.style.name if para.style is not None else ""
            m = _HEADING_STYLE.match(style or "")
            numbered = child.pPr is not None and child.pPr.numPr is not None
            if m:
                level = int(m.group(1)) if m.group(1) else 1
                blocks.append(Block("heading", text, level))
            elif numbered or "list" in (style or "").lower() or "liste" in (style or "").lower():
                blocks.append(Block("item", text))
            else:
                blocks.extend(text_to_blocks(normalize_text(para.text)) or [Block("paragraph", text)])
        elif tag == "tbl":
            for row in Table(child, document).rows:
                cells = []
                for cell in row.cells:
                    value = clean_inline(cell.text)
                    if value and (not cells or cells[-1] != value):  # merged cells repeat
                        cells.append(value)
                if cells:
                    blocks.append(Block("table", " | ".join(cells)))
    return blocks


# --------------------------------------------------------------------------- HTML

_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "nav", "header", "footer", "aside",
              "form", "button", "iframe", "select", "menu", "dialog")
_DROP_HINT = re.compile(r"(?:^|[\s_-])(nav|navbar|navigation|menu|footer|breadcrumbs?|cookie\w*|sidebar|"
                        r"skip|share|social-links|banner|site-header|topbar)(?:$|[\s_-])", re.I)
_BLOCK_TAGS = {"p", "li", "blockquote", "pre", "dd", "dt", "figcaption", "tr", "caption"}
_HEADING_TAGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}


def read_html(path: Path, label: str) -> list[Block]:
    """Read the main content of a web page: navigation, menus, headers and footers dropped.

    The content root is ``<main>``, ``[role=main]``, ``<article>`` or ``#content`` when the
    page has one, else ``<body>``.
    """
    import lxml.html

    raw = path.read_bytes()
    m = re.search(rb"<meta[^>]+charset=[\"']?([\w-]+)", raw[:4096], re.I)
    text = None
    if m:
        try:
            text = raw.decode(m.group(1).decode("ascii"))
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text = decode_text(raw, label)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", text)
    if not text.strip():
        return []
    try:
        # huge_tree: no limit on nesting depth (libxml2 drops text below 256 levels by default).
        tree = lxml.html.document_fromstring(text, parser=lxml.html.HTMLParser(huge_tree=True))
    except Exception as exc:  # noqa: BLE001 - lxml raises ParserError and others
        raise InputError(Problem(label, f"not valid HTML ({type(exc).__name__})",
                                 fix="save the page again as HTML")) from None
    for el in list(tree.iter(*_DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    for el in list(tree.iter()):
        if not isinstance(el.tag, str) or el.getparent() is None:
            continue
        hints = " ".join(filter(None, (el.get("class"), el.get("id"), el.get("role"))))
        if el.get("role") in ("navigation", "banner", "contentinfo", "search") or (
            hints and _DROP_HINT.search(hints) and el.tag not in ("body", "main", "article")
        ):
            el.drop_tree()
    root = None
    for candidate in (tree.find(".//main"), next(iter(tree.xpath('//*[@role="main"]')), None),
                      tree.find(".//article"), tree.get_element_by_id("content", None), tree.find(".//body")):
        if candidate is not None:
            root = candidate
            break
    root = tree if root is None else root
    blocks: list[Block] = []
    try:
        _walk_html(root, blocks)
    except RecursionError:  # nested deeper than Python's stack: keep the text, lose the structure
        blocks = text_to_blocks(normalize_text("\n\n".join(t.strip() for t in root.itertext() if t.strip())))
    if not blocks:  # nested deeper than any parser keeps: the page's text without its tags
        blocks = text_to_blocks(normalize_text(_strip_tags(text)))
    return blocks


def _strip_tags(page: str) -> str:
    """The text of an HTML page without a parser: scripts and styles dropped, every tag a break."""
    import html

    page = re.sub(r"(?is)<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", " ", page)
    page = re.sub(r"(?is)<head\b.*?</head\s*>", " ", page)
    return html.unescape(re.sub(r"<[^>]*>", "\n\n", page))


def _walk_html(el, blocks: list[Block]) -> None:
    for child in el:
        if not isinstance(child.tag, str):
            continue
        tag = child.tag.lower()
        if tag in _HEADING_TAGS:
            text = clean_inline(child.text_content())
            if text:
                blocks.append(Block("heading", text, _HEADING_TAGS[tag]))
        elif tag == "li":
            nested = child.find(".//ul") is not None or child.find(".//ol") is not None
            if nested:
                own = clean_inline((child.text or "") + "".join(
                    (c.text_content() if c.tag not in ("ul", "ol") else "") + (c.tail or "") for c in child))
                if own:
                    blocks.append(Block("item", own))
                for sub in child.iter("ul", "ol"):
                    _walk_html(sub, blocks)
                    break
            else:
                text = clean_inline(child.text_content())
                if text:
                    blocks.append(Block("item", text))
        elif tag == "tr":
            cells = [clean_inline(c.text_content()) for c in child if isinstance(c.tag, str)]
            cells = [c for c in cells if c]
            if cells:
                blocks.append(Block("table", " | ".join(cells)))
        elif tag in _BLOCK_TAGS:
            text = clean_inline(child.text_content())
            if text:
                blocks.append(Block("paragraph", text))
        else:
            has_block_child = any(isinstance(c.tag, str) and (c.tag in _BLOCK_TAGS or c.tag in _HEADING_TAGS
                                  or c.tag in ("div", "section", "ul", "ol", "table", "tbody", "thead",
                                               "main", "article"))
                                  for c in child.iter() if c is not child)
            if has_block_child:
                lead = clean_inline(child.text or "")
                if lead:
                    blocks.append(Block("paragraph", lead))
                _walk_html(child, blocks)
            elif tag in ("div", "section", "article", "main", "span", "td", "font", "center"):
                text = clean_inline(child.text_content())
                if text:
                    blocks.append(Block("paragraph", text))
        if child.tail and child.tail.strip() and el.tag in ("div", "section", "article", "main", "body"):
            blocks.append(Block("paragraph", clean_inline(child.tail)))


# --------------------------------------------------------------------------- what a file really is

#: What each suffix should hold, as :func:`sniff` names it.
EXPECTED = {".txt": "text", ".md": "text", ".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html"}
#: How to name each kind of content to a user, and the suffix it belongs under.
KINDS = {"text": ("plain text", ".txt"), "pdf": ("a PDF", ".pdf"), "docx": ("a Word document", ".docx"),
         "html": ("a web page (HTML)", ".html"), "doc": ("an old Word document (.doc)", ".doc"),
         "rtf": ("a Rich Text document (.rtf)", ".rtf"), "zip": ("a zip archive", ".zip"),
         "odt": ("an OpenDocument text (.odt)", ".odt"), "xlsx": ("an Excel workbook", ".xlsx"),
         "pptx": ("a PowerPoint file", ".pptx"), "image": ("an image", ".png"), "binary": ("binary data", "")}


def sniff(path: Path) -> str:
    """What a file holds by its first bytes (and a zip's members), whatever its name says: one of
    the keys of :data:`KINDS`."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
                mime = z.read("mimetype").decode("ascii", "replace") if "mimetype" in names else ""
        except (zipfile.BadZipFile, OSError, KeyError):
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "ppt/presentation.xml" in names:
            return "pptx"
        return "odt" if "opendocument.text" in mime else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"II*\x00", b"MM\x00*")):
        return "image"
    lowered = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<?xml")) or re.search(rb"<(html|body|head)[\s>]", lowered[:2048]):
        return "html"
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "binary"
    return "text"


def check_content(path: Path, label: str) -> None:
    """Refuse a file whose content is not what its name says, naming what it is and the fix.

    Raises
    ------
    InputError
        "file is plain text, not a Word document (.docx); rename it to 'x.txt'", and the like.
    """
    suffix = path.suffix.lower()
    wanted = EXPECTED.get(suffix)
    found = sniff(path)
    if wanted is None or found == wanted or (wanted == "text" and found in ("binary", "html")):
        return  # the text decoder names undecodable bytes itself; a .txt of markup is still text
    what, right = KINDS[found]
    expected = KINDS[wanted][0]
    if found in EXPECTED.values():
        fix = f"rename it to '{path.stem}{right}'"
    elif found in ("doc", "rtf", "odt"):
        fix = "open it in Word or LibreOffice and save it as .docx"
    else:
        fix = "replace it with the document itself (.txt, .pdf, .docx or .html)"
    raise InputError(Problem(label, f"file is {what}, not {expected} as its name says", fix=fix))


# --------------------------------------------------------------------------- dispatch


def read_document(path: Path, label: str | None = None) -> list[Block]:
    """Read any supported document into blocks.

    Parameters
    ----------
    path : Path
        The file (.txt, .md, .pdf, .docx, .html, .htm).
    label : str, optional
        How to name the file in errors (defaults to the path).

    Raises
    ------
    InputError
        One problem naming the file: empty, undecodable, scanned, encrypted or corrupt.
    """
    label = label or str(path)
    suffix = path.suffix.lower()
    if path.stat().st_size == 0:
        raise InputError(Problem(label, "document is empty", fix="replace it with the full document"))
    check_content(path, label)
    if suffix in (".txt", ".md"):
        blocks = text_to_blocks(read_text_file(path, label))
    elif suffix == ".pdf":
        blocks = text_to_blocks(pdf_to_text(path, label))
    elif suffix == ".docx":
        blocks = read_docx(path, label)
    elif suffix in (".html", ".htm"):
        blocks = read_html(path, label)
    else:
        raise InputError(Problem(label, f"unsupported file type '{suffix}'",
                                 fix="convert it to .txt, .pdf, .docx or .html"))
    if not any(b.kind != "heading" for b in blocks):
        raise InputError(Problem(label, "document is empty or whitespace-only (no paragraphs found)",
                                 fix="replace it with the full document"))
    return blocks


def read_checked(path: Path, label: str, max_bytes: float | None = None) -> list[Block]:
    """:func:`read_document` with the corpus's limits: a file larger than ``max_bytes`` is refused,
    and any failure of a reader becomes one problem naming the file (never a traceback).

    Raises
    ------
    InputError
        One problem naming the file and the fix.
    """
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise InputError(Problem(label, f"document is {size / 1e6:.3g} MB, more than the {max_bytes / 1e6:g} MB a "
                                 "document may have", fix="split it into parts, or raise corpus.max_document_mb in "
                                 "config.yaml"))
    try:
        return read_document(path, label)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - one unreadable document is one line, never a traceback
        detail = " ".join(str(exc).split())[:120]
        raise InputError(Problem(label, f"could not be read ({type(exc).__name__}{': ' + detail if detail else ''})",
                                 fix="open it and save it again, or convert it to .txt")) from None
