"""The error of an invalid configuration."""


class ConfigError(ValueError):
    """An invalid configuration: the message names the key, the value and what is allowed."""
