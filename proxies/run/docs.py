"""``proxy-sandbox docs``: the generated pages of every registered scenario, the gallery and the relation pages.

For each scenario it builds a small counterfactual suite (:data:`DOCS_SUITE`, seeded, so the same
code gives the same scenes), takes every objective's reference (scripted, else automatic) and
hands them to :mod:`proxies.present.pages`, which writes, under the docs folder ``out``:

- ``scenarios/<slug>.md`` and ``scenarios/media/<slug>/`` (graph, training scene, scenes, films);
- ``index.md``, the gallery, and ``relations/<kind>.md``, a page per relation;
- ``cli.md``, the command-line reference, generated from the command line itself;
- ``media.lock.json``: the fingerprint of every picture and film, so that a test can regenerate the
  pages without encoding the films and still notice when one would change.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import click

from proxies.evaluate.references import reference_factories
from proxies.evaluate.suite import build_suite
from proxies.files import check_writable, write_atomic
from proxies.present.clidoc import cli_reference
from proxies.present.pages import MANIFEST, RELATIONS, Media, gallery_page, lesson, relation_page, scenario_page
from proxies.scenario.registry import ENTRY_POINT_GROUP, get_scenario
from proxies.scenario.scenario import Scenario

__all__ = ["DOCS_SUITE", "DocsSuite", "installed_slugs", "write_docs"]


@dataclass(frozen=True)
class DocsSuite:
    """The settings of the small suite each scenario page shows (smaller than an attribution's: a page holds a film per scene)."""

    seed: int = 0
    """Seed of the suite's build."""
    per_proxy: int = 2
    """Scenes separating each proxy."""

    @property
    def command(self) -> str:
        """The command that builds the same scenes."""
        return f"`proxy-sandbox suite SLUG --seed {self.seed} --per-proxy {self.per_proxy} --episodes 6`"


DOCS_SUITE = DocsSuite()
"""The suite of the committed pages."""


def installed_slugs() -> list[str]:
    """The slugs of the installed scenarios (entry points of ``proxy_sandbox.scenarios``): the pages' scenarios.

    Not ``list_scenarios()``, which also holds whatever a process registered or loaded from a file.
    """
    return sorted({ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def write_docs(
    out: Path,
    slugs: Sequence[str] | None = None,
    *,
    encode: bool = True,
    suite: DocsSuite = DOCS_SUITE,
    cli: click.Group | None = None,
) -> list[Path]:
    """Write the pages of ``slugs`` (every installed scenario by default: :func:`installed_slugs`) under ``out``.

    With ``encode=False`` the pictures and films are rendered and fingerprinted but not written
    (the Markdown and ``media.lock.json`` are). Given ``slugs``, only their pages are written (the
    gallery and the relation pages need every scenario) and their entries of ``media.lock.json`` replaced.
    With ``cli`` (the command line's click group), ``cli.md`` is its reference page.
    Returns the Markdown files written.
    Raises :class:`~proxies.errors.OutputError` when ``out`` is a file or cannot be written.
    """
    out = Path(out)
    check_writable(out, "--out")
    scenarios: list[Scenario] = [get_scenario(s) for s in (installed_slugs() if slugs is None else slugs)]
    media = Media(out, encode=encode)
    if slugs is not None:
        media.keep_others(out / MANIFEST, [f"scenarios/media/{sc.slug}/" for sc in scenarios])
    written: list[Path] = []
    cards = []
    for sc in scenarios:
        built = build_suite(sc, seed=suite.seed, per_proxy=suite.per_proxy)
        demo = out / "scenarios" / "demos" / sc.slug
        text = scenario_page(
            sc, built.scenes, reference_factories(sc), media, suite_command=suite.command.replace("SLUG", sc.slug),
            demo=demo if demo.is_dir() else None,
        )
        written.append(write_atomic(out / "scenarios" / f"{sc.slug}.md", text.encode()))
        media.prune(f"scenarios/media/{sc.slug}")
        cards.append((sc, f"scenarios/media/{sc.slug}/film-{built.scenes[0].id}.gif", lesson(sc, built.scenes)))
    if slugs is None:
        for kind, (_, page) in RELATIONS.items():
            entries = [(sc, r) for sc in scenarios for r in sc.graph.relations if r.kind == kind]
            written.append(write_atomic(out / "relations" / f"{page}.md", relation_page(kind, entries).encode()))
        written.append(write_atomic(out / "index.md", gallery_page(cards).encode()))
    if cli is not None:
        written.append(write_atomic(out / "cli.md", cli_reference(cli, "proxy-sandbox").encode()))
    media.write_manifest(MANIFEST)
    return written
