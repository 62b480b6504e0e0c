"""Danish language data in one place: stop words, bullets, footnote marks, municipality name variants.

Kept as UPPER_CASE constants the way spaCy keeps ``spacy/lang/da/stop_words.py``, so a
researcher can read and extend them without reading the code that uses them.

Usage::

    from analysis.base.danish import DOMAIN_STOP_WORDS, is_stop
"""

from __future__ import annotations

from spacy.lang.da.stop_words import STOP_WORDS as SPACY_STOP_WORDS

#: Words that every udsattepolitik uses and that would otherwise dominate word lists, keyness
#: and clusters without telling documents apart. Lemmas, lower case. They stay in the text and
#: in theme matching; they are only left out of the content lemmas.
DOMAIN_STOP_WORDS = frozenset(
    """
    kommune kommunal kommunens kommunale borger borgere udsat udsatte udsætte socialt social
    sociale udsattepolitik udsattepolitikken politik politikken mennesker menneske person
    personer skal kan vil får få gøre gør års år samt mv mm fx dvs ca pct
    herunder blandt både mere mest flere fleste øvrigt således gennem derfor ved via
    """.split()
)

#: Extra function words missing from spaCy's Danish list.
EXTRA_STOP_WORDS = frozenset(
    """
    hvor hvordan hvilke hvilken hvis hos sig sin sit sine man os vores jeres deres egen eget
    egne ingen nogen noget nogle andre anden andet øvrige dér mod op ud ind ned hen frem
    hvorfor når fordi hvad hvem samme
    """.split()
)

STOP_WORDS = frozenset(SPACY_STOP_WORDS) | EXTRA_STOP_WORDS

#: Characters used as list bullets in documents from PDF, Word and the web.
BULLET_CHARS = "•●▪■◦○‣⁃∙·–—*\uf0b7\uf0a7\u2023\u25e6\u2043"

#: Superscript digits used as footnote markers ("udstødt¹").
SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"

#: Words after a line-final hyphen that show the hyphen belongs to a suspended compound
#: ("Social-\nog Sundhedsudvalget") rather than to a word broken across lines.
SUSPENDED_COMPOUND_NEXT = frozenset({"og", "eller", "samt", "til", "som", "and", "or"})

#: Name variants that the rules in :mod:`analysis.corpus.metadata` cannot derive (other spellings,
#: English names, former names). Keys are lower case.
MUNICIPALITY_ALIASES = {
    "copenhagen": "København",
    "kbh": "København",
    "kbh.": "København",
    "københavn k": "København",
    "lyngby": "Lyngby-Taarbæk",
    "kongens lyngby": "Lyngby-Taarbæk",
    "høje taastrup": "Høje-Taastrup",
    "taastrup": "Høje-Taastrup",
    "nordfyn": "Nordfyns",
    "vesthimmerland": "Vesthimmerlands",
    "ringkøbing": "Ringkøbing-Skjern",
    "ikast": "Ikast-Brande",
    "midtfyn": "Faaborg-Midtfyn",
    "faaborg": "Faaborg-Midtfyn",
    "bornholms regionskommune": "Bornholm",
    "elsinore": "Helsingør",
}

#: Allowed document types (metadata column ``doc_type``).
DOC_TYPES = (
    "politik",
    "handleplan",
    "strategi",
    "notat",
    "forslag",
    "beretning",
    "høringssvar",
    "referat",
    "nyhed",
    "andet",
)


def is_stop(word: str) -> bool:
    """Return True when a lower-case word or lemma is a Danish or domain stop word."""
    return word in STOP_WORDS or word in DOMAIN_STOP_WORDS

#: Words that open a list of examples ("udsatte med komplekse problemer, fx misbrug og psykisk
#: sygdom"): what follows, up to the end of the clause, names things in passing.
EXAMPLE_INTRODUCERS = (
    "såsom", "fx", "f.eks.", "f. eks.", "eks.", "eksempelvis", "for eksempel", "bl.a.", "blandt andet",
    "herunder", "heriblandt", "bl. a.", "som for eksempel", "som fx", "inklusive", "inkl.",
)

#: Cues of a sentence that defines the target group ("Målgruppen er borgere, der er ramt af
#: hjemløshed, misbrug eller psykisk sygdom"). Regular expressions, matched case-insensitively.
TARGET_GROUP_CUES = (
    r"målgrupp\w*",
    r"udsatte\s+(?:borgere|mennesker|voksne)\s+(?:er|forstås|defineres)",
    r"(?:defineres|forstås|omfatter|omfattes\s+af|dækker\s+over|kendetegnet\s+ved|karakteriseret\s+ved)",
    r"(?:borgere|mennesker|personer|voksne|kvinder|mænd|unge|familier)\s*,?\s+(?:der|som)\s+(?:er\s+ramt\s+af"
    r"|har|lever\s+med|kæmper\s+med|lider\s+af|befinder\s+sig|oplever|står\s+i|er\s+i)",
    r"(?:borgere|mennesker|personer|voksne|kvinder|mænd)\s+med\s+(?:et\s+|en\s+)?(?:\w+\s+){0,2}\w+\s*(?:,|og|eller)",
    r"(?:ramt\s+af|præget\s+af|problemer\s+med|udfordringer\s+med|problemstillinger\s+som)",
)

#: Last parts of compounds that name a plan, law, reform, administrative area or unit rather than
#: a field of effort ("Sundhedspolitikken", "hjemløsereformen", "beskæftigelsesområdet",
#: "Socialforvaltningen"): a theme word as the first part of such a name is a passing mention.
NAMED_UNIT_HEADS = (
    "politik", "politikken", "politikker", "politikkerne", "planen", "planer", "planerne",
    "strategi", "strategien", "strategier", "reform", "reformen", "reformer", "reformerne",
    "lov", "loven", "lovens", "lovgivning", "lovgivningen", "forvaltning", "forvaltningen",
    "afdeling", "afdelingen", "udvalg", "udvalget", "udvalgets", "sekretariat", "sekretariatet",
    "styrelse", "styrelsen", "ministerium", "ministeriet", "direktør", "direktøren",
    "området", "områdets", "områderne",
)

#: Short words that may stand inside an item of an enumeration without making it long
#: ("psykisk sygdom", "vold i familien").
ENUMERATION_JOINERS = ("og", "eller", "samt", "&", "/")
