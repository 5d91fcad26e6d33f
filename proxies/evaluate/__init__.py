"""Evaluating an agent on a scenario: the stage above :mod:`proxies.scenario`.

- :mod:`~proxies.evaluate.compiler`: the interventions the graph implies, compiled into candidate scenes;
- :mod:`~proxies.evaluate.macros` and :mod:`~proxies.evaluate.references`: reference behaviours
  (scripted, planned) and their measured competence;
- :mod:`~proxies.evaluate.gate` and :mod:`~proxies.evaluate.suite`: the diagnosticity gate and the
  counterfactual suite it admits;
- :mod:`~proxies.evaluate.agents`, :mod:`~proxies.evaluate.attribution` and :mod:`~proxies.evaluate.probe`:
  playing an agent on the suite, the pursuit weights and verdict, the critic's value probe;
- :mod:`~proxies.evaluate.verify` and :mod:`~proxies.evaluate.checks`: the graph tested against the
  simulator, and a scenario's conformance checks;
- :mod:`~proxies.evaluate.scan`, :mod:`~proxies.evaluate.vocabulary` and :mod:`~proxies.evaluate.discover`: proxy
  discovery (the factor sensitivity scan, candidate objectives from the scene's vocabulary, the leads).

It imports :mod:`proxies.scenario`, :mod:`sandbox` and the shared modules, never a run or a report.
"""
