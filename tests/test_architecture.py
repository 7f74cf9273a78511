"""House rules that a test can hold: tpm/ is UI-free; pages stay thin (no SQL)."""

import ast
import re

from conftest import ROOT


def imported_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def test_tpm_never_imports_streamlit():
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "tpm").rglob("*.py")
                 if any(m == "streamlit" or m.startswith("streamlit.") for m in imported_modules(p))]
    assert offenders == []


def test_pages_contain_no_sql():
    sql = re.compile(r"\b(SELECT|INSERT|DELETE FROM|UPDATE)\b")
    offenders = [p.name for p in (ROOT / "pages").glob("*.py") if sql.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_html_rendering_of_user_text():
    offenders = [p.name for p in list((ROOT / "pages").glob("*.py")) + [ROOT / "app.py"]
                 if "unsafe_allow_html=True" in p.read_text(encoding="utf-8")]
    assert offenders == []


def test_no_test_puts_benchmarks_on_the_import_path():
    """benchmarks/pages.py on sys.path shadows the app's ``pages`` package for every later AppTest of
    the same worker (46 page tests failed that way once); tests load benchmarks with conftest.benchmark."""
    offenders = [p.name for p in (ROOT / "tests").glob("*.py")
                 if re.search(r"sys\.path\.(insert|append)\([^)]*benchmarks", p.read_text(encoding="utf-8"))]
    assert offenders == []


# --- layers --------------------------------------------------------------------------------------------
#: The layers of tpm/, bottom to top: a module may import modules of its own layer or below, never above,
#: and no import cycle may run between modules. An entry names a module or package (its submodules too);
#: the longest matching entry decides ("tpm" itself names only tpm/__init__.py). Lazy imports (inside a function) count as imports.
LAYERS = [
    # leaves everyone may use: number formats, the texts, the roles, the base rules (constants only,
    # read by labels and metrics alike), CSV neutralisation, the Gram sums of the driver correlations
    ("foundation", ["tpm", "tpm.formatting", "tpm.i18n", "tpm.roles", "tpm.journey", "tpm.metrics.rules",
                    "tpm.csv_export", "tpm.gram", "tpm.text"]),
    # files -> ImportResult; knows no database. tpm.workbook (opening an Excel file) is its first step, kept
    # outside the package so that the CLI opens a workbook before numpy and Arrow load (tpm/ingest/__init__ loads them)
    ("ingest", ["tpm.ingest", "tpm.workbook"]),
    # the database: schema, file and writer's flag, transactions, memory, datasets, templates, weights, audit, health
    ("store", ["tpm.store.schema", "tpm.store.files", "tpm.store.transactions", "tpm.store.memory", "tpm.store.datasets",
               "tpm.store.templates", "tpm.store.weightsets", "tpm.store.audit", "tpm.store.health",
               "tpm.store.comment_text", "tpm.store.coding"]),
    ("summaries", ["tpm.compact"]),                   # the compact count tables, kept by the writes above
    # studies and what opens, migrates and imports into the database (they build studies and compact
    # tables); tpm.store itself offers the whole store to the modules above (store.connect, store.X)
    ("catalogue", ["tpm.studies", "tpm.store", "tpm.inventory", "tpm.weights", "tpm.upload", "tpm.remap"]),
    ("metrics", ["tpm.metrics"]),
    ("comments", ["tpm.comments"]),                 # the customers' comments: themes, the comments page, their statistics
    ("followup", ["tpm.followup"]),                 # alert rules over single responses and the follow-up cases they open
    ("plans", ["tpm.actions"]),
    ("followup", ["tpm.followup"]),                 # cases' notifications, contact visibility, retention
    ("charts", ["tpm.charts"]),
    ("report", ["tpm.report"]),
    # tpm.cli: the package tpm/cli/ (its command modules import each other only downwards: parser → commands → common)
    ("entry", ["tpm.access", "tpm.logins", "tpm.gate", "tpm.seed", "tpm.cli", "tpm.__main__"]),
]


def tpm_modules() -> dict[str, object]:
    """Every module of tpm/ by dotted name (a package by its own name)."""
    modules = {}
    for path in (ROOT / "tpm").rglob("*.py"):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def import_graph() -> dict[str, set[str]]:
    """module -> the tpm modules it imports anywhere in its file (``from a import b`` counts as an
    import of the module a.b where that is one, else of a)."""
    modules = tpm_modules()

    def known(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets |= {known(a.name) for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
                module = ".".join(base + ([node.module] if node.module else []))
                submodules = {f"{module}.{a.name}" for a in node.names} & modules.keys()
                targets |= submodules or {known(module)}
        graph[name] = {t for t in targets if t and t.startswith("tpm") and t != name}
    return graph


def layer_of(module: str) -> int:
    matches = [(len(entry), rank) for rank, (_, entries) in enumerate(LAYERS) for entry in entries
               if module == entry or (entry != "tpm" and module.startswith(entry + "."))]
    assert matches, f"{module} is in no layer of LAYERS (tests/test_architecture.py): add it"
    return max(matches)[1]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_graph_sees_module_level_and_lazy_imports():
    """The walk itself: an import inside a function counts, and ``from tpm import x`` is an import of tpm.x."""
    graph = import_graph()
    assert "tpm.metrics.drivers" in graph["tpm.report.content"]   # module level, from … import name
    assert "tpm.report.excel" in graph["tpm.report"]               # inside a function
    assert "tpm.store" in graph["tpm.access"]                      # from tpm import store
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    assert cycles(import_graph()) == [], "modules importing each other (in a ring): break it by moving code down"


def test_every_import_goes_down_the_layers():
    graph = import_graph()
    upward = [f"{a} ({LAYERS[layer_of(a)][0]}) imports {b} ({LAYERS[layer_of(b)][0]})"
              for a in sorted(graph) for b in sorted(graph[a]) if layer_of(b) > layer_of(a)]
    assert upward == [], "imports running up the layers of LAYERS (tests/test_architecture.py):\n" + "\n".join(upward)


def test_tpm_never_imports_the_pages_or_the_app():
    """The pages, app.py, serve.py and the benchmarks sit on top: tpm/ never imports them."""
    top = ("pages", "app", "serve", "benchmarks")
    offenders = [f"{p.relative_to(ROOT)} imports {m}" for p in (ROOT / "tpm").rglob("*.py")
                 for m in imported_modules(p) if m.split(".")[0] in top]
    assert offenders == []
