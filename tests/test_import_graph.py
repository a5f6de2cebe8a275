"""The import graph (grimp): the feed engine knows nothing of the web, and the domain
packages import each other without cycles.

Blueprint packages (admin, api) import their views from __init__ on purpose, the way
Flask blueprints register routes; they are not domain code and are left out.
"""

from __future__ import annotations

import grimp
import pytest

DOMAIN = ("newsletter.feeds", "newsletter.delivery", "newsletter.mail", "newsletter.editorial",
          "newsletter.subscribers", "newsletter.accounts", "newsletter.bounces",
          "newsletter.jobs", "newsletter.keys", "newsletter.defaults", "newsletter.webhooks")
WEB = ("flask", "werkzeug", "newsletter.web", "newsletter.admin", "newsletter.api",
       "newsletter.site", "newsletter.cli")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("newsletter", include_external_packages=True, cache_dir=None)


def test_the_feeds_package_imports_no_flask_and_no_web_plumbing(graph):
    for web in WEB:
        if web in graph.modules:
            chain = graph.find_shortest_chain("newsletter.feeds", web, as_packages=True)
            assert chain is None, f"newsletter.feeds reaches {web}: {' -> '.join(chain)}"
    for module in graph.find_children("newsletter.feeds"):
        flasky = [m for m in graph.find_modules_directly_imported_by(module)
                  if m.startswith("flask")]
        assert flasky == [], f"{module} imports {flasky}"


def test_no_domain_module_is_part_of_an_import_cycle(graph):
    cycles = []
    for module in sorted(graph.modules):
        if not module.startswith(DOMAIN):
            continue
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.startswith("newsletter") and graph.chain_exists(imported, module):
                back = graph.find_shortest_chain(imported, module)
                cycles.append(" -> ".join((module, *back)))
    assert cycles == []
