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

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from pipeline.document import Document
from pipeline.export import brat, conll2002, conllu, doccano, labelstudio, xmi
from pipeline.export.common import ExportError, side_view

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
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(f for f in sorted(p.glob("*.xml")) if not _is_corpus_root(f))
        elif p.is_file():
            files.append(p)
        else:
            raise FileNotFoundError(f"no such file or folder: {p}")
    return files


def _is_corpus_root(path: Path) -> bool:
    from lxml import etree

    try:
        for _, elem in etree.iterparse(str(path), events=("start",)):
            return etree.QName(elem).localname == "teiCorpus"
    except etree.XMLSyntaxError:
        return False
    return False


def export(paths: Iterable[str | Path], fmt: str = ALL, lang: str = "both",
           out_dir: str | Path = DEFAULT_OUT) -> ExportResult:
    """Read each TEI file and write it in ``fmt`` (a name or ``all``) for ``lang``
    (``fr``, ``en`` or ``both``) under ``out_dir``. A document that cannot be read or
    written is recorded in ``failed``; the others go on."""
    from pipeline.tei.codec import read_tei

    fmts, langs = format_names(fmt), lang_names(lang)
    out = Path(out_dir)
    result = ExportResult()
    configured: set[tuple[str, str]] = set()
    seen: dict[str, Path] = {}
    for path in tei_files(paths):
        result.documents += 1
        try:
            doc = read_tei(path)
        except Exception as exc:  # a broken file must not stop the others
            result.failed.append((str(path), f"cannot read TEI: {exc}"))
            continue
        if doc.id in seen:
            result.failed.append((str(path), f"document id {doc.id} already exported from "
                                  f"{seen[doc.id]}"))
            continue
        seen[doc.id] = path
        _export_document(doc, fmts, langs, out, result, configured)
    return result


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
                    result.written.extend(module.write_config(folder, lang))
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
