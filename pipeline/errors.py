"""Error catalogue: stable codes and messages, so reports and tests can rely on them."""

from __future__ import annotations

from enum import StrEnum


class PipelineError(Exception):
    """Base class of the pipeline's own errors."""

    code: str = "error"

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.code = Code(code or self.code)  # a typo is a ValueError here

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


class DocumentError(PipelineError):
    """This document cannot be processed; the run goes on with the others."""

    code = "document-error"


class ConfigError(PipelineError):
    """The run cannot start (usage, missing engine, bad settings): exit status 2."""

    code = "config-error"


class ModelInstallError(PipelineError):
    """A model archive or resource was refused or could not be installed."""

    code = "model-install"


class Code(StrEnum):
    """Stable codes of notes and document errors, so reports and tests can rely on them.

    ``Note`` and ``PipelineError`` turn their code into a ``Code``: a typo raises ValueError
    where the note or error is made. The meaning of each is in :data:`CODES`.
    """

    EMPTY = "empty"
    BINARY = "binary"
    DECODE = "decode"
    ENCODING = "encoding"
    ALL_BOILERPLATE = "all-boilerplate"
    TOO_LARGE = "too-large"
    LANGUAGE = "language"
    DUPLICATE = "duplicate"
    CONTROL_CHARS = "control-chars"
    UNTRANSLATED = "untranslated"
    TEI_ADJUSTED = "tei-adjusted"
    MT_LENGTH = "mt-length"
    UNTRANSLATED_WORDS = "untranslated-words"
    MT_OTHER_PIVOT = "mt-other-pivot"
    UNREADABLE = "unreadable"
    ID = "id"
    LINE_ENDS = "line-ends"
    LONG_LINE = "long-line"
    MARKUP = "markup"
    NOT_TRANSLATED = "not-translated"
    NOT_ANALYSED = "not-analysed"
    NO_HEADLINE = "no-headline"
    HEAVY_CUT = "heavy-cut"
    NO_MAIN_TEXT = "no-main-text"
    HTML_PARSE = "html-parse"
    WARC_TRUNCATED = "warc-truncated"
    NO_HTML_RECORDS = "no-html-records"
    WARC = "warc"
    JSON = "json"
    METADATA = "metadata"
    # errors that are not about one input's content
    INTERNAL = "internal"  # a bug, reported as the document's failure; the run goes on
    ERROR = "error"
    DOCUMENT_ERROR = "document-error"
    CONFIG_ERROR = "config-error"
    MODEL_INSTALL = "model-install"
    RUN_FAULT = "run-fault"  # pipeline.run.faults.RunFault: the environment's, exit 2
    USAGE = "usage"  # pipeline.commands.base.UsageError
    ARCHIVE = "archive"  # pipeline.archive.payload.ArchiveError
    # --executor dask (pipeline/run/dask_executor.py)
    CHUNK_TIMEOUT = "chunk-timeout"
    WORKER_LOST = "worker-lost"
    ENGINE_MISMATCH = "engine-mismatch"


# What each note and document-error code means (output/README.md, report.json readers).
CODES = {
    "empty": "the file is empty or holds only whitespace",
    "binary": "the file holds binary data, not text",
    "decode": "the bytes could not be decoded as text",
    "encoding": "the encoding was not UTF-8; how it was detected",
    "all-boilerplate": "cleaning removed every line: no article text is left",
    "too-large": "the file is over the size limit",
    "language": "the article is not in French",
    "duplicate": "the same bytes as an earlier document",
    "control-chars": "characters XML 1.0 forbids were removed",
    "untranslated": "sentences carried over untranslated (not French, or nothing to translate)",
    "tei-adjusted": "the TEI writer moved or skipped a mention (or other detail) it could not "
    "write exactly",
    "mt-length": "a sentence was longer than the MT model's input limit and was split",
    "untranslated-words": "words the MT did not know, kept in the source language and marked "
    "as foreign (how many, which)",
    "mt-other-pivot": "words the first Apertium pivot did not know, translated through another",
    "unreadable": "the file could not be read (permissions, I/O error)",
    "id": "the file name is not a valid xml:id as it is: the id was derived (and made unique)",
    "line-ends": "CRLF or lone CR line ends were normalised to LF",
    "long-line": "a very long line (a flattened page?); analysed in bounded pieces",
    "markup": "the text holds literal markup (tags, entities, ]]>); kept as text, escaped",
    "not-translated": "the article is not in French: it is kept as it is, not translated",
    "not-analysed": "no analysis model for the article's language: kept as text only",
    "no-headline": "the text states no headline: the title is left empty (the reading view "
    "shows the file name)",
    "heavy-cut": "structural signals (not named rules) cut an unusual share of the lines: "
    "worth a look",
    "no-main-text": "an HTML page with no article text (home page, error page, script shell)",
    "html-parse": "the HTML could not be parsed into a page",
    "warc-truncated": "the WARC file breaks (cut gzip member or record); records before it "
    "are kept",
    "no-html-records": "a WARC file without any HTML response record",
    "warc": "a WARC record could not be read back",
    "json": "a JSON record that is not JSON, not an object, or has no text field",
    "metadata": "a metadata value (sidecar table, JSON field) the pipeline could not use",
    "chunk-timeout": "--executor dask: the document's chunk was not back from its worker within "
    "--chunk-timeout seconds",
    "worker-lost": "--executor dask: the workers running the document's chunk died more often "
    "than the scheduler's allowed-failures",
    "engine-mismatch": "a Dask worker's engines differ from the driver's: the run stops (exit 2)",
}
