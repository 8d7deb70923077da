"""The dependency rule: the core never imports Streamlit; figures never import models."""

import subprocess
import sys

CORE = ["seqviz", "seqviz.config", "seqviz.data", "seqviz.models", "seqviz.models.lm",
        "seqviz.models.ngram", "seqviz.train", "seqviz.decode", "seqviz.lm_experiment",
        "seqviz.figures.training", "seqviz.tasks", "seqviz.gradients", "seqviz.cliff",
        "seqviz.clipping_run", "seqviz.beam", "seqviz.search_problem", "seqviz.checkpoint",
        "seqviz.probes", "seqviz.neurons", "seqviz.project", "seqviz.hidden_config",
        "seqviz.s2s_experiment", "seqviz.s2s_checkpoint", "seqviz.s2s_study", "seqviz.s2s_tasks",
        "seqviz.models.seq2seq", "seqviz.bleu", "seqviz.search_s2s", "seqviz.embeddings",
        "seqviz.tsne", "seqviz.export", "seqviz.w2v_experiment", "seqviz.models.word2vec",
        "seqviz.s2s_generators"]
FIGURES = ["seqviz.figures.training", "seqviz.figures.gradients", "seqviz.figures.clipping",
           "seqviz.figures.beam", "seqviz.figures.hidden", "seqviz.figures.text",
           "seqviz.figures.attention", "seqviz.figures.embeddings"]


def _modules_after_import(mod: str) -> set[str]:
    code = f"import sys, {mod}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def _has_streamlit(loaded: set[str]) -> bool:
    return any(m == "streamlit" or m.startswith("streamlit.") for m in loaded)


def test_core_never_imports_streamlit():
    # one interpreter for all (each start imports torch); on failure, name the culprit
    if _has_streamlit(_modules_after_import(", ".join(CORE))):
        culprits = [m for m in CORE if _has_streamlit(_modules_after_import(m))]
        raise AssertionError(f"these core modules import streamlit: {culprits}")


def test_figures_do_not_import_models():
    loaded = _modules_after_import(", ".join(FIGURES))
    assert "seqviz.models" not in loaded and "torch" not in loaded
