"""Where a generation's work runs: :mod:`~turinglearn.execution.backends` (in-process, a local
process pool, a Dask cluster) and :mod:`~turinglearn.execution.torch_swarm` (the swarm simulated
and judged with torch tensors). A generation is cut into chunks with their own random streams
by :mod:`turinglearn.core.evaluator`."""
