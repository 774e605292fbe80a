"""Built-in experiment presets (TOML files next to this module)."""
