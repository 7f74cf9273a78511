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
