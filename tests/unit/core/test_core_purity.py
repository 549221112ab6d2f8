"""The core stays a functional core: no I/O, clock, asyncio, logging or framework imports."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import imb_bot.core

CORE = Path(imb_bot.core.__file__).parent
ALLOWED_IMPORT_ROOTS = {
    "__future__",
    "bisect",
    "collections",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "math",
    "re",
    "typing",
    "numpy",
    "talib",
    "imb_bot",
}
FORBIDDEN_CALLS = {"now", "utcnow", "today", "open", "print", "sleep", "getenv"}


def _core_files() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def _imports(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_core_modules_when_parsed_import_only_stdlib_numpy_talib_and_core() -> None:
    # Arrange
    offending = []

    # Act
    for path in _core_files():
        for name in _imports(ast.parse(path.read_text())):
            root = name.split(".")[0]
            outside_core = root == "imb_bot" and not name.startswith("imb_bot.core")
            if root not in ALLOWED_IMPORT_ROOTS or outside_core:
                offending.append(f"{path.relative_to(CORE)}: {name}")

    # Assert
    assert offending == []


def test_core_modules_when_parsed_call_no_clock_or_io() -> None:
    # Arrange
    offending = []

    # Act
    for path in _core_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name in FORBIDDEN_CALLS:
                    offending.append(f"{path.relative_to(CORE)}:{node.lineno}: {name}()")

    # Assert
    assert offending == []


def test_core_when_imported_loads_no_framework() -> None:
    # Arrange
    modules = [f"imb_bot.core.{p.stem}" for p in CORE.glob("*.py") if p.stem != "__init__"]
    modules += ["imb_bot.core.risk", "imb_bot.core.strategy"]
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in modules)
        + "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))"
    )

    # Act
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )

    # Assert
    loaded = set(result.stdout.split())
    assert loaded.isdisjoint({"fastapi", "sqlalchemy", "ccxt", "pydantic", "aiohttp", "requests"})
