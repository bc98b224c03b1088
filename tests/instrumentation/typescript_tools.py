"""TypeScript's real compiler for the generate tests: where it is, and how it is run.

``tsc`` comes from the npm registry at the version pinned in tests/typescript/package.json (and
its package-lock.json), installed into tests/typescript/node_modules by the README's test
command (``npm ci --prefix tests/typescript``). The tests never download it: after that one
install they run offline. Without it they fail, on purpose, saying how to install it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from tests.conftest import ROOT

TYPESCRIPT = ROOT / "tests" / "typescript"
TSC = TYPESCRIPT / "node_modules" / ".bin" / "tsc"
#: What a test fails with when tsc is missing.
NEEDS_TSC = "TypeScript's compiler is needed: npm ci --prefix tests/typescript (the README's test command does it)"
PINNED = json.loads((TYPESCRIPT / "package.json").read_text())["devDependencies"]["typescript"]

#: The strictest settings a site would reasonably use: the generated module must pass them all.
STRICT = {
    "strict": True,
    "target": "es2020",
    "module": "es2020",
    "lib": ["es2020", "dom"],
    "noUnusedLocals": True,
    "noUnusedParameters": True,
    "noImplicitReturns": True,
    "noImplicitOverride": True,
    "noFallthroughCasesInSwitch": True,
    "noUncheckedIndexedAccess": True,
    "noPropertyAccessFromIndexSignature": True,
    "exactOptionalPropertyTypes": True,
    "isolatedModules": True,
    "verbatimModuleSyntax": True,
    "forceConsistentCasingInFileNames": True,
}
#: ``file.ts(12,5): error TS2322: ...``
DIAGNOSTIC = re.compile(r"^(?P<file>[^\s(]+)\((?P<line>\d+),(?P<column>\d+)\): error (?P<code>TS\d+): (?P<message>.*)$", re.M)


def tsc(project: Path, *files: str, out: str | None = None) -> subprocess.CompletedProcess[str]:
    """Compile ``files`` (relative to ``project``) with :data:`STRICT`; emit into ``out`` if given."""
    assert TSC.exists(), NEEDS_TSC
    options = {**STRICT, "rootDir": "."}
    options.update({"outDir": out} if out else {"noEmit": True})
    (project / "tsconfig.json").write_text(json.dumps({"compilerOptions": options, "files": list(files)}, indent=2))
    return subprocess.run([str(TSC), "-p", str(project / "tsconfig.json"), "--pretty", "false"],
                          cwd=project, capture_output=True, text=True, timeout=300)


def errors(result: subprocess.CompletedProcess[str]) -> list[dict[str, str]]:
    """The compiler's errors, each as ``{file, line, column, code, message}``."""
    return [m.groupdict() for m in DIAGNOSTIC.finditer(result.stdout + result.stderr)]
