"""sandan — an open platform for a Korean smart green industrial complex (스마트그린산단)."""

__version__ = "0.1.0"
