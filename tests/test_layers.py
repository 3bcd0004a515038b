"""The layers: lexicon_core <- catalog <- lineage <- governance <- metrics_dictionary; config
on top.

A module may import its own layer and those below it, never one above, not even lazily inside
a function; a lower app's code and templates also name no URL of a higher app (they get such
URLs from the extension registry). The checker is tested on made-up sources too, so that a
checker that finds nothing cannot pass for a clean tree.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("lexicon_core", "catalog", "lineage", "governance", "metrics_dictionary", "config")
RANK = {name: rank for rank, name in enumerate(LAYERS)}
# URL namespaces of the apps (config's URLs have none).
NAMESPACES = {"catalog", "lineage", "governance", "metrics_dictionary"}
URL_NAME = re.compile(r"""['"](?P<ns>[a-z_]+):[a-z_]+['"]""")


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, module) for every absolute import in ``source``, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(layer: str, path: str, source: str) -> list[str]:
    out = []
    rank = RANK[layer]
    if path.endswith(".py"):
        for line, module in imported_modules(source):
            top = module.split(".")[0]
            if top in RANK and RANK[top] > rank:
                out.append(f"{path}:{line}: {layer} imports {module} (a layer above)")
    if layer != "config":
        for match in URL_NAME.finditer(source):
            ns = match.group("ns")
            if ns in NAMESPACES and RANK[ns] > rank:
                line = source.count("\n", 0, match.start()) + 1
                out.append(f"{path}:{line}: {layer} names the URL {match.group(0)} of {ns}")
    return out


def layer_files(layer: str):
    for path in sorted((ROOT / layer).rglob("*")):
        if path.suffix in (".py", ".html", ".txt") and "__pycache__" not in path.parts:
            yield path


@pytest.mark.parametrize("layer", LAYERS)
def test_no_layer_reaches_above_itself(layer):
    assert (ROOT / layer).is_dir(), f"{layer}/ is missing"
    problems = []
    for path in layer_files(layer):
        problems += violations(layer, str(path.relative_to(ROOT)), path.read_text("utf-8"))
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("layer", "source", "expected"),
    [
        ("catalog", "from governance.selectors import effective_tier\n", "imports governance"),
        ("catalog", "def f():\n    import metrics_dictionary.models\n", "imports metrics"),
        ("lexicon_core", "from catalog.models import Asset\n", "imports catalog"),
        ("governance", "from config.settings import DEBUG\n", "imports config"),
        ("lineage", 'URL = reverse("governance:asset_owners")\n', "names the URL"),
        ("catalog", "{% url 'lineage:querylog_upload' %}\n", "names the URL"),
    ],
)
def test_the_checker_finds_a_wrong_import(layer, source, expected):
    path = "made_up.html" if source.startswith("{%") else "made_up.py"
    found = violations(layer, path, source)
    assert found and expected in found[0], found


@pytest.mark.parametrize(
    ("layer", "source"),
    [
        ("metrics_dictionary", "from catalog.models import Asset\nfrom governance import pii\n"),
        ("config", "from metrics_dictionary import urls\n"),
        ("catalog", 'reverse("catalog:asset", args=[1])\nimport django.db\n'),
    ],
)
def test_the_checker_lets_imports_downwards_pass(layer, source):
    assert violations(layer, "made_up.py", source) == []
