"""Train the bundled language-model checkpoints in ``seqviz/pretrained/lm_<name>.pt``.

    python scripts/train_pretrained.py            # all of them, one after the other
    python scripts/train_pretrained.py python     # just one
    python scripts/train_pretrained.py --meta-only  # recompute the notable units only

Each model is a character-level RNN trained by the same ``LMExperiment`` / ``Trainer`` the
language-model page uses, on one thread, for a fixed number of steps from a fixed seed, keeping
the weights that did best on a separate stretch of validation text (early stopping: the small
models overfit the 360k training characters), so a rerun on the same machine gives the same
file. Weights are stored in float16 (half the size; the
page loads them into a float32 model) and the validation perplexity written into ``meta`` is
measured *after* that rounding, next to Kneser-Ney n-gram baselines on the same validation
tokens. The script also measures which units correlate best with known text features (inside a
string, indentation, position in the line; Karpathy, Johnson and Fei-Fei 2015) and records them,
so the hidden-states page can point at them.
"""

from __future__ import annotations

import argparse
import copy
import math
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.checkpoint import PRETRAINED_DIR, load_lm, save_lm  # noqa: E402
from seqviz.config import LMConfig  # noqa: E402
from seqviz.data import build_text_data, load_corpus  # noqa: E402
from seqviz.lm_experiment import LMExperiment, fit_baselines, lm_perplexity, val_slice  # noqa: E402
from seqviz.neurons import FEATURES, unit_correlations  # noqa: E402
from seqviz.probes import EXAMPLES, trace_corpus  # noqa: E402

MODELS = {
    # name: (config, steps, features to look for, example probe text)
    "python": (LMConfig(corpus="python", level="char", cell="lstm", hidden_size=128,
                        num_layers=2, embed_size=32, seq_len=100, batch_size=32, lr=3e-3,
                        clip="norm", clip_threshold=1.0, seed=0),
               6000, ("inside a string", "indentation", "position in the line"),
               EXAMPLES["python"]),
    "prose": (LMConfig(corpus="prose", level="char", cell="gru", hidden_size=192, num_layers=1,
                       embed_size=32, seq_len=100, batch_size=32, lr=3e-3, clip="norm",
                       clip_threshold=1.0, seed=0),
              4000, ("inside double quotes", "position in the line"), EXAMPLES["prose"]),
}
DECAY_AT = 0.7  # the learning rate drops 3x for the last 30% of the steps
CHECK_EVERY = 250  # steps between early-stopping checks
SELECT_SLICE = slice(8192, 16385)  # validation tokens used to pick the best weights
FEATURE_TOKENS = 8192  # validation tokens used to measure unit-feature correlations


def notable_units(model, data, features) -> list[dict]:
    """For each feature, the (layer, state, unit) whose activation correlates best with it, on
    the states the page shows: h_t, and tanh(c_t) for an LSTM's cell (the raw cell state is
    unbounded; a correlation there can hide a unit that is saturated on screen)."""
    ids = data.val[:FEATURE_TOKENS].numpy()
    states = trace_corpus(model, ids, rows=16, max_tokens=FEATURE_TOKENS)
    text = "".join("\0" if t == "<unk>" else t for t in data.vocab.decode(states.ids))
    found = []
    for name in features:
        feature = FEATURES[name](text)
        best = None
        for layer, (hidden, cell) in enumerate(zip(states.hidden, states.cell)):
            shown = {"hidden": hidden} if cell is None else {"hidden": hidden,
                                                              "cell": np.tanh(cell)}
            for which, values in shown.items():
                r = unit_correlations(values, feature)
                unit = int(np.argmax(np.abs(r)))
                if best is None or abs(r[unit]) > abs(best["r"]):
                    best = {"feature": name, "layer": layer, "state": which, "unit": unit,
                            "r": round(float(r[unit]), 3)}
        found.append(best)
    return found


def refresh_meta(name: str) -> Path:
    """Recompute the notable units of an existing checkpoint (weights unchanged)."""
    _, _, features, probe = MODELS[name]
    dest = PRETRAINED_DIR / f"lm_{name}.pt"
    model, vocab, level, meta = load_lm(dest)
    data = build_text_data(load_corpus(meta["corpus"]), level)
    if data.vocab != vocab:
        raise SystemExit(f"{dest}: the corpus no longer gives the checkpoint's vocabulary")
    meta.update(neurons=notable_units(model, data, features), probe=probe)
    save_lm(dest, model.half(), vocab, level, meta)
    print(f"{name}: neurons {meta['neurons']}")
    return dest


def train_one(name: str, steps: int | None = None) -> Path:
    """Train with early stopping: every ``CHECK_EVERY`` steps the perplexity on a *selection*
    stretch of the validation text (tokens 8192..16384) is measured and the best weights kept;
    the perplexity reported in ``meta`` is measured on the first 8192 validation tokens, the
    same ones the language-model page and its n-gram baselines use, which selection never saw."""
    cfg, default_steps, features, probe = MODELS[name]
    steps = default_steps if steps is None else steps
    torch.manual_seed(cfg.seed)
    data = build_text_data(load_corpus(cfg.corpus), cfg.level)
    exp = LMExperiment.build(cfg, data, eval_every=10**9)  # evaluated here, not by the trainer
    select_ids = data.val[SELECT_SLICE]
    best = (math.inf, 0, copy.deepcopy(exp.model.state_dict()))
    start = time.perf_counter()
    decay = int(steps * DECAY_AT)
    while exp.trainer.steps < steps:
        done = exp.trainer.steps
        if done >= decay:
            exp.trainer.set_lr(cfg.lr / 3)
        stop = min(steps, decay) if done < decay else steps
        exp.trainer.step(min(CHECK_EVERY, stop - done))
        exp.model.eval()
        select_ppl = lm_perplexity(exp.model, select_ids, cfg.seq_len)
        if select_ppl < best[0]:
            best = (select_ppl, exp.trainer.steps, copy.deepcopy(exp.model.state_dict()))
        print(f"{name}: step {exp.trainer.steps:5d}  train loss {exp.trainer.last_loss:.3f}  "
              f"selection ppl {select_ppl:.3f} (best {best[0]:.3f} at {best[1]})  "
              f"{time.perf_counter() - start:4.0f} s", flush=True)
    seconds = time.perf_counter() - start
    exp.model.load_state_dict(best[2])
    model = copy.deepcopy(exp.model).half().float().eval()  # what the saved file will hold
    val_ids = val_slice(data)
    ppl = lm_perplexity(model, val_ids, cfg.seq_len)
    baselines = {b.name: round(b.perplexity, 3) for b in fit_baselines(data)}
    meta = {"corpus": cfg.corpus, "level": cfg.level, "seed": cfg.seed, "steps": best[1],
            "steps_trained": steps, "train_seconds": round(seconds, 1),
            "batch_size": cfg.batch_size, "seq_len": cfg.seq_len, "lr": cfg.lr,
            "lr_decay": {"at_step": decay, "factor": 1 / 3}, "clip": cfg.clip,
            "clip_threshold": cfg.clip_threshold,
            "early_stopping": f"best of every {CHECK_EVERY} steps on validation tokens "
                              f"{SELECT_SLICE.start}..{SELECT_SLICE.stop}",
            "val_tokens": len(val_ids) - 1, "val_perplexity": round(ppl, 3),
            "ngram_perplexity": baselines, "ngram_order": 5, "probe": probe,
            "neurons": notable_units(model, data, features),
            "made_by": "scripts/train_pretrained.py", "weights_dtype": "float16"}
    PRETRAINED_DIR.mkdir(parents=True, exist_ok=True)
    dest = PRETRAINED_DIR / f"lm_{name}.pt"
    save_lm(dest, model.half(), data.vocab, cfg.level, meta)
    print(f"{name}: wrote {dest} ({dest.stat().st_size / 1000:.0f} kB), val perplexity "
          f"{ppl:.2f} vs {baselines}; neurons {meta['neurons']}", flush=True)
    return dest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help=f"which of {list(MODELS)} (default: all)")
    parser.add_argument("--steps", type=int, default=None, help="override the step count")
    parser.add_argument("--meta-only", action="store_true",
                        help="only recompute the notable units of existing checkpoints")
    args = parser.parse_args()
    unknown = [n for n in args.names if n not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {list(MODELS)}")
    torch.set_num_threads(1)
    for name in args.names or list(MODELS):
        refresh_meta(name) if args.meta_only else train_one(name, args.steps)


if __name__ == "__main__":
    main()
