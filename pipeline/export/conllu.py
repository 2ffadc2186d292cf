"""CoNLL-U: tokens, lemmas, UPOS, features, sentence ids and text, entities in MISC.

Per document: ``conllu/<lang>/<doc-id>.conllu``. Comments: ``# newdoc id`` (first
sentence), ``# newpar id`` (first sentence of a paragraph), ``# sent_id``, ``# text`` (line
breaks inside a sentence shown as spaces). Columns: ID FORM LEMMA UPOS XPOS(_) FEATS
HEAD(_) DEPREL(_) DEPS(_) MISC. A multi-word token (du = de + le) is a range line
(``3-4 du``) followed by its words. MISC holds ``NER=B-PER`` / ``NER=I-PER`` on the words
of an entity (IOB2, outermost mentions; ``O`` words carry no NER), and, on the token or
range line, ``SpaceAfter=No`` where no space follows or ``SpacesAfter=`` (UD escapes)
where the gap is not one plain space.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.export.common import SideView, iob_tags, units, write_text

NAME = "conllu"
EXT = ".conllu"
FLAT = True  # nested mentions: the outermost only
_ESC = {" ": "\\s", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\\": "\\\\", "|": "\\p"}
_FIELD = str.maketrans({"\t": " ", "\n": " ", "\r": " "})


def field(value: str) -> str:
    value = value.translate(_FIELD)
    return value if value else "_"


def comment(value: str) -> str:
    """A sentence text as one comment line."""
    return value.translate(_FIELD)


def spaces_after(gap: str) -> str | None:
    """The MISC item for the text between a token and the next one (None: one space)."""
    if gap == " ":
        return None
    if gap == "":
        return "SpaceAfter=No"
    return "SpacesAfter=" + "".join(
        _ESC.get(c, c if c.isprintable() and not c.isspace() else f"\\u{ord(c):04X}")
        for c in gap)


def _misc(*items: str | None) -> str:
    return "|".join(sorted(x for x in items if x)) or "_"


def _row(i: int | str, form: str, lemma: str, upos: str, feats: str, misc: str) -> str:
    return "\t".join([str(i), field(form), field(lemma), field(upos), "_", field(feats),
                      "_", "_", "_", misc]) + "\n"


def to_conllu(view: SideView) -> str:
    out: list[str] = []
    first = True
    for para in view.paragraphs:
        sents = [s for s in para.sentences if s.tokens]
        for k, sent in enumerate(sents):
            if first:
                out.append(f"# newdoc id = {view.doc_id}\n")
                first = False
            if k == 0:
                out.append(f"# newpar id = {para.id}\n")
            out.append(f"# sent_id = {sent.id}\n")
            out.append(f"# text = {comment(sent.text)}\n")
            us, tags = iob_tags(sent, view.text)
            word = 0
            for j, (u, tag) in enumerate(zip(us, tags, strict=True)):
                if j + 1 < len(us):
                    gap = view.text[u.end:us[j + 1].start]
                elif k + 1 < len(sents):
                    gap = view.text[u.end:units(sents[k + 1], view.text)[0].start]
                else:
                    gap = " "  # end of paragraph: nothing to say
                space = spaces_after(gap)
                ner = [tag] + [tag if tag == "O" else "I-" + tag[2:]] * (len(u.words) - 1)
                ner_items = [f"NER={t}" if t != "O" else None for t in ner]
                if len(u.words) == 1:
                    t = u.words[0]
                    word += 1
                    out.append(_row(word, u.surface, t.lemma, t.upos, t.feats,
                                    _misc(ner_items[0], space)))
                    continue
                out.append(_row(f"{word + 1}-{word + len(u.words)}", u.surface, "", "", "",
                                _misc(space)))
                for t, item in zip(u.words, ner_items, strict=True):
                    word += 1
                    out.append(_row(word, t.text, t.lemma, t.upos, t.feats, _misc(item)))
            out.append("\n")
    return "".join(out)


def write(view: SideView, folder: Path) -> list[Path]:
    return [write_text(folder / f"{view.doc_id}{EXT}", to_conllu(view))]


def write_config(folder: Path, lang: str) -> list[Path]:
    return []
