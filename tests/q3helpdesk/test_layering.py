"""The architecture of DESIGN §2, read from the source (parsed with ``ast``, not imported).

- One direction: customers ← billing ← cases. ``customers`` refers to neither ``billing`` nor
  ``cases``; ``billing`` does not refer to ``cases``. The shared pieces every layer uses
  (``q3helpdesk/ui/``, ``q3helpdesk/locks.py``, ``q3helpdesk/guards.py``,
  ``q3helpdesk/rollups.py``) refer to no app.
  "Refers" is an import at any level (also inside a function or under ``TYPE_CHECKING``), an
  ``import_module``/``__import__``/``apps.get_model`` of the app, or a lazy model reference
  such as ``ForeignKey("billing.Tariff")``.
- Migrations are held to the same direction: what they legitimately reference is below them
  (billing's migrations point at ``customers.customer``, cases' at billing's and customers'
  tables, the project's own migrations sync role permissions over all apps from the top), so
  none is exempt; their ``dependencies`` must follow the direction as well. They are exempt
  only from the length limit: Django generates them.
- No app module is longer than 500 lines (CONVENTIONS: split a module into a package when it
  passes ~400).
- No business logic in signals (CONVENTIONS): no module connects a receiver, except the
  ones listed in ``ALLOWED_RECEIVERS`` with the reason.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("customers", "billing", "cases")
PACKAGES = (*APPS, "q3helpdesk")
MAX_LINES = 500

# What each part of the code may not refer to.
FORBIDDEN = {
    "customers": {"billing", "cases"},
    "billing": {"cases"},
}
SHARED = [
    "q3helpdesk/ui",
    "q3helpdesk/locks.py",
    "q3helpdesk/guards.py",
    "q3helpdesk/rollups.py",
]

# (file, the call) -> why it is not business logic in a signal.
ALLOWED_RECEIVERS = {
    ("q3helpdesk/accounts/apps.py", "user_logged_in.connect"): (
        "Django's login signal, not a model signal: it stamps the session's last activity"
        " for the idle timeout; no business data is written."
    ),
    ("billing/apps.py", "post_save.connect"): (
        "Empties the process's copy of used tariffs' rows (billing.selectors.tariffs) when a"
        " tariff or one of its rows is saved; a cache, no business data is written."
    ),
    ("billing/apps.py", "post_delete.connect"): ("The same for a deleted tariff or row."),
}

RELATION_FIELDS = {"ForeignKey", "OneToOneField", "ManyToManyField"}


@dataclass(frozen=True)
class Reference:
    path: str  # relative to the project root
    line: int
    target: str  # a dotted module name, or "app.Model"
    how: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.how} {self.target}"


def python_files(*places: str) -> list[Path]:
    files: list[Path] = []
    for place in places:
        path = ROOT / place
        files.extend([path] if path.suffix == ".py" else sorted(path.rglob("*.py")))
    return [f for f in files if ".venv" not in f.parts]


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def is_migration(path: Path) -> bool:
    return "migrations" in path.relative_to(ROOT).parts


def _package_of(path: Path) -> list[str]:
    """The dotted package a module lives in (for ``__init__.py``, the package itself)."""
    return list(path.relative_to(ROOT).parent.parts)


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _callee(call: ast.Call) -> str:
    return ast.unparse(call.func)


def references(path: Path, source: str | None = None) -> list[Reference]:
    """Every reference of the module at ``path`` to another module or model, anywhere in it."""
    source = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(source, filename=str(path))
    where = relative(path)
    found: list[Reference] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Reference(where, node.lineno, a.name, "imports") for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                package = _package_of(path)
                base = package[: len(package) - (node.level - 1)]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names = [f"{module}.{a.name}" for a in node.names] if node.level else [module]
            found += [Reference(where, node.lineno, name, "imports") for name in names]
        elif isinstance(node, ast.Call):
            callee = _callee(node)
            last = callee.rsplit(".", 1)[-1]
            first = _string(node.args[0]) if node.args else None
            if last in {"import_module", "__import__"} and first:
                found.append(Reference(where, node.lineno, first, f"{last}()"))
            elif last == "get_model" and first:
                model = _string(node.args[1]) if len(node.args) > 1 else None
                target = f"{first}.{model}" if model else first
                found.append(Reference(where, node.lineno, target, "get_model()"))
            elif last in RELATION_FIELDS:
                keyword = next((k.value for k in node.keywords if k.arg == "to"), None)
                target = _string(keyword) or first
                if target and "." in target:
                    found.append(Reference(where, node.lineno, target, f"{last} to"))
    return found


def forbidden_references(places: list[str], forbidden: set[str]) -> list[str]:
    return [
        str(ref)
        for path in python_files(*places)
        for ref in references(path)
        if ref.target.split(".")[0] in forbidden
    ]


def migration_dependencies(path: Path) -> list[tuple[int, str]]:
    """The apps a migration depends on (``dependencies = [(app, name), ...]``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "dependencies" for t in node.targets)
            and isinstance(node.value, ast.List | ast.Tuple)
        ):
            for item in node.value.elts:
                if isinstance(item, ast.Tuple) and item.elts and _string(item.elts[0]):
                    found.append((item.lineno, _string(item.elts[0])))
    return found


def receiver_connections(path: Path) -> list[tuple[int, str]]:
    """Calls of ``receiver(...)`` (also as a decorator) and of ``<something>.connect(...)``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            callee = _callee(node)
            if callee.rsplit(".", 1)[-1] == "receiver" or (
                isinstance(node.func, ast.Attribute) and node.func.attr == "connect"
            ):
                found.append((node.lineno, callee))
    return sorted(found)


# --- the checks see what they look for ---------------------------------------------------


def test_the_app_sources_are_found():
    assert len(python_files("customers")) > 10
    assert ROOT / "customers/services/licences.py" in python_files("customers")
    assert ROOT / "q3helpdesk/guards.py" in python_files(*SHARED)
    assert ROOT / "q3helpdesk/rollups.py" in python_files(*SHARED)
    assert len(python_files("q3helpdesk/ui")) >= 4


def test_relative_imports_are_resolved_to_their_package():
    targets = {r.target for r in references(ROOT / "customers/services/licences.py")}
    assert {"customers.credit.ledger", "customers.models.Licence", "q3helpdesk.guards"} <= targets
    targets = {r.target for r in references(ROOT / "customers/services/__init__.py")}
    assert "customers.services.licences.licence_update" in targets


def test_references_are_found_at_any_depth_and_in_every_form():
    source = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from billing.models import Tariff\n"
        "def later():\n"
        "    import cases.services\n"
        "    from importlib import import_module\n"
        "    import_module('billing.credit_ledger')\n"
        "    apps.get_model('cases', 'Case')\n"
        "class Thing(models.Model):\n"
        "    tariff = models.ForeignKey('billing.Tariff', on_delete=models.PROTECT)\n"
        "    case = models.OneToOneField(to='cases.Case', on_delete=models.CASCADE)\n"
    )
    found = {(r.line, r.target) for r in references(ROOT / "customers/example.py", source=source)}
    assert {
        (3, "billing.models"),
        (5, "cases.services"),
        (7, "billing.credit_ledger"),
        (8, "cases.Case"),
        (10, "billing.Tariff"),
        (11, "cases.Case"),
    } <= found


def test_the_known_references_upwards_are_seen():
    # billing reads customers' models, cases reads billing: the checks would see the reverse.
    assert any(
        r.target.startswith("customers.models")
        for r in references(ROOT / "billing/credit_ledger.py")
    )
    assert forbidden_references(["cases"], {"billing"}) != []
    assert forbidden_references(["billing/migrations"], {"customers"}) != []


# --- the direction customers ← billing ← cases ------------------------------------------


@pytest.mark.parametrize("app", FORBIDDEN)
def test_an_app_refers_to_no_app_above_it(app):
    found = forbidden_references([app], FORBIDDEN[app])
    assert found == [], f"{app} may not refer to {sorted(FORBIDDEN[app])}:\n" + "\n".join(found)


@pytest.mark.parametrize("place", SHARED)
def test_the_shared_pieces_refer_to_no_app(place):
    found = forbidden_references([place], set(APPS))
    assert found == [], f"{place} is shared by every layer; it may not refer to an app:\n" + (
        "\n".join(found)
    )


@pytest.mark.parametrize("app", FORBIDDEN)
def test_migrations_depend_on_no_app_above_them(app):
    found = [
        f"{relative(path)}:{line}: depends on {label}"
        for path in python_files(f"{app}/migrations")
        for line, label in migration_dependencies(path)
        if label in FORBIDDEN[app]
    ]
    assert found == [], "\n".join(found)


def test_migration_dependencies_are_read():
    deps = migration_dependencies(ROOT / "cases/migrations/0001_initial.py")
    assert {label for _line, label in deps} >= {"billing", "customers"}


# --- size ---------------------------------------------------------------------------------

MODULES = [path for path in python_files(*PACKAGES) if not is_migration(path)]


def test_the_modules_to_measure_exclude_only_migrations():
    assert ROOT / "cases/selectors/lists.py" in MODULES
    assert not any(is_migration(p) for p in MODULES)
    assert len(MODULES) > 50


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_no_module_is_over_500_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, (
        f"{relative(path)}:{MAX_LINES + 1}: {lines} lines; split it into a package"
        " (CONVENTIONS: one module per role, a package past ~400 lines)"
    )


# --- no signals ---------------------------------------------------------------------------


def test_receivers_are_connected_only_where_allowed():
    found = {
        (relative(path), line, callee)
        for path in python_files(*PACKAGES)
        for line, callee in receiver_connections(path)
    }
    unexpected = sorted(
        f"{path}:{line}: {callee}(...) connects a signal receiver"
        for path, line, callee in found
        if (path, callee) not in ALLOWED_RECEIVERS
    )
    assert unexpected == [], (
        "One app changes another's data by calling its service, never through a signal"
        " (CONVENTIONS); list a receiver that is no business logic in ALLOWED_RECEIVERS"
        " with the reason:\n" + "\n".join(unexpected)
    )
    # An allowed exception that has gone away is taken off the list.
    stale = set(ALLOWED_RECEIVERS) - {(path, callee) for path, _line, callee in found}
    assert not stale, f"no longer connected, remove from ALLOWED_RECEIVERS: {sorted(stale)}"


def test_receiver_calls_are_found_as_decorators_and_connects(tmp_path):
    module = tmp_path / "signals.py"
    module.write_text(
        "from django.dispatch import receiver\n"
        "@receiver(post_save, sender=RentalPeriod)\n"
        "def grant(sender, instance, **kwargs):\n"
        "    pass\n"
        "post_save.connect(grant, sender=Licence)\n"
        "signals.m2m_changed.connect(grant)\n",
        encoding="utf-8",
    )
    assert receiver_connections(module) == [
        (2, "receiver"),
        (5, "post_save.connect"),
        (6, "signals.m2m_changed.connect"),
    ]
