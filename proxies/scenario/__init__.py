"""What a scenario is, and how policies play in it: the bottom stage of :mod:`proxies`.

- :mod:`~proxies.scenario.graph`: the reward graph (factors, measurements, objectives) and the
  relations of proxies to the true reward derived from it;
- :mod:`~proxies.scenario.scenario`: :class:`~proxies.scenario.scenario.Scenario`, the graph with its
  scene generator, measurements and environment;
- :mod:`~proxies.scenario.policies` and :mod:`~proxies.scenario.rollout`: policies, and the one engine
  that plays them;
- :mod:`~proxies.scenario.registry` and :mod:`~proxies.scenario.fingerprint`: finding scenarios by
  name, entry point or file, and what version of one made a run.

It imports only :mod:`sandbox` and the shared modules at the top of :mod:`proxies`.
"""
