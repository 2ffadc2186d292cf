"""UIMA CAS XMI with the DKPro Core type system, for INCEpTION and WebAnno.

Per document: ``xmi/<lang>/<doc-id>.xmi``; per folder: ``TypeSystem.xml`` (the DKPro Core
types dkpro-cassis ships, plus ``DocumentMetaData``, which it lacks).

Annotations: ``DocumentMetaData`` (documentId, documentTitle, documentUri, language),
``Paragraph``, ``Sentence`` (id), ``Token`` with its ``Lemma`` (value), ``POS`` (PosValue and
coarseValue: the UPOS tag) and ``MorphologicalFeatures`` (value: the UD features), and
``NamedEntity`` (value: PER/LOC/ORG/MISC; nested mentions kept). A multi-word token (du =
de + le) is one Token; its words' lemmas, tags and features are joined by "+"
("de+le", "ADP+DET"). UIMA offsets count UTF-16 code units; dkpro-cassis
converts the Python offsets when it writes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pipeline.export.common import SideView, units, write_text

NAME = "xmi"
FLAT = False  # every mention, nested ones too
EXT = ".xmi"
TYPESYSTEM_FILE = "TypeSystem.xml"

_SEG = "de.tudarmstadt.ukp.dkpro.core.api.segmentation.type."
T_SENTENCE = _SEG + "Sentence"
T_TOKEN = _SEG + "Token"
T_LEMMA = _SEG + "Lemma"
T_PARAGRAPH = _SEG + "Paragraph"
T_POS = "de.tudarmstadt.ukp.dkpro.core.api.lexmorph.type.pos.POS"
T_MORPH = "de.tudarmstadt.ukp.dkpro.core.api.lexmorph.type.morph.MorphologicalFeatures"
T_NE = "de.tudarmstadt.ukp.dkpro.core.api.ner.type.NamedEntity"
T_META = "de.tudarmstadt.ukp.dkpro.core.api.metadata.type.DocumentMetaData"
_META_FEATURES = ("documentTitle", "documentId", "documentUri", "collectionId",
                  "documentBaseUri")


@lru_cache(maxsize=1)
def typesystem() -> Any:  # a cassis.TypeSystem (cassis ships no types)
    """DKPro Core's type system as dkpro-cassis ships it, plus DocumentMetaData."""
    import cassis

    ts = cassis.load_dkpro_core_typesystem()
    if not ts.contains_type(T_META):
        meta = ts.create_type(T_META, supertypeName="uima.tcas.DocumentAnnotation",
                              description="DKPro Core document metadata")
        for name in _META_FEATURES:
            ts.create_feature(meta, name, "uima.cas.String")
        ts.create_feature(meta, "isLastSegment", "uima.cas.Boolean")
    return ts


def to_xmi(view: SideView) -> str:
    import cassis

    ts = typesystem()
    cas = cassis.Cas(typesystem=ts)
    cas.sofa_string = view.text
    cas.sofa_mime = "text/plain"
    Meta, Para, Sent, Tok = (ts.get_type(t) for t in (T_META, T_PARAGRAPH, T_SENTENCE, T_TOKEN))
    Lemma, Pos, Morph, NE = (ts.get_type(t) for t in (T_LEMMA, T_POS, T_MORPH, T_NE))
    meta = {"begin": 0, "end": len(view.text), "language": view.lang,
            "documentId": view.doc_id, "documentTitle": view.title or view.doc_id,
            "isLastSegment": False}
    if view.source_url:
        meta["documentUri"] = view.source_url
    cas.add(Meta(**meta))
    for para in view.paragraphs:
        cas.add(Para(begin=para.start, end=para.end, id=para.id, divType=para.kind))
        for sent in para.sentences:
            cas.add(Sent(begin=sent.start, end=sent.end, id=sent.id))
            for u in units(sent, view.text):
                lemma, upos, feats = (_joined([getattr(w, a) for w in u.words])
                                      for a in ("lemma", "upos", "feats"))
                fields = {}
                if lemma:
                    fields["lemma"] = Lemma(begin=u.start, end=u.end, value=lemma)
                if upos:
                    fields["pos"] = Pos(begin=u.start, end=u.end, PosValue=upos,
                                        coarseValue=upos)
                if feats:
                    fields["morph"] = Morph(begin=u.start, end=u.end, value=feats)
                for fs in fields.values():
                    cas.add(fs)
                cas.add(Tok(begin=u.start, end=u.end, **fields))
    for m in view.entities:
        cas.add(NE(begin=m.start, end=m.end, value=m.label))
    xmi: str = cas.to_xmi(pretty_print=True)
    return xmi


def _joined(values: list[str]) -> str:
    """One value for a token; a multi-word token's words' values joined by "+"."""
    if len(values) == 1:
        return values[0]
    return "+".join(v or "_" for v in values) if any(values) else ""


def write(view: SideView, folder: Path) -> list[Path]:
    return [write_text(folder / f"{view.doc_id}{EXT}", to_xmi(view))]


def write_config(folder: Path, lang: str) -> list[Path]:
    return [write_text(folder / TYPESYSTEM_FILE, typesystem().to_xml())]
