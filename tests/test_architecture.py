"""The domain packages under workshops/ depend on each other one way only.

Every import counts, at module level or inside a function: a lazy import is still a
dependency. Modules directly under workshops/ (the app factory, clock, database...) are
shared ground, not domains, and migrations are frozen history.
"""

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import workshops

ROOT = Path(workshops.__file__).parent
NOT_DOMAINS = {"migrations", "static", "__pycache__"}

# Imports that still close a cycle, each the edge to cut to break it. This list may only
# shrink: an edge that no longer exists fails the test until it is taken off.
KNOWN_CYCLE_EDGES = {
    # The registrations staff page marks attendance; attendance is about registrations.
    ("registrations", "attendance"),
    # `flask sms worker` runs the daily purge, which deletes the SMS log among the rest.
    ("sms", "privacy"),
}


def domains() -> set[str]:
    return {path.name for path in ROOT.iterdir()
            if path.is_dir() and (path / "__init__.py").exists() and path.name not in NOT_DOMAINS}


def imported_domains(tree: ast.AST, known: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for module in modules:
            parts = module.split(".")
            if parts[0] == "workshops" and len(parts) > 1 and parts[1] in known:
                found.add(parts[1])
    return found


def dependency_graph() -> dict[tuple[str, str], set[str]]:
    """(importer, imported) → the importer's files that make the edge."""
    known = domains()
    edges = defaultdict(set)
    for domain in known:
        for path in (ROOT / domain).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for target in imported_domains(tree, known) - {domain}:
                edges[domain, target].add(str(path.relative_to(ROOT.parent)))
    return edges


def find_cycle(edges) -> list[str] | None:
    """One cycle as [a, b, ..., a], or None when the graph has none."""
    successors = defaultdict(list)
    for source, target in edges:
        successors[source].append(target)
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = "open"
        path.append(node)
        for following in sorted(successors[node]):
            if state.get(following) == "open":
                return path[path.index(following):] + [following]
            if following not in state and (cycle := visit(following)):
                return cycle
        state[node] = "done"
        path.pop()
        return None

    for node in sorted(successors):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def describe(cycle: list[str], edges) -> str:
    return "\n".join(f"  {source} -> {target}: {', '.join(sorted(edges[source, target]))}"
                     for source, target in zip(cycle, cycle[1:], strict=False))


def test_domain_packages_import_each_other_one_way_only():
    edges = dependency_graph()
    remaining = {edge: files for edge, files in edges.items() if edge not in KNOWN_CYCLE_EDGES}
    cycle = find_cycle(remaining)
    assert cycle is None, "domain packages import each other in a cycle:\n" + describe(
        cycle, remaining)


def test_every_known_cycle_edge_still_exists():
    gone = KNOWN_CYCLE_EDGES - set(dependency_graph())
    assert not gone, f"take these off KNOWN_CYCLE_EDGES, they no longer exist: {sorted(gone)}"


def test_a_cycle_is_found_and_reported_with_its_files():
    edges = {("a", "b"): {"a/x.py"}, ("b", "c"): {"b/y.py"}, ("c", "a"): {"c/z.py"},
             ("a", "d"): {"a/w.py"}}
    cycle = find_cycle(edges)
    assert cycle == ["a", "b", "c", "a"]
    assert describe(cycle, edges) == ("  a -> b: a/x.py\n  b -> c: b/y.py\n"
                                      "  c -> a: c/z.py")
    assert find_cycle({("a", "b"): {"a/x.py"}, ("a", "c"): {"a/y.py"}}) is None


LIGHT_MODULES = ["workshops.registrations.models", "workshops.catalogue.models",
                 "workshops.accounts.models", "workshops.my.models", "workshops.sms.models",
                 "workshops.attendance.models"]


def test_importing_models_loads_no_views_nor_the_sms_worker():
    """A fresh interpreter, so modules other tests loaded do not count."""
    probe = ("import sys\n"
             f"for module in {LIGHT_MODULES!r}:\n"
             "    __import__(module)\n"
             "print(sorted(name for name in sys.modules if name.split('.')[0] == 'twilio'\n"
             "             or name == 'workshops.notifications.worker'\n"
             "             or name.rsplit('.', 1)[-1].endswith('views')))\n")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=ROOT.parent)
    assert result.stdout.strip() == "[]"
