"""Gradient lab: what the straight-through estimator tells the generator, and how far that is from the truth.

compute (the forward pass, the truth, agreement, one sample's report and the many-sample comparison), store (the
shipped comparison rows) and reports (the Markdown table); the commands:
    python -m explorer.gradient_lab --table      # the agreement table over 256 samples, for every variant with a critic
    python -m explorer.gradient_lab --write      # the same rows into checkpoints/gradlab-comparison.json, for the page
"""
