"""The package version (also in pyproject.toml), recorded in every model manifest."""

__version__ = "0.1.0"
