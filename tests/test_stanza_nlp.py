"""The stanza backend on real stanza models: tiny ones the tests train offline
(tests/synthetic_stanza.py, the ``stanza_resources`` fixture), loaded by stanza's own code.

What is proven here is the backend, not the models' quality: loading from a resources
folder with ``download_method=None`` (sockets blocked), the conversion of stanza's output
(offsets, multi-word tokens, lemmas, UPOS, features, labels through data/labels.toml), its
TEI, its provenance and cache key, the choice and fallbacks of ``--ner auto``, and the
install step's layout.
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from pipeline.document import PARA_SEP, Document, Paragraph, Side, Source
from pipeline.engines import registry, stanza_nlp
from pipeline.engines.install import stanza_available
from pipeline.errors import ConfigError
from pipeline.stages import analyse
from pipeline.tei.codec import NS, RunInfo, from_tei, tei_bytes

try:
    from synthetic_stanza import PACKAGE, PROCESSORS, entities, sentences
    from test_offline import GUARD, SITECUSTOMIZE, WRAPPER
except ImportError:  # tests/ not on sys.path (importlib import mode)
    from tests.synthetic_stanza import PACKAGE, PROCESSORS, entities, sentences
    from tests.test_offline import GUARD, SITECUSTOMIZE, WRAPPER

ROOT = Path(__file__).resolve().parent.parent
UPOS = {"ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART", "PRON",
        "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"}


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """stanza must never try to download: any connection attempt fails the test."""
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access attempted: {args!r}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def stanza_env(stanza_resources: Path, monkeypatch: pytest.MonkeyPatch,
               no_network: None) -> Path:
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(stanza_resources))
    return stanza_resources


@pytest.fixture(scope="module")
def annotators(stanza_resources: Path) -> dict[str, stanza_nlp.StanzaAnnotator]:
    """One annotator per language; conventions and gazetteer off: the conversion alone."""
    import torch

    torch.set_num_threads(1)  # tiny models; two threads spin against each other under load
    old = os.environ.get("STANZA_RESOURCES_DIR")
    os.environ["STANZA_RESOURCES_DIR"] = str(stanza_resources)
    try:
        return {lang: stanza_nlp.StanzaAnnotator(lang, gazetteer=False, conventions=False)
                for lang in ("fr", "en")}
    finally:
        if old is None:
            os.environ.pop("STANZA_RESOURCES_DIR", None)
        else:
            os.environ["STANZA_RESOURCES_DIR"] = old


def make_doc(paras: list[str], doc_id: str = "art-s") -> Document:
    side = Side("fr", PARA_SEP.join(paras))
    pos = 0
    for n, p in enumerate(paras, 1):
        side.paragraphs.append(Paragraph(f"{doc_id}.fr.p{n}", pos, pos + len(p)))
        pos += len(p) + len(PARA_SEP)
    return Document(doc_id, Source("s.txt", "s.txt", "0" * 64, 0), original=side)


# ------------------------------------------------------------------ the fixture itself


def test_resources_folder_is_stanzas_layout(stanza_env: Path) -> None:
    resources = json.loads((stanza_env / "resources.json").read_text(encoding="utf-8"))
    for lang in ("fr", "en"):
        assert resources[lang]["default_processors"] == {p: PACKAGE for p in PROCESSORS[lang]}
        assert stanza_available(lang, stanza_env)
        files = stanza_nlp.model_files(lang)
        mwt = ["mwt"] if "mwt" in PROCESSORS[lang] else []
        assert [f.processor for f in files] == ["tokenize", *mwt, "pretrain", "pos", "lemma",
                                                "ner"]
        assert all(f.path.is_file() for f in files)
    assert stanza_nlp.check_files("fr") == []


def test_stanza_pipeline_loads_offline_as_the_issue_states(stanza_env: Path) -> None:
    import stanza

    nlp = stanza.Pipeline(lang="fr", processors="tokenize,mwt,pos,lemma,ner",
                          download_method=None, dir=str(stanza_env), logging_level="WARN")
    doc = nlp("Marie Dupont travaille au Sénat depuis mardi.")
    au = [t for t in doc.sentences[0].tokens if t.text == "au"]
    assert au and [w.text for w in au[0].words] == ["à", "le"]


# ------------------------------------------------------------------ conversion


def test_french_conversion_offsets_words_and_labels(annotators: dict) -> None:
    sents = sentences("fr", 1, seed=11)  # new combinations of the training templates
    text = " ".join(s.text() for s in sents)
    (result,) = annotators["fr"].split_and_analyse([text])
    assert [s.text for s in result] == [s.text() for s in sents]
    doc = make_doc([text])
    doc.original.paragraphs[0].sentences = result
    assert analyse.check_offsets(doc.original) == []
    for got, want in zip(result, sents, strict=True):
        assert text[got.start : got.end] == got.text
        # every surface token, in order, slices the text exactly
        spans = list(dict.fromkeys((t.start, t.end) for t in got.tokens))
        assert [text[a:b] for a, b in spans] == [t.form for t in want.tokens]
        # the words of each token, with the data's lemma, UPOS and features
        words = [(t.text, t.lemma, t.upos, t.feats) for t in got.tokens]
        assert words == [w for t in want.tokens for w in t.words]
        assert [(m.text, m.label, m.source_label) for m in got.mentions] == [
            (name, tag, tag) for name, tag in entities(want)]


def test_multi_word_tokens_share_their_span(annotators: dict) -> None:
    text = "Le porte-parole du Pentagone a annoncé le retrait des troupes."
    (sent,) = annotators["fr"].analyse_sentences([text])
    du = [t for t in sent.tokens if (t.start, t.end) == (16, 18)]
    assert [(t.text, t.lemma, t.upos) for t in du] == [("de", "de", "ADP"), ("le", "le", "DET")]
    assert "Definite=Def" in du[1].feats and du[0].feats == ""
    assert all(t.space_after for t in du)
    des = [t for t in sent.tokens if text[t.start : t.end] == "des"]
    assert [t.text for t in des] == ["de", "les"]
    assert not sent.tokens[-2].space_after  # « troupes » before the full stop


def test_english_labels_are_mapped_through_the_table(annotators: dict) -> None:
    sents = sentences("en", 1, seed=12)
    out = annotators["en"].analyse_sentences([s.text() for s in sents])
    table = {"PERSON": "PER", "GPE": "LOC", "ORG": "ORG"}
    for got, want in zip(out, sents, strict=True):
        assert [(m.text, m.label, m.source_label) for m in got.mentions] == [
            (name, table[tag], tag) for name, tag in entities(want)]
        assert all(t.upos in UPOS and t.lemma for t in got.tokens)


def test_analyse_sentences_keeps_one_sentence_per_text(annotators: dict) -> None:
    out = annotators["fr"].analyse_sentences(["Lloyd Austin a visité Paris. Jean Martin "
                                              "travaille au Sénat.", "", "   "])
    assert len(out) == 3 and out[0].text.endswith("au Sénat.")
    assert out[1].tokens == [] and out[2].tokens == []


# ------------------------------------------------------------------ TEI and provenance


def test_tei_encodes_words_of_a_contraction_and_names_every_model(
        annotators: dict, stanza_resources: Path) -> None:
    text = " ".join(s.text() for s in sentences("fr", 1, seed=13))
    doc = make_doc([text])
    analyse.analyse_original([doc], annotators["fr"])
    root = etree.fromstring(tei_bytes(doc, run=RunInfo(when="2026-01-01")))
    outer = [w for w in root.iterfind(".//tei:s//tei:w", NS) if w.find("tei:w", NS) is not None]
    assert outer, "no multi-word token in the TEI"
    for w in outer:
        parts = w.findall("tei:w", NS)
        assert w.text in ("du", "au", "des") and len(parts) == 2
        assert [p.get("norm") for p in parts][1] in ("le", "les")
        assert all(p.get("lemma") and p.get("pos") in UPOS for p in parts)
    back = from_tei(root)
    assert analyse.check_offsets(back.original) == []
    assert [(t.start, t.end, t.text, t.lemma, t.upos, t.feats) for t in
            back.original.sentences()[0].tokens] == [
        (t.start, t.end, t.text, t.lemma, t.upos, t.feats) for t in
        doc.original.sentences()[0].tokens]
    apps = {a.get("ident"): a for a in root.iterfind(".//tei:appInfo/tei:application", NS)}
    import stanza

    assert apps["stanza"].get("version") == stanza.__version__
    for proc in (*PROCESSORS["fr"], "pretrain"):
        app = apps[f"stanza-fr-{proc}-{PACKAGE}"]
        sha = app.find("tei:desc[@type='sha256']", NS).text
        path = stanza_resources / "fr" / proc / f"{PACKAGE}.pt"
        assert sha == hashlib.sha256(path.read_bytes()).hexdigest()
        assert app.find("tei:desc[@n='package']", NS).text == PACKAGE


def test_fingerprint_follows_every_model_file(stanza_resources: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "res"
    shutil.copytree(stanza_resources, copy)
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(copy))
    first = registry.choose_annotator("auto", "fr")
    assert first.name == "stanza" and first.fingerprint.startswith("stanza:fr:")
    assert registry.choose_annotator("auto", "fr").fingerprint == first.fingerprint
    seen = {first.fingerprint}
    for proc in (*PROCESSORS["fr"], "pretrain"):
        model = copy / "fr" / proc / f"{PACKAGE}.pt"
        model.write_bytes(model.read_bytes() + b"\0")  # still a torch file by its header
        fp = registry.choose_annotator("auto", "fr").fingerprint
        assert fp not in seen, proc
        seen.add(fp)


# ------------------------------------------------------------------ choice and fallbacks


def test_auto_falls_back_to_spacy_naming_the_missing_processor(
        stanza_resources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    copy = tmp_path / "res"
    shutil.copytree(stanza_resources, copy)
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(copy))
    assert registry.choose_annotator("auto", "fr").name == "stanza"
    (copy / "fr" / "pos" / f"{PACKAGE}.pt").unlink()
    spec = registry.choose_annotator("auto", "fr")
    assert spec.name == "spacy"
    assert f"fr/pos/{PACKAGE}.pt" in spec.note and "spaCy" in spec.note
    assert f"fr/pos/{PACKAGE}.pt" in caplog.text
    assert registry.choose_annotator("auto", "en").name == "stanza"  # English is complete
    with pytest.raises(ConfigError, match=f"fr/pos/{PACKAGE}.pt"):
        registry.choose_annotator("stanza", "fr")
    shutil.rmtree(copy)
    plain = registry.choose_annotator("auto", "fr")  # nothing installed: no note
    assert plain.name == "spacy" and plain.note == ""


def test_a_damaged_model_is_a_configuration_error(
        stanza_resources: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "res"
    shutil.copytree(stanza_resources, copy)
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(copy))
    ner = copy / "fr" / "ner" / f"{PACKAGE}.pt"
    good = ner.read_bytes()
    ner.write_bytes(b"<html>503 Service Unavailable</html>")  # a download gone wrong
    with pytest.raises(ConfigError, match=r"damaged.*fr/ner/tiny\.pt"):
        registry.choose_annotator("auto", "fr")
    ner.write_bytes(good[: len(good) // 2])  # truncated: the header looks right
    with pytest.raises(ConfigError, match=r"could not load.*fr/ner/tiny\.pt"):
        stanza_nlp.StanzaAnnotator("fr")


def _guarded_run(args: list[str], root: Path, env_extra: dict[str, str]
                 ) -> subprocess.CompletedProcess[str]:
    """``python -m pipeline ARGS`` with sockets blocked (tests/test_offline.py's guard)."""
    guard = root / "guard"
    guard.mkdir(exist_ok=True)
    (guard / "netguard.py").write_text(GUARD, encoding="utf-8")
    (guard / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    path = os.pathsep.join(p for p in [str(guard), str(ROOT), os.environ.get("PYTHONPATH", "")]
                           if p)
    env = {**os.environ, "PYTHONPATH": path, "NETGUARD_LOG": str(root / "net.log"),
           "SOURCE_DATE_EPOCH": "1700000000", "OMP_NUM_THREADS": "1", **env_extra}
    return subprocess.run([sys.executable, "-c", WRAPPER, *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600, check=False)


def test_a_truncated_model_stops_the_run_with_exit_2(
        stanza_resources: Path, tmp_path: Path, seed_files: list[Path]) -> None:
    copy = tmp_path / "res"
    shutil.copytree(stanza_resources, copy)
    ner = copy / "fr" / "ner" / f"{PACKAGE}.pt"
    ner.write_bytes(ner.read_bytes()[:4000])
    proc = _guarded_run(["run", str(seed_files[0]), "-o", str(tmp_path / "out"), "-q",
                         "--ner", "stanza", "--stages", "clean,analyse,tei"],
                        tmp_path, {"STANZA_RESOURCES_DIR": str(copy)})
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert "fr/ner/tiny.pt" in proc.stderr and "--ner spacy" in proc.stderr


def test_a_run_with_a_processor_missing_says_so(stanza_resources: Path, tmp_path: Path
                                                ) -> None:
    copy = tmp_path / "res"
    shutil.copytree(stanza_resources, copy)
    (copy / "fr" / "lemma" / f"{PACKAGE}.pt").unlink()
    inp = tmp_path / "in.txt"
    inp.write_text(_article(30), encoding="utf-8")
    out = tmp_path / "out"
    proc = _guarded_run(["run", str(inp), "-o", str(out), "--stages", "clean,analyse,tei"],
                        tmp_path, {"STANZA_RESOURCES_DIR": str(copy)})
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["engines"]["nlp-fr"].startswith("spacy:")
    assert f"fr/lemma/{PACKAGE}.pt" in report["engine_notes"]["nlp-fr"]
    assert "note nlp-fr: stanza resources for 'fr'" in proc.stderr


# ------------------------------------------------------------------ install


@pytest.fixture
def mirror(stanza_resources: Path, tmp_path: Path) -> Iterator[str]:
    """The fixture's folder served on 127.0.0.1 as a resources mirror."""
    from stanza.resources.common import DEFAULT_RESOURCES_VERSION

    site = tmp_path / "site"
    shutil.copytree(stanza_resources, site)
    shutil.copy(site / "resources.json", site / f"resources_{DEFAULT_RESOURCES_VERSION}.json")
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_install_writes_the_layout_the_fixture_has(mirror: str, stanza_resources: Path,
                                                   tmp_path: Path) -> None:
    dest = tmp_path / "installed"
    from pipeline.cli import main

    assert main(["models", "install", "stanza", "fr", "en", "--stanza-dir", str(dest),
                 "--mirror", mirror, "-q"]) == 0
    for lang in ("fr", "en"):
        assert stanza_available(lang, dest)
    made = sorted(p.relative_to(stanza_resources).as_posix()
                  for p in stanza_resources.rglob("*.pt"))
    got = sorted(p.relative_to(dest).as_posix() for p in dest.rglob("*.pt"))
    assert got == made
    for rel in made:
        assert (dest / rel).read_bytes() == (stanza_resources / rel).read_bytes()


# ------------------------------------------------------------------ end to end


def _article(seed: int) -> str:
    sents = sentences("fr", 1, seed=seed)
    return "\n\n".join(" ".join(s.text() for s in sents[i : i + 3]) for i in range(0, 9, 3))


def _retrain_ner(path: Path) -> None:
    """Change one weight of a model, saved as stanza saves it: a new, valid model file."""
    import torch

    data = torch.load(str(path), map_location="cpu", weights_only=False)
    name = next(iter(data["model"]))
    data["model"][name] = data["model"][name] + 1e-3
    torch.save(data, str(path), _use_new_zipfile_serialization=False)


@pytest.fixture(scope="module")
def e2e(stanza_resources: Path, tmp_path_factory: pytest.TempPathFactory,
        seed_files: list[Path]) -> dict[str, object]:
    """Three runs with --ner stanza, sockets blocked: fresh, unchanged, NER model changed."""
    from pipeline.engines import apertium

    root = tmp_path_factory.mktemp("stanza-e2e")
    res = root / "res"
    shutil.copytree(stanza_resources, res)
    inp = root / "in"
    inp.mkdir()
    for n in (1, 2):
        (inp / f"gabarit-{n}.txt").write_text(_article(20 + n), encoding="utf-8")
    shutil.copy(seed_files[0], inp / seed_files[0].name)  # real text, unseen by the models
    out = root / "out"
    args = ["run", str(inp), "-o", str(out), "-q", "--ner", "stanza"]
    if not apertium.is_available():
        args += ["--stages", "clean,analyse,link,tei,corpus,validate"]
    env = {"STANZA_RESOURCES_DIR": str(res)}
    runs: list[dict[str, object]] = []
    for step in ("fresh", "unchanged", "changed"):
        if step == "changed":
            _retrain_ner(res / "fr" / "ner" / f"{PACKAGE}.pt")
        proc = _guarded_run(args, root, env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert (root / "net.log").read_text(encoding="utf-8") == "", "network access attempted"
        report = json.loads((out / "report.json").read_text(encoding="utf-8"))
        tei = {p.name: p.read_bytes() for p in sorted((out / "tei").glob("*.xml"))}
        runs.append({"report": report, "tei": tei})
    return {"runs": runs, "res": res, "translated": apertium.is_available()}


def test_end_to_end_valid_tei_with_exact_offsets(e2e: dict) -> None:
    from pipeline.tei.codec import from_tei

    report = e2e["runs"][0]["report"]
    assert report["summary"]["ok"] == 3 and report["summary"]["failed"] == 0
    assert report["engines"]["nlp-fr"].startswith("stanza:fr:")
    assert report["validation"]["problems"] == []
    for name, data in e2e["runs"][0]["tei"].items():
        doc = from_tei(etree.fromstring(data))
        sides = [doc.original] + ([doc.translation] if doc.translation else [])
        for side in sides:
            assert analyse.check_offsets(side) == [], name
            toks = [t for s in side.sentences() for t in s.tokens]
            assert toks and all(t.upos in UPOS for t in toks), name
        if name.startswith("art-gabarit"):
            words = [t for s in doc.original.sentences() for t in s.tokens]
            assert sum(bool(t.feats) for t in words) > len(words) // 3
            assert all(t.lemma for t in words if t.text.isalpha())


def test_end_to_end_contractions_entities_and_provenance(e2e: dict) -> None:
    import stanza

    res = e2e["res"]
    data = e2e["runs"][0]["tei"]["art-gabarit-1.xml"]
    root = etree.fromstring(data)
    body = root.find(".//tei:div[@type='original']", NS)
    outer = [w for w in body.iterfind(".//tei:w", NS) if w.find("tei:w", NS) is not None]
    assert {w.text for w in outer} <= {"du", "au", "des"} and outer
    for kind in ("persName", "placeName", "orgName"):
        assert body.find(f".//tei:{kind}", NS) is not None, kind
    apps = {a.get("ident"): a for a in root.iterfind(".//tei:appInfo/tei:application", NS)}
    assert apps["stanza"].get("version") == stanza.__version__
    for proc in (*PROCESSORS["fr"], "pretrain"):
        app = apps[f"stanza-fr-{proc}-{PACKAGE}"]
        want = hashlib.sha256((res / "fr" / proc / f"{PACKAGE}.pt").read_bytes()).hexdigest()
        if proc != "ner":  # the NER model was changed after the first run
            assert app.find("tei:desc[@type='sha256']", NS).text == want
    if e2e["translated"]:
        assert "stanza-en-ner-tiny" in apps


def test_end_to_end_cache_key_follows_the_model_files(e2e: dict) -> None:
    fresh, unchanged, changed = e2e["runs"]
    assert unchanged["report"]["summary"]["skipped"] == 3
    assert "nlp-fr" not in unchanged["report"]["model_load_seconds"]
    assert changed["report"]["summary"]["ok"] == 3  # recomputed, none skipped
    assert changed["report"]["engines"]["nlp-fr"] != fresh["report"]["engines"]["nlp-fr"]
    old = fresh["tei"]["art-gabarit-1.xml"]
    new = changed["tei"]["art-gabarit-1.xml"]
    ner = hashlib.sha256((e2e["res"] / "fr" / "ner" / f"{PACKAGE}.pt").read_bytes()).hexdigest()
    assert ner.encode() in new and ner.encode() not in old


# ------------------------------------------------------------------ without models


def test_stanza_is_chosen_only_with_resources_on_disk(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("STANZA_RESOURCES_DIR", str(tmp_path))
    assert not stanza_nlp.is_available("fr")
    assert registry.choose_annotator("auto", "fr").name == "spacy"
    with pytest.raises(ConfigError, match="no stanza resources"):
        registry.choose_annotator("stanza", "fr")
    # resources.json plus the default NER model file make it available (not loaded here;
    # the files only start as torch files do, a zip archive).
    defaults = {"tokenize": "combined", "mwt": "combined", "pos": "combined_charlm",
                "lemma": "combined_nocharlm", "ner": "wikinergold_charlm"}
    (tmp_path / "resources.json").write_text(json.dumps(
        {"fr": {"default_processors": defaults}}))
    for proc, pkg in defaults.items():
        if proc != "ner":
            (tmp_path / "fr" / proc).mkdir(parents=True)
            (tmp_path / "fr" / proc / f"{pkg}.pt").write_bytes(b"PK\x03\x04")
    (tmp_path / "fr" / "ner").mkdir(parents=True)
    assert not stanza_nlp.is_available("fr")  # every processor but NER: not enough
    (tmp_path / "fr" / "ner" / "wikinergold_charlm.pt").write_bytes(b"PK\x03\x04")
    assert stanza_nlp.is_available("fr")
    assert stanza_nlp.default_packages("fr")["ner"] == "wikinergold_charlm"
    assert registry.choose_annotator("auto", "fr").name == "stanza"
    assert registry.choose_annotator("spacy", "fr").name == "spacy"


def test_sentence_conversion_of_a_hand_built_sentence() -> None:
    """stanza's objects as the backend reads them, independent of any model."""
    text = "Le chef du Pentagone, Lloyd Austin."

    def tok(a: int, b: int, words: list[tuple[str, str, str, str | None]]) -> SimpleNamespace:
        return SimpleNamespace(start_char=a, end_char=b, text=text[a:b], words=[
            SimpleNamespace(text=form, lemma=lem, upos=upos, feats=feats)
            for form, lem, upos, feats in words])

    toks = [tok(0, 2, [("Le", "le", "DET", "Definite=Def")]),
            tok(3, 7, [("chef", "chef", "NOUN", None)]),
            tok(8, 10, [("de", "de", "ADP", None), ("le", "le", "DET", "Gender=Masc")]),
            tok(11, 20, [("Pentagone", "Pentagone", "PROPN", None)]),
            tok(20, 21, [(",", ",", "PUNCT", None)]),
            tok(22, 27, [("Lloyd", "Lloyd", "PROPN", None)]),
            tok(28, 34, [("Austin", "Austin", "PROPN", None)]),
            tok(34, 35, [(".", ".", "PUNCT", None)])]
    ents = [SimpleNamespace(start_char=11, end_char=20, type="ORG"),
            SimpleNamespace(start_char=22, end_char=34, type="PERSON")]
    sent = stanza_nlp.convert_sentence(text, SimpleNamespace(tokens=toks, ents=ents))
    assert (sent.start, sent.end, sent.text) == (0, 35, text)
    du = sent.tokens[2:4]
    assert [(t.start, t.end, t.text, t.lemma, t.upos, t.feats) for t in du] == [
        (8, 10, "de", "de", "ADP", ""), (8, 10, "le", "le", "DET", "Gender=Masc")]
    assert sent.tokens[0].feats == "Definite=Def"
    assert [t.space_after for t in sent.tokens] == [True, True, True, True, False, True, True,
                                                     False, False]
    assert [(m.text, m.label, m.source_label) for m in sent.mentions] == [
        ("Pentagone", "ORG", "ORG"), ("Lloyd Austin", "PER", "PERSON")]
    side = Side("fr", text)
    side.paragraphs.append(Paragraph("p1", 0, len(text), sentences=[sent]))
    assert analyse.check_offsets(side) == []
    sent.tokens[3].start = 9  # a word of « du » off its token's span
    assert analyse.check_offsets(side)
