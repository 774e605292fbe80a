"""turinglearn.app."""
