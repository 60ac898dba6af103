"""The layering of mallctl/ (docs/architecture.md), checked by reading every module's imports.

Each module belongs to an *area*: the first name under `mallctl` (`mallctl/config.py` →
`config`, `mallctl/directory/service.py` → `directory`). RULES says which areas may not
import which; a new business area adds itself to BUSINESS and, when it has a place in the
order (contracts → directory, billing → contracts, …), a row to RULES.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "mallctl"

FOUNDATION = frozenset(
    {
        "config",
        "clock",
        "errors",
        "db",
        "types",
        "money",
        "audit",
        "context",
        "migrate",
        "resources",
        "textfiles",
        "validation",
        "fonts",
        "files",
    }
)
BUSINESS = frozenset(
    {
        "directory",
        "contracts",
        "billing",
        "notifications",
        "telemetry",
        "tenant_requests",
        "backups",
        "reports",
        "scheduler",
        "cli",
        "demo",
        "leasing",
        "flows",
    }
)
# Neither layer: the package root (`__version__`), the entry point of `python -m mallctl`,
# and the registry that gathers every area's models for Alembic.
PLUMBING = frozenset({"", "__main__", "models"})


@dataclass(frozen=True)
class Rule:
    why: str
    applies_to: frozenset[str]
    forbidden: frozenset[str]
    # module (dotted) -> the reason it may break the rule
    exceptions: dict[str, str] = field(default_factory=dict)


RULES = [
    Rule(
        why="foundation modules import no business area",
        applies_to=FOUNDATION,
        forbidden=BUSINESS,
    ),
    Rule(
        why="only mallctl/cli imports mallctl.cli (business areas never do)",
        applies_to=(FOUNDATION | BUSINESS | PLUMBING) - {"cli"},
        forbidden=frozenset({"cli"}),
        exceptions={
            "mallctl.__main__": "`python -m mallctl` runs the console script's main()",
        },
    ),
    Rule(
        why="directory imports no other business area (everything else builds on it)",
        applies_to=frozenset({"directory"}),
        forbidden=BUSINESS - {"directory"},
    ),
    Rule(
        why="flows sit above the areas they join: no area imports a flow",
        applies_to=BUSINESS - {"flows", "cli", "demo", "scheduler"},
        forbidden=frozenset({"flows"}),
    ),
    Rule(
        why="contracts and requests build on directory and notifications, not on each other",
        applies_to=frozenset({"contracts", "tenant_requests"}),
        forbidden=BUSINESS - {"directory", "notifications", "contracts", "tenant_requests"},
    ),
    Rule(
        why="billing builds on contracts and the directory; it reaches telemetry's sales and "
        "the notification hub only through flows",
        applies_to=frozenset({"billing"}),
        forbidden=BUSINESS - {"directory", "contracts", "billing"},
    ),
    Rule(
        why="telemetry builds on the directory (and notifications for device alerts)",
        applies_to=frozenset({"telemetry"}),
        forbidden=BUSINESS - {"directory", "notifications", "telemetry"},
    ),
    Rule(
        why="backups build on the foundation only; backup.failed reaches the notification hub "
        "through flows/backups.py",
        applies_to=frozenset({"backups"}),
        forbidden=BUSINESS - {"backups", "notifications"},
    ),
    Rule(
        why="reports read the business areas; report.ready goes out through flows/reports.py, "
        "and the scheduler calls them, never the other way round",
        applies_to=frozenset({"reports"}),
        forbidden=frozenset({"scheduler", "cli", "demo", "backups", "flows", "notifications"}),
    ),
    Rule(
        why="the scheduler sits above the flows it runs: flows never import it",
        applies_to=frozenset({"flows"}),
        forbidden=frozenset({"scheduler"}),
    ),
    Rule(
        why="notifications build on the directory only (every other area sends through them)",
        applies_to=frozenset({"notifications"}),
        forbidden=BUSINESS - {"directory", "notifications"},
    ),
]


@dataclass(frozen=True)
class Import:
    importer: str  # dotted module name
    path: Path
    line: int
    target: str  # dotted module (or module.attribute) name


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def area_of(dotted: str, package: Path = PACKAGE) -> str:
    """`mallctl.directory.service` → `directory`; `mallctl` → `` (the package root)."""
    parts = dotted.split(".")
    if len(parts) < 2:
        return ""
    name = parts[1]
    exists = (package / f"{name}.py").exists() or (package / name).is_dir()
    # `from mallctl import __version__` names an attribute of the root, not a module;
    # a business area not built yet still counts, so a rule can never be dodged by it.
    return name if exists or name in FOUNDATION | BUSINESS else ""


def imports_of(path: Path, source: str | None = None, package: Path = PACKAGE) -> list[Import]:
    """Every `mallctl` import in a module, at any depth (functions, TYPE_CHECKING)."""
    importer = module_name(path, package)
    is_package = path.name == "__init__.py"
    tree = ast.parse(source if source is not None else path.read_text("utf-8"), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = importer.split(".")
                anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            if target == "mallctl" or target.startswith("mallctl."):
                found.append(Import(importer, path, node.lineno, target))
    return found


def violations(imports: list[Import], rules: list[Rule] = RULES) -> list[str]:
    problems = []
    for imp in imports:
        source_area = area_of(imp.importer)
        target_area = area_of(imp.target)
        if target_area == source_area:
            continue
        broken = [
            rule.why
            for rule in rules
            if source_area in rule.applies_to
            and target_area in rule.forbidden
            and imp.importer not in rule.exceptions
        ]
        if broken:
            where = imp.path.relative_to(PACKAGE.parent)
            problems.append(
                f"{where}:{imp.line} imports {imp.target} ({source_area} → {target_area}): "
                + "; ".join(broken)
            )
    return problems


def all_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_data" not in p.parts)


def test_every_module_belongs_to_a_known_area():
    known = FOUNDATION | BUSINESS | PLUMBING
    strays = [
        str(p.relative_to(PACKAGE.parent))
        for p in all_modules()
        if area_of(module_name(p)) not in known
    ]
    assert not strays, (
        f"modules in no area of tests/test_architecture.py: {', '.join(strays)}; "
        "add their area to FOUNDATION, BUSINESS or PLUMBING (and RULES where it has a place)"
    )


def test_imports_follow_the_layering():
    imports = [imp for path in all_modules() for imp in imports_of(path)]
    assert imports, "no mallctl imports found: is PACKAGE right?"
    problems = violations(imports)
    assert not problems, "layering broken (docs/architecture.md):\n" + "\n".join(problems)


def test_exceptions_name_modules_that_exist():
    modules = {module_name(p) for p in all_modules()}
    for rule in RULES:
        for name in rule.exceptions:
            assert name in modules, f"RULES exception for {name}, which no longer exists"


def test_the_checker_names_the_offending_import():
    source = (
        "from mallctl.errors import ConfigError\n"
        "def f():\n"
        "    from mallctl.directory import models\n"
        "    from mallctl.cli.output import Messages\n"
    )
    imports = imports_of(PACKAGE / "config.py", source)
    assert violations(imports) == [
        "mallctl/config.py:3 imports mallctl.directory.models (config → directory): "
        "foundation modules import no business area",
        "mallctl/config.py:4 imports mallctl.cli.output.Messages (config → cli): "
        "foundation modules import no business area; "
        "only mallctl/cli imports mallctl.cli (business areas never do)",
    ]


def test_the_checker_resolves_relative_imports():
    source = "from ..cli import output\nfrom . import models\nfrom .service import x\n"
    imports = imports_of(PACKAGE / "directory" / "selectors.py", source)
    assert [imp.target for imp in imports] == [
        "mallctl.cli.output",
        "mallctl.directory.models",
        "mallctl.directory.service.x",
    ]
    problems = violations(imports)
    assert len(problems) == 1
    assert problems[0].startswith("mallctl/directory/selectors.py:1 imports mallctl.cli.output")
