"""The package's shape: no import cycles, small files, a manifest that matches the decorators, listing
without torch, task errors without tracebacks, and shipped weights that travel in the wheel."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from affectzoo import _manifest, _registry
from conftest import BIN

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "affectzoo"
MAX_LINES = 600


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the affectzoo modules it imports, at module level or inside functions.

    ``from package import name`` counts as importing ``package.name`` when that is a module,
    else as importing ``package``.
    """
    files = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                graph[name] |= {a.name for a in node.names if a.name in files}
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
                for alias in node.names:
                    target = f"{base}.{alias.name}"
                    graph[name].add(target if target in files else base)
        graph[name] &= set(files)
        graph[name].discard(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node), on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_source_file_is_over_the_limit():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_manifest_equals_what_the_decorators_register():
    current = json.loads(_registry.MANIFEST_PATH.read_text())
    fresh = _manifest.manifest_dict(build=False, known=current["architectures"])
    assert fresh == current, "regenerate: python -m affectzoo._manifest --write"
    assert all(cfg["num_params"] for arch in current["architectures"].values() for cfg in arch["cfgs"].values())


def run_python(code: str, cwd: Path = ROOT, env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


def test_listing_imports_no_torch():
    result = run_python(
        "import sys, affectzoo\n"
        "from affectzoo.cli import main\n"
        "names = affectzoo.list_models(); affectzoo.list_pretrained(); affectzoo.list_models(task='va-predictor')\n"
        "affectzoo.get_pretrained_cfg('mpjudge'); affectzoo.resolve_cfg('imagemusic')\n"
        "main(['list']); main(['info', 'mpjudge']); main(['list', '--task', 'pair-scorer'])\n"
        "heavy = [m for m in ('torch', 'lightning', 'timm', 'torchmetrics', 'numpy') if m in sys.modules]\n"
        "print('HEAVY', heavy, len(names))")
    assert result.returncode == 0, result.stderr
    assert "HEAVY [] " in result.stdout


def test_a_model_without_the_task_is_a_one_line_error(tmp_path):
    (tmp_path / "photo.png").write_bytes(b"not read")
    result = subprocess.run([str(BIN / "affectzoo"), "va", str(tmp_path / "photo.png"), "--model", "mpjudge"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert "does not offer the va-predictor task" in lines[0] and "models with it: imagemusic" in lines[0]
    result = subprocess.run([str(BIN / "affectzoo"), "palette", str(tmp_path / "x.ogg"), "--model", "mozart"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "does not offer the palette-generator task" in result.stderr
    assert "models with it: music2palette" in result.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                             "-q", "-w", str(out)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    (path,) = out.glob("affectzoo-*.whl")
    return path


def test_an_installed_wheel_loads_the_shipped_families_offline(wheel, tmp_path):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "site")
    assert {"affectzoo/_manifest.json", "affectzoo/_checkpoints/index.json"} <= names
    index = json.loads((ROOT / "checkpoints" / "index.json").read_text())
    for entry in index["checkpoints"].values():
        if entry.get("file"):
            assert f"affectzoo/_checkpoints/{entry['file']}/model.safetensors" in names
    result = run_python(
        "import affectzoo\n"
        "assert affectzoo.__file__.startswith(%r), affectzoo.__file__\n"
        "for family in ('mpjudge', 'imagemusic'):\n"
        "    model = affectzoo.load(family)\n"
        "    print(family, model.pretrained_cfg.name, model.pretrained_cfg.sha256)\n" % str(tmp_path / "site"),
        cwd=tmp_path, env={"PYTHONPATH": str(tmp_path / "site"), "HF_HUB_OFFLINE": "1",
                           "AFFECTZOO_CACHE": str(tmp_path / "cache")})
    assert result.returncode == 0, result.stderr
    loaded = dict(line.split(" ", 1) for line in result.stdout.splitlines())
    assert loaded["mpjudge"].split()[0] == index["recommended"]["mpjudge"]
    assert loaded["imagemusic"].split()[0] == index["recommended"]["imagemusic"]


def test_generated_tables_in_the_docs_are_current():
    from affectzoo import _docs

    for relative, names in _docs.TARGETS.items():
        text = (ROOT / relative).read_text()
        assert _docs.render(text, names) == text, f"{relative}: run python -m affectzoo._docs --write"
