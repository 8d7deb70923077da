"""word2vec's output layers compared: the table the page shows, as measured by
``benchmarks/bench_word2vec.py --write-table`` (stored in ``objectives.json`` beside this file).

Full softmax scores every word (V dot products per pair); negative sampling K + 1; hierarchical
softmax about log2 V along a Huffman path; sampled softmax K + 1 with a correction that makes it
estimate the full softmax. The table gives time per training step and analogy accuracy after
one and five passes on the English grammar (seqviz.models.w2v_objectives has the losses).
"""

from __future__ import annotations

import json
from pathlib import Path

from seqviz.i18n import N_, _

TABLE = Path(__file__).with_name("objectives.json")
OBJECTIVE_NAMES = {"negative": N_("negative sampling"),
                   "hierarchical": N_("hierarchical softmax (Huffman tree)"),
                   "sampled": N_("sampled softmax"), "full": N_("full softmax")}
LOSS_TITLES = {"negative": N_("word2vec loss (negative sampling)"),
               "hierarchical": N_("word2vec loss (hierarchical softmax)"),
               "sampled": N_("word2vec loss (sampled softmax)"),
               "full": N_("word2vec loss (full softmax)")}


def load_table(path: Path = TABLE) -> dict | None:
    """The stored measurements, or None when there are none (never raises)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return data if isinstance(data.get("rows"), list) else None
    except (OSError, ValueError, AttributeError):
        return None


def table_rows(data: dict) -> list[dict]:
    """One translated row per output layer: time per step, accuracy after 1 and 5 passes,
    loss per pair at the end."""
    out = []
    for r in data["rows"]:
        out.append({_("output layer"): _(OBJECTIVE_NAMES.get(r["objective"], r["objective"])),
                    _("ms per step"): f"{r['ms_per_step']:.1f}",
                    _("analogies, 1 pass"): f"{r['accuracy_1']:.0%}",
                    _("analogies, 5 passes"): f"{r['accuracy_5']:.0%}",
                    _("loss per pair (nats)"): f"{r['loss']:.2f}"})
    return out
