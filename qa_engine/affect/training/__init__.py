"""Training and evaluation of the embedded default affect model (issue: embedded default models)."""
