"""A trained critic beside the evolved judges: a classifier on a trial's summary statistics,
fitted to the samples of recent generations (docs/concepts.md, "Memory").

The evolved judges read a trial step by step and keep only what selection rewards: once the
models sit on the truth, a group of them can drift to a value the judges of the moment do not
tell from the system, although one trial of it moves a statistic of the agent's motion by
several of the system's spreads (docs/results.md, "Guards"). A critic that is *fitted*, not
selected, reads those statistics whenever they differ: each generation it judges the
population's samples (out of sample: it was fitted on earlier generations), its mean
P(genuine) on a model's samples makes ``weight`` of the model's fitness, and then it is fitted
again on the genuine and the population's samples of the last ``window`` generations
(experience replay, as the "history of refined images" of Shrivastava et al., 2017). The
discrepancy is that of likelihood-free inference by classification (Gutmann et al., 2018).

Judged one sample at a time, a model is rewarded for samples typical of the system, not for
samples distributed as the system's are: the mean P(genuine) over its samples is highest for a
model that puts every sample where the classifier reads "genuine" most, so a spread between
individuals is learned as none and a coefficient that widens the statistics' spread is pulled
low. With ``sets`` it judges a model's samples of a generation as one set instead, by the mean
and the spread of their statistics across it, against sets of as many genuine samples (the
minibatch discrimination of Salimans et al., 2016, on summary statistics).

Caveat: its statistics are :func:`~turinglearn.core.evaluation.trajectory_features`, those the
held-out test's classifier reads, so a run with a critic is fitted towards that test; its
parameter error against a known truth stays an independent check.
"""

from __future__ import annotations

import numpy as np

from turinglearn.core.evaluation import trajectory_features
from turinglearn.core.fitness import model_fitness


class FeatureCritic:
    """A logistic classifier on the standardised statistics ``z`` of a trial and their squares
    (``sigmoid(w . z + u . z^2 + b)``, a genuine region that can be bounded on both sides),
    fitted by Newton's method to the class-balanced log loss (its mean over the genuine samples
    and over the counterfeit ones, averaged) plus ``penalty / 2 |(w, u)|^2``. The penalty keeps
    its P(genuine) graded where the classes are told apart perfectly (a population far from the
    system), so that the models nearer to it still rank above the others.

    weight: its share of a model's fitness, in (0, 1]; window: generations of samples it is
    fitted on (each generation's genuine samples and the population's; the oldest dropped);
    steps: Newton steps per fit, from the last fit's weights; trials: on an interrogated system,
    the trials of each model (and as many of the system) it runs a generation (None: the
    system's ``trials_per_model``; a passive system's samples are the generation's); sets: judge
    each model's samples of a generation as one set (:func:`as_sets`), against sets of as many
    genuine samples taken in the batch's order (on a swarm with ``genuine_per_trial`` equal to
    the replicas, the agents of a model's swarms).
    """

    def __init__(
        self,
        weight: float = 0.5,
        window: int = 20,
        penalty: float = 0.1,
        steps: int = 5,
        trials: int | None = None,
        sets: bool = False,
    ):
        if not 0 < weight <= 1:
            raise ValueError(
                f"the critic's weight is its share of a model's fitness, in (0, 1], got {weight}"
            )
        if window < 1:
            raise ValueError(f"the critic's window is a number of generations, at least 1, got {window}")
        if trials is not None and trials < 1:
            raise ValueError(f"the critic's trials are trials of each model a generation, at least 1, got {trials}")
        self.trials = None if trials is None else int(trials)
        self.sets = bool(sets)
        self.weight, self.window, self.penalty, self.steps = (
            float(weight),
            int(window),
            float(penalty),
            int(steps),
        )
        self.z: list[np.ndarray] = []  # per generation [S_g, K] statistics
        self.y: list[np.ndarray] = []  # per generation [S_g] 1 genuine, 0 the population's
        self.coef: np.ndarray | None = None  # [2 K + 1] (w, u, b) on the standardised statistics
        self.centre: np.ndarray | None = None  # [K] the standardisation the coefficients were fitted with
        self.scale: np.ndarray | None = None  # [K]

    def criticise(
        self, x: np.ndarray, genuine: np.ndarray, owner: np.ndarray, models: int
    ) -> tuple[np.ndarray, float]:
        """One generation: judge its samples x [S, T, F] (``genuine`` [S]; ``owner`` [S], -1 for
        the system's, ``< models`` the population's), then learn the system's and the population's.

        Returns [models] the mean P(genuine) on each model's samples, and the balanced accuracy on
        the system's and the population's samples (NaN before the first fit): both out of sample.
        """
        owner, genuine = np.asarray(owner), np.asarray(genuine, dtype=bool)
        mine = genuine | ((owner >= 0) & (owner < models))  # the system's samples and the population's
        z = self.statistics(_numpy(x)[mine])
        g = genuine[mine]
        if self.sets:  # one row a set: each model's, then the system's in sets of as many
            z, g = as_sets(z, g, owner[mine], models)
        p = self.judge(z)  # [S'] fitted on earlier generations only
        accuracy = (
            float(((p[g] > 0.5).mean() + (p[~g] <= 0.5).mean()) / 2)
            if self.coef is not None
            else float("nan")
        )
        self.learn(z, g)
        return (p[:models] if self.sets else model_fitness(p[None], owner[mine], models)), accuracy

    def statistics(self, x: np.ndarray) -> np.ndarray:
        """x [S, T, F] trials -> [S, K] their statistics (K = 9 F)."""
        return trajectory_features(_numpy(x))

    def judge(self, z: np.ndarray) -> np.ndarray:
        """z [S, K] statistics -> [S] P(genuine); 0.5 for every sample before the first fit, 0 for a
        sample whose statistics are not finite (a broken trial is a counterfeit)."""
        z = np.asarray(z, dtype=float)
        finite = np.isfinite(z).all(axis=1)
        if self.coef is None:
            p = np.full(len(z), 0.5)
        else:
            p = _sigmoid(self._design(np.where(finite[:, None], z, 0.0)) @ self.coef)
        return np.where(finite, p, 0.0)

    def learn(self, z: np.ndarray, genuine: np.ndarray) -> None:
        """Add one generation's samples (z [S, K], genuine [S] bool) and fit again on the window."""
        self.z.append(np.asarray(z, dtype=float))
        self.y.append(np.asarray(genuine, dtype=float))
        del self.z[: -self.window], self.y[: -self.window]
        z, y = np.concatenate(self.z), np.concatenate(self.y)
        finite = np.isfinite(z).all(axis=1)  # a broken trial (inf, NaN) would spoil the standardisation
        z, y = z[finite], y[finite]
        if not len(y) or y.min() == y.max():  # one class only: nothing to tell apart yet
            return
        from threadpoolctl import threadpool_limits

        # one BLAS thread: on matrices this small more threads cost more than they save (16 times
        # as long a run on two busy cores), and the sums do not depend on the thread count
        with threadpool_limits(1):
            self.coef = self._fit(z, y)

    def _fit(self, z: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The coefficients fitted to statistics z [N, K] labelled y [N] (1 genuine), from the last."""
        self.centre, self.scale = z.mean(axis=0), z.std(axis=0) + 1e-9
        a = self._design(z)  # [N, 2K + 1]
        c = np.where(y == 1, 0.5 / y.sum(), 0.5 / (len(y) - y.sum()))  # class-balanced, summing to 1
        ridge = np.full(a.shape[1], self.penalty)
        ridge[-1] = 0.0  # no penalty on the bias
        coef = np.zeros(a.shape[1]) if self.coef is None else self.coef

        def loss(b):  # the class-balanced log loss plus the ridge
            t = a @ b
            return c @ (np.logaddexp(0.0, t) - y * t) + 0.5 * ridge @ b**2

        for _ in range(self.steps):  # Newton's method, each step halved until the loss falls
            p = _sigmoid(a @ coef)
            grad = a.T @ (c * (p - y)) + ridge * coef
            hess = (a * (c * p * (1 - p))[:, None]).T @ a + np.diag(ridge + 1e-6)
            move, before = np.linalg.solve(hess, grad), loss(coef)
            for _ in range(20):
                if loss(coef - move) <= before:
                    coef = coef - move
                    break
                move = move / 2
            else:  # no step lowered the loss (at its minimum, to rounding): the coefficients are
                break  # unchanged, so every further step would repeat this one
        return coef

    def _design(self, z: np.ndarray) -> np.ndarray:
        s = (np.asarray(z, dtype=float) - self.centre) / self.scale
        s = np.clip(s, -10.0, 10.0)  # a statistic far outside the fitted ones saturates, not explodes
        return np.concatenate([s, s**2, np.ones((len(s), 1))], axis=1)

    def state_dict(self) -> dict:
        return {
            "z": list(self.z),
            "y": list(self.y),
            "coef": self.coef,
            "centre": self.centre,
            "scale": self.scale,
        }

    def load_state_dict(self, state) -> None:
        """``state``: :meth:`state_dict`'s, or None (a fresh critic: a restart, or a run without one)."""
        state = state or {}
        self.z = [np.array(a) for a in state.get("z", [])]
        self.y = [np.array(a) for a in state.get("y", [])]
        self.coef, self.centre, self.scale = (
            None if state.get(k) is None else np.array(state[k], dtype=float)
            for k in ("coef", "centre", "scale")
        )


def as_sets(z: np.ndarray, genuine: np.ndarray, owner: np.ndarray, models: int) -> tuple[np.ndarray, np.ndarray]:
    """Samples' statistics z [S, K] (``genuine`` [S], ``owner`` [S]: the model of each
    counterfeit) as sets of k (the fewest samples a model has; a set's spread depends on its
    size): [models + G, 2 K], each set's statistics' mean and standard deviation across it, model
    m's first k samples in row m, then
    G sets of the genuine samples, k at a time in their order (a remainder is left out; a swarm's
    are its trials' agents, model by model, so with ``genuine_per_trial`` equal to the replicas a
    genuine set comes from the swarms of a model's set), and their labels [models + G] (True:
    the system's). A set with a broken sample (not finite) is broken: P(genuine) 0."""
    from turinglearn.errors import ConfigError

    theirs_not = np.flatnonzero(~genuine & (owner >= 0) & (owner < models))
    order = theirs_not[np.argsort(owner[theirs_not], kind="stable")]  # model by model, each in its batch order
    counts = np.bincount(owner[order], minlength=models)
    k = int(counts.min())
    ours = np.flatnonzero(genuine)
    if k < 2 or len(ours) < k:
        raise ConfigError(
            f"judges a model's samples of a generation as a set; a model has {k} and the system {len(ours)} samples a "
            "generation, and it needs at least 2 of each model and as many of the system (raise "
            "learner.trials_per_model, or the swarm's n_replicas, or critic_trials on an interrogated system; from a "
            "recording, recorded_samples = 'all' shows every simulated robot), or set critic_sets = false",
            "learner.critic_sets",
        )
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    sets = np.concatenate([order[starts[:, None] + np.arange(k)], ours[: len(ours) // k * k].reshape(-1, k)])  # [M + G, k]
    members = z[sets]  # [M + G, k, K]
    rows = np.concatenate([members.mean(axis=1), members.std(axis=1)], axis=1)
    return rows, np.r_[np.zeros(models, dtype=bool), np.ones(len(ours) // k, dtype=bool)]


def _numpy(x) -> np.ndarray:
    """Samples as a numpy array, also when they are a torch tensor on a device (``execution.array
    = "torch"``)."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=float)


def _sigmoid(t: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * t))
