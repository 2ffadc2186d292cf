"""The document model that flows through every stage.

One :class:`Document` per article. Each stage fills in its own part and leaves the
rest alone:

* ``clean``      -> ``source``, ``meta``, ``removed``, ``original.text`` and
                   ``original.paragraphs`` (spans only, no sentences yet), ``notes``;
* ``analyse``    -> sentences, tokens and entity mentions of a :class:`Side`;
* ``translate``  -> ``translation``: one English sentence per original sentence
                   (``Sentence.corresp`` points at the source sentence id);
* ``link``       -> ``records`` (cross-lingual entity records) and ``Mention.ref``;
* ``tei``        -> writes all of it; ``tei.read`` builds the same object back.

Offsets are character offsets (Python ``str`` indices) into ``Side.text``, end
exclusive. ``Side.text`` is the paragraphs' text joined by ``PARA_SEP``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.errors import Code

PARA_SEP = "\n\n"

#: The four entity types of the common scheme (see data/labels.toml).
ENTITY_TYPES = ("PER", "LOC", "ORG", "MISC")
#: Other spans a backend marks, kept apart from the four types (TEI <date>, <num>).
OTHER_SPAN_TYPES = ("DATE", "NUM")
#: A word of the translation left in the source language (the MT did not know it): TEI
#: <foreign>, its language in ``Mention.source_label``.
FOREIGN = "FOREIGN"
#: ``Mention.method`` of an English mention projected from a French one by the translate
#: stage (the English model's own mentions have no method).
PROJECTION = "projection"


@dataclass
class Token:
    """A word or punctuation mark."""

    start: int
    end: int
    text: str
    lemma: str = ""
    upos: str = ""
    feats: str = ""  # UD features "Gender=Masc|Number=Sing", "" when none
    space_after: bool = True


@dataclass
class Mention:
    """A span of tokens naming an entity (or a date / number, see OTHER_SPAN_TYPES)."""

    start: int
    end: int
    label: str  # PER | LOC | ORG | MISC | DATE | NUM
    text: str
    source_label: str = ""  # the backend's own label (GPE, PERSON, ...)
    ref: str | None = None  # id of an EntityRecord, set by the link stage
    method: str = ""  # how the mention was found when not by the NER model: PROJECTION
    #: the original-language mention a projected one comes from (in memory only: the
    #: link stage turns it into a shared record, which the TEI keeps)
    origin: Mention | None = field(default=None, repr=False, compare=False)


@dataclass
class Sentence:
    id: str  # stable xml:id, e.g. "art-000_c3.fr.p2.s1"
    start: int
    end: int
    text: str
    tokens: list[Token] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    corresp: str | None = None  # en side: id of the French source sentence
    lang: str | None = None  # set when the sentence is not in the side's language
    untranslated: str | None = None  # en side: why the text was carried over as is


@dataclass
class Paragraph:
    id: str
    start: int
    end: int
    kind: str = "p"  # "head" for the headline, "p" otherwise
    sentences: list[Sentence] = field(default_factory=list)
    lang: str | None = None  # set when the paragraph is not in the side's language (a quote)


@dataclass
class Side:
    """One language version of the article text."""

    lang: str
    text: str = ""
    paragraphs: list[Paragraph] = field(default_factory=list)

    def sentences(self) -> list[Sentence]:
        return [s for p in self.paragraphs for s in p.sentences]


@dataclass
class DateValue:
    value: str  # ISO 8601 at its real precision: "2020-06-12", "2024-09", "2024"
    precision: str  # "day" | "month" | "year"
    evidence: str = ""  # the text it was read from


@dataclass
class Metadata:
    title: str | None = None
    title_en: str | None = None
    date: DateValue | None = None
    outlet: str | None = None
    url: str | None = None
    section: str | None = None
    author: str | None = None
    #: Where each field came from when not from cleaning ("sidecar table metadata.csv,
    #: line 3", "page metadata (trafilatura)", "WARC-Target-URI"...); field name -> origin.
    origins: dict[str, str] = field(default_factory=dict)


@dataclass
class Source:
    """The scraped input file as it was on disk."""

    path: str  # as given on the command line / found in the folder
    filename: str
    sha256: str
    size: int
    encoding: str = "utf-8"
    encoding_note: str = ""  # how the encoding was decided (BOM, detector, fallback...)
    duplicate_of: str | None = None  # id of an earlier document with the same bytes
    format: str = "text"  # text | html | warc | jsonl (pipeline/ingest/sniff.py)
    retrieved: str | None = None  # crawl / retrieval date (WARC-Date), not the publication
    record: str | None = None  # the record in a container: WARC-Record-ID, "line 12"
    raw: str | None = None  # the raw bytes kept in the output, relative to the TEI file


@dataclass
class Removed:
    """A piece of the scrape that cleaning cut, with why."""

    line: int  # 1-based line number in the decoded input
    text: str
    rule: str  # rule id, e.g. "comment-form" or "duplicate-paragraph"
    reason: str


@dataclass
class EntityRecord:
    """One real-world entity of a document, with its forms in both languages."""

    id: str
    type: str  # PER | LOC | ORG | MISC
    forms: dict[str, list[str]] = field(default_factory=dict)  # lang -> surface forms
    method: str = ""  # how the languages were linked (identity, alias, alignment, ...)


@dataclass
class Application:
    """A program or model that made a layer (goes to TEI appInfo)."""

    ident: str  # e.g. "apertium", "spacy", "fr_core_news_md"
    version: str
    layer: str  # clean | mt | ner-fr | ner-en | link | tei
    label: str = ""  # human description
    sha256: str | None = None  # model checksum where there is one
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Note:
    """A warning or record about the document kept for the report and the TEI."""

    code: str  # stable code: a pipeline.errors.Code (a typo is a ValueError)
    message: str

    def __post_init__(self) -> None:
        self.code = Code(self.code)


@dataclass
class Document:
    id: str  # stable id derived from the file name, an NCName
    source: Source
    meta: Metadata = field(default_factory=Metadata)
    original: Side = field(default_factory=lambda: Side("fr"))  # lang = detected language
    translation: Side | None = None  # English, when the original was translated
    removed: list[Removed] = field(default_factory=list)
    records: list[EntityRecord] = field(default_factory=list)
    apps: list[Application] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def sides(self) -> list[Side]:
        return [self.original] + ([self.translation] if self.translation else [])

    def add_app(self, app: Application) -> None:
        """Record a program once per layer (re-running a stage replaces it)."""
        self.apps = [a for a in self.apps if not (a.layer == app.layer and a.ident == app.ident)]
        self.apps.append(app)
