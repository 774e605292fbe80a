"""turinglearn.core."""
