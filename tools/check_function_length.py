"""Fail when a non-test function of the product runs over MAX_LINES lines.

STYLE.md keeps functions short: a view validates, calls one service, and
renders; a service does one change. Run from the repository root.
"""

import ast
import sys
from pathlib import Path

MAX_LINES = 50
PACKAGES = ["clientbay", "brokerages", "contacts", "messaging", "optin", "registration"]


def long_functions(root: Path):
    """Yield (path, line, name, length) for every function over the limit."""
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    length = node.end_lineno - node.lineno + 1
                    if length > MAX_LINES:
                        yield path.relative_to(root), node.lineno, node.name, length


def main() -> int:
    found = list(long_functions(Path.cwd()))
    for path, line, name, length in found:
        print(f"{path}:{line}: {name}() has {length} lines (limit {MAX_LINES})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
