"""turinglearn.families."""
