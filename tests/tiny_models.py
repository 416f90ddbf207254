"""Tiny random-weight models built offline at test time.

Each ``build_tiny_*`` function writes a real Hugging Face (or COMET) model directory
under ``out_dir`` and returns where it is. The architectures and tokenizers are the
real ones (Marian, M2M100, NLLB-200, MADLAD-400/T5, a Qwen2 causal LM, XLM-R based
COMET), only shrunk to a few thousand parameters and left untrained, so their
outputs are noise: tests may rely on shapes, special tokens and code paths, never
on translation quality (a random decoder may even emit EOS first and decode to "").

Everything is deterministic: tokenizers are trained on the fixed corpus below with
one thread, and weights are drawn from a seeded, forked torch RNG so the global RNG
of the caller is left alone. Nothing here touches the network.

Usage::

    from tests.tiny_models import build_tiny_marian
    model_dir = build_tiny_marian(tmp_path)
"""

from __future__ import annotations

import io
import itertools
import json
import shutil
from pathlib import Path

import sentencepiece as spm
import torch

SEED = 0

# A small parallel corpus written for these tests (ja / zh / en, same order).
CORPUS_JA = (
    "猫が窓のそばで寝ている。",
    "駅まで歩いて十分です。",
    "明日の会議は午後三時に始まります。",
    "この町には古い橋がある。",
    "私は毎晩日記を書きます。",
    "雨の日は家で本を読む。",
    "新しい図書館が来月開く。",
    "彼は自転車で学校に行く。",
    "冷たい水を一杯ください。",
    "山の上から海が見える。",
    "両国は貿易の協力を続ける。",
    "子どもたちが公園で遊んでいる。",
)
CORPUS_ZH = (
    "猫在窗边睡觉。",
    "走到车站要十分钟。",
    "明天的会议下午三点开始。",
    "这个小镇有一座古老的桥。",
    "我每天晚上写日记。",
    "下雨天我在家看书。",
    "新图书馆下个月开放。",
    "他骑自行车去学校。",
    "请给我一杯冷水。",
    "从山顶可以看到大海。",
    "两国将继续开展贸易合作。",
    "孩子们在公园里玩。",
)
CORPUS_EN = (
    "The cat is sleeping by the window.",
    "It is a ten minute walk to the station.",
    "Tomorrow's meeting starts at three in the afternoon.",
    "This town has an old bridge.",
    "I write in my diary every night.",
    "On rainy days I read books at home.",
    "The new library opens next month.",
    "He goes to school by bicycle.",
    "A glass of cold water, please.",
    "You can see the sea from the top of the mountain.",
    "The two countries will keep cooperating on trade.",
    "The children are playing in the park.",
)

# Target-language tokens of each model family, as the real checkpoints spell them.
MARIAN_LANG_TOKENS = (">>jpn<<", ">>cmn_Hans<<", ">>eng<<")
M2M100_LANG_CODES = {"ja": "__ja__", "zh": "__zh__", "en": "__en__"}
NLLB_LANG_CODES = {"ja": "jpn_Jpan", "zh": "zho_Hans", "en": "eng_Latn"}
MADLAD_LANG_TOKENS = {"ja": "<2ja>", "zh": "<2zh>", "en": "<2en>"}

# Shared size of the encoder-decoder models: big enough for beam search, tiny on disk.
TINY_SEQ2SEQ = dict(
    d_model=32,
    encoder_layers=2,
    decoder_layers=2,
    encoder_attention_heads=2,
    decoder_attention_heads=2,
    encoder_ffn_dim=64,
    decoder_ffn_dim=64,
    max_position_embeddings=128,
)

# The tiny COMET encoder takes at most this many tokens per sequence (see build_tiny_comet).
COMET_MAX_TOKENS = 64

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def corpus_lines() -> list[str]:
    """The training text for every tokenizer: single sentences plus all same-language pairs.

    Pairs give SentencePiece enough material (~450 lines) to reach a few hundred pieces.
    """
    lines = [*CORPUS_JA, *CORPUS_ZH, *CORPUS_EN]
    for a, b in itertools.product(range(len(CORPUS_EN)), repeat=2):
        lines += [CORPUS_JA[a] + CORPUS_JA[b], CORPUS_ZH[a] + CORPUS_ZH[b], CORPUS_EN[a] + " " + CORPUS_EN[b]]
    return lines


# The tiny (m)T5 shape shared by the MADLAD translator and the MetricX scorer.
TINY_T5_DIMS = dict(
    d_model=32, d_kv=16, d_ff=64, num_layers=2, num_decoder_layers=2, num_heads=2, pad_token_id=0,
    eos_token_id=1, decoder_start_token_id=0, feed_forward_proj="gated-gelu", tie_word_embeddings=False,
)


def _train_spm(path: Path, vocab_size: int = 400, **special_ids) -> spm.SentencePieceProcessor:
    """Train a unigram SentencePiece model on ``corpus_lines()`` and write it to ``path``.

    ``special_ids`` sets the family's id layout (e.g. ``pad_id=0, eos_id=1``).
    hard_vocab_limit=False: the corpus is too small to always fill ``vocab_size``.
    num_threads=1 keeps training reproducible.
    """
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus_lines()),
        model_writer=buffer,
        vocab_size=vocab_size,
        character_coverage=1.0,
        model_type="unigram",
        hard_vocab_limit=False,
        num_threads=1,
        minloglevel=2,
        **special_ids,
    )
    path.write_bytes(buffer.getvalue())
    return spm.SentencePieceProcessor(model_file=str(path))


def _new_dir(out_dir: Path, name: str) -> Path:
    directory = Path(out_dir) / name
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def _init_and_save(model_cls, config, directory: Path, **model_kwargs) -> None:
    """Instantiate ``model_cls(config)`` with seeded weights and save it.

    fork_rng restores the caller's RNG state afterwards, so building a model does not
    change what later random code in the same process sees.
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = model_cls(config, **model_kwargs)
    model.save_pretrained(directory)


def build_tiny_marian(out_dir: Path) -> Path:
    """MarianMTModel + MarianTokenizer (OPUS-MT layout) under ``out_dir/tiny-marian``.

    vocab.json holds the spm pieces (``</s>``=0, ``<unk>``=1), then the multi-target
    tokens ``>>jpn<<``, ``>>cmn_Hans<<``, ``>>eng<<`` and ``<pad>`` last, which is
    also the decoder start token, as in the OPUS-MT checkpoints. Source and target
    share one spm model.
    """
    from transformers import MarianConfig, MarianMTModel, MarianTokenizer

    directory = _new_dir(out_dir, "tiny-marian")
    sp = _train_spm(directory / "source.spm", eos_id=0, unk_id=1, bos_id=-1, pad_id=-1)
    shutil.copyfile(directory / "source.spm", directory / "target.spm")
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    for token in (*MARIAN_LANG_TOKENS, "<pad>"):
        vocab[token] = len(vocab)
    vocab_path = directory / "vocab.json"
    vocab_path.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    tokenizer = MarianTokenizer(
        str(directory / "source.spm"), str(directory / "target.spm"), str(vocab_path), model_max_length=128
    )
    pad_id = vocab["<pad>"]
    config = MarianConfig(
        vocab_size=len(vocab),
        pad_token_id=pad_id,
        eos_token_id=0,
        decoder_start_token_id=pad_id,
        forced_eos_token_id=0,
        **TINY_SEQ2SEQ,
    )
    _init_and_save(MarianMTModel, config, directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_tiny_m2m100(out_dir: Path) -> Path:
    """M2M100ForConditionalGeneration + M2M100Tokenizer under ``out_dir/tiny-m2m100``.

    Fairseq id layout: ``<s>``=0 ``<pad>``=1 ``</s>``=2 ``<unk>``=3, then the spm pieces,
    then the 100 ``__xx__`` language codes and 8 "madeupword" fillers. Translate with
    ``tokenizer.src_lang = "ja"`` and ``forced_bos_token_id=tokenizer.get_lang_id("zh")``.
    """
    from transformers import M2M100Config, M2M100ForConditionalGeneration, M2M100Tokenizer
    from transformers.models.m2m_100.tokenization_m2m_100 import FAIRSEQ_LANGUAGE_CODES

    directory = _new_dir(out_dir, "tiny-m2m100")
    spm_path = directory / "sentencepiece.bpe.model"
    sp = _train_spm(spm_path, bos_id=0, pad_id=1, eos_id=2, unk_id=3)
    vocab = {sp.id_to_piece(i): i for i in range(sp.get_piece_size())}
    vocab_path = directory / "vocab.json"
    vocab_path.write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")

    # transformers 4.57 means to register the lang codes as special tokens by default, but
    # its check `lang_code not in str(token) not in ...` is a chained comparison that is
    # always False; without passing them explicitly `__zh__` is an ordinary added token
    # and survives skip_special_tokens=True.
    codes = [f"__{code}__" for code in FAIRSEQ_LANGUAGE_CODES["m2m100"]]
    tokenizer = M2M100Tokenizer(
        str(vocab_path), str(spm_path), additional_special_tokens=codes, model_max_length=128
    )
    config = M2M100Config(
        vocab_size=len(tokenizer),
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        decoder_start_token_id=2,
        **TINY_SEQ2SEQ,
    )
    _init_and_save(M2M100ForConditionalGeneration, config, directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_tiny_nllb(out_dir: Path) -> Path:
    """NLLB-200 layout: M2M100ForConditionalGeneration + NllbTokenizerFast, ``out_dir/tiny-nllb``.

    NllbTokenizer does not read language codes from the spm model: it shifts the spm ids
    by one (fairseq ``<s>``=0 ``<pad>``=1 ``</s>``=2 ``<unk>``=3) and, when
    ``additional_special_tokens`` is not given, registers all 202 FLORES-200 codes
    (``jpn_Jpan``, ``zho_Hans``, ``eng_Latn``, ...) as special added tokens after the spm
    vocabulary. Here ``<mask>`` lands right after the spm pieces and the codes follow (the
    real checkpoint puts ``<mask>`` last); code ids are real either way. The spm model
    therefore needs the plain spm layout (``<unk>``=0 ``<s>``=1 ``</s>``=2).

    Input is ``[src_code] tokens </s>`` (non-legacy); translate with
    ``tokenizer.src_lang = "jpn_Jpan"`` and
    ``forced_bos_token_id=tokenizer.convert_tokens_to_ids("zho_Hans")``.
    Both tokenizer.json (fast) and the spm model (slow) are saved.
    """
    from transformers import M2M100Config, M2M100ForConditionalGeneration, NllbTokenizerFast

    directory = _new_dir(out_dir, "tiny-nllb")
    spm_path = directory / "sentencepiece.bpe.model"
    _train_spm(spm_path, unk_id=0, bos_id=1, eos_id=2, pad_id=-1)
    tokenizer = NllbTokenizerFast(vocab_file=str(spm_path), src_lang="jpn_Jpan", model_max_length=128)
    config = M2M100Config(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.eos_token_id,
        **TINY_SEQ2SEQ,
    )
    _init_and_save(M2M100ForConditionalGeneration, config, directory)
    tokenizer.save_pretrained(directory)
    return directory


def build_tiny_madlad(out_dir: Path) -> Path:
    """MADLAD-400 layout: T5ForConditionalGeneration + T5TokenizerFast, ``out_dir/tiny-madlad``.

    ``<2ja>``, ``<2zh>``, ``<2en>`` are user-defined pieces of the spm model (T5 ids:
    ``<pad>``=0 ``</s>``=1 ``<unk>``=2, no ``<extra_id_*>``), so each is one token. The
    target is chosen by prepending the token to the source: ``"<2zh> 猫が寝ている。"``.
    Decoding starts from ``<pad>`` as in T5. Use the fast tokenizer (AutoTokenizer picks it):
    the slow T5Tokenizer(legacy=False) emits an extra ``▁`` piece before a leading ``<2xx>``.
    """
    from transformers import T5Config, T5ForConditionalGeneration, T5TokenizerFast

    directory = _new_dir(out_dir, "tiny-madlad")
    spm_path = directory / "spiece.model"
    _train_spm(
        spm_path,
        pad_id=0,
        eos_id=1,
        unk_id=2,
        bos_id=-1,
        user_defined_symbols=list(MADLAD_LANG_TOKENS.values()),
    )
    tokenizer = T5TokenizerFast(vocab_file=str(spm_path), extra_ids=0, legacy=False, model_max_length=128)
    config = T5Config(
        vocab_size=len(tokenizer),
        **TINY_T5_DIMS,
    )
    _init_and_save(T5ForConditionalGeneration, config, directory)
    tokenizer.save_pretrained(directory)
    return directory


def _train_byte_bpe(vocab_size: int, special_tokens: list[str]):
    """A byte-level BPE ``tokenizers.Tokenizer`` trained on ``corpus_lines()``.

    Byte level means any input text encodes without ``<unk>``.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(corpus_lines(), trainer)
    return tokenizer


def build_tiny_causal_lm(out_dir: Path) -> Path:
    """Qwen2ForCausalLM + PreTrainedTokenizerFast with a ChatML-like template, ``out_dir/tiny-causal-lm``.

    Special tokens: ``<|endoftext|>`` (pad), ``<|im_start|>``, ``<|im_end|>`` (eos, ends a
    turn). Padding is on the left, as batched generation with a decoder-only model needs.
    The tokenizer returns only input_ids/attention_mask (no token_type_ids, which
    ``generate()`` rejects for this model). Context: 256 positions.
    """
    from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

    directory = _new_dir(out_dir, "tiny-causal-lm")
    backend = _train_byte_bpe(vocab_size=512, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        padding_side="left",
        model_input_names=["input_ids", "attention_mask"],
        model_max_length=256,
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=256,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        tie_word_embeddings=True,
    )
    _init_and_save(Qwen2ForCausalLM, config, directory)
    tokenizer.save_pretrained(directory)
    return directory


def _build_tiny_xlmr(out_dir: Path) -> Path:
    """Tiny XLM-R encoder + XLMRobertaTokenizerFast under ``out_dir/tiny-xlmr``.

    XLM-R positions start at padding_idx + 1 = 2, so COMET_MAX_TOKENS tokens need
    COMET_MAX_TOKENS + 2 position embeddings; COMET's ``encoder.max_positions`` is
    exactly ``max_position_embeddings - 2`` = COMET_MAX_TOKENS.
    """
    from transformers import XLMRobertaConfig, XLMRobertaModel, XLMRobertaTokenizerFast

    directory = _new_dir(out_dir, "tiny-xlmr")
    spm_path = directory / "sentencepiece.bpe.model"
    # Plain spm layout (<unk>=0 <s>=1 </s>=2); the tokenizer shifts it to fairseq ids.
    _train_spm(spm_path, vocab_size=300)
    tokenizer = XLMRobertaTokenizerFast(vocab_file=str(spm_path), model_max_length=COMET_MAX_TOKENS)
    config = XLMRobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=COMET_MAX_TOKENS + 2,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    _init_and_save(XLMRobertaModel, config, directory, add_pooling_layer=False)
    tokenizer.save_pretrained(directory)
    return directory


def _save_comet_checkpoint(model, directory: Path) -> Path:
    """Write the layout comet.load_from_checkpoint expects: hparams.yaml + checkpoints/model.ckpt.

    The two construction-only flags are dropped from the stored hparams because
    load_from_checkpoint passes them itself (a duplicate would be an error).
    """
    import pytorch_lightning as pl
    import yaml

    (directory / "checkpoints").mkdir(parents=True, exist_ok=True)
    hparams = dict(model.hparams)
    hparams.pop("load_pretrained_weights", None)
    hparams.pop("local_files_only", None)
    (directory / "hparams.yaml").write_text(yaml.safe_dump(hparams), encoding="utf-8")
    checkpoint = directory / "checkpoints" / "model.ckpt"
    torch.save(
        {
            "state_dict": model.state_dict(),
            "hyper_parameters": hparams,
            "pytorch-lightning_version": pl.__version__,
        },
        checkpoint,
    )
    return checkpoint


def build_tiny_comet(out_dir: Path) -> dict[str, Path]:
    """A tiny XLM-R encoder and two real COMET checkpoints built on it.

    Returns ``{"encoder": dir, "comet_da": ckpt, "cometkiwi": ckpt}`` where
    ``comet_da`` is a reference-based ``RegressionMetric`` (wmt22-comet-da layout) and
    ``cometkiwi`` a reference-free ``UnifiedMetric(input_segments=["mt", "src"])``
    (CometKiwi layout); each ckpt is ``<name>/checkpoints/model.ckpt`` next to
    ``<name>/hparams.yaml``. Load with ``comet.load_from_checkpoint(ckpt, local_files_only=True)``.

    ``pretrained_model`` in the checkpoints is the absolute local encoder dir: COMET
    always re-reads tokenizer and config from it, and a hub name would go to the
    network. So the encoder dir must stay where it was built.

    Truncation: ``model.encoder.max_positions`` is 64 (COMET_MAX_TOKENS) for this
    model (real XLM-R: 512). COMET cuts each segment at max_positions - 2 = 62 tokens
    before encoding (RegressionMetric encodes src/mt/ref separately), and UnifiedMetric
    cuts the joined ``mt </s></s> src`` sequence at 64 tokens.
    """
    from comet.models import RegressionMetric, UnifiedMetric

    out_dir = Path(out_dir)
    encoder_dir = _build_tiny_xlmr(out_dir)
    common = dict(
        encoder_model="XLM-RoBERTa",
        pretrained_model=str(encoder_dir.resolve()),
        load_pretrained_weights=True,
        local_files_only=True,
        hidden_sizes=[64],
        layer_transformation="sparsemax",
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        regression = RegressionMetric(layer="mix", pool="avg", **common)
        unified = UnifiedMetric(
            input_segments=["mt", "src"], sent_layer="mix", word_layer=2, word_level_training=False, **common
        )
    return {
        "encoder": encoder_dir,
        "comet_da": _save_comet_checkpoint(regression, out_dir / "tiny-comet-da"),
        "cometkiwi": _save_comet_checkpoint(unified, out_dir / "tiny-cometkiwi"),
    }


def build_tiny_xcomet(out_dir: Path, encoder_dir: Path) -> Path:
    """A real ``XCOMETMetric`` checkpoint (XCOMET-XL layout) on the tiny XLM-R of
    :func:`build_tiny_comet`; returns ``<out_dir>/tiny-xcomet/checkpoints/model.ckpt``.

    Random weights mark no error spans at all, so the word-level head (``hidden2tag``) is
    made decisive and biased towards the three error labels: enough subwords are tagged
    minor, major or critical that every span path is exercised, and argmax ties (which
    padding noise could flip between batch sizes) are unlikely.
    """
    from comet.models import XCOMETMetric

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = XCOMETMetric(
            encoder_model="XLM-RoBERTa",
            pretrained_model=str(Path(encoder_dir).resolve()),
            load_pretrained_weights=True,
            local_files_only=True,
            hidden_sizes=[64],
            layer_transformation="sparsemax",
            word_layer=2,
        )
        with torch.no_grad():
            model.hidden2tag.weight.mul_(8.0)
            model.hidden2tag.bias.copy_(torch.tensor([1.5, 0.0, 0.0, 0.0]))
    return _save_comet_checkpoint(model, Path(out_dir) / "tiny-xcomet")


# MetricX-24 reads the logit of this token (id 250089 in the real mT5 vocabulary).
METRICX_SCORE_TOKEN = "<extra_id_10>"


def build_tiny_mt5_metricx(out_dir: Path) -> dict[str, Path]:
    """A tiny MetricX-24 layout: MT5ForConditionalGeneration weights and an mT5-style
    T5TokenizerFast (100 ``<extra_id_*>`` tokens after the spm pieces, as mT5 has), each in
    its own directory. Returns ``{"model": dir, "tokenizer": dir}``.

    The spm ids follow T5 (``<pad>``=0 ``</s>``=1 ``<unk>``=2); ``<extra_id_10>`` is
    ``len(tokenizer) - 11``. Random weights would put the score logit anywhere, mostly outside
    MetricX's [0, 25] clamp; so the row of ``<extra_id_10>`` in ``lm_head`` is set along the
    mean decoder state of a few corpus inputs, scaled to land near 12, plus seeded noise that
    keeps the scores of different inputs apart.
    """
    from transformers import MT5Config, MT5ForConditionalGeneration, T5TokenizerFast

    out_dir = Path(out_dir)
    tok_dir = _new_dir(out_dir, "tiny-mt5-tokenizer")
    spm_path = tok_dir / "spiece.model"
    _train_spm(spm_path, pad_id=0, eos_id=1, unk_id=2, bos_id=-1)
    tokenizer = T5TokenizerFast(vocab_file=str(spm_path), extra_ids=100, legacy=False)
    tokenizer.save_pretrained(tok_dir)
    config = MT5Config(
        vocab_size=len(tokenizer) + 12,  # like mT5, a few embedding rows beyond the tokenizer
        **TINY_T5_DIMS,
    )
    index = tokenizer.convert_tokens_to_ids(METRICX_SCORE_TOKEN)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(SEED)
        model = MT5ForConditionalGeneration(config).eval()
        texts = [f"source: {ja} candidate: {zh}" for ja, zh in zip(CORPUS_JA, CORPUS_ZH)]
        batch = tokenizer(texts, return_tensors="pt", padding=True)
        with torch.no_grad():
            start = torch.zeros((len(texts), 1), dtype=torch.long)
            states = model(**batch, decoder_input_ids=start, output_hidden_states=True).decoder_hidden_states[-1]
            mean = states[:, 0].mean(dim=0)
            row = 12.0 * mean / mean.dot(mean) + 2.0 * torch.randn(config.d_model) / config.d_model**0.5
            model.lm_head.weight[index] = row
    model.save_pretrained(out_dir / "tiny-metricx")
    return {"model": out_dir / "tiny-metricx", "tokenizer": tok_dir}
