"""The layers hold: no Qt outside stsdesk/ui, and the desktop side never imports the server."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "stsdesk"


def _modules(part: str) -> list[str]:
    root = PACKAGE.parent
    return [
        ".".join(path.relative_to(root).with_suffix("").parts).removesuffix(".__init__")
        for path in sorted((PACKAGE / part).rglob("*.py"))
    ]


def test_core_server_and_services_import_without_qt():
    modules = _modules("core") + _modules("server") + _modules("services")
    script = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'PySide6' or name.startswith('PySide6.'):\n"
        "            raise ImportError('Qt is not allowed here: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print('ok', len(sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=PACKAGE.parent, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text("utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_desktop_side_never_imports_the_server():
    offenders = [
        str(path.relative_to(PACKAGE))
        for part in ("ui", "services")
        for path in (PACKAGE / part).rglob("*.py")
        if any(name == "stsdesk.server" or name.startswith("stsdesk.server.")
               for name in _imports(path))
    ]
    assert offenders == []


def test_core_imports_only_core():
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in (PACKAGE / "core").rglob("*.py")
        if any(name.startswith(("stsdesk.server", "stsdesk.services", "stsdesk.ui"))
               for name in _imports(path))
    ]
    assert offenders == []
