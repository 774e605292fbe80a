"""Where a generation's work runs: :mod:`~turinglearn.execution.backends` (in-process, a local
process pool, a Dask cluster), :mod:`~turinglearn.execution.chunks` (a generation cut into
chunks with their own random streams) and :mod:`~turinglearn.execution.torch_swarm` (the swarm
simulated and judged with torch tensors)."""
