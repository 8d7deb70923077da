"""2-D projections: PCA (scikit-learn) and a t-SNE that animates (openTSNE).

t-SNE (van der Maaten and Hinton 2008) matches perplexity-calibrated Gaussian affinities in the
original space with Student-t affinities in the map. openTSNE (Poličar, Stražar and Zupan 2024)
separates the two halves, which is what an animation needs: the affinities are computed once
(``prepare``), then ``TSNEEmbedding.optimize(n, inplace=True)`` advances n gradient steps and
keeps the per-point gains and momentum, so a page can run a few iterations per tick and draw the
map in between. The schedule is the standard one: early exaggeration (×12, momentum 0.5) for
the first 250 iterations, then 250 in the normal phase (momentum 0.8). The learning rate "auto" is
n / exaggeration (Belkina et al. 2019), as in openTSNE. The exaggerated affinities are computed
once, so ``step(5); step(5)`` gives exactly the map of ``step(10)`` (tested).

While word2vec keeps training, ``follow(X)`` recomputes the affinities of the moved vectors and
continues from the current map, so the picture morphs instead of restarting. Vectors that changed
their neighbourhoods a lot (random vectors becoming trained ones) get a short exaggeration phase
again, in proportion to how much P changed: without it, a map that first settled on random
vectors untangles slowly (KL 0.88 after 150 iterations against 0.31 from scratch, grammar
corpus; with it 0.31). A map is ``settled`` once its points move less than ``SETTLE_TOL`` of
its spread per iteration (or its iterations are done).
"""

from __future__ import annotations

import numpy as np
from openTSNE import TSNEEmbedding
from openTSNE.affinity import PerplexityBasedNN
from openTSNE.initialization import pca as pca_init
from sklearn.decomposition import PCA

from seqviz.i18n import N_, Msg

MIN_POINTS = 5
EARLY_EXAGGERATION = 12.0
EARLY_ITER = 250
TOTAL_ITER = 500  # 250 early exaggeration + 250 normal: on planted clusters 750 (openTSNE's
#                   default) gives the same trustworthiness (0.978 at n=1,000) for 1.5x the time
FOLLOW_ITER = 300  # normal iterations at most after the data moved (it settles sooner)
FOLLOW_EXAGGERATION = 100  # exaggerated iterations after a follow that changed P completely
FOLLOW_FULL_CHANGE = 0.5  # total variation of P counted as a complete change
SETTLE_TOL = 1e-3  # mean displacement per iteration, in units of the map's spread (a fresh
#                    500-iteration run of the grammar's vectors ends moving 0.7-2e-3)
INIT_STD = 1e-4  # openTSNE's PCA initialisation scale
COLLAPSED = 1e-8  # a map this small is rescaled to INIT_STD when the data moves


PHASES = {"early exaggeration": N_("early exaggeration"), "normal": N_("normal"),
          "done": N_("done"), "settled": N_("settled")}


class ProjectionError(ValueError):
    """Data a projection cannot handle; ``str(err)`` is fit to show on a page. Raised with a
    ``Msg`` (``err.msg``), so a worker can pass it on and the page translates it."""

    def __init__(self, msg: Msg):
        super().__init__(msg)
        self.msg = msg

    def __str__(self) -> str:
        return str(self.msg)


def max_perplexity(n_points: int) -> float:
    """The largest perplexity n points allow: every point needs 3 × perplexity neighbours."""
    return max(0.0, (n_points - 1) / 3.0)


def check_tsne_input(X: np.ndarray, perplexity: float) -> np.ndarray:
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ProjectionError(Msg(N_("t-SNE needs a 2-D array (points, dimensions), got shape "
                                     "{shape}."), shape=str(X.shape)))
    n = len(X)
    if n < MIN_POINTS:
        raise ProjectionError(Msg(N_("t-SNE needs at least {least} points; there are {n}."),
                                  least=MIN_POINTS, n=n))
    if not np.isfinite(X).all():
        raise ProjectionError(Msg(N_("The vectors contain NaN or infinite values; t-SNE cannot "
                                     "run.")))
    if not perplexity > 0:
        raise ProjectionError(Msg(N_("The perplexity must be positive, got {value}."),
                                  value=perplexity))
    if perplexity > max_perplexity(n):
        need = int(np.ceil(3 * perplexity)) + 1
        raise ProjectionError(Msg(N_(
            "Perplexity {perplexity} needs at least {need} points (3 × perplexity neighbours "
            "each), but there are only {n}. Use a perplexity of at most {most}, or show more "
            "points."), perplexity=f"{perplexity:g}", need=need, n=n,
            most=int(max_perplexity(n))))
    return X


def plan_projection(method: str, n_points: int, perplexity: float) -> tuple[str, float, str | None]:
    """(method, perplexity, notice) that work for ``n_points``: t-SNE falls back to PCA below
    ``MIN_POINTS`` and lowers a perplexity the points cannot support, saying so."""
    if method != "tsne":
        return method, perplexity, None
    if n_points < MIN_POINTS:
        return "pca", perplexity, Msg(N_("t-SNE needs at least {least} points; there are {n}. "
                                         "Showing PCA."), least=MIN_POINTS, n=n_points)
    if perplexity > max_perplexity(n_points):
        lower = max(1.0, float(np.floor(max_perplexity(n_points))))
        return "tsne", lower, Msg(N_(
            "Perplexity {perplexity} needs at least {need} points (3 × perplexity neighbours "
            "each); there are {n}. Using perplexity {lower}; show more points or lower the "
            "slider."), perplexity=f"{perplexity:g}", need=int(np.ceil(3 * perplexity)) + 1,
            n=n_points, lower=f"{lower:g}")
    return "tsne", perplexity, None


class _Exaggerated:
    """Affinities whose P (sparse, N x N) is already multiplied by the early exaggeration."""

    def __init__(self, P):
        self.P = P


class AnimatedTSNE:
    """t-SNE advanced a few iterations at a time: ``step(n)``, ``iteration``, ``coords``."""

    def __init__(self, X: np.ndarray, *, perplexity: float = 30.0,
                 learning_rate: float | str = "auto", early_iter: int = EARLY_ITER,
                 total_iter: int = TOTAL_ITER, seed: int = 0, n_jobs: int = 1,
                 negative_gradient_method: str = "auto", neighbors: str = "auto"):
        X = check_tsne_input(X, perplexity)
        self.perplexity, self.seed, self.n_jobs = float(perplexity), int(seed), int(n_jobs)
        self.learning_rate = learning_rate if learning_rate == "auto" else float(learning_rate)
        self.early_iter, self.total_iter = int(early_iter), int(total_iter)
        self.neighbors = neighbors
        self.iteration = 0
        self.kl_divergence = float("nan")
        self.movement = float("inf")  # mean point displacement per iteration / spread, last step
        self._set_affinities(X)
        init = pca_init(X, random_state=self.seed)  # (N, 2), PCA scaled to std 1e-4
        self._embedding = TSNEEmbedding(
            init, self._affinities, negative_gradient_method=negative_gradient_method,
            random_state=self.seed, n_jobs=self.n_jobs)

    def _set_affinities(self, X: np.ndarray) -> None:
        self._affinities = PerplexityBasedNN(X, perplexity=self.perplexity, method=self.neighbors,
                                             n_jobs=self.n_jobs, random_state=self.seed)
        self._early = _Exaggerated(self._affinities.P * EARLY_EXAGGERATION)

    @property
    def n_points(self) -> int:
        return len(self._embedding)

    @property
    def phase(self) -> str:
        if self.iteration < self.early_iter:
            return "early exaggeration"
        return "normal" if self.iteration < self.total_iter else "done"

    @property
    def done(self) -> bool:
        return self.iteration >= self.total_iter

    @property
    def settled(self) -> bool:
        """Done, or past the exaggeration with points that have almost stopped moving."""
        return self.done or (self.iteration >= self.early_iter and self.movement < SETTLE_TOL)

    @property
    def coords(self) -> np.ndarray:
        """The current map (N, 2), a copy."""
        return np.array(self._embedding, dtype=np.float64)

    def set_learning_rate(self, learning_rate: float | str) -> None:
        """Applies from the next iteration on (gains and momentum are kept)."""
        self.learning_rate = learning_rate if learning_rate == "auto" else float(learning_rate)

    def step(self, n: int) -> int:
        """Advance up to n iterations (crossing the phase boundary if needed); returns how many."""
        done = 0
        while done < n and not self.done:
            early = self.iteration < self.early_iter
            limit = self.early_iter if early else self.total_iter
            k = min(n - done, limit - self.iteration)
            exaggeration = EARLY_EXAGGERATION if early else 1.0
            lr = self.learning_rate
            if lr == "auto":
                lr = self.n_points / exaggeration  # openTSNE's and Belkina et al.'s rule
            # The early phase optimises against P pre-multiplied once. openTSNE would multiply
            # and divide P in place on every call, and that rounding would make the map depend
            # on how the iterations are split into ticks.
            self._embedding.affinities = self._early if early else self._affinities
            before = np.array(self._embedding, dtype=np.float64)
            self._embedding.optimize(k, inplace=True, learning_rate=lr, exaggeration=1.0,
                                     momentum=0.5 if early else 0.8)
            self._keep_scale()
            kl = float(self._embedding.kl_divergence)
            self.kl_divergence = kl / exaggeration - np.log(exaggeration)  # KL of the true P
            self.iteration += k
            done += k
            self.movement = float("inf")  # only the normal phase can settle
            if not early:
                after = np.asarray(self._embedding, dtype=np.float64)
                spread = float(np.std(after)) or 1.0
                self.movement = float(np.linalg.norm(after - before, axis=1).mean()) / k / spread
        return done

    def run(self) -> np.ndarray:
        """Every remaining iteration; returns the final map."""
        self.step(self.total_iter - self.iteration)
        return self.coords

    def follow(self, X: np.ndarray, extra_iter: int = FOLLOW_ITER) -> float:
        """New affinities for moved vectors (same points); continue from the current map, with
        up to ``FOLLOW_EXAGGERATION`` exaggerated iterations first. Returns how much P changed
        (total variation, 0..1)."""
        X = check_tsne_input(X, self.perplexity)
        if len(X) != self.n_points:
            raise ValueError(f"follow() needs the same {self.n_points} points, got {len(X)}")
        old = self._affinities.P
        self._set_affinities(X)
        change = 0.5 * float(abs(self._affinities.P - old).sum())  # both sum to 1
        again = int(round(FOLLOW_EXAGGERATION * min(1.0, change / FOLLOW_FULL_CHANGE)))
        self.early_iter = max(self.early_iter, self.iteration + again)
        self.total_iter = max(self.total_iter, max(self.early_iter, self.iteration)
                              + int(extra_iter))
        self.movement = float("inf")
        self._keep_scale()
        return change

    def _keep_scale(self) -> None:
        """Early exaggeration on unstructured (e.g. still random) vectors contracts the map
        towards a point, by ~1e-7 per 50 iterations. At that scale the gradient is linear in the
        positions, so scaling positions and momentum by the same factor changes nothing but
        keeps the shape representable in floating point (and drawable)."""
        spread = float(np.std(self._embedding))
        if 0 < spread < COLLAPSED:
            factor = INIT_STD / spread
            self._embedding *= factor
            if getattr(self._embedding.optimizer, "update", None) is not None:
                self._embedding.optimizer.update *= factor


def tsne(X: np.ndarray, **kwargs) -> np.ndarray:
    """A full t-SNE run in one call (benchmarks and tests)."""
    return AnimatedTSNE(X, **kwargs).run()


def pca_2d(X: np.ndarray, previous: np.ndarray | None = None, seed: int = 0
           ) -> tuple[np.ndarray, np.ndarray]:
    """First two principal components (N, 2) and their explained-variance ratios (2,).

    With ``previous`` coordinates of the same points, each axis's sign is flipped to agree with
    them, so an animation does not jump when an eigenvector's arbitrary sign changes.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or len(X) < 2:
        raise ProjectionError(Msg(N_("PCA needs at least 2 points; there are {n}."),
                                  n=len(X) if X.ndim else 0))
    if not np.isfinite(X).all():
        raise ProjectionError(Msg(N_("The vectors contain NaN or infinite values; PCA cannot "
                                     "run.")))
    k = min(2, X.shape[0], X.shape[1])
    pca = PCA(n_components=k, svd_solver="full", random_state=seed)
    out = np.zeros((len(X), 2))
    out[:, :k] = pca.fit_transform(X)
    ratio = np.zeros(2)
    ratio[:k] = np.nan_to_num(pca.explained_variance_ratio_)
    if previous is not None and np.shape(previous) == out.shape:
        for j in range(2):
            if float(out[:, j] @ np.asarray(previous)[:, j]) < 0:
                out[:, j] = -out[:, j]
    return out, ratio


class LiveProjection:
    """A 2-D map of vectors that may keep moving (word2vec training): PCA or animated t-SNE.

    ``follow(X)`` takes moved vectors (PCA is redone with its signs kept; t-SNE gets new
    affinities and continues from its current map); ``advance(n)`` runs n more t-SNE iterations.
    """

    def __init__(self, X: np.ndarray, method: str = "tsne", *, perplexity: float = 30.0,
                 learning_rate: float | str = "auto", seed: int = 0):
        if method not in ("pca", "tsne"):
            raise ValueError(f"method must be 'pca' or 'tsne', got {method!r}")
        self.method, self.seed = method, int(seed)
        self.tsne: AnimatedTSNE | None = None
        self.ratio = np.zeros(2)
        if method == "tsne":
            self.tsne = AnimatedTSNE(X, perplexity=perplexity, learning_rate=learning_rate,
                                     seed=seed)
            self.coords = self._display(self.tsne.coords)
        else:
            self.coords, self.ratio = pca_2d(X, seed=seed)

    @property
    def running(self) -> bool:
        """True until t-SNE has settled (PCA is instant)."""
        return self.tsne is not None and not self.tsne.settled

    def follow(self, X: np.ndarray) -> None:
        if self.tsne is None:
            self.coords, self.ratio = pca_2d(X, previous=self.coords, seed=self.seed)
        else:
            self.tsne.follow(X)

    def advance(self, iterations: int) -> int:
        """Up to ``iterations`` more t-SNE iterations; returns how many ran (0 for PCA)."""
        if self.tsne is None or iterations <= 0:
            return 0
        done = self.tsne.step(iterations)
        self.coords = self._display(self.tsne.coords)
        return done

    def update(self, X: np.ndarray | None, iterations: int = 0, moved: bool = False) -> None:
        """``follow(X)`` if the vectors moved, then ``advance(iterations)``."""
        if moved and X is not None:
            self.follow(X)
        self.advance(iterations)

    @staticmethod
    def _display(xy: np.ndarray) -> np.ndarray:
        """t-SNE coordinates have no unit: drawn at unit spread, whatever the phase."""
        spread = float(np.std(xy))
        return xy / spread if spread > 0 else xy

    @property
    def axes(self) -> tuple[Msg, Msg]:
        """Axis titles (translated when shown)."""
        if self.tsne is not None:
            return Msg("t-SNE 1"), Msg("t-SNE 2")
        return tuple(Msg(N_("PC {i} ({share} of variance)"), i=i + 1, share=f"{r:.0%}")
                     for i, r in enumerate(self.ratio))

    @property
    def status(self) -> Msg:
        """What the map is doing (translated when shown)."""
        if self.tsne is None:
            return Msg(N_("PCA: the two axes keep {share} of the variance."),
                       share=f"{self.ratio.sum():.0%}")
        t = self.tsne
        phase = PHASES["settled" if t.settled else t.phase]
        if not np.isfinite(t.kl_divergence):
            return Msg(N_("t-SNE iteration {i} ({phase})"), i=t.iteration, phase=Msg(phase))
        return Msg(N_("t-SNE iteration {i} ({phase}), KL divergence {kl}"), i=t.iteration,
                   phase=Msg(phase), kl=f"{t.kl_divergence:.3f}")
