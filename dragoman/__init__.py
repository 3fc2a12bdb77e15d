"""Dragoman: a self-hosted multilingual contact center."""

__version__ = "0.1.0"
