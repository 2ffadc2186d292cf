"""Language identification: py3langid (a maintained library that ships its model) and the
hand-written guesser it replaced, kept for comparison (tools/eval_langid.py).

``detect_language(text)`` answers ``(lang, probability)`` for two jobs:

* the language of a whole article (is it French at all?), and
* whether one line or sentence of a French article is in another language
  (a quoted tweet, an English caption), so that cleaning can mark it with its
  language and translation can carry it over untranslated.

Text in another script (Arabic, Cyrillic, Japanese...) is named by its language,
never taken for French; ``und`` means too little evidence (under three words in
the Latin script: a name, a number, a two-word menu label).

``guess_language`` is the former guesser: it scores a text by the function words,
elisions and letters of ``fr``, ``en``, ``es``, ``it``, ``pt``, ``de``. Function
words shared by several languages count for each of them with a weight of
``1 / number of languages``; proper names, numbers and content words count for
nothing. On the labelled lines it is as good on French lines but finds ten fewer
of 24 quotations in other languages (README, "Language identification").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

LANGS = ("fr", "en", "es", "it", "pt", "de")
UNDETERMINED = "und"

_WORDS: dict[str, str] = {
    "fr": """
        le la les de des du un une et est en dans pour que qui sur par avec au aux
        ce cette ces ne pas plus sont ont été il elle ils elles leur leurs nous vous
        mais ou où son sa ses être avoir fait comme très aussi entre depuis après
        avant selon contre sans lors alors encore déjà tout tous toutes même autre
        dont cela était avait sera peut je on à se ainsi chez donc aujourd hui ni
        y quand quelque quelques deux trois leurs notre nos votre vos sous vers
        mois année ans jour jours premier première ministre président
    """,
    "en": """
        the of and to in is was for that with on as by at from this it are be have
        has had were will would which their they he she his her its an or not but
        been said who after during before about into than more also over can could
        we our you there these those when what while where other some such only
        new against between a i been being do does did my your them then than
        us all any because through under two three first year years
    """,
    "es": """
        el los las del y en que por para con una es se al su sus lo como más pero
        ya este esta estos estas entre cuando muy sin sobre también hasta hay donde
        desde fue ha han son está están ser sido había dijo según tras durante
        contra le la de un no o a e dos tres años gobierno presidente año muy
        aunque porque todo todos nos les mismo otro otra cuando
    """,
    "it": """
        il di che è e la per un una in del della dei delle degli al alla con non si
        sono ha hanno da dal dalla anche come più ma questo questa nel nella gli lo
        sul sulla stato essere dopo tra fra a o le ne anni due tre governo
    """,
    "pt": """
        o os as do da dos das e em no na nos nas que por para com um uma é se ao à
        não mais mas foi são está pelo pela seu sua também como ele ela entre sobre
        já disse ser ter tem de a dois três anos governo presidente ano vai suas
        seus muito isso essa esse pelos pelas ainda até onde quando num numa
    """,
    "de": """
        der die das und ist nicht mit für auf ein eine den dem des von zu im sich
        auch es an sind wird wurde werden hat haben bei nach aus oder als wie aber
        noch nur über dass in er sie wir zwei drei jahr jahre
    """,
}

#: Elided forms (the part before the apostrophe) and contractions (after it).
_ELISIONS = {
    "fr": {"l": 0.5, "d": 1.0, "qu": 1.0, "n": 1.0, "s": 0.5, "c": 1.0, "j": 1.0,
           "m": 0.5, "jusqu": 1.0, "lorsqu": 1.0, "puisqu": 1.0, "aujourd": 1.0},
    "it": {"l": 0.5, "dell": 1.0, "all": 0.5, "dall": 1.0, "nell": 1.0, "un": 0.5,
           "sull": 1.0, "c": 0.3},
}
_CONTRACTIONS = {"en": {"s": 0.5, "t": 1.0, "re": 1.0, "ve": 1.0, "ll": 1.0, "d": 0.5, "m": 0.5}}

#: Letters that point at a language (weight per occurrence, capped per text).
_LETTERS = {
    "œ": {"fr": 1.0},
    "ç": {"fr": 0.3, "pt": 0.3},
    "ê": {"fr": 0.3, "pt": 0.2},
    "è": {"fr": 0.3, "it": 0.2},
    "à": {"fr": 0.2, "it": 0.1, "pt": 0.1},
    "ù": {"fr": 0.3, "it": 0.1},
    "î": {"fr": 0.4},
    "ï": {"fr": 0.4},
    "û": {"fr": 0.4},
    "ë": {"fr": 0.3},
    "ñ": {"es": 1.0},
    "¿": {"es": 1.0},
    "¡": {"es": 1.0},
    "ó": {"es": 0.2, "pt": 0.2},
    "í": {"es": 0.2, "pt": 0.2},
    "á": {"es": 0.2, "pt": 0.2},
    "ã": {"pt": 1.0},
    "õ": {"pt": 1.0},
    "ä": {"de": 0.5},
    "ö": {"de": 0.5},
    "ü": {"de": 0.5},
    "ß": {"de": 1.0},
    "ì": {"it": 0.5},
    "ò": {"it": 0.5},
}

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_APOS = re.compile(r"['’]")


@lru_cache(maxsize=1)
def _weights() -> dict[str, dict[str, float]]:
    """word -> {lang: weight}; a word in n languages weighs 1/n in each."""
    owners: dict[str, list[str]] = {}
    for lang, words in _WORDS.items():
        for w in dict.fromkeys(words.split()):
            owners.setdefault(w, []).append(lang)
    return {w: {lang: 1.0 / len(langs) for lang in langs} for w, langs in owners.items()}


def language_scores(text: str) -> dict[str, float]:
    """Evidence for each language in ``text`` (unnormalised; 0 where none)."""
    scores = dict.fromkeys(LANGS, 0.0)
    weights = _weights()
    text = unicodedata.normalize("NFC", text)
    for token in _TOKEN.findall(text):
        low = token.lower()
        parts = _APOS.split(low)
        if len(parts) > 1:
            head, tail = parts[0], parts[-1]
            for lang, table in _ELISIONS.items():
                if head in table:
                    scores[lang] += table[head]
            for lang, table in _CONTRACTIONS.items():
                if tail in table:
                    scores[lang] += table[tail]
            words = [parts[-1]] if any(head in t for t in _ELISIONS.values()) else [parts[0]]
        else:
            words = [low]
        for w in words:
            for lang, weight in weights.get(w, {}).items():
                scores[lang] += weight
    letters = dict.fromkeys(LANGS, 0.0)
    for ch in text.lower():
        for lang, weight in _LETTERS.get(ch, {}).items():
            letters[lang] += weight
    for lang in LANGS:  # letters support, never decide alone
        scores[lang] += min(letters[lang], 3.0)
    return scores


def guess_language(text: str, min_evidence: float = 2.0) -> tuple[str, float]:
    """The hand-written guesser: ``(code, confidence in [0, 1])``.

    ``("und", 0.0)`` when the text holds less than ``min_evidence`` points of
    evidence. The confidence is the winner's margin over the runner-up
    (``1 - second / best``), damped for short texts (full strength from about
    6 points, half a dozen distinctive function words).
    """
    scores = language_scores(text)
    total = sum(scores.values())
    if total < min_evidence:
        return UNDETERMINED, 0.0
    ranked = sorted(LANGS, key=lambda lang: (-scores[lang], LANGS.index(lang)))
    best, second = scores[ranked[0]], scores[ranked[1]]
    margin = 1.0 - second / best
    damp = min(1.0, best / 6.0)
    return ranked[0], round(margin * (0.5 + 0.5 * damp), 4)


# --------------------------------------------------------------------------- maintained libraries

#: Languages the libraries choose among: the guesser's six, the neighbours a French
#: page quotes (Dutch, Catalan), and the scripts a French corpus meets (Arabic,
#: Cyrillic, Chinese and Japanese, Hebrew, Greek). A smaller set is more accurate
#: on short lines than all of a library's languages.
LIBRARY_LANGS = ("fr", "en", "es", "it", "pt", "de", "nl", "ca", "ar", "ru", "zh", "ja", "he", "el")


@lru_cache(maxsize=1)
def _py3langid() -> Any:
    """py3langid's identifier over LIBRARY_LANGS, with probabilities (built on first use)."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    ident = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    ident.set_languages(list(LIBRARY_LANGS))
    return ident


def detect_py3langid(text: str) -> tuple[str, float]:
    """py3langid (the langid.py model, maintained fork): ``(code, probability)``."""
    if not any(ch.isalpha() for ch in text):
        return UNDETERMINED, 0.0
    lang, prob = _py3langid().classify(text)
    return str(lang), round(float(prob), 4)


@lru_cache(maxsize=1)
def _lingua() -> Any:
    """Lingua's detector over LIBRARY_LANGS (its models load on first use)."""
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    langs = [Language.from_iso_code_639_1(getattr(IsoCode639_1, c.upper())) for c in LIBRARY_LANGS]
    return LanguageDetectorBuilder.from_languages(*langs).build()


def detect_lingua(text: str) -> tuple[str, float]:
    """lingua-language-detector: ``(code, confidence)``, ``und`` when it cannot tell."""
    if not any(ch.isalpha() for ch in text):
        return UNDETERMINED, 0.0
    values = _lingua().compute_language_confidence_values(text)
    if not values:
        return UNDETERMINED, 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), round(float(best.value), 4)


_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")


def detect_language(text: str) -> tuple[str, float]:
    """The language of ``text``: ``(code, probability)``, by py3langid.

    ``("und", 0.0)`` when the text holds too little evidence: fewer than three
    words in the Latin script (a name, a number, a two-word menu label). Text in
    another script (Arabic, Cyrillic, Japanese...) is named by its language, never
    taken for French. py3langid was measured against the hand-written guesser
    (``guess_language``) on the labelled lines of tests/data/langid_gold.tsv
    (tools/eval_langid.py): as good on French lines, far better on quotations in
    other languages, and it names other scripts (README, "Language identification").
    """
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return UNDETERMINED, 0.0
    latin = sum(1 for ch in letters if _LATIN.match(ch))
    if latin >= len(letters) / 2 and len(_TOKEN.findall(text)) < 3:
        return UNDETERMINED, 0.0
    return detect_py3langid(text)


#: Every identifier tools/eval_langid.py compares, by name (lingua only where installed:
#: it is measured, not shipped).
IDENTIFIERS: dict[str, Callable[[str], tuple[str, float]]] = {
    "guesser (function words)": guess_language,
    "py3langid 0.4.0": detect_py3langid,
    "shipped: py3langid, und below 3 words": detect_language,
    "lingua 2.1.1": detect_lingua,
}


def majority_language(texts: list[str], min_confidence: float = 0.5) -> tuple[str, float]:
    """The language most of an article's text is in: each text (a line, a paragraph)
    confidently identified counts its length for its language; the confidence is that
    language's share. One paragraph in English does not outweigh a longer French one,
    whatever its words. Falls back to :func:`detect_language` on the whole when no text
    is confident.
    """
    weights: dict[str, int] = {}
    for text in texts:
        lang, confidence = detect_language(text)
        if lang != UNDETERMINED and confidence >= min_confidence:
            weights[lang] = weights.get(lang, 0) + len(text)
    if not weights:
        return detect_language("\n".join(texts))
    order = {lang: n for n, lang in enumerate(LIBRARY_LANGS)}
    lang = max(weights, key=lambda k: (weights[k], -order.get(k, len(order))))
    return lang, round(weights[lang] / sum(weights.values()), 4)
