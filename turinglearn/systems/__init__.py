"""turinglearn.systems."""
