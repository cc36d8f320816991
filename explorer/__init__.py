"""Logic behind the dashboard and notebooks: load checkpoints, sample, analyse. No Streamlit here."""
from explorer.generator import (CheckpointNotFound, LoadedGenerator, Samples, checkpoints_root, load_generator,
                                make_latents)
from training.checkpoint import CheckpointError

__all__ = ["CheckpointError", "CheckpointNotFound", "LoadedGenerator", "Samples", "checkpoints_root",
           "load_generator", "make_latents"]
