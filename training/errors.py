"""The training package's own error, in a module without torch, so the command line can catch it before (or
without) loading torch."""


class TrainingError(RuntimeError):
    """Training cannot start or cannot go on (bad output folder, diverged loss)."""
