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

CORPORA: dict[str, str] = {
    "prose": "English prose: the help topics of the Python reference manual (ships with Python)",
    "python": "Python source code from the standard library (Karpathy 2015's code experiment)",
    "grammar": "Sentences from a small probabilistic grammar with known word categories",
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
        raise CorpusError(f"Unknown corpus {name!r}. Choose one of: {valid}.")
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


def _decode_bytes(data: bytes) -> str | None:
    """Decode by BOM (UTF-8-sig, UTF-16 LE/BE) or as plain UTF-8; ``None`` if impossible."""
    if data.startswith(b"\xef\xbb\xbf"):
        encoding, body = "utf-8", data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encoding, body = "utf-16", data  # the codec reads and drops the BOM
    else:
        if b"\x00" in data:  # NUL bytes never occur in UTF-8 text
            return None
        encoding, body = "utf-8", data
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        return None


def _human_size(n: int) -> str:
    if n < 1_000:
        return f"{n} bytes"
    if n < 1_000_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n / 1_000_000:.1f} MB"


def decode_upload(data: bytes, max_bytes: int = 5_000_000) -> str:
    """Text of an uploaded ``.txt`` file, in any language; raise :class:`CorpusError` if unusable.

    Accepts UTF-8 (with or without BOM) and UTF-16 with BOM. The BOM is stripped and line endings
    are normalised to ``"\\n"``.
    """
    if not data:
        raise CorpusError("The file is empty. Upload a .txt file that contains some text.")
    if len(data) > max_bytes:
        raise CorpusError(
            f"The file is too large: {_human_size(len(data))} ({len(data):,} bytes); the limit is "
            f"{_human_size(max_bytes)} ({max_bytes:,} bytes). Upload a shorter excerpt."
        )
    text = _decode_bytes(bytes(data))
    if text is None or _looks_binary(text):
        raise CorpusError(
            "The file looks binary, not like text (or it is not UTF-8/UTF-16 encoded). "
            "Upload a plain .txt file saved as UTF-8."
        )
    text = normalize_newlines(text.lstrip("\ufeff"))
    if not text.strip():
        raise CorpusError("The file is empty: it contains only white space. Upload some text.")
    return text
