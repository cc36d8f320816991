"""BinaryGAN training: binary neurons, networks, objectives, data, trainer and CLI."""
