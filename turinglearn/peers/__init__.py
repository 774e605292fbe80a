"""Peers of Turing Learning from simulation-based inference, on the toolkit's own simulators.

Optional (``pip install 'turinglearn[peers]'``: sbi and pyABC, with torch); chosen like the
metric baselines, by ``learner.kind``:

- ``npe``: neural posterior estimation (sbi) with a learned, permutation-invariant embedding of
  the observed set of trajectories (:mod:`turinglearn.peers.npe`);
- ``npe-summary``: the same density estimator on the metric baseline's summary statistics
  (its per-step speed histograms, as cumulative distributions:
  :func:`turinglearn.peers.problem.cumulative_summary`);
- ``abc-smc``: ABC-SMC (pyABC) on those summaries, with the L1 distance between them
  (:mod:`turinglearn.peers.abc_smc`).

Every peer sees what a Turing Learning run from a recording sees: the recording (``data``), the
simulator, the model family's box as its prior, and a budget of simulated trajectories
(:class:`~turinglearn.peers.problem.PeerProblem`). It answers with posterior samples, whose
median is the run's estimate and whose central interval is reported beside the held-out test's
(:class:`~turinglearn.peers.learner.PeerLearner`). Nothing here imports torch, sbi or pyABC
until a peer runs.
"""

#: the learner kinds of this package, and the module each needs
KINDS = {"npe": "sbi", "npe-summary": "sbi", "abc-smc": "pyabc"}
