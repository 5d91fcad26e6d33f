"""Built-in scenarios, one module each; importing this package registers them all."""

from scenarios import cleaning_robot

__all__ = ["cleaning_robot"]
