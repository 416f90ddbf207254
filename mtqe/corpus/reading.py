"""Reading a registered raw text: existence, size, integrity (sha256), encoding, emptiness.

The raw bytes are checked against the manifest's sha256 before anything else: scores are
only comparable across runs if the texts they were computed on are the same bytes. The size
is checked before the file is read at all: a reference text is a few hundred kilobytes, and a
wrong file of hundreds of megabytes would otherwise take minutes and gigabytes to fail.
"""

from __future__ import annotations

from pathlib import Path

from mtqe.corpus.model import TextSpec
from mtqe.errors import CorpusError
from mtqe.io import sha256_bytes

REHASH_COMMAND = "python -m mtqe.corpus.register"

# Like `corpus fetch` (mtqe.corpus.fetch.MAX_BYTES); the run's `max_text_bytes` overrides it.
DEFAULT_MAX_TEXT_BYTES = 20 * 1024 * 1024

# Legacy encodings worth suggesting, in order of preference when two decode equally well
# (Japanese encodings first: Japanese text in EUC-JP also decodes as plausible GB18030).
# (Python codec, name for iconv)
_CANDIDATES: tuple[tuple[str, str], ...] = (
    ("shift_jis", "SHIFT_JIS"),
    ("cp932", "CP932"),
    ("euc_jp", "EUC-JP"),
    ("gb18030", "GB18030"),
    ("big5", "BIG5"),
    ("euc_kr", "EUC-KR"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# A guess is only offered when nearly every decoded character is plausible text.
_MIN_PLAUSIBLE = 0.9


def check_text_size(path: Path, max_bytes: int, where: str) -> int:
    """The size of ``path``; a CorpusError when it exceeds ``max_bytes`` (read nothing)."""
    size = path.stat().st_size
    if size > max_bytes:
        raise CorpusError(
            f"{where}: {path} is {_size(size)}, more than the limit of {_size(max_bytes)} for a "
            f"text. Check that it is the right file; if it really is one text, raise the limit "
            f"(`max_text_bytes={size}` for `mtqe run`, --max-bytes for `mtqe corpus`)."
        )
    return size


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 100_000 else f"{n} bytes"


def read_raw_bytes(spec: TextSpec, *, max_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> bytes:
    """The file's bytes, after checking that it exists, is at most ``max_bytes`` long and
    still has the registered sha256."""
    if not spec.path.is_file():
        if spec.fetch is not None:
            raise CorpusError(
                f"{spec.qualified_id}: file {spec.path} has not been downloaded yet. Run "
                f"`mtqe corpus fetch {spec.document} --lang {spec.lang}` (from {spec.fetch.url})."
            )
        raise CorpusError(
            f"{spec.qualified_id}: file {spec.path} not found. Restore it (references/ is under "
            f"version control), or fix `file:` for this text in the manifest."
        )
    check_text_size(spec.path, max_bytes, spec.qualified_id)
    data = spec.path.read_bytes()
    actual = sha256_bytes(data)
    if actual != spec.sha256:
        raise CorpusError(
            f"{spec.qualified_id}: the raw file changed: {spec.path} has sha256 {actual}, the "
            f"manifest registered {spec.sha256}. Scores computed on different bytes are not "
            f"comparable. If the change is intended, run `{REHASH_COMMAND} {spec.qualified_id}` "
            f"to re-register it; otherwise restore the original file."
        )
    return data


def read_raw_text(spec: TextSpec, *, max_bytes: int = DEFAULT_MAX_TEXT_BYTES) -> str:
    """The registered raw text as ``str``: UTF-8, BOM stripped, newlines normalised to ``\\n``."""
    data = read_raw_bytes(spec, max_bytes=max_bytes)
    text = decode_utf8(data, f"{spec.qualified_id}: {spec.path}", spec.qualified_id)
    if text.startswith("\ufeff"):
        text = text[1:]  # a UTF-8 BOM is an encoding artefact, not text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise CorpusError(
            f"{spec.qualified_id}: {spec.path} is empty (no text after decoding). Put the text "
            f"in the file and re-register it (`{REHASH_COMMAND} {spec.qualified_id}`), or remove "
            f"the entry from the manifest."
        )
    return text


def decode_utf8(data: bytes, where: str, qualified_id: str = "DOC/TEXT") -> str:
    """Decode strict UTF-8, or raise a CorpusError that names the likely encoding."""
    if data.startswith(_UTF16_BOMS):
        raise CorpusError(_convert_message(where, "is UTF-16 (it starts with a UTF-16 byte-order mark)", "UTF-16", qualified_id))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        guess = guess_legacy_encoding(data)
        problem = f"is not valid UTF-8 (first bad byte at offset {exc.start})"
        if guess is None:
            raise CorpusError(
                f"{where} {problem} and its encoding could not be recognised. Convert it to "
                f"UTF-8 (e.g. `iconv -f ENCODING -t UTF-8 FILE > FILE.utf8`), then re-register it "
                f"(`{REHASH_COMMAND} {qualified_id}`)."
            ) from None
        raise CorpusError(_convert_message(where, f"{problem}; it looks like {guess}", guess, qualified_id)) from None
    if "\x00" in text:
        utf16 = utf16_without_bom(data)
        if utf16 is not None:
            raise CorpusError(_convert_message(
                where, f"contains NUL bytes in every other position; it looks like {utf16} without a BOM",
                utf16, qualified_id,
            ))
        offset = data.index(b"\x00")
        count = data.count(b"\x00")
        raise CorpusError(
            f"{where} contains {count} NUL byte(s), the first at byte offset {offset}; the rest is valid "
            f"UTF-8, so this is damage, not another encoding. Remove the NUL byte(s) (e.g. "
            f"`tr -d '\\000' < FILE > FILE.clean`, then check the result and replace FILE with it), "
            f"then re-register its sha256 (`{REHASH_COMMAND} {qualified_id}`)."
        )
    return text


def utf16_without_bom(data: bytes) -> str | None:
    """``UTF-16LE``/``UTF-16BE`` when the zero bytes sit in alternate positions as in UTF-16
    text of mostly Latin script; None otherwise (a stray NUL in UTF-8 is not UTF-16)."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_zero = data[0::2].count(0) / (len(data) // 2)
    odd_zero = data[1::2].count(0) / (len(data) // 2)
    if odd_zero >= 0.3 and even_zero < 0.05:
        return "UTF-16LE"
    if even_zero >= 0.3 and odd_zero < 0.05:
        return "UTF-16BE"
    return None


def guess_legacy_encoding(data: bytes) -> str | None:
    """The iconv name of the legacy CJK encoding that decodes ``data`` most plausibly."""
    best: tuple[float, int, str] | None = None
    for rank, (codec, iconv_name) in enumerate(_CANDIDATES):
        try:
            decoded = data.decode(codec)
        except UnicodeDecodeError:
            continue
        score = _plausibility(decoded)
        key = (score, -rank, iconv_name)
        if best is None or key > best:
            best = key
    if best is None or best[0] < _MIN_PLAUSIBLE:
        return None
    return best[2]


def _plausibility(text: str) -> float:
    """Share of characters that ordinary ja/zh/ko text is made of.

    Mis-decoded bytes turn into half-width katakana, rare ideographs, private-use or control
    characters; correctly decoded text is almost all ASCII, kana, common ideographs and CJK
    punctuation.
    """
    if not text:
        return 0.0
    return sum(1 for char in text if _is_plausible(char)) / len(text)


def _is_plausible(char: str) -> bool:
    code = ord(char)
    if code < 0x80:
        return char.isprintable() or char in "\n\r\t"
    if 0x3000 <= code <= 0x30FF or 0xFF01 <= code <= 0xFF5E or 0xAC00 <= code <= 0xD7A3:
        return True  # CJK punctuation, kana, full-width forms, Hangul syllables
    if 0x2010 <= code <= 0x203B:
        return True  # general punctuation: dashes, quotes, ellipsis
    if 0x4E00 <= code <= 0x9FFF:
        return _is_common_ideograph(char)
    return False


def _is_common_ideograph(char: str) -> bool:
    # Common = in the basic national sets (GB2312, JIS X 0208, Big5); mis-decoding lands in
    # the rarer extension areas.
    for codec in ("gb2312", "shift_jis", "big5"):
        try:
            char.encode(codec)
            return True
        except UnicodeEncodeError:
            continue
    return False


def _convert_message(where: str, problem: str, encoding: str, qualified_id: str) -> str:
    return (
        f"{where} {problem}. Convert it to UTF-8, e.g. "
        f"`iconv -f {encoding} -t UTF-8 FILE > FILE.utf8 && mv FILE.utf8 FILE`, "
        f"then re-register its sha256 (`{REHASH_COMMAND} {qualified_id}`)."
    )
