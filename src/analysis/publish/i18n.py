"""The reports' language: every text a reader of a report sees, in Danish or English, from one
message catalogue (``messages.yaml`` beside this module), and numbers and dates the way each
language writes them.

The catalogue maps a key to its text in each language; texts may hold named fields
(``{municipality}``) filled in by :func:`t`. Every key has every language, with the same
fields; :func:`catalogue` checks this when it loads, so a report can never show a key or a
missing translation. Column names of the tables (CSV, Parquet) are an API and stay as they
are; :func:`column` gives the label a report shows for one.

Usage::

    from analysis.publish import i18n
    i18n.use("da")
    i18n.t("plot.keyness_title", municipality="Aarhus")   # "Kendetegnende ord: Aarhus"
    i18n.pct(0.2424)        # '24 %'   (en: '24%')
    i18n.num(0.857, 2)      # '0,86'   (en: '0.86')
    i18n.integer(12345)     # '12.345' (en: '12,345')
    i18n.date(d)            # '23. november 2026' (en: '23 November 2026')
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import html
import string
from functools import lru_cache
from pathlib import Path

import yaml

from analysis.base.config import REPORT_LANGUAGES

#: The languages a report can be written in; the first is the default.
LANGUAGES = REPORT_LANGUAGES
CATALOGUE = Path(__file__).with_name("messages.yaml")

_MONTHS = {
    "da": ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september", "oktober",
           "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"],
}
_state = {"language": LANGUAGES[0]}


class CatalogueError(ValueError):
    """The message catalogue is incomplete or inconsistent, or a key is unknown."""


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@lru_cache(maxsize=4)
def catalogue(path: str | Path = CATALOGUE) -> dict[str, dict[str, str]]:
    """The catalogue: key -> {language: text}, checked (every language, the same fields)."""
    path = Path(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    problems = []
    for key, texts in raw.items():
        if not isinstance(texts, dict) or set(texts) != set(LANGUAGES):
            problems.append(f"'{key}' must have exactly the languages {', '.join(LANGUAGES)}")
            continue
        if not all(isinstance(v, str) and v.strip() for v in texts.values()):
            problems.append(f"'{key}' has an empty or non-text translation")
            continue
        fields = {lang: _fields(v) for lang, v in texts.items()}
        if len({frozenset(f) for f in fields.values()}) > 1:
            problems.append(f"'{key}' has different fields per language: {fields}")
    if problems:
        raise CatalogueError(f"{path}: " + "; ".join(problems))
    return raw


def language() -> str:
    """The language reports are written in now."""
    return _state["language"]


def check_language(value: str) -> str:
    """``value`` if it is a report language, else a clear error."""
    if value not in LANGUAGES:
        raise CatalogueError(f"language {value!r} is not available; use one of {', '.join(LANGUAGES)}")
    return value


def use(value: str | None) -> str:
    """Write reports in ``value`` from now on (None keeps the current language); return it."""
    if value is not None:
        _state["language"] = check_language(value)
    return _state["language"]


@contextlib.contextmanager
def using(value: str | None):
    """Write in ``value`` inside a ``with`` block, then return to the language before it."""
    before = _state["language"]
    use(value)
    try:
        yield
    finally:
        _state["language"] = before


def has(key: str) -> bool:
    return key in catalogue()


def t(key: str, **values) -> str:
    """The text of ``key`` in the current language, its fields filled from ``values``."""
    try:
        text = catalogue()[key][language()]
    except KeyError:
        raise CatalogueError(f"message '{key}' is not in {CATALOGUE.name}; add it in every language") from None
    return text.format(**values) if values else text


def t_html(key: str, **values) -> str:
    """:func:`t` for HTML: the catalogue's text is markup, the values filled in are escaped."""
    return t(key, **{k: html.escape(str(v)) for k, v in values.items()})


def column(name: str) -> str:
    """The label a report shows for a table column (the name itself when the catalogue has none)."""
    key = f"col.{name}"
    return t(key) if key in catalogue() else str(name)


def value(kind: str, name: str) -> str:
    """The label of a value of a kind (``value("status", "indicative")``); the value when unknown."""
    key = f"value.{kind}.{name}"
    return t(key) if key in catalogue() else str(name)


# --------------------------------------------------------------------------- numbers and dates


def _group(digits: str) -> str:
    sep = "." if language() == "da" else ","
    head, rest = len(digits) % 3 or 3, digits[len(digits) % 3 or 3:]
    return digits[:head] + "".join(sep + rest[i:i + 3] for i in range(0, len(rest), 3))


def _missing(x) -> bool:
    """None, NaN of any float type, or pandas' NA."""
    try:
        return x is None or bool(x != x) or str(x) == "<NA>"
    except TypeError:  # pd.NA refuses comparison in a boolean context
        return True


def num(x: float, decimals: int = 2) -> str:
    """A number with a decimal comma (da) or point (en) and thousands grouped: '1.234,50'."""
    if _missing(x):
        return ""
    text = f"{abs(float(x)):.{decimals}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if float(x) < 0 and float(text) != 0 else ""
    mark = "," if language() == "da" else "."
    return sign + _group(whole) + (mark + frac if frac else "")


def integer(n: int) -> str:
    """A whole number with thousands grouped: '12.345' (da), '12,345' (en)."""
    return num(int(n), 0)


def pct(x: float, decimals: int = 0) -> str:
    """A share as a percentage: '24 %' (da, with the space Danish writes), '24%' (en)."""
    if _missing(x):
        return ""
    return num(100 * float(x), decimals) + ("\u00a0%" if language() == "da" else "%")


def points(x: float) -> str:
    """A difference of shares in percentage points: a whole number ('16'), or one decimal when
    it is under one point but not zero, so that an interval end never reads as 0 ('0,4')."""
    if _missing(x):
        return ""
    value = 100 * float(x)
    return num(value, 1) if 0 < abs(value) < 0.95 else num(round(value), 0)


def interval_name(confidence: float) -> str:
    """'95 %-interval' (da), '95% interval' (en); '97,5 %-interval' for a level that needs it."""
    decimals = 0 if round(100 * confidence, 6).is_integer() else 1
    return t("fmt.interval", level=pct(confidence, decimals))


def date(day: _dt.date | _dt.datetime | str) -> str:
    """'23. november 2026' (da), '23 November 2026' (en)."""
    if isinstance(day, str):
        day = _dt.datetime.fromisoformat(day)
    month = _MONTHS[language()][day.month - 1]
    return f"{day.day}. {month} {day.year}" if language() == "da" else f"{day.day} {month} {day.year}"


def timestamp(moment: _dt.datetime | str) -> str:
    """A date and time: '23. november 2026 kl. 14.05 UTC' (da), '23 November 2026, 14:05 UTC' (en)."""
    if isinstance(moment, str):
        moment = _dt.datetime.fromisoformat(moment)
    zone = moment.tzname() or ""
    clock = f"{moment.hour:02d}.{moment.minute:02d}" if language() == "da" else f"{moment.hour:02d}:{moment.minute:02d}"
    return t("fmt.timestamp", date=date(moment), clock=clock, zone=zone).strip()


def count(n: int, noun: str) -> str:
    """A number with its noun: '1 dokument', '5 dokumenter' (``noun.<noun>.one`` / ``.many``)."""
    return f"{integer(n)} {t(f'noun.{noun}.' + ('one' if n == 1 else 'many'))}"


def join(items: list[str]) -> str:
    """'a, b og c' (da), 'a, b and c' (en)."""
    items = [str(i) for i in items]
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " " + t("fmt.and") + " " + items[-1]


def say(key: str, **values):
    """Display the catalogue's text of ``key`` as Markdown in a notebook (the prose of a report)."""
    from IPython.display import Markdown

    return Markdown(t_html(key, **values))
