"""Presenting results: pictures, pages and summaries made from what the other stages produced.

- :mod:`~proxies.present.drawing`: the reward graph, scenes, films and the robustness quadrant as images;
- :mod:`~proxies.present.report`: a run's HTML report (from ``templates/``), read from its files;
- :mod:`~proxies.present.sweep_report`: a sweep's dose-response plot, HTML page and Markdown table;
- :mod:`~proxies.present.summary`: an attribution as a short Markdown summary, and ``--fail-on``;
- :mod:`~proxies.present.story`: an attribution's story in three plain lines (``run``, ``attribute``, the report);
- :mod:`~proxies.present.progress`: progress bars and status lines on the terminal.

It imports :mod:`proxies.scenario` and the shared modules only: it draws what it is given and
never trains, evaluates or runs anything.
"""
