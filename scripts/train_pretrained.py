"""Train the bundled language-model checkpoints in ``seqviz/pretrained/lm_<name>.pt``.

    python scripts/train_pretrained.py            # all of them, one after the other
    python scripts/train_pretrained.py python     # just one
    python scripts/train_pretrained.py --meta-only  # recompute the notable units only

Each model is a character-level RNN trained by the same ``Trainer`` the language-model page
uses, on one thread, for a fixed number of steps from a fixed seed, keeping the weights that did
best on a separate stretch of validation text (early stopping: the small models overfit the
360k training characters; dropout between layers helps the two-layer ones), so a rerun on the
same machine gives the same file. Weights are stored in float16 (half the size; the page loads
them into a float32 model) and the validation perplexity written into ``meta`` is measured
*after* that rounding, next to Kneser-Ney n-gram baselines on the same validation tokens; the
script refuses to write a model that does not beat the 5-gram. It also measures which units
follow known text features (inside a string, inside parentheses, position in the line; Karpathy,
Johnson and Fei-Fei 2015; for the Chinese grammar, whose sentence it is and which animal),
chosen on one stretch of validation text and measured on another (``seqviz.hidden.units``),
and records them, so the hidden-states page can point at them.
"""

from __future__ import annotations

import argparse
import copy
import dataclasses
import math
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from seqviz.checkpoint import PRETRAINED_DIR, load_lm, save_lm  # noqa: E402
from seqviz.data import TextData, build_text_data, load_corpus  # noqa: E402
from seqviz.hidden.probes import EXAMPLES  # noqa: E402
from seqviz.hidden.units import best_units  # noqa: E402
from seqviz.lm.config import LMConfig  # noqa: E402
from seqviz.lm.experiment import LMExperiment, fit_baselines, lm_perplexity, val_slice  # noqa: E402


@dataclass(frozen=True)
class Recipe:
    cfg: LMConfig
    steps: int
    features: tuple[str, ...]  # text features to find units for (seqviz.hidden.features)
    dropout: float = 0.0  # between layers, while training


MODELS = {
    "python": Recipe(LMConfig(corpus="python", level="char", cell="lstm", hidden_size=128,
                              num_layers=2, embed_size=32, seq_len=100, batch_size=32, lr=3e-3,
                              clip="norm", clip_threshold=1.0, seed=0),
                     6000, ("inside a string", "inside parentheses", "position in the line")),
    "prose": Recipe(LMConfig(corpus="prose", level="char", cell="gru", hidden_size=256,
                             num_layers=2, embed_size=32, seq_len=100, batch_size=32, lr=3e-3,
                             clip="norm", clip_threshold=1.0, seed=0),
                    3000, ("inside double quotes", "inside parentheses", "position in the line"),
                    dropout=0.25),
    "grammar_zh": Recipe(LMConfig(corpus="grammar_zh", level="char", cell="lstm", hidden_size=128,
                                  num_layers=1, embed_size=32, seq_len=64, batch_size=32, lr=3e-3,
                                  clip="norm", clip_threshold=1.0, seed=0),
                         2500, ("position in the sentence", "a woman (+) or a man (−)",
                                "a young (+) or an adult (−) animal")),
}
DECAY_AT = 0.7  # the learning rate drops 3x for the last 30% of the steps
CHECK_EVERY = 250  # steps between early-stopping checks
SELECT_SLICE = slice(8192, None)  # validation tokens used to pick the best weights
CHOOSE, REPORT = (16384, 24576), (0, 8192)  # validation stretches: pick a unit, measure its r


def notable_units(model, data: TextData, features) -> list[dict]:
    """For each feature, the unit that follows it best: chosen on validation tokens
    16384..24576, its r measured on tokens 0..8192 (those the page's corpus view traces)."""
    ids = torch.cat([data.train, data.val]).numpy()  # the stream: the features read the past
    n = len(data.train)
    return best_units(model, data.vocab, ids, (n + CHOOSE[0], n + CHOOSE[1]),
                      (n + REPORT[0], n + REPORT[1]), features)


def refresh_meta(name: str) -> Path:
    """Recompute the notable units of an existing checkpoint (weights unchanged)."""
    recipe = MODELS[name]
    dest = PRETRAINED_DIR / f"lm_{name}.pt"
    model, vocab, level, meta = load_lm(dest)
    data = build_text_data(load_corpus(meta["corpus"]), level)
    if data.vocab != vocab:
        raise SystemExit(f"{dest}: the corpus no longer gives the checkpoint's vocabulary")
    meta.update(neurons=notable_units(model, data, recipe.features),
                probe=EXAMPLES[recipe.cfg.corpus])
    save_lm(dest, model.half(), vocab, level, meta)
    print(f"{name}: neurons {meta['neurons']}")
    return dest


def build(recipe: Recipe, data: TextData) -> LMExperiment:
    """The LM page's experiment; with the recipe's dropout on every non-recurrent connection
    (embedding -> first layer, between layers, last layer -> head; Zaremba, Sutskever and
    Vinyals 2014), which the small models need: they memorise their 360k training characters.
    The saved spec has no dropout: it only acts while training."""
    exp = LMExperiment.build(recipe.cfg, data, eval_every=10**9)  # evaluated here
    p = recipe.dropout
    if p:
        exp.model.rnn.dropout = p  # between layers (the fused kernel reads it at each call)

        def loss_fn(m, batch) -> torch.Tensor:
            x, y = batch  # (B, T) each
            out, _state = m.rnn(F.dropout(m.embed(x), p, m.training))  # (B, T, H)
            logits = m.head(F.dropout(out, p, m.training))  # (B, T, V)
            return F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))

        exp.trainer.loss_fn = loss_fn
    return exp


def train_early_stopped(name: str, recipe: Recipe, data: TextData, steps: int
                        ) -> tuple[torch.nn.Module, int, float]:
    """Train with early stopping: every ``CHECK_EVERY`` steps the perplexity on a *selection*
    stretch of the validation text (tokens 8192 to the end) is measured and the best weights
    kept; the perplexity on the first 8192 (what ``meta`` reports) is printed, never used.
    Returns (the best model, its step, seconds trained)."""
    cfg = recipe.cfg
    torch.manual_seed(cfg.seed)
    exp = build(recipe, data)
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
        report_ppl = lm_perplexity(exp.model, val_slice(data), cfg.seq_len)
        print(f"{name}: step {exp.trainer.steps:5d}  train loss {exp.trainer.last_loss:.3f}  "
              f"selection ppl {select_ppl:.3f} (best {best[0]:.3f} at {best[1]})  "
              f"reported ppl {report_ppl:.3f}  {time.perf_counter() - start:4.0f} s", flush=True)
    exp.model.load_state_dict(best[2])
    return exp.model, best[1], time.perf_counter() - start


def train_one(name: str, steps: int | None = None) -> Path:
    """Train one model and write it, with its perplexity next to the n-grams' on the first
    8192 validation tokens (the ones the language-model page and its n-gram baselines use,
    which early stopping never saw) and its notable units. A model that does not beat the
    5-gram is not written: the page would teach that the RNN loses."""
    recipe = MODELS[name]
    cfg, steps = recipe.cfg, recipe.steps if steps is None else steps
    data = build_text_data(load_corpus(cfg.corpus), cfg.level)
    trained, best_step, seconds = train_early_stopped(name, recipe, data, steps)
    model = copy.deepcopy(trained).half().float().eval()  # what the saved file will hold
    val_ids = val_slice(data)
    ppl = lm_perplexity(model, val_ids, cfg.seq_len)
    baselines = {b.order: round(b.perplexity, 3) for b in fit_baselines(data)}
    if ppl >= baselines[5]:
        raise SystemExit(f"{name}: validation perplexity {ppl:.3f} does not beat the 5-gram's "
                         f"{baselines[5]:.3f}; not written")
    meta = {"corpus": cfg.corpus, "level": cfg.level, "seed": cfg.seed, "steps": best_step,
            "steps_trained": steps, "train_seconds": round(seconds, 1),
            "batch_size": cfg.batch_size, "seq_len": cfg.seq_len, "lr": cfg.lr,
            "dropout": recipe.dropout,
            "lr_decay": {"at_step": int(steps * DECAY_AT), "factor": 1 / 3}, "clip": cfg.clip,
            "clip_threshold": cfg.clip_threshold,
            "early_stopping": f"best of every {CHECK_EVERY} steps on validation tokens "
                              f"{SELECT_SLICE.start}..{len(data.val)}",
            "val_tokens": len(val_ids) - 1, "val_perplexity": round(ppl, 3),
            "ngram_perplexity": {f"{n}-gram (Kneser-Ney)": v for n, v in baselines.items()},
            "ngram_order": 5, "probe": EXAMPLES[cfg.corpus],
            "neurons": notable_units(model, data, recipe.features),
            "made_by": "scripts/train_pretrained.py", "weights_dtype": "float16"}
    PRETRAINED_DIR.mkdir(parents=True, exist_ok=True)
    dest = PRETRAINED_DIR / f"lm_{name}.pt"
    save_lm(dest, model.half(), data.vocab, cfg.level, meta)
    print(f"{name}: wrote {dest} ({dest.stat().st_size / 1000:.0f} kB), val perplexity "
          f"{ppl:.3f} vs {baselines}; neurons {meta['neurons']}", flush=True)
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
