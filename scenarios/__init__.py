"""Built-in scenarios, one module each, each defining a module-level ``SCENARIO``.

:mod:`proxies` does not import this package by name: it finds each module through its entry
point in the ``proxy_sandbox.scenarios`` group (declared in ``pyproject.toml``), exactly as it
finds an installed third-party scenario. Importing the package imports every module listed here.
"""

from scenarios import cheese_maze, cleaning_robot, coin_run, forager, gem_colour, keys_chests, training_cue

__all__ = ["cheese_maze", "cleaning_robot", "coin_run", "forager", "gem_colour", "keys_chests", "training_cue"]
