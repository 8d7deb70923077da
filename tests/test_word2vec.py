"""word2vec: noise distribution, subsampling, windows, loss, determinism, behaviour."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from seqviz.data import GENDER_PAIRS, PLURAL_PAIRS, CorpusError, load_corpus
from seqviz.embeddings.experiment import EmbConfig, W2VExperiment
from seqviz.embeddings.queries import Index, analogy_accuracy
from seqviz.models.word2vec import (W2VCorpus, Word2VecBatches, Word2VecSpec, build_w2v_corpus,
                                    build_word2vec, keep_probability, noise_distribution,
                                    sentences, w2v_loss)
from seqviz.train import Trainer


@pytest.fixture(scope="module")
def grammar_corpus():
    return build_w2v_corpus(load_corpus("grammar"), min_count=3)


def _numbered_corpus(n=200, sentence=5, counts=None):
    """Word id == position, so a pair's ids give the positions; sentences of ``sentence``."""
    return W2VCorpus([f"w{i}" for i in range(n)],
                     np.ones(n, dtype=np.int64) if counts is None else counts,
                     torch.arange(n), torch.arange(n) // sentence)


def test_noise_distribution_is_unigram_to_the_three_quarters(grammar_corpus):
    counts = grammar_corpus.counts
    expected = counts.astype(float) ** 0.75 / (counts.astype(float) ** 0.75).sum()
    np.testing.assert_allclose(noise_distribution(counts).numpy(), expected, rtol=1e-12)
    assert not np.allclose(expected, counts / counts.sum())  # not the plain unigram


def test_sampled_negatives_follow_the_noise_distribution(grammar_corpus):
    batches = Word2VecBatches(grammar_corpus, negatives=10, seed=0)
    draws = batches.sample_negatives(40_000).flatten().numpy()  # 400,000 samples
    freq = np.bincount(draws, minlength=grammar_corpus.vocab_size) / len(draws)
    p = batches.noise.numpy()
    # each frequency within 5 binomial standard deviations of its probability
    sd = np.sqrt(p * (1 - p) / len(draws))
    assert np.all(np.abs(freq - p) < 5 * sd + 1e-6)
    unigram = grammar_corpus.counts / grammar_corpus.counts.sum()
    assert np.abs(freq - unigram).max() > 20 * sd.max()  # clearly not unigram


def test_keep_probability_is_gensims_formula():
    counts = np.array([1000, 100, 10, 1])
    f = counts / counts.sum()
    # word2vec.c / gensim: (sqrt(f/t) + 1) t/f (the paper's sqrt(t/f) keeps fewer)
    np.testing.assert_allclose(keep_probability(counts, 1e-2).numpy(),
                               np.minimum(1.0, (np.sqrt(f / 1e-2) + 1) * 1e-2 / f))
    assert torch.all(keep_probability(counts, 0.0) == 1)


def test_subsampling_thins_frequent_words_as_promised(grammar_corpus):
    t = 1e-3
    batches = Word2VecBatches(grammar_corpus, subsample=t, seed=0)
    the = grammar_corpus.words.index("the")
    kept = int((batches._ids == the).sum())
    total = int((grammar_corpus.ids == the).sum())
    p = float(keep_probability(grammar_corpus.counts, t)[the])
    assert p < 0.2
    assert abs(kept / total - p) < 5 * math.sqrt(p * (1 - p) / total)


@pytest.mark.parametrize("window", [1, 2, 4])
def test_skipgram_pairs_stay_within_window_and_sentence(window):
    corpus = _numbered_corpus()
    batches = Word2VecBatches(corpus, batch_size=500, window=window, subsample=0.0, seed=1)
    for _ in range(5):
        b = batches.next()
        c, o = b["center"], b["context"]
        assert torch.all((c - o).abs() >= 1) and torch.all((c - o).abs() <= window)
        assert torch.all(c // 5 == o // 5)
        assert b["negatives"].shape == (500, 5)  # 200 centres, repeated to fill the batch


def test_dynamic_window_weights_near_words_more():
    corpus = _numbered_corpus(3000, sentence=3000)
    batches = Word2VecBatches(corpus, batch_size=2000, window=4, subsample=0.0, seed=2)
    d = torch.cat([(b["context"] - b["center"]).abs() for b in (batches.next() for _ in range(5))])
    share = torch.bincount(d, minlength=5)[1:].float() / len(d)
    # b ~ U{1..4} and every word within b is a pair (gensim, word2vec.c): offset j is used
    # when b >= j, P(|d|=j) ∝ (5 - j) / 4
    expected = torch.tensor([5.0 - j for j in range(1, 5)]) / 10
    torch.testing.assert_close(share, expected, atol=0.02, rtol=0)


def test_cbow_context_mask_matches_window_and_sentence():
    corpus = _numbered_corpus()
    batches = Word2VecBatches(corpus, algorithm="cbow", batch_size=300, window=3,
                              subsample=0.0, seed=3)
    b = batches.next()
    ctx, mask, c = b["context"], b["mask"].bool(), b["center"]
    assert ctx.shape == mask.shape == (300, 6)
    d = (ctx - c[:, None])[mask]
    assert torch.all((d.abs() >= 1) & (d.abs() <= 3))
    assert torch.all((ctx // 5 == c[:, None] // 5)[mask])
    assert torch.all(mask.sum(1) >= 1)


def _reference_loss(model, batch, algorithm):
    """Negative-sampling loss written out pair by pair, in float64."""
    v_in = model.in_embed.weight.detach().double()
    v_out = model.out_embed.weight.detach().double()
    total = 0.0
    for i in range(len(batch["center"])):
        if algorithm == "skipgram":
            h, target = v_in[batch["center"][i]], batch["context"][i]
        else:
            ids = batch["context"][i][batch["mask"][i].bool()]
            h, target = v_in[ids].mean(0), batch["center"][i]
        pair = -F.logsigmoid(h @ v_out[target])
        for k in batch["negatives"][i]:
            if k != target:
                pair = pair - F.logsigmoid(-(h @ v_out[k]))
        total += float(pair)
    return total / len(batch["center"])


@pytest.mark.parametrize("algorithm", ["skipgram", "cbow"])
def test_loss_equals_pairwise_reference(grammar_corpus, algorithm):
    model = build_word2vec(Word2VecSpec(grammar_corpus.vocab_size, 8, algorithm), seed=0)
    torch.nn.init.normal_(model.out_embed.weight)  # non-zero output vectors
    batch = Word2VecBatches(grammar_corpus, algorithm=algorithm, batch_size=32, seed=0).next()
    expected = _reference_loss(model, batch, algorithm)
    assert float(model.loss(batch).detach()) == pytest.approx(expected, rel=1e-5)


def test_initial_loss_is_uniform_guess(grammar_corpus):
    model = build_word2vec(Word2VecSpec(grammar_corpus.vocab_size, 16), seed=0)
    batch = Word2VecBatches(grammar_corpus, negatives=5, seed=0).next()
    # output vectors start at zero: every score is 0, σ = 1/2 (minus skipped collisions)
    assert float(model.loss(batch).detach()) == pytest.approx(6 * math.log(2), rel=0.02)


def _trainer(corpus, sparse=False, optimizer="adam", lr=0.005, seed=0):
    model = build_word2vec(Word2VecSpec(corpus.vocab_size, 16, sparse=sparse), seed=seed)
    batches = Word2VecBatches(corpus, batch_size=64, seed=seed)
    return Trainer(model, batches, w2v_loss, optimizer=optimizer, lr=lr, clip="none")


def test_step_5_5_equals_step_10(grammar_corpus):
    a, b = _trainer(grammar_corpus), _trainer(grammar_corpus)
    la = [s.loss for s in a.step(5) + a.step(5)]
    lb = [s.loss for s in b.step(10)]
    assert la == lb
    np.testing.assert_array_equal(a.model.vectors(), b.model.vectors())


def test_batches_cross_epochs_deterministically():
    corpus = _numbered_corpus(120)
    a = Word2VecBatches(corpus, batch_size=50, subsample=0.0, seed=4)
    b = Word2VecBatches(corpus, batch_size=50, subsample=0.0, seed=4)
    for _ in range(40):  # several epochs of 120 centres (all pairs of 12 centres a batch)
        x, y = a.next(), b.next()
        assert torch.equal(x["center"], y["center"]) and torch.equal(x["context"], y["context"])
    assert a.epoch > 3


def test_sparse_gradients_give_the_same_sgd_updates(grammar_corpus):
    dense = _trainer(grammar_corpus, sparse=False, optimizer="sgd", lr=0.5)
    sparse = _trainer(grammar_corpus, sparse=True, optimizer="sgd", lr=0.5)
    ld, ls = [s.loss for s in dense.step(20)], [s.loss for s in sparse.step(20)]
    np.testing.assert_allclose(ld, ls, rtol=1e-5)
    np.testing.assert_allclose(dense.model.vectors(), sparse.model.vectors(), atol=1e-6)


def _mean_cos(index, pairs):
    return float(np.mean([index.unit[index.pos[a]] @ index.unit[index.pos[b]] for a, b in pairs]))


@pytest.mark.parametrize("algorithm", ["skipgram", "cbow"])
def test_training_groups_shared_contexts_and_solves_analogies(algorithm):
    """Behaviour: within 400 steps (B=1024, SGD at 0.025 falling over 20 passes,
    E=32) the pairs that share contexts (king/queen, dog/dogs) become much closer than
    unrelated words, and at least 90% of the 162 gender and plural analogies are solved
    (top-1, query words excluded). (Cosine 0.7 was 0.75 with the old Adam trainer, whose
    vectors bunched more: a property of that trainer.)"""
    torch.manual_seed(0)
    exp = W2VExperiment.build(EmbConfig(algorithm=algorithm, seed=1, epochs=20),
                              load_corpus("grammar"), eval_every=100)
    pairs = GENDER_PAIRS + PLURAL_PAIRS
    unrelated = [(p[0], q[0]) for p, q in zip(GENDER_PAIRS, PLURAL_PAIRS)]  # king/dog, ...
    before = _mean_cos(exp.index(), pairs)
    exp.step(400)
    index = exp.index()
    after, other = _mean_cos(index, pairs), _mean_cos(index, unrelated)
    assert after > 0.7 and after > other + 0.4, (before, after, other)
    score = analogy_accuracy(index)
    assert score.total == 162 and score.accuracy >= 0.9, score
    assert [e.step for e in exp.evals] == [0, 100, 200, 300, 400]
    assert exp.evals[0].analogy.accuracy < 0.1  # random vectors solve almost none


@pytest.mark.parametrize("text,needle", [
    ("hello hello hello hello", "1 distinct word"),
    ("hello", "at least 2 distinct words"),
    ("one. two. three.", "two known words"),
])
def test_degenerate_texts_give_clear_messages(text, needle):
    with pytest.raises(CorpusError, match=needle):
        build_w2v_corpus(text, min_count=1)


def test_min_count_and_sentences():
    c = build_w2v_corpus("the cat sat\nthe dog sat\nthe cat ran. a b", min_count=2)
    assert c.words == ["the", "cat", "sat"]
    assert c.ids.tolist() == [0, 1, 2, 0, 2, 0, 1]  # "the dog sat" keeps the, sat
    assert c.sentence.tolist() == [0, 0, 0, 1, 1, 2, 2]
    np.testing.assert_array_equal(c.counts, [3, 2, 2])


def test_chinese_sentence_ends_cut_windows():
    c = build_w2v_corpus("猫 吃 鱼。狗 吃 肉！猫 吃 肉？狗 吃 鱼", min_count=1)
    assert c.sentence.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert sentences("你好。再见！好吗？")[:2] == [["你好"], ["再见"]]


def test_words_only_in_one_word_sentences_are_dropped():
    """Every vocabulary word is in a sentence with another word, so every word is trained."""
    text = "the cat sat. the dog sat. Hello! the cat ran. Hello. the dog ran. wow. wow"
    c = build_w2v_corpus(text, min_count=1)
    assert "hello" not in c.words and "wow" not in c.words
    # dropping rare words can leave a frequent one alone in its sentence: "ran" there
    c = build_w2v_corpus("a b. a b. x ran. ran y. a b", min_count=2)
    assert c.words == ["a", "b"]
    with pytest.raises(CorpusError, match="two known words"):
        build_w2v_corpus("hi hi. yo. yo. yo", min_count=1)
    prose = build_w2v_corpus(load_corpus("prose"), min_count=3)
    seen = torch.bincount(prose.ids, minlength=prose.vocab_size)
    assert torch.all(seen >= 1)
    sizes = torch.bincount(prose.sentence)
    assert torch.all(sizes[prose.sentence] >= 2)  # every token has a sentence-mate


def test_index_from_experiment_matches_vectors(grammar_corpus):
    exp = W2VExperiment.build(EmbConfig(), corpus=grammar_corpus)
    index = exp.index()
    assert isinstance(index, Index) and index.words == grammar_corpus.words
    np.testing.assert_allclose(np.linalg.norm(index.unit, axis=1), 1.0)


# ---- other sources: language-model embeddings and hidden states ------------------------------
def _tiny_lm(level="word"):
    from seqviz.data import Vocab, tokenize
    from seqviz.models.lm import LMSpec, build_lm

    text = load_corpus("grammar", 3000)
    vocab = Vocab.build(tokenize(text, level))
    return build_lm(LMSpec(len(vocab), 8, 12, cell="gru"), seed=0), vocab, text


def test_lm_hidden_states_are_the_top_layer_outputs():
    from seqviz.data import tokenize
    from seqviz.embeddings.experiment import lm_hidden_set

    model, vocab, text = _tiny_lm()
    ids = torch.tensor(vocab.encode(tokenize(text, "word")))
    eset = lm_hidden_set(model, vocab, "word", ids, "tiny", max_points=50)
    with torch.no_grad():
        out, _ = model.rnn(model.embed(ids[None, :50]))  # (1, T, H), reference path
    np.testing.assert_allclose(eset.vectors, out[0].numpy(), rtol=1e-5, atol=1e-6)
    assert eset.kind == "states" and len(eset.labels) == len(set(eset.labels)) == 50
    nxt = vocab.decode(ids[1:51].tolist())
    assert eset.labels[0].endswith("→ " + nxt[0].replace("\n", "⏎"))
    assert len({g for g in eset.groups if g != "other"}) <= 8
    assert eset.short[0] == vocab.decode([int(ids[0])])[0]


def test_lm_embeddings_in_frequency_order():
    from seqviz.embeddings.experiment import lm_embedding_set

    model, vocab, _ = _tiny_lm("char")
    counts = np.arange(len(vocab))  # the last token is the most frequent
    eset = lm_embedding_set(model, vocab, "tiny", counts)
    assert eset.labels[0] == vocab.itos[-1].replace(" ", "␣").replace("\n", "⏎")
    np.testing.assert_allclose(eset.vectors[0], model.embed.weight[-1].detach().numpy())
    assert "␣" in eset.labels and "⏎" in eset.labels  # whitespace made visible


def test_bundled_lm_checkpoints_load_or_say_why(tmp_path, monkeypatch):
    import seqviz.checkpoint as ckpt
    from seqviz.embeddings.experiment import load_pretrained_lm

    monkeypatch.setattr(ckpt, "PRETRAINED_DIR", tmp_path)
    with pytest.raises(ckpt.CheckpointError, match="No bundled language model named 'lm_x'"):
        load_pretrained_lm("lm_x")
    model, vocab, _ = _tiny_lm()
    ckpt.save_lm(tmp_path / "lm_tiny.pt", model, vocab, "word", meta={"corpus": "grammar"})
    loaded, v2, level, meta = load_pretrained_lm("lm_tiny")
    assert v2 == vocab and level == "word" and meta["corpus"] == "grammar"
    torch.testing.assert_close(loaded.embed.weight, model.embed.weight)


def test_page_config_round_trips_through_the_url():
    import dataclasses

    from seqviz.config import from_query, rebuild_changes, to_query

    cfg = EmbConfig(algorithm="cbow", subsample=1e-4, tsne_lr=200.0, probes="king, dog", seed=7)
    back, notices = from_query(EmbConfig, to_query(cfg))
    assert back == cfg and notices == []
    # view settings never rebuild the model; model settings do
    view = dataclasses.replace(cfg, projection="pca", perplexity=30.0, points=50, lr=0.01,
                               colour="frequency", source="lm_embed")
    assert rebuild_changes(cfg, view) == []
    assert rebuild_changes(cfg, dataclasses.replace(cfg, window=5)) == ["window"]


def test_progress_counts_the_pairs_handed_out_not_the_pairs_made_ahead():
    """Pairs are made for thousands of centres at once (``PAIR_CHUNK``); the learning rate
    must follow the pairs trained, so ``progress`` counts centres whose pairs were handed out.
    (It counted the centres made ahead: the rate ran up to 15 % of a pass early, hit its floor
    before the last pass ended, and a bench "pass" trained 1.5 % fewer pairs than gensim's.)"""
    corpus = _numbered_corpus(1200)
    b = Word2VecBatches(corpus, batch_size=40, window=2, subsample=0.0, seed=1)
    per_pass = len(b._order)
    seen = []
    while b.epoch == 1:
        b.next()
        seen.append(b.progress)
    # centres are ids here (word id == position): the next pair's centre says how many
    # centres were fully handed out before it, in this pass's shuffled order
    assert seen == sorted(seen) and seen[0] < 40 / per_pass
    b2 = Word2VecBatches(corpus, batch_size=40, window=2, subsample=0.0, seed=1)
    for _ in range(10):
        batch = b2.next()
    done = (b2._order[:b2._cursor] == int(b2._buf[0][b2._buf_at])).nonzero()
    assert b2.progress == pytest.approx(int(done[0, 0]) / per_pass)
    assert b2._cursor / per_pass > b2.progress + 0.2  # the chunk made ahead does not count
    assert len(batch["center"]) == 40


def test_the_rate_is_held_for_blocks_of_10000_words_as_in_gensim():
    from seqviz.embeddings.experiment import MIN_LR, RATE_BLOCK, corpus_text, held_progress

    exp = W2VExperiment.build(EmbConfig(corpus="prose", batch_size=1024, seed=0),
                              corpus_text("prose"), eval_every=10**9)
    block = RATE_BLOCK / len(exp.corpus.ids)
    assert 0.1 < block < 0.3  # prose: 52k words, five blocks and a bit a pass
    lrs, progress = [], []
    while exp.batches.progress < 1.05:
        lrs.append(exp.step_lr() / 1024)
        progress.append(exp.batches.progress)
        exp.step(1)
    changes = [p for p, a, b in zip(progress[1:], lrs, lrs[1:]) if b != a]
    assert len(changes) == math.ceil(1 / block)  # once per block, and again at the new pass
    for p in changes:  # each drop lands on a block's start: the linear rate there
        start = held_progress(p, block)
        assert start <= p and (p - start) < 0.03
        assert exp.cfg.lr * (1 - (1 - MIN_LR) * start / exp.cfg.epochs) == pytest.approx(
            lrs[progress.index(p)], rel=1e-12)  # gensim: alpha - (alpha - min_alpha) * done
    assert lrs[0] == exp.cfg.lr and held_progress(1.0, block) == 1.0
