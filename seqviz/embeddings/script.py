"""The embeddings page's standalone script: word2vec in plain PyTorch, batch for batch.

Everything random on the page comes from one seeded ``torch.Generator``
(``seqviz.models.word2vec.Word2VecBatches``: subsampling, the shuffled centres, the shrinking
windows, the noise words) and the seeded initial vectors, so the script reproduces the run
exactly rather than statistically: it embeds the corpus as the page tokenised it (word ids and
sentence lengths, after the minimum count and the vocabulary cap), rebuilds the noise table and
the subsampling probabilities from the counts, and draws from a generator seeded alike in the
same order. The model is two ``nn.Embedding`` built in ``Word2Vec``'s order, the output layer
(negative sampling, hierarchical softmax over the same Huffman tree, sampled or full softmax)
written with autograd where the page uses hand-written gradients of the same loss, the
optimiser gets gensim's linearly falling learning rate (held for 10,000 words at a time), and
a diverged step is rolled back as the page's trainer does. It prints the loss per pair at
every step.
"""

from __future__ import annotations

import torch

from seqviz.embeddings.experiment import MIN_LR, RATE_BLOCK, W2VExperiment
from seqviz.embeddings.reopen import fits, read_run, save_run
from seqviz.engine.export import MAX_SCRIPT_BYTES, UNPACK_IDS, LessonExport, pack_ids, wrap
from seqviz.models.word2vec import NOISE_POWER, NOISE_TABLE, PAIR_CHUNK

EXPORT = LessonExport("embeddings", save=save_run, read=read_run, check=fits,
                      script=True)

TEMPLATE = '''"""word2vec ({algorithm}, {objective}) exported from seqviz's Word embeddings page.

Plain PyTorch, no seqviz: the same corpus ({corpus}: {tokens} tokens, {vocab} words), initial
vectors (seed {seed}), batches (subsampling, shuffled centres, shrinking windows and noise
words from one generator, drawn in the page's order), output layer, optimiser and learning-rate
schedule as the page, so it prints the same loss per pair at every step (up to float rounding).
Run:  python seqviz-embeddings.py [--steps N]

Config: {config}
Not reproduced: live changes of the learning rate made while the page trained (this script
uses the value at export time). A diverged step is rolled back as on the page: the step is
done again with the next batch.
"""

import argparse
import array
import base64
import heapq
import math
import sys
import zlib

import torch
import torch.nn.functional as F
from torch import nn

SEED, STEPS = {seed}, {steps}
ALGORITHM, OBJECTIVE = {algorithm!r}, {objective!r}
EMBED, WINDOW, NEGATIVES, SUBSAMPLE = {embed}, {window}, {negatives}, {subsample!r}
BATCH_SIZE, OPTIMIZER, LR = {batch_size}, {optimizer!r}, {lr!r}  # LR: per pair
EPOCHS, MIN_LR = {epochs}, {min_lr!r}  # LR falls linearly to MIN_LR of it over EPOCHS passes
BLOCK = {block!r}  # LR is recomputed every {rate_block:,} corpus words: this share of a pass
MAX_LOSS = {max_loss!r}  # a loss above this counts as divergence, like NaN
NOISE_POWER, NOISE_TABLE, PAIR_CHUNK = {noise_power!r}, {noise_table}, {pair_chunk}
WORDS = {words!r}  # id -> word, most frequent first
COUNTS = {counts}  # occurrences of every word
IDS = {ids}  # the corpus as word ids, in reading order
SENTENCES = {sentences}  # tokens per sentence (windows never cross a sentence)


{unpack}

def noise_distribution(counts):
    p = counts.double().pow(NOISE_POWER)  # unigram^0.75
    return p / p.sum()


def keep_probability(counts, t):
    """Subsampling: keep an occurrence of w with probability min(1, (sqrt(f/t) + 1) t/f)."""
    c = counts.double()
    if t <= 0:
        return torch.ones_like(c)
    r = t / (c / c.sum()).clamp_min(1e-300)
    return ((1 / r).sqrt() + 1).mul(r).clamp(max=1.0)


class Batches:
    """The page's batches: each pass subsamples the stream and shuffles its centres."""

    def __init__(self, ids, sentence, counts):
        self.all_ids, self.all_sentence = ids, sentence
        self.generator = torch.Generator().manual_seed(SEED)
        cdf = torch.cumsum(noise_distribution(counts), 0)  # word2vec.c's unigram table
        cells = (torch.arange(NOISE_TABLE, dtype=torch.float64) + 0.5) / NOISE_TABLE
        self.table = torch.searchsorted(cdf, cells).clamp(max=len(cdf) - 1)
        self.keep = keep_probability(counts, SUBSAMPLE).float()
        self.offsets = torch.cat([torch.arange(-WINDOW, 0), torch.arange(1, WINDOW + 1)])
        self.epoch = 0
        # pairs made ahead: centre, context, and the passes done at the pair's centre
        self.buf = (torch.zeros(0, dtype=torch.long), torch.zeros(0, dtype=torch.long),
                    torch.zeros(0, dtype=torch.float64))
        self.buf_at = 0
        self.new_epoch(BATCH_SIZE if ALGORITHM == "cbow" else 1)

    def new_epoch(self, fill=1):
        ids, sent = self.all_ids, self.all_sentence
        kept = torch.rand(len(ids), generator=self.generator) < self.keep[ids]
        ids, sent = ids[kept], sent[kept]
        n = len(ids)
        pos = torch.arange(n)
        new = torch.ones(n, dtype=torch.bool)
        new[1:] = sent[1:] != sent[:-1]
        start = torch.cummax(torch.where(new, pos, 0), 0).values
        last = torch.ones(n, dtype=torch.bool)
        last[:-1] = new[1:]
        end = torch.flip(torch.cummin(torch.flip(torch.where(last, pos, n), [0]), 0).values, [0])
        self.ids, self.start, self.end = ids, start, end
        centres = pos[end > start]
        if len(centres) == 0:  # everything subsampled away: the full stream
            self.keep = torch.ones_like(self.keep)
            return self.new_epoch(fill)
        self.reps = -(-max(fill, 1) // len(centres))
        self.order = torch.cat([centres[torch.randperm(len(centres), generator=self.generator)]
                                for _ in range(self.reps)])
        self.cursor = 0
        self.epoch += 1

    def take_centres(self, n, partial=False):
        left = len(self.order) - self.cursor
        if left == 0 or n > left and not partial:
            self.new_epoch(1 if partial else n)
        chunk = self.order[self.cursor:self.cursor + n]
        self.cursor += len(chunk)
        return chunk

    def window(self, pos):
        b = torch.randint(1, WINDOW + 1, (len(pos),), generator=self.generator)
        left = torch.minimum(b, pos - self.start[pos])
        right = torch.minimum(b, self.end[pos] - pos)
        off = self.offsets[None, :]
        return (off >= -left[:, None]) & (off <= right[:, None])

    def skipgram_pairs(self):
        c, o, at_pass = self.buf
        while len(c) - self.buf_at < BATCH_SIZE:
            pos = self.take_centres(max(1, max(PAIR_CHUNK, BATCH_SIZE) // (WINDOW + 1)),
                                    partial=True)
            mask = self.window(pos)
            where = (pos[:, None] + self.offsets[None, :])[mask]
            centre = self.ids[pos][:, None].expand(mask.shape)[mask]
            first = self.cursor - len(pos)
            passes = (self.epoch - 1 + (first + torch.arange(len(pos), dtype=torch.float64))
                      / self.per_pass()).repeat_interleave(mask.sum(1))
            c, o, at_pass = (torch.cat([c[self.buf_at:], centre]),
                             torch.cat([o[self.buf_at:], self.ids[where]]),
                             torch.cat([at_pass[self.buf_at:], passes]))
            self.buf, self.buf_at = (c, o, at_pass), 0
        at, self.buf_at = self.buf_at, self.buf_at + BATCH_SIZE
        return c[at:self.buf_at], o[at:self.buf_at]

    def per_pass(self):
        return max(1, len(self.order) // self.reps)

    @property
    def progress(self):
        """Passes over the corpus so far, for the learning-rate schedule: centres whose pairs
        have all been handed out (pairs made ahead do not count)."""
        left = self.buf[2][self.buf_at:]
        if ALGORITHM == "skipgram" and len(left):
            return float(left[0])
        return self.epoch - 1 + self.cursor / self.per_pass()

    def next(self):
        if ALGORITHM == "skipgram":
            center, context = self.skipgram_pairs()
            batch = {{"center": center, "context": context}}
        else:
            pos = self.take_centres(BATCH_SIZE)
            mask = self.window(pos)
            where = (pos[:, None] + self.offsets[None, :]).clamp(0, len(self.ids) - 1)
            batch = {{"center": self.ids[pos], "context": self.ids[where], "mask": mask.float()}}
        if OBJECTIVE in ("negative", "sampled"):
            cell = torch.randint(0, NOISE_TABLE, (len(batch["center"]) * NEGATIVES,),
                                 generator=self.generator)
            batch["negatives"] = self.table.index_select(0, cell).view(-1, NEGATIVES)
        return batch


def huffman_tree(counts):
    """Every word's path from the root of the Huffman tree: inner nodes, turns, mask."""
    v = len(counts)
    heap = [(int(c), i) for i, c in enumerate(counts)]
    heapq.heapify(heap)
    parent, right, nxt = [0] * (2 * v - 1), [0] * (2 * v - 1), v
    while len(heap) > 1:
        c1, a = heapq.heappop(heap)
        c2, b = heapq.heappop(heap)
        parent[a] = parent[b] = nxt
        right[b] = 1
        heapq.heappush(heap, (c1 + c2, nxt))
        nxt += 1
    paths = []
    for w in range(v):
        nodes, codes, x = [], [], w
        while x != 2 * v - 2:
            nodes.append(parent[x] - v)
            codes.append(right[x])
            x = parent[x]
        paths.append((nodes[::-1], codes[::-1]))
    d = max(len(p[0]) for p in paths)
    pad = lambda xs: xs + [0] * (d - len(xs))  # noqa: E731
    return (torch.tensor([pad(n) for n, _ in paths], dtype=torch.long),
            torch.tensor([pad(c) for _, c in paths], dtype=torch.float32),
            torch.tensor([pad([1] * len(n)) for n, _ in paths], dtype=torch.float32))


class Word2Vec(nn.Module):
    """Input vectors (the word embeddings) and output vectors, both (V, E)."""

    def __init__(self, counts):
        super().__init__()
        V = len(counts)
        self.in_embed, self.out_embed = nn.Embedding(V, EMBED), nn.Embedding(V, EMBED)
        nn.init.uniform_(self.in_embed.weight, -1.0 / EMBED, 1.0 / EMBED)  # as gensim
        nn.init.zeros_(self.out_embed.weight)
        self.tree = huffman_tree(counts.tolist()) if OBJECTIVE == "hierarchical" else None
        self.log_q = noise_distribution(counts).float().log()

    def forward(self, batch):
        """The mean loss per (input, target) pair."""
        if ALGORITHM == "skipgram":
            v, target = self.in_embed(batch["center"]), batch["context"]
        else:  # CBOW: the mean of the context vectors predicts the centre
            mask = batch["mask"]
            ctx = self.in_embed(batch["context"]) * mask[..., None]
            v = ctx.sum(1) / mask.sum(1, keepdim=True).clamp_min(1.0)
            target = batch["center"]
        if OBJECTIVE == "negative":  # a noise word equal to the target is skipped
            neg = batch["negatives"]
            sp = (self.out_embed(target) * v).sum(-1)
            sn = (self.out_embed(neg) * v[:, None, :]).sum(-1)
            keep = (neg != target[:, None]).to(v.dtype)
            loss = -(F.logsigmoid(sp) + (F.logsigmoid(-sn) * keep).sum(-1))
        elif OBJECTIVE == "hierarchical":  # -log P(target) along its Huffman path
            nodes, codes, mask = (t.index_select(0, target) for t in self.tree)
            x = torch.bmm(self.out_embed(nodes), v[:, :, None]).squeeze(-1)
            loss = -(F.logsigmoid((1 - 2 * codes) * x) * mask).sum(-1)
        elif OBJECTIVE == "sampled":  # softmax over the target and K noise words
            neg = batch["negatives"]
            cand = torch.cat([target[:, None], neg], 1)
            logits = torch.bmm(self.out_embed(cand), v[:, :, None]).squeeze(-1) \\
                - (self.log_q[cand] + math.log(neg.shape[1]))
            hit = torch.zeros_like(cand, dtype=torch.bool)
            hit[:, 1:] = neg == target[:, None]
            loss = -torch.log_softmax(logits.masked_fill(hit, -math.inf), -1)[:, 0]
        else:  # the full softmax over the vocabulary
            logp = torch.log_softmax(v @ self.out_embed.weight.T, -1)
            loss = -logp.gather(1, target[:, None]).squeeze(1)
        return loss.mean()


def copy_state(state):
    if isinstance(state, torch.Tensor):
        return state.detach().clone()
    if isinstance(state, dict):
        return {{k: copy_state(v) for k, v in state.items()}}
    if isinstance(state, list):
        return [copy_state(v) for v in state]
    return state


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args()
    counts, ids, lengths = (unpack_ids(x) for x in (COUNTS, IDS, SENTENCES))
    sentence = torch.repeat_interleave(torch.arange(len(lengths)), lengths)
    batches = Batches(ids, sentence, counts)
    torch.manual_seed(SEED)
    model = Word2Vec(counts)
    opt = torch.optim.Adam(model.parameters(), lr=LR) if OPTIMIZER == "adam" else \\
        torch.optim.SGD(model.parameters(), lr=LR)
    step, good = 0, None  # good: (step, weights, optimiser state) before the latest update
    for _attempt in range(10 * args.steps + 100):
        if step >= args.steps:
            break
        # gensim's schedule: LR falls linearly to MIN_LR of it over EPOCHS passes, recomputed
        # at the start of every BLOCK of a pass; the loss is a mean over the batch, so SGD's
        # rate is BATCH_SIZE times the rate per pair
        epoch = math.floor(batches.progress)
        held = epoch + math.floor((batches.progress - epoch) / BLOCK + 1e-9) * BLOCK
        lr = LR * max(MIN_LR, 1.0 - (1.0 - MIN_LR) * held / EPOCHS) \\
            * (BATCH_SIZE if OPTIMIZER == "sgd" else 1)
        for group in opt.param_groups:
            group["lr"] = lr
        batch = batches.next()
        opt.zero_grad(set_to_none=True)
        loss = model(batch)
        value = float(loss.detach())
        if not math.isfinite(value) or value > MAX_LOSS:  # diverged: undo the last update too
            opt.zero_grad(set_to_none=True)
            if good is not None:
                step = good[0]
                with torch.no_grad():
                    for p, saved in zip(model.parameters(), good[1]):
                        p.copy_(saved)
                opt.load_state_dict(good[2])
            print(f"diverged (loss {{value:.4g}}): back to step {{step}}", flush=True)
            continue
        loss.backward()
        norm = float(torch.linalg.vector_norm(torch.stack(
            [p.grad.norm(2) for p in model.parameters() if p.grad is not None]), 2))
        if not math.isfinite(norm):  # skip this update
            opt.zero_grad(set_to_none=True)
            print(f"diverged (gradient norm {{norm}}): update skipped", flush=True)
            continue
        good = (step, [p.detach().clone() for p in model.parameters()],
                copy_state(opt.state_dict()))
        opt.step()
        step += 1
        print(f"step {{step}} loss {{value:.8g}} lr {{lr:.6g}}", flush=True)


if __name__ == "__main__":
    main()
'''


def embeddings_script(exp: W2VExperiment, steps: int | None = None) -> str:
    """The script of a word2vec run (``W2VExperiment``) to step ``steps`` (default: its own)."""
    cfg, corpus, tr = exp.cfg, exp.corpus, exp.trainer
    lengths = torch.bincount(corpus.sentence)
    text = TEMPLATE.format(
        algorithm=cfg.algorithm, objective=cfg.objective, corpus=cfg.corpus,
        tokens=f"{len(corpus.ids):,}", vocab=f"{corpus.vocab_size:,}", seed=int(cfg.seed),
        config=", ".join(f"{k}={v}" for k, v in vars(cfg).items()),
        steps=int(tr.steps if steps is None else steps), embed=int(cfg.embed_size),
        window=int(cfg.window), negatives=int(cfg.negatives), subsample=float(cfg.subsample),
        batch_size=int(exp.batches.batch_size), optimizer=cfg.optimizer, lr=float(cfg.lr),
        epochs=int(cfg.epochs), min_lr=float(MIN_LR), rate_block=RATE_BLOCK,
        block=RATE_BLOCK / max(1, len(corpus.ids)), max_loss=float(tr.max_loss),
        noise_power=float(NOISE_POWER), noise_table=int(NOISE_TABLE),
        pair_chunk=int(PAIR_CHUNK), words=list(corpus.words),
        counts=wrap(pack_ids(corpus.counts)), ids=wrap(pack_ids(corpus.ids.numpy())),
        sentences=wrap(pack_ids(lengths.numpy())), unpack=UNPACK_IDS)
    if len(text.encode("utf-8")) > MAX_SCRIPT_BYTES:  # cannot happen within the upload limits
        raise ValueError("script too large")
    return text
