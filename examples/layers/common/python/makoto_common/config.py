"""Tenant configuration documents in YAML (uses the layer's PyYAML)."""

import yaml


def load(text: str) -> dict:
    """Parse a YAML document safely; an empty document is an empty dict."""
    return yaml.safe_load(text) or {}
