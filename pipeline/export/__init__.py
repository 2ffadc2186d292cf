"""Export the corpus for annotation tools, read back from the TEI (the single source of truth).

``python -m pipeline export [--format FORMAT|all] [--lang fr|en|both] TEI_PATH... -o DIR``
(the options are in :mod:`pipeline.commands.export`)

Every document is read from its TEI file with :func:`pipeline.tei.codec.read_tei`, never taken
from a run's memory, and written for each language side asked for::

    DIR/xmi/<lang>/<doc-id>.xmi            UIMA CAS XMI, DKPro Core types (INCEpTION, WebAnno)
    DIR/xmi/<lang>/TypeSystem.xml          the type system of those files
    DIR/conll2002/<lang>/<doc-id>.conll    CoNLL-2002, FORM + IOB2 NER
    DIR/brat/<lang>/<doc-id>.txt, .ann     brat standoff
    DIR/brat/<lang>/annotation.conf        brat entity types (+ visual.conf: colours)
    DIR/doccano/<lang>/<doc-id>.jsonl      doccano sequence labelling
    DIR/doccano/<lang>/labels.json         doccano label set (Labels > Import)
    DIR/labelstudio/<lang>/<doc-id>.json   Label Studio tasks, entities as predictions
    DIR/labelstudio/<lang>/config.xml      Label Studio labelling config
    DIR/conllu/<lang>/<doc-id>.conllu      CoNLL-U, NER=B-PER... in MISC

``<lang>`` is the side's language (``fr`` for the original, ``en`` for the translation);
each ``<format>/<lang>/`` folder is self-contained. Entities are the mentions labelled
PER, LOC, ORG or MISC; DATE and NUM spans are not exported. The same TEI gives
byte-identical files.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from pipeline.document import Document
from pipeline.export import brat, conll2002, conllu, doccano, labelstudio, xmi
from pipeline.export.common import ExportError, side_view
from pipeline.run.parallel import CHUNK, chunks, ordered_map

#: Format name -> module with ``write(view, folder)``, ``write_config(folder, lang)`` and
#: ``FLAT`` (True: nested mentions are left out, only the outermost ones written).
FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (xmi, conll2002, brat, doccano,
                                                       labelstudio, conllu)}
ALL = "all"
LANGS = ("fr", "en")
DEFAULT_OUT = Path("output/exports")

__all__ = ["ALL", "FORMATS", "LANGS", "ExportError", "ExportResult", "export", "summary",
           "tei_files"]


@dataclass
class ExportResult:
    written: list[Path] = field(default_factory=list)
    documents: int = 0  # TEI files read
    #: (format, lang) -> documents written / entities written
    doc_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    entity_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)  # doc-id: why
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file or doc-id, message)
    configs: list[Path] = field(default_factory=list)  # the folders' own files (types, labels)
    #: TEI file -> the files written for its article (a rerun refreshes only what changed)
    by_file: dict[str, list[Path]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.failed


def format_names(fmt: str) -> list[str]:
    if fmt == ALL:
        return list(FORMATS)
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)}, all)")
    return [fmt]


def lang_names(lang: str) -> list[str]:
    if lang == "both":
        return list(LANGS)
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r} (choose from fr, en, both)")
    return [lang]


def tei_files(paths: Iterable[str | Path]) -> list[Path]:
    """TEI article files: the files named, and the ``*.xml`` of folders named (sorted), less
    ``teiCorpus`` files (the corpus root only includes the articles)."""
    return [path for path, _ in _articles(paths)]


def _articles(paths: Iterable[str | Path]) -> list[tuple[Path, str | None]]:
    """:func:`tei_files` with each file's document id as its root element gives it (None:
    the file does not start as XML; reading it will say why)."""
    files: list[tuple[Path, str | None]] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.glob("*.xml")):
                name, doc_id = _root(f)
                if name != "teiCorpus":
                    files.append((f, doc_id))
        elif p.is_file():
            files.append((p, _root(p)[1]))
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return files


def _root(path: Path) -> tuple[str, str | None]:
    """The root element's local name and xml:id, read from the file's start only."""
    from lxml import etree

    from pipeline.tei.codec import XML_ID

    try:
        for _, elem in etree.iterparse(str(path), events=("start",)):
            return etree.QName(elem).localname, elem.get(XML_ID, "")
    except etree.XMLSyntaxError:
        return "", None
    return "", None


def export(paths: Iterable[str | Path], fmt: str = ALL, lang: str = "both",
           out_dir: str | Path = DEFAULT_OUT, jobs: int = 1) -> ExportResult:
    """Read each TEI file and write it in ``fmt`` (a name or ``all``) for ``lang``
    (``fr``, ``en`` or ``both``) under ``out_dir``. A document that cannot be read or
    written is recorded in ``failed``; the others go on.

    ``jobs``: processes that read and write documents (0: one per core). Each document is
    one process's alone, and the result (files, counts, failures in the files' order) is
    that of one process: XMI through cassis is most of the time (60 % of it), per document.
    A second file with the id of a document already read is not exported (its files would
    overwrite the first's): ids are read from the files' first element before any work.
    """
    fmts, langs = format_names(fmt), lang_names(lang)
    out = Path(out_dir)
    files = _articles(paths)
    first: dict[str, Path] = {}  # document id -> its first file
    todo = list(dict.fromkeys(p for p, doc_id in files
                              if doc_id is None or first.setdefault(doc_id, p) == p))
    work = functools.partial(_export_files, fmts=fmts, langs=langs, out=out)
    parts = dict(_parts(work, todo, jobs))
    read: dict[str, Path] = {}  # document id -> the file it was exported from
    result = ExportResult()
    kept: set[Path] = set()
    merged: set[Path] = set()
    for path, doc_id in files:
        if path not in parts or path in merged:  # an id (or a file) seen before
            if doc_id is not None and doc_id in read:
                result.documents += 1
                result.failed.append((str(path), f"document id {doc_id} already exported "
                                      f"from {read[doc_id]}"))
                continue
            parts.update(_parts(work, [path], 1))  # the earlier ones could not be read
        part, got = parts[path]
        if got is not None:
            read.setdefault(got, path)
        _merge(result, part, kept)
        merged.add(path)
    return result


def _parts(work: Callable[[list[Path]], list[tuple[Path, ExportResult, str | None]]],
           files: list[Path], jobs: int,
           ) -> Iterator[tuple[Path, tuple[ExportResult, str | None]]]:
    """Each file's own result and the id it was read with, in this process or a pool."""
    for chunk in ordered_map(work, chunks(files, CHUNK), jobs, "export"):
        yield from ((path, (part, got)) for path, part, got in chunk)


def _export_files(paths: list[Path], fmts: list[str], langs: list[str], out: Path,
                  ) -> list[tuple[Path, ExportResult, str | None]]:
    """Export some files, each with a result of its own and the id it was read with (None:
    it could not be read)."""
    from pipeline.tei.codec import read_tei

    configured: set[tuple[str, str]] = set()
    done: list[tuple[Path, ExportResult, str | None]] = []
    for path in paths:
        part = ExportResult(documents=1)
        try:
            doc = read_tei(path)
        except Exception as exc:  # a broken file must not stop the others
            part.failed.append((str(path), f"cannot read TEI: {exc}"))
            done.append((path, part, None))
            continue
        _export_document(doc, fmts, langs, out, part, configured)
        part.by_file[str(path)] = [p for p in part.written if p not in part.configs]
        done.append((path, part, doc.id))
    return done


def _merge(result: ExportResult, part: ExportResult, kept: set[Path]) -> None:
    """Add one document's result (a folder's config files count once)."""
    result.documents += part.documents
    for path in part.written:
        if path not in kept:
            kept.add(path)
            result.written.append(path)
    result.configs += [p for p in part.configs if p not in result.configs]
    result.by_file.update(part.by_file)
    result.doc_counts.update(part.doc_counts)
    result.entity_counts.update(part.entity_counts)
    result.skipped += part.skipped
    result.failed += part.failed


def _export_document(doc: Document, fmts: list[str], langs: list[str], out: Path,
                     result: ExportResult, configured: set[tuple[str, str]]) -> None:
    sides = {s.lang: s for s in doc.sides()}
    for lang in langs:
        side = sides.get(lang)
        if side is None:
            result.skipped.append(f"{doc.id}: no {lang} side")
            continue
        try:
            view = side_view(doc, side)
        except ExportError as exc:
            result.failed.append((doc.id, str(exc)))
            continue
        for name in fmts:
            module, folder = FORMATS[name], out / name / lang
            try:
                folder.mkdir(parents=True, exist_ok=True)
                if (name, lang) not in configured:
                    made = module.write_config(folder, lang)
                    result.written.extend(made)
                    result.configs.extend(made)
                    configured.add((name, lang))
                result.written.extend(module.write(view, folder))
            except (ExportError, OSError) as exc:
                result.failed.append((doc.id, f"{name}/{lang}: {exc}"))
                continue
            result.doc_counts[name, lang] += 1
            result.entity_counts[name, lang] += len(view.flat_entities() if module.FLAT
                                                    else view.entities)


def summary(result: ExportResult, out: Path) -> str:
    lines = [f"TEI files read: {result.documents}; files written: {len(result.written)} "
             f"under {out}"]
    for (name, lang), n in sorted(result.doc_counts.items()):
        lines.append(f"  {name}/{lang}: {n} document(s), "
                     f"{result.entity_counts[name, lang]} entities")
    if result.skipped:
        more = " ..." if len(result.skipped) > 3 else ""
        lines.append(f"  skipped: {len(result.skipped)} side(s) not in the TEI "
                     f"({'; '.join(result.skipped[:3])}{more})")
    if result.failed:
        lines.append(f"  failed: {len(result.failed)}")
    return "\n".join(lines)
