"""The import graph (grimp): the feed engine and the models know nothing of the web, the
domain packages import each other without cycles, views leave queries to the domain, and
the delivery table has one owner (delivery.ledger).

Blueprint packages (admin, api, public) import their views from __init__ on purpose, the way
Flask blueprints register routes; they are not domain code and are left out.
"""

from __future__ import annotations

import ast
import importlib.util

import grimp
import pytest

DOMAIN = ("newsletter.feeds", "newsletter.delivery", "newsletter.mail", "newsletter.editorial",
          "newsletter.subscribers", "newsletter.accounts", "newsletter.bounces",
          "newsletter.jobs", "newsletter.keys", "newsletter.defaults", "newsletter.webhooks")
WEB = ("flask", "werkzeug", "newsletter.web", "newsletter.admin", "newsletter.api",
       "newsletter.public", "newsletter.site", "newsletter.cli")


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


def modules_of(graph: grimp.ImportGraph, name: str) -> set[str]:
    """A module, or a package with everything under it."""
    try:
        return {name, *graph.find_descendants(name)}
    except ValueError:  # a module, not a package
        return {name}


def test_views_and_the_cli_leave_queries_to_the_domain_packages(graph):
    """Admin, API and public views and CLI commands call domain functions (editorial, feeds,
    subscribers, ...) instead of building SQLAlchemy queries themselves."""
    querying = []
    for view in ("newsletter.admin", "newsletter.api", "newsletter.public", "newsletter.cli"):
        for module in sorted(modules_of(graph, view)):
            imported = [m for m in graph.find_modules_directly_imported_by(module)
                        if m == "sqlalchemy" or m.startswith("sqlalchemy.")]
            if imported:
                querying.append(f"{module} imports {sorted(imported)}")
    assert querying == []


def test_the_models_import_no_flask(graph):
    """Models are plain SQLAlchemy: the web login reads the editor's own properties."""
    for web in (*WEB, "flask_login", "flask_wtf"):
        if web in graph.modules:
            chain = graph.find_shortest_chain("newsletter.models", web, as_packages=True)
            assert chain is None, f"newsletter.models reaches {web}: {' -> '.join(chain)}"


def names_imported_from(module: str, source_suffixes: tuple[str, ...]) -> set[str]:
    """Names `module` imports with `from <…models> import …` (relative or absolute)."""
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin
    with open(spec.origin, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    return {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            and (node.module or "").endswith(source_suffixes) for alias in node.names}


# Engagement figures (opens, clicks, topic figures) still count copies themselves (issue 10
# leaves them for a later step), through models.delivery.copies(), which spans the ledger and
# its archive; they no longer name the Delivery model. delivery/archive.py moves old
# editions' rows out of the ledger. Nothing else may join them.
DELIVERY_READERS_LEFT: set[str] = set()


def test_only_the_ledger_queries_the_delivery_table(graph):
    """Bounces, retention, previews and the sender ask delivery.ledger; they never build a
    query on the Delivery model."""
    importers = set()
    for models in ("newsletter.models", "newsletter.models.delivery"):
        importers |= graph.find_modules_that_directly_import(models)
    owners = {m for m in importers if not m.startswith("newsletter.models")
              and "Delivery" in names_imported_from(m, ("models", "models.delivery"))}
    assert owners == {"newsletter.delivery.ledger", "newsletter.delivery.archive",
                      *DELIVERY_READERS_LEFT}


def test_a_subscribers_status_is_changed_only_in_the_subscribers_package(graph):
    """Who bounced, complained or left is set by subscribers/ (service.mark_bounced, …)."""
    writers = []
    for module in sorted(graph.modules):
        if not module.startswith("newsletter.") or module.startswith("newsletter.subscribers"):
            continue
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.origin or not spec.origin.endswith(".py"):
            continue
        with open(spec.origin, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for node in ast.walk(tree):
            if (isinstance(node, ast.Assign)
                    and any(isinstance(t, ast.Attribute) and t.attr == "status" for t in node.targets)
                    and "SubscriberStatus" in ast.unparse(node.value)):
                writers.append(f"{module}:{node.lineno}")
    assert writers == []
