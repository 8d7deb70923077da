"""Built-in corpora and user uploads, as plain ``str``.

Every built-in corpus is read from text that every Python installation already has, or generated,
so the lab works offline and never downloads at run time (DESIGN.md §6):

- ``"prose"``: English prose, the help topics of the Python reference manual
  (``pydoc_data.topics``), joined in sorted key order.
- ``"python"``: Python source from the standard library itself, in the spirit of Karpathy's
  Linux-source experiment (Karpathy 2015, "The Unreasonable Effectiveness of Recurrent Neural
  Networks"): a character-level RNN learns indentation, brackets and keywords.
- ``"grammar"``: sentences from the project's probabilistic grammar (:mod:`seqviz.data.grammar`),
  whose word categories are known, so embeddings and analogies can be checked.

Loading is deterministic (same call, same text) and line endings are normalised to ``"\\n"``.
The exact text of "prose" and "python" depends on the installed Python version.
"""

from __future__ import annotations

import functools
import os
import unicodedata
from pathlib import Path
from typing import Iterator

from seqviz.data.grammar import generate_grammar_corpus
from seqviz.data.grammar_zh import generate_grammar_zh
from seqviz.i18n import N_, _
from seqviz.limits import MAX_TEXT_BYTES

CORPUS_NAMES: dict[str, str] = {  # name -> a short label for a select box (translated there)
    "prose": N_("English prose (Python's manual)"),
    "python": N_("Python source code"),
    "grammar": N_("Toy grammar (English)"),
    "grammar_zh": N_("Toy grammar (Chinese)"),
}
CORPORA: dict[str, str] = {  # name -> description (an English source string, translated where shown)
    "prose": N_("English prose: the help topics of the Python reference manual (ships with "
                "Python)"),
    "python": N_("Python source code from the standard library (Karpathy 2015's code "
                 "experiment)"),
    "grammar": N_("Sentences from a small probabilistic grammar with known word categories"),
    "grammar_zh": N_("Chinese sentences from a small grammar with word categories and analogy "
                     "pairs (国王/王后, 狗/小狗)"),
}

# Standard-library folders that are not representative hand-written code (tests, the IDE, the
# old 2to3 tool, third-party packages, generated codec tables).
_SKIP_DIRS = frozenset({"test", "tests", "idlelib", "lib2to3", "site-packages", "encodings"})
_BINARY_CONTROL_SHARE = 0.05  # more control characters than this -> "looks binary"


class CorpusError(ValueError):
    """A problem with a text the user chose or uploaded; ``str(err)`` is fit to show on a page."""


def normalize_newlines(text: str) -> str:
    """Turn Windows (``\\r\\n``) and old Mac (``\\r``) line endings into ``\\n``."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _cut(text: str, max_chars: int) -> str:
    """At most ``max_chars`` characters, cut at the last line break so no line is torn."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    nl = head.rfind("\n")
    return head[: nl + 1] if nl > 0 else head


def load_corpus(name: str, max_chars: int = 400_000) -> str:
    """The built-in corpus ``name`` (a key of :data:`CORPORA`), at most ``max_chars`` long."""
    if name not in CORPORA:
        valid = ", ".join(repr(k) for k in CORPORA)
        raise CorpusError(_("Unknown corpus {name!r}. Choose one of: {valid}.").format(
            name=name, valid=valid))
    if int(max_chars) < 1:
        raise CorpusError(f"max_chars must be at least 1, got {max_chars}.")
    return _load_cached(name, int(max_chars))


@functools.lru_cache(maxsize=16)
def _load_cached(name: str, max_chars: int) -> str:
    # Strings are immutable, so sharing a cached result between callers is safe.
    if name == "prose":
        text = _prose_text()
    elif name == "python":
        text = _python_text(max_chars)
    elif name == "grammar_zh":
        # Sentences average ~11 characters; generation is sequential, as for "grammar".
        text = generate_grammar_zh(n_sentences=max(20_000, max_chars // 8 + 1))
    else:
        # Sentences average ~30 characters; generation is sequential, so asking for more
        # sentences only appends to the same text (the default size gives the default corpus).
        text = generate_grammar_corpus(n_sentences=max(20_000, max_chars // 20 + 1))
    return _cut(normalize_newlines(text), max_chars)


def _prose_text() -> str:
    from pydoc_data.topics import topics

    return "\n\n".join(topics[key].strip("\n") for key in sorted(topics)) + "\n"


def _stdlib_files(folder: Path | None = None) -> Iterator[Path]:
    """Standard-library ``.py`` files in sorted path order, skipping tests, tools and privates.

    Private modules (``_pydecimal.py``, ``_sysconfigdata_*.py``, ``__pycache__``) are skipped too:
    one of them alone would otherwise fill most of the corpus, and some are machine-generated.
    Lazy, so reading stops as soon as the corpus is long enough.
    """
    folder = Path(os.path.dirname(os.__file__)) if folder is None else folder
    try:
        entries = sorted(folder.iterdir(), key=lambda p: p.name)
    except OSError:
        return
    for path in entries:
        name = path.name
        if name.startswith("_") and name not in ("__init__.py", "__main__.py"):
            continue
        if path.is_dir():
            if name not in _SKIP_DIRS:
                yield from _stdlib_files(path)
        elif name.endswith(".py"):
            yield path


def _python_text(max_chars: int) -> str:
    chunks, total = [], 0
    for path in _stdlib_files():
        try:
            source = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        source = normalize_newlines(source).strip("\n")
        if not source:
            continue
        chunks.append(source + "\n\n")
        total += len(chunks[-1])
        if total >= max_chars:
            break
    return "".join(chunks)


def _looks_binary(text: str) -> bool:
    """True if too many characters are control characters (other than tab/newline/form feed)."""
    sample = text[:100_000]
    controls = sum(
        1 for ch in sample if ch not in "\t\n\r\f\v" and unicodedata.category(ch) == "Cc"
    )
    return controls > _BINARY_CONTROL_SHARE * len(sample)


# Magic numbers of common binary files a student might pick by mistake.
_BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"%PDF", b"PK\x03\x04", b"\x1f\x8b",
                 b"\x7fELF", b"BZh", b"\xfd7zXZ", b"Rar!", b"\x80\x02", b"\x80\x04", b"\x80\x05")


_PREFERRED = ["gb18030", "gbk", "gb2312", "big5", "shift_jis", "euc_jp", "euc_kr", "cp1252",
              "latin_1", "iso8859_15", "cp1251", "koi8_r", "cp1250"]
# Encodings text files are actually written in; without this list a short text can come out as
# a rare code page that happens to score better (hp_roman8, mac_latin2 ...).
_CANDIDATES = ["gb18030", "gbk", "big5", "big5hkscs", "shift_jis", "cp932", "euc_jp", "euc_kr",
               "cp949", "cp1252", "latin_1", "iso8859_15", "cp1250", "iso8859_2", "cp1251",
               "koi8_r", "iso8859_5", "cp1253", "iso8859_7", "cp1254", "cp1255", "cp1256",
               "cp1257", "cp1258", "tis_620"]
_UTF8_SLACK = 0.001  # share of undecodable bytes still read as damaged UTF-8 (one bad sector)


def _decode_bytes(data: bytes) -> tuple[str, str] | None:
    """(text, encoding): UTF-8 (with or without BOM) and UTF-16 with BOM exactly; any other
    encoding (GBK, GB18030, Big5, Shift-JIS, Latin-1 ...) as charset-normalizer detects it;
    ``None`` for binary data."""
    if data.startswith(_BINARY_MAGIC):
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, body = "utf-16", data  # the codec reads and drops the BOM
    else:
        encoding, body = "utf-8", data
    try:
        return body.decode(encoding), encoding
    except UnicodeDecodeError:
        pass
    if b"\x00" in data:  # NUL bytes: UTF-16/32 without a BOM, or binary
        return None
    if encoding == "utf-8":  # UTF-8 cut mid-character or with a few damaged bytes
        text = body.decode("utf-8", errors="replace")
        if text.count("\ufffd") <= max(1, _UTF8_SLACK * len(text)):
            return text.rstrip("\ufffd"), "utf-8"
    from charset_normalizer import from_bytes

    matches = from_bytes(data, cp_isolation=_CANDIDATES)
    best = matches.best()
    if best is None:
        return None
    # Short texts can fit several code pages equally well (cp1250 and cp1252 for "café"):
    # among the equally good, prefer the ones most text is written in.
    ties = [m for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    best = min(ties, key=lambda m: _PREFERRED.index(m.encoding) if m.encoding in _PREFERRED
               else len(_PREFERRED))
    return str(best), best.encoding


def _human_size(n: int) -> str:
    if n < 1_000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def decode_upload(data: bytes, max_bytes: int = MAX_TEXT_BYTES) -> str:
    """Text of an uploaded ``.txt`` file, in any language and encoding; raise
    :class:`CorpusError` (a complete, translated message) if it is unusable.

    UTF-8 and UTF-16 with a BOM are read exactly; other encodings (GBK, GB18030, Big5,
    Shift-JIS, Latin-1 ...) are detected by charset-normalizer; binary files (images, archives,
    pickles, executables) are refused. The BOM is stripped and line endings normalised to
    ``"\\n"``. The size is checked first, before anything is decoded.
    """
    if not data:
        raise CorpusError(_("The file is empty. Upload a .txt file that contains some text."))
    if len(data) > max_bytes:
        raise CorpusError(_(
            "The file is too large: {size} ({n} bytes); the limit is {limit} ({most} bytes). "
            "Upload a shorter excerpt.").format(size=_human_size(len(data)), n=f"{len(data):,}",
                                                limit=_human_size(max_bytes),
                                                most=f"{max_bytes:,}"))
    decoded = _decode_bytes(bytes(data))
    if decoded is None or _looks_binary(decoded[0]):
        raise CorpusError(_(
            "The file is not text: it looks like binary data (an image, an archive or a program, "
            "for example). Upload a plain .txt file."))
    text = normalize_newlines(decoded[0].lstrip("\ufeff"))
    if not text.strip():
        raise CorpusError(_("The file is empty: it contains only white space. Upload some "
                            "text."))
    return text
