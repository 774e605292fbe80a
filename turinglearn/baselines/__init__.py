"""turinglearn.baselines."""
