"""The exact world: 4x4 bars-and-stripes, where p_G and the generator's true gradient are computed (docs/playground.md)."""
