"""The agent-based engine: single cells with noise, neighbours and space (numba kernels)."""
