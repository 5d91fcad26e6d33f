"""Running experiments: the stage above :mod:`proxies.evaluate` and :mod:`proxies.present`.

- :mod:`~proxies.run.config`: :class:`~proxies.run.config.RunConfig`, everything that changes a run's result;
- :mod:`~proxies.run.training` and :mod:`~proxies.run.vecenv`: training with stable-baselines3, resumable;
- :mod:`~proxies.run.rundir` and :mod:`~proxies.run.pipeline`: run directories, and the in-memory pipeline
  (train, suite, attribution, pictures, report) that fills one;
- :mod:`~proxies.run.sweep`, :mod:`~proxies.run.executors` and :mod:`~proxies.run.aggregate`: sweeps over the
  training mix α and seeds on a process pool or Ray, and their aggregate;
- :mod:`~proxies.run.validate`: the attribution checked on planted agents (some trained);
- :mod:`~proxies.run.discovery`: proxy discovery of a run directory, and its validation on planted agents;
- :mod:`~proxies.run.bench` and :mod:`~proxies.run.sweep_bench`: throughput benchmarks.
"""
