"""Configuration: versioned YAML files parsed once into frozen models, and layered settings."""

from streamkit.config.loader import SpecModel, load_spec, parse_spec
from streamkit.config.settings import Settings, load_settings

__all__ = ["Settings", "SpecModel", "load_settings", "load_spec", "parse_spec"]
