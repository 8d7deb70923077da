"""Every bound an input meets before it costs anything (DESIGN §4b), in one place.

A server shared by a class must never let one upload, link or checkpoint allocate gigabytes:
sizes are checked before text is decoded, before a vocabulary is built and before a tensor is
made. ``.streamlit/config.toml``'s ``server.maxUploadSize`` equals the largest upload limit here
(a test checks it), so Streamlit refuses a bigger file while it streams in.
"""

from __future__ import annotations

MB = 1_000_000

MAX_TEXT_BYTES = 5 * MB  # an uploaded .txt
MAX_CSV_BYTES = 2 * MB  # an uploaded .csv series (time-series page)
MAX_SERIES_POINTS = 5_000  # values of a series read from it (later rows are left out)
MAX_CSV_COLUMNS = 50  # columns read from it
MAX_CHECKPOINT_BYTES = 20 * MB  # an uploaded checkpoint (bundled ones are a few MB)
MAX_UPLOAD_MB = 20  # server.maxUploadSize: the larger of the two, in Streamlit's MB

MAX_CHAR_VOCAB = 3_000  # distinct characters kept (with <unk>); ~99.9 % of Chinese text
MAX_WORD_VOCAB = 10_000  # distinct words kept (with <unk>)

# A checkpoint's model description, checked before the model is built.
MAX_SPEC = {
    "vocab_size": 20_000,
    "embed_size": 1_024,
    "hidden_size": 1_024,
    "num_layers": 4,
    "src_vocab": 20_000,
    "tgt_vocab": 20_000,
}
MAX_PARAMETERS = 12_000_000  # ~48 MB of float32 weights (bundled models: < 1 M)
