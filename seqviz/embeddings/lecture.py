"""The embeddings page's lecture: five steps (the fifth on GloVe and debiasing), each a link that
sets the page up, a question to predict and the answer measured with that setup (seed 0, the page's defaults otherwise).

In Chinese the steps run the Chinese grammar, so the class reads its own words (国王, 王后 …):
titles, what to watch and the questions are shared (their translations name the Chinese words),
answers are measured per grammar. ``extra["claim"]`` holds each answer's numbers, which
``tests/test_embeddings_lecture.py`` measures again (and finds in the answer's text).
"""

from __future__ import annotations

from seqviz.i18n import N_
from seqviz.lecture import LectureStep

_TITLES = (N_("Words used alike move together"), N_("Vector arithmetic: king − man + woman"),
           N_("Two dimensions are not enough"), N_("CBOW against skip-gram"),
           N_("GloVe beside word2vec, then debiasing"))
_WATCH = (
    N_("The probe-word table under the map: king's nearest neighbours, and the royalty points "
       "gathering on the map."),
    N_("The parallelogram king → man → woman → queen on the PCA map, and the analogy-accuracy "
       "curve."),
    N_("With E = 2 the PCA map is the vectors themselves (only turned); watch the "
       "analogy-accuracy curve."),
    N_("The analogy-accuracy curve at step 50; compare it with step 1's skip-gram run."),
    N_("The GloVe tab under the map: both accuracy curves on one chart. Then the Debiasing "
       "tab, on GloVe's vectors."),
)
_QUESTIONS = (
    N_("After 50 steps, which word is king's nearest neighbour, and how close is it (cosine "
       "similarity)?"),
    N_("Random vectors solve about 1 % of the 162 analogies (king − man + woman ≈ queen and the "
       "like). What share will word2vec solve after 200 steps?"),
    N_("With only 2 numbers per word, how many of the 162 analogies will word2vec solve after "
       "200 steps?"),
    N_("CBOW predicts the centre word from the average of its context words. At step 50, will "
       "it solve more analogies than skip-gram, or fewer?"),
    N_("GloVe fits the logarithm of the co-occurrence counts instead of predicting context "
       "words. After 300 steps, will it solve more of the 162 analogies than word2vec did in "
       "step 2 (200 steps), or fewer?"),
)
_AFTER = (50, 200, 200, 50, 300)  # 1,024 pairs a step: the rate reaches its floor near step 230
_PARAMS = ({}, {"projection": "pca"}, {"embed_size": "2", "projection": "pca"},
           {"algorithm": "cbow"}, {"tab": "glove"})

_ANSWERS = {
    "grammar": (
        (N_("queen, with cosine 0.98; the next word (princess) follows at 0.97. King and queen "
            "occur in the same sentences except for he / she, so their vectors nearly coincide."),
         {"neighbour": ("king", "queen"), "cosine": 0.98, "second": 0.97}),
        (N_("100 %: 162 of 162 at step 200 (gender 72 of 72, plural 90 of 90)."),
         {"correct": 162}),
        (N_("Almost none: 10 of 162 at step 200. Two numbers per word cannot keep royalty, "
            "gender, animals and plural apart; with E = 32 (step 2) it solved 162."),
         {"correct": 10}),
        (N_("More on this grammar: CBOW solves 99 of 162 at step 50, skip-gram 86."),
         {"correct": 99, "skipgram": 86}),
        (N_("word2vec: 162 of 162 at step 200 (step 2) against GloVe's 91 at step 300. On a "
            "corpus this small GloVe also fits the noise of every count. Debiasing GloVe's vectors "
            "with all 11 pairs takes its gender analogies from 53 to 26 of 72: equalise rewrites "
            "the very differences the analogies use."),
         {"correct": 91, "skipgram": 162, "gender": 53, "gender_after": 26}),
    ),
    "grammar_zh": (
        (N_("王后, with cosine 0.98; the next word (王子) follows at 0.97. 国王 and 王后 occur "
            "in the same sentences except for 他 / 她, so their vectors nearly coincide."),
         {"neighbour": ("国王", "王后"), "cosine": 0.98, "second": 0.97}),
        (N_("97 %: 157 of 162 at step 200 (gender 72 of 72, adult → young 85 of 90)."),
         {"correct": 157}),
        (N_("Almost none: 4 of 162 at step 200. Two numbers per word cannot keep royalty, "
            "gender, animals and age apart; with E = 32 (step 2) it solved 157."),
         {"correct": 4}),
        (N_("More on this grammar: CBOW solves 58 of 162 at step 50, skip-gram 54."),
         {"correct": 58, "skipgram": 54}),
        (N_("word2vec: 157 of 162 at step 200 (step 2) against GloVe's 72 at step 300. On a "
            "corpus this small GloVe also fits the noise of every count. Debiasing GloVe's vectors "
            "with all 11 pairs takes its gender analogies from 35 to 31 of 72: equalise rewrites "
            "the very differences the analogies use."),
         {"correct": 72, "skipgram": 157, "gender": 35, "gender_after": 31}),
    ),
}


def lecture_steps(lang: str = "en") -> list[LectureStep]:
    """The steps for a class in ``lang``: the Chinese grammar in Chinese, else the English."""
    corpus = "grammar_zh" if lang == "zh" else "grammar"
    return [LectureStep(title, {"corpus": corpus, **params}, watch, question, answer, after,
                        {"claim": claim})
            for title, params, watch, question, (answer, claim), after
            in zip(_TITLES, _PARAMS, _WATCH, _QUESTIONS, _ANSWERS[corpus], _AFTER)]
