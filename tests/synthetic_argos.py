"""Build a tiny synthetic French->English ``.argosmodel`` offline, for tests.

No real Argos package can be downloaded on these machines (docs/models.md), so the tests
build one: a sentencepiece model trained on a few lines and a one-layer Transformer with
random weights, written with CTranslate2's spec API. Its output is gibberish by design;
it proves loading, batching, length limits and alignment, not translation quality.

Run as a script to build one by hand: ``python tests/synthetic_argos.py OUT_DIR``.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import zipfile
from pathlib import Path

import numpy as np

CORPUS = [
    "Le président de la République a annoncé une réforme des retraites mardi.",
    "Les manifestants se sont rassemblés à Paris et à Lyon samedi après-midi.",
    "Selon le ministère de l'Intérieur, le taux de chômage a baissé de 0,3 %.",
    "L'Assemblée nationale examinera le projet de loi la semaine prochaine.",
    "« Nous ne céderons pas », a déclaré la porte-parole du gouvernement.",
    "Le groupe État islamique a revendiqué l'attaque près de Bagdad.",
    "The president announced a pension reform on Tuesday.",
    "Protesters gathered in Paris and Lyon on Saturday afternoon.",
    "According to the interior ministry, unemployment fell by 0.3%.",
    "The National Assembly will examine the bill next week.",
    '"We will not give in," the government spokeswoman said.',
    "The Islamic State group claimed the attack near Baghdad.",
]

#: Rows of the stored position tables: the model cannot read or write longer sequences.
MAX_POSITIONS = 64


def _sinusoids(rows: int, dim: int) -> np.ndarray:
    positions = np.arange(rows)[:, None]
    scales = np.power(10000.0, 2 * np.arange(dim // 2)[None, :] / dim)
    return np.concatenate([np.sin(positions / scales), np.cos(positions / scales)], 1).astype(
        np.float32
    )


def random_transformer_spec(
    vocab: list[str],
    *,
    d_model: int = 32,
    ffn: int = 64,
    layers: int = 1,
    heads: int = 2,
    max_positions: int | None = MAX_POSITIONS,
    seed: int = 0,
):  # -> ctranslate2.specs.TransformerSpec
    """A pre-norm Transformer spec with random weights (shapes as CTranslate2 expects).

    ``max_positions=None`` leaves the position table out (CTranslate2 then computes
    sinusoids on the fly, with no length limit).
    """
    from ctranslate2.specs import model_spec, transformer_spec

    spec = transformer_spec.TransformerSpec.from_config((layers, layers), heads, pre_norm=True)
    rng = np.random.default_rng(seed)
    size = len(vocab)

    def w(*shape: int) -> np.ndarray:
        return rng.normal(0.0, 0.3, shape).astype(np.float32)

    def fill(layer, name: str, value) -> None:  # CTranslate2 callback
        parts = name.split("/")
        attr = parts[-1]
        if attr == "encodings":
            if max_positions:
                setattr(layer, attr, _sinusoids(max_positions, d_model))
            return
        if value is not None:
            return
        if attr == "gamma":
            val = np.ones(d_model, np.float32)
        elif attr == "beta":
            val = np.zeros(d_model, np.float32)
        elif parts[-2].startswith("embeddings") or parts[-2] == "projection":
            val = w(size, d_model)
        else:
            linear, block = parts[-2], parts[-3]
            if block == "ffn":
                val = w(ffn, d_model) if linear == "linear_0" else w(d_model, ffn)
            elif block == "self_attention":  # fused QKV, then output
                val = w(3 * d_model, d_model) if linear == "linear_0" else w(d_model, d_model)
            elif block == "attention":  # query, fused KV, output
                val = w(2 * d_model, d_model) if linear == "linear_1" else w(d_model, d_model)
            else:
                raise ValueError(f"unexpected weight {name}")
        setattr(layer, attr, val)

    model_spec.visit_spec(spec, fill)
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.config.add_source_eos = True  # what argos expects (Marian convention)
    return spec


def train_sentencepiece(lines: list[str] = CORPUS, vocab_size: int = 160) -> bytes:
    """A small unigram sentencepiece model (bytes of the .model file)."""
    import sentencepiece as spm

    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines * 2),
        model_writer=buffer,
        vocab_size=vocab_size,
        hard_vocab_limit=False,
        character_coverage=1.0,
        model_type="unigram",
        minloglevel=2,
    )
    return buffer.getvalue()


def build_package_dir(
    dest: Path,
    *,
    package_version: str = "1.0",
    max_positions: int | None = MAX_POSITIONS,
    seed: int = 0,
    extra_metadata: dict | None = None,
) -> Path:
    """Write an extracted package folder at ``dest`` (created; must not exist)."""
    import sentencepiece as spm

    dest.mkdir(parents=True)
    sp_bytes = train_sentencepiece()
    (dest / "sentencepiece.model").write_bytes(sp_bytes)
    sp = spm.SentencePieceProcessor(model_proto=sp_bytes)
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]
    spec = random_transformer_spec(vocab, max_positions=max_positions, seed=seed)
    spec.validate()
    spec.optimize(quantization="int8")
    (dest / "model").mkdir()
    spec.save(str(dest / "model"))
    metadata = {
        "package_version": package_version,
        "argos_version": "1.9.0",
        "from_code": "fr",
        "from_name": "French",
        "to_code": "en",
        "to_name": "English",
        "type": "translate",
        "links": [],
    }
    metadata.update(extra_metadata or {})
    (dest / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    (dest / "README.md").write_text(
        "Synthetic test package: random weights, output is gibberish by design.\n",
        encoding="utf-8",
    )
    return dest


def zip_package(package_dir: Path, archive: Path, top: str | None = None) -> Path:
    """Zip a package folder under one top folder, as .argosmodel files are."""
    top = top or package_dir.name
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/", "")
        for path in sorted(package_dir.rglob("*")):
            rel = path.relative_to(package_dir).as_posix()
            if path.is_dir():
                zf.writestr(f"{top}/{rel}/", "")
            else:
                zf.write(path, f"{top}/{rel}")
    return archive


def build_synthetic_argos(
    out_dir: Path,
    *,
    package_version: str = "1.0",
    name: str | None = None,
    max_positions: int | None = MAX_POSITIONS,
    seed: int = 0,
) -> Path:
    """Build ``<out_dir>/<name>.argosmodel`` and return its path."""
    name = name or f"translate-fr_en-synthetic-{package_version.replace('.', '_')}"
    out_dir.mkdir(parents=True, exist_ok=True)
    work = out_dir / f".build-{name}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        package = build_package_dir(
            work / name, package_version=package_version, max_positions=max_positions, seed=seed
        )
        return zip_package(package, out_dir / f"{name}.argosmodel")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    print(build_synthetic_argos(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
