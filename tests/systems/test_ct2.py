"""Ct2Translator on the tiny real models, converted by the real ctranslate2 converter.

The tiny models have random weights: tests check tokens, prefixes, caching and bookkeeping,
and that float32 CTranslate2 decodes the same text as transformers (same weights, same search).
"""

from __future__ import annotations

import json
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from mtqe.errors import ConfigError, UnknownLanguageError
from mtqe.systems import ct2_convert
from mtqe.systems.configs import BatchingConfig, Ct2Config, HFSeq2SeqConfig
from mtqe.systems.ct2 import Ct2Translator, Threads, resolve_placement, resolve_threads
from mtqe.systems.hf_loading import model_fingerprint
from mtqe.systems.hf_seq2seq import HFSeq2SeqTranslator
from mtqe.systems.registry import build_system, validate_system_config
from tests.tiny_models import CORPUS_JA, MARIAN_LANG_TOKENS

ctranslate2 = pytest.importorskip("ctranslate2")

SOURCES = [CORPUS_JA[0], CORPUS_JA[2] + CORPUS_JA[10], "山", CORPUS_JA[5], CORPUS_JA[7] + CORPUS_JA[8], CORPUS_JA[1]]
REPO = Path(__file__).resolve().parents[2]


def make_translator(model: str | Path, cache_dir: Path, **overrides: Any) -> Ct2Translator:
    batching = overrides.pop("batching", BatchingConfig(batch_size=4, max_batch_tokens=4096))
    extra = overrides.pop("extra_options", None)
    fields: dict[str, Any] = {"type": "ctranslate2", "name": "tiny", "model": str(model), "device": "cpu"}
    fields.update(beam_size=2, max_decoding_length=8)
    fields.update(overrides)
    return Ct2Translator(cfg=Ct2Config(batching=batching, **fields), cache_dir=cache_dir, extra_options=extra)


@pytest.fixture(scope="module")
def ct2_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One conversion cache for the module: each tiny model is converted once."""
    return tmp_path_factory.mktemp("ct2-cache")


@pytest.fixture(scope="module")
def m2m100_full_vocab(tiny_m2m100: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tiny M2M-100 with the real checkpoints' embedding size: len(tokenizer) + 8
    ``madeupword`` rows (facebook/m2m100_418M: 128104 + 8 = 128112). ctranslate2's converter
    appends those 8 words to the vocabulary and checks it against the weights, so the plain
    tiny fixture (embeddings of len(tokenizer)) does not convert."""
    from transformers import AutoTokenizer, M2M100ForConditionalGeneration

    directory = tmp_path_factory.mktemp("m2m100-full") / "tiny-m2m100"
    shutil.copytree(tiny_m2m100, directory)
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = M2M100ForConditionalGeneration.from_pretrained(directory, local_files_only=True)
    model.resize_token_embeddings(len(tokenizer) + tokenizer.num_madeup_words, mean_resizing=False)
    model.save_pretrained(directory)
    return directory



FAMILY_FIXTURES = [("tiny_marian", "marian"), ("tiny_nllb", "nllb"), ("m2m100_full_vocab", "m2m100")]


# -- identity -------------------------------------------------------------------------------


def test_identity_is_stable_and_cheap(tiny_nllb: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("identity() must not convert or load")

    monkeypatch.setattr(ct2_convert, "ensure_converted", refuse)
    monkeypatch.setattr(ctranslate2, "Translator", refuse)
    cache = tmp_path / "ct2"
    translator = make_translator(tiny_nllb, cache)
    ident = translator.identity()
    assert not translator.loaded and not cache.exists()
    assert ident == translator.identity() == make_translator(tiny_nllb, cache).identity()
    assert ident["backend"] == "ctranslate2" and ident["compute_type"] == "int8" and ident["device"] == "cpu"
    assert ident["beam_size"] == 2 and ident["max_decoding_length"] == 8
    assert ident["ctranslate2"] == ctranslate2.__version__
    assert len(ident["files_sha256"]) == 64
    json.dumps(ident)  # stored as JSON by the translation cache


def test_identity_changes_with_settings_and_same_after_loading(tiny_marian: Path, ct2_cache: Path) -> None:
    translator = make_translator(tiny_marian, ct2_cache)
    base = translator.identity()
    assert make_translator(tiny_marian, ct2_cache, beam_size=1).identity() != base
    assert make_translator(tiny_marian, ct2_cache, compute_type="float32").identity() != base
    assert make_translator(tiny_marian, ct2_cache, extra_options={"min_decoding_length": 3}).identity() != base
    assert make_translator(tiny_marian, ct2_cache, compute_type="auto").identity() == base  # auto = int8 on CPU
    translator.translate(SOURCES[:1], src_lang="ja", tgt_lang="zh")
    assert translator.identity() == base


def test_mt_system_identity_does_not_convert(tiny_marian: Path, tmp_path: Path) -> None:
    cfg = validate_system_config("tiny-ct2", OmegaConf.create({"type": "ctranslate2", "model": str(tiny_marian)}))
    assert isinstance(cfg, Ct2Config) and cfg.compute_type == "auto"
    system = build_system(cfg, cache=None)
    assert system.identity()["backend"] == "ctranslate2"  # type: ignore[attr-defined]
    assert not system.translator.loaded  # type: ignore[attr-defined]


def test_ct2_system_configs_in_conf_validate() -> None:
    names = []
    for path in sorted((REPO / "mtqe" / "conf" / "system").glob("*-ct2.yaml")):
        for name, node in OmegaConf.load(path).items():
            cfg = validate_system_config(str(name), node)
            assert isinstance(cfg, Ct2Config) and cfg.family in ("marian", "nllb", "m2m100")
            names.append(name)
    assert {"opus-mt-ja-en-ct2", "nllb-200-distilled-600m-ct2"} <= set(names)


# -- the three families ---------------------------------------------------------------------


@pytest.mark.parametrize(("fixture", "family"), FAMILY_FIXTURES)
def test_converts_and_translates(fixture: str, family: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    translator = make_translator(request.getfixturevalue(fixture), tmp_path / "ct2")
    outputs = translator.translate(SOURCES, src_lang="ja", tgt_lang="zh")
    assert len(outputs) == len(SOURCES) and all(isinstance(text, str) for text in outputs)
    facts = translator.describe()
    assert facts["family"] == family and facts["conversion"] == "converted"
    assert facts["device"] == "cpu" and facts["compute_type"] == "int8"
    assert facts["batches"] == 2 and facts["segments"] == len(SOURCES) and facts["tokens_generated"] > 0
    assert facts["load_seconds"] >= facts["convert_seconds"] > 0
    assert facts["truncated_inputs"] == 0 and facts["max_input_tokens"] == 128
    assert ct2_convert.is_complete(Path(facts["converted_dir"]))


@pytest.mark.parametrize(("fixture", "tgt", "code"), [
    ("tiny_nllb", "zh", "zho_Hans"), ("tiny_nllb", "en", "eng_Latn"),
    ("m2m100_full_vocab", "zh", "__zh__"), ("m2m100_full_vocab", "en", "__en__"),
])  # fmt: skip
def test_first_target_token_is_the_language_code(
    fixture: str, tgt: str, code: str, request: pytest.FixtureRequest, ct2_cache: Path
) -> None:
    translator = make_translator(request.getfixturevalue(fixture), ct2_cache)
    sources = translator.source_tokens(SOURCES[:2], src_lang="ja", tgt_lang=tgt)
    src_code = "jpn_Jpan" if fixture == "tiny_nllb" else "__ja__"
    assert all(tokens[0] == src_code and tokens[-1] == "</s>" for tokens in sources)
    hypotheses = translator.translate_tokens(SOURCES[:2], src_lang="ja", tgt_lang=tgt)
    assert [tokens[0] for tokens in hypotheses] == [code, code]
    assert all(code not in text for text in translator.translate(SOURCES[:2], src_lang="ja", tgt_lang=tgt))


def test_marian_target_token_prefix(tiny_marian: Path, single_pair_marian: Path, ct2_cache: Path) -> None:
    multi = make_translator(tiny_marian, ct2_cache).source_tokens(SOURCES[:2], src_lang="ja", tgt_lang="zh")
    assert all(tokens[0] == ">>cmn_Hans<<" and tokens[-1] == "</s>" for tokens in multi)
    single = make_translator(single_pair_marian, ct2_cache).source_tokens(SOURCES[:2], src_lang="ja", tgt_lang="en")
    assert all(not tokens[0].startswith(">>") for tokens in single)


@pytest.mark.parametrize(("fixture", "family"), FAMILY_FIXTURES)
@pytest.mark.parametrize("beam", [1, 3])
def test_float32_matches_transformers(
    fixture: str, family: str, beam: int, request: pytest.FixtureRequest, ct2_cache: Path
) -> None:
    """Same weights in float32 and the same search: the same text as hf_seq2seq (also where
    the output hits the length cap, see the forced-EOS note in mtqe.systems.ct2)."""
    model = request.getfixturevalue(fixture)
    ours = make_translator(model, ct2_cache, compute_type="float32", beam_size=beam, max_decoding_length=10)
    hf = HFSeq2SeqTranslator(
        cfg=HFSeq2SeqConfig(
            type="hf_seq2seq",
            name="hf",
            model=str(model),
            device="cpu",
            dtype="float32",
            num_beams=beam,
            max_new_tokens=10,
        )
    )
    for tgt in ("zh", "en"):
        assert ours.translate(SOURCES, src_lang="ja", tgt_lang=tgt) == hf.translate(
            SOURCES, src_lang="ja", tgt_lang=tgt
        )


@pytest.mark.parametrize("compute_type", ["int8", "float32"])
def test_parallel_batches_give_the_serial_outputs(tiny_marian: Path, ct2_cache: Path, compute_type: str) -> None:
    # Real seed sentences, 3 batches of 2: run by 3 workers at once or one after the other.
    sources = [s for s in SOURCES if len(s) > 1]
    serial = make_translator(tiny_marian, ct2_cache, compute_type=compute_type, threads=1, parallel_batches=1,
                             batching=BatchingConfig(batch_size=2, max_batch_tokens=4096))
    parallel = make_translator(tiny_marian, ct2_cache, compute_type=compute_type, threads=1, parallel_batches=3,
                               batching=BatchingConfig(batch_size=2, max_batch_tokens=4096))
    expected = serial.translate(sources, src_lang="ja", tgt_lang="zh")
    assert parallel.translate(sources, src_lang="ja", tgt_lang="zh") == expected
    assert parallel.translate(list(reversed(sources)), src_lang="ja", tgt_lang="zh") == expected[::-1]
    facts = parallel.describe()
    assert facts["parallel_batches"] == 3 and facts["threads_per_batch"] == 1
    assert facts["batches"] == 6 and facts["segments"] == 2 * len(sources)
    assert parallel.inputs_per_call(2) == 6 and serial.inputs_per_call(2) == 2


def test_thread_layout() -> None:
    assert resolve_threads("cpu", 0, 0, cores=2) == Threads(per_batch=1, batches=2)  # auto: a batch per core
    assert resolve_threads("cpu", 0, 0, cores=32) == Threads(per_batch=4, batches=8)
    assert resolve_threads("cpu", 2, 0, cores=8) == Threads(per_batch=2, batches=4)
    assert resolve_threads("cpu", 0, 1, cores=4) == Threads(per_batch=4, batches=1)
    assert resolve_threads("cpu", 3, 2, cores=4) == Threads(per_batch=3, batches=2)  # both given: as given
    assert resolve_threads("cuda", 0, 0, cores=16) == Threads(per_batch=0, batches=1)
    with pytest.raises(ConfigError, match="parallel_batches"):
        resolve_threads("cpu", 0, -1)


def test_fixed_length_option(tiny_nllb: Path, ct2_cache: Path) -> None:
    translator = make_translator(tiny_nllb, ct2_cache, max_decoding_length=9, extra_options={"min_decoding_length": 9})
    hypotheses = translator.translate_tokens(SOURCES, src_lang="ja", tgt_lang="zh")
    assert {len(tokens) for tokens in hypotheses} == {9}  # the target prefix counts, as forced BOS does in HF


# -- the conversion cache -------------------------------------------------------------------


def test_second_load_uses_the_converted_copy(tiny_marian: Path, tmp_path: Path) -> None:
    first = make_translator(tiny_marian, tmp_path)
    first.translate(SOURCES[:2], src_lang="ja", tgt_lang="zh")
    converted = first.converted_dir
    mtime = (converted / "model.bin").stat().st_mtime_ns
    second = make_translator(tiny_marian, tmp_path)
    assert second.translate(SOURCES[:2], src_lang="ja", tgt_lang="zh") == first.translate(
        SOURCES[:2], src_lang="ja", tgt_lang="zh"
    )
    facts = second.describe()
    assert facts["conversion"] == "cached" and facts["convert_seconds"] == 0
    assert second.converted_dir == converted and (converted / "model.bin").stat().st_mtime_ns == mtime
    # Another quantization is another directory; nothing is left behind in staging.
    make_translator(tiny_marian, tmp_path, compute_type="float32").translate(["山"], src_lang="ja", tgt_lang="zh")
    assert sorted(p.name.split("-", 1)[1] for p in tmp_path.iterdir() if p.is_dir()) == ["float32", "int8"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_changed_model_files_get_a_new_conversion(tiny_marian: Path, tmp_path: Path) -> None:
    copy = shutil.copytree(tiny_marian, tmp_path / "copy")
    first_dir = make_translator(copy, tmp_path / "ct2").converted_dir
    config = json.loads((copy / "config.json").read_text())
    config["num_beams"] = 3
    (copy / "config.json").write_text(json.dumps(config))
    second = make_translator(copy, tmp_path / "ct2")
    assert first_dir != second.converted_dir
    assert second.describe()["conversion"] == "converted"


def test_incomplete_directory_is_replaced(tiny_marian: Path, tmp_path: Path) -> None:
    key = ct2_convert.cache_key(model_fingerprint(str(tiny_marian)), "int8")
    (tmp_path / key).mkdir(parents=True)
    (tmp_path / key / "model.bin").write_bytes(b"half written")  # no marker
    translator = make_translator(tiny_marian, tmp_path)
    assert len(translator.translate(["山"], src_lang="ja", tgt_lang="zh")) == 1
    assert translator.describe()["conversion"] == "converted"


def test_concurrent_jobs_convert_once(tiny_marian: Path, tmp_path: Path) -> None:
    """Two jobs asking at once: one converts, the other waits on the lock and reuses it."""
    start = threading.Barrier(2)

    def job() -> ct2_convert.Converted:
        start.wait()
        return ct2_convert.ensure_converted(
            model_ref=str(tiny_marian),
            revision=None,
            fingerprint=model_fingerprint(str(tiny_marian)),
            quantization="int8",
            cache_root=tmp_path,
        )

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = [future.result() for future in [pool.submit(job), pool.submit(job)]]
    assert sorted(r.converted_now for r in results) == [False, True]
    assert results[0].path == results[1].path and ct2_convert.is_complete(results[0].path)


# -- errors ---------------------------------------------------------------------------------


def test_unknown_language_fails_before_translating(tiny_nllb: Path, ct2_cache: Path) -> None:
    translator = make_translator(tiny_nllb, ct2_cache)
    with pytest.raises(UnknownLanguageError, match="nllb"):
        translator.translate(["山"], src_lang="ja", tgt_lang="xx")
    assert translator.describe()["batches"] == 0


def test_madlad_is_refused_with_a_pointer(tiny_madlad: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="hf_seq2seq"):
        make_translator(tiny_madlad, tmp_path).translate(["山"], src_lang="ja", tgt_lang="zh")
    with pytest.raises(ConfigError, match="hf_seq2seq"):
        make_translator(tiny_madlad, tmp_path, family="madlad")


def test_bad_device_and_compute_type() -> None:
    with pytest.raises(ConfigError, match="compute_type"):
        resolve_placement("cpu", "int4")
    with pytest.raises(ConfigError, match="not supported on cpu"):
        resolve_placement("cpu", "float16")
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_placement("tpu", "auto")
    if ctranslate2.get_cuda_device_count() == 0:
        with pytest.raises(ConfigError, match="CUDA GPU"):
            resolve_placement("cuda", "auto")
        assert resolve_placement("auto", "auto").compute_type == "int8"
    else:
        assert resolve_placement("cuda", "auto").compute_type == "int8_float16"
