"""warroom: a full-screen terminal console for AWS."""

__version__ = "0.1.0"
