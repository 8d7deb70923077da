"""The layout and the dependency rule (README "Design").

- nothing outside ``seqviz/ui/`` imports Streamlit;
- the shared core (``data``, ``models``, ``figures``, ``config``, ``train``, ``checkpoint``, ...)
  never imports a lesson or the UI; a lesson's core never imports the UI;
- a lesson's UI never imports another lesson's UI; the shared UI imports no lesson's UI;
- no import circle anywhere in ``seqviz`` (function-level imports included), and the lessons'
  own dependencies form no circle either;
- figure builders import neither torch nor ``seqviz.models``;
- the top of ``seqviz/`` stays small: at most 8 modules, no prefix families.

The graph is read statically (``ast``) so an import inside a function counts too; two runtime
checks import the modules for real and look at ``sys.modules``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PKG = ROOT / "seqviz"
SHARED = {"data", "models", "figures", "engine", "i18n", "ui"}  # shared; every other package is a lesson
LESSONS = sorted(p.name for p in PKG.iterdir()
                 if (p / "__init__.py").exists() and p.name not in SHARED)
SHARED_UI = {"setup", "state", "player", "controls", "catalog", "data", "live", "layout", "home",
             "lecture", "startup", "timeline", "export", "share", "tabs",  # tabs: Hidden, Embeddings
             "tables",  # markdown tables: Embeddings
             "chart"}  # every Plotly chart (drawn in place)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PKG.rglob("*.py")}


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth of its code (seqviz modules resolved)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:  # `from seqviz.x import y`: y may be a submodule
                sub = f"{node.module}.{a.name}"
                out.add(sub if sub in MODULES else node.module)
    return out


GRAPH = {m: {i for i in imports_of(p) if i in MODULES} for m, p in MODULES.items()}
EXTERNAL = {m: imports_of(p) for m, p in MODULES.items()}


def area(mod: str) -> tuple[str, str | None]:
    """("core" | "lesson" | "ui" | "lesson-ui", lesson name or None) for a seqviz module."""
    parts = mod.split(".")
    if len(parts) > 1 and parts[1] == "ui":
        if len(parts) > 2 and parts[2] in LESSONS:
            return "lesson-ui", parts[2]
        return "ui", None
    if len(parts) > 1 and parts[1] in LESSONS:
        return "lesson", parts[1]
    return "core", None


def test_the_graph_sees_the_lessons_and_their_uis():
    # guards the rules below against a graph that finds nothing
    assert {"lm", "hidden", "gradients", "attention", "decoding", "embeddings"} <= set(LESSONS)
    assert "seqviz.attention.experiment" in GRAPH["seqviz.ui.attention.panel"]
    assert "seqviz.decoding.problem" in GRAPH["seqviz.decoding.seq2seq"]
    assert "streamlit" in EXTERNAL["seqviz.ui.player"]


def test_nothing_outside_ui_imports_streamlit_even_lazily():
    bad = [m for m, deps in EXTERNAL.items() if area(m)[0] in ("core", "lesson")
           and any(d == "streamlit" or d.startswith("streamlit.") for d in deps)]
    assert not bad, f"these modules import streamlit outside seqviz/ui/: {bad}"


def test_layering():
    bad = []
    for mod, deps in GRAPH.items():
        kind, lesson = area(mod)
        for dep in deps:
            dkind, dlesson = area(dep)
            if kind == "core" and dkind != "core":
                bad.append(f"shared core {mod} imports {dep}")
            elif kind == "lesson" and dkind in ("ui", "lesson-ui"):
                bad.append(f"lesson core {mod} imports UI {dep}")
            elif kind == "lesson-ui" and dkind == "lesson-ui" and dlesson != lesson:
                bad.append(f"{mod} imports another lesson's UI {dep}")
            elif kind == "ui" and dkind == "lesson-ui":
                bad.append(f"shared UI {mod} imports a lesson's UI {dep}")
    assert not bad, "\n".join(bad)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (or a self-loop): Tarjan."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph.get(v, ()):
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_circle_between_modules():
    assert not _cycles(GRAPH), f"import circles: {_cycles(GRAPH)}"


def test_lessons_depend_on_each_other_without_a_circle():
    between: dict[str, set[str]] = {name: set() for name in LESSONS}
    for mod, deps in GRAPH.items():
        kind, lesson = area(mod)
        if kind == "lesson":
            between[lesson] |= {area(d)[1] for d in deps if area(d)[0] == "lesson"} - {lesson}
    assert not _cycles(between), f"lessons import each other in a circle: {_cycles(between)}"


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_top_of_seqviz_is_small_and_has_no_prefix_families():
    top = sorted(p.name for p in PKG.glob("*.py") if p.name != "__main__.py")  # an entry point
    assert len(top) <= 8, top
    prefixed = [n for n in top if n.startswith(("s2s_", "search_", "w2v_", "hidden_", "beam_"))
                or n.endswith("_experiment.py")]
    assert not prefixed, prefixed
    ui_top = {p.stem for p in (PKG / "ui").glob("*.py")} - {"__init__"}
    assert ui_top <= SHARED_UI, f"lesson modules at the top of seqviz/ui/: {sorted(ui_top)}"
    assert set(LESSONS) <= {p.name for p in (PKG / "ui").iterdir() if p.is_dir()}, \
        "every lesson has a folder in seqviz/ui/"


def _modules_after_import(mods: list[str]) -> set[str]:
    code = f"import sys, {', '.join(mods)}; print('\\n'.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT)
    return set(out.stdout.split())


def _has_streamlit(loaded: set[str]) -> bool:
    return any(m == "streamlit" or m.startswith("streamlit.") for m in loaded)


def test_core_never_imports_streamlit_at_run_time():
    core = sorted(m for m in MODULES if area(m)[0] in ("core", "lesson")
                  and m not in ("seqviz.bench", "seqviz.__main__"))  # scripts: importing runs them
    if _has_streamlit(_modules_after_import(core)):  # one interpreter; on failure, name it
        culprits = [m for m in core if _has_streamlit(_modules_after_import([m]))]
        raise AssertionError(f"these core modules import streamlit: {culprits}")


def test_figures_do_not_import_models_or_torch():
    figures = sorted(m for m in MODULES if area(m)[0] in ("core", "lesson")
                     and (m.startswith("seqviz.figures.") or m.split(".")[-1].endswith("figures")
                          or m == "seqviz.hidden.coloured_text"))
    assert len(figures) >= 8, figures
    loaded = _modules_after_import(figures)
    assert "seqviz.models" not in loaded and "torch" not in loaded, figures


def test_every_uploader_goes_through_file_upload():
    """``seqviz.ui.controls.file_upload`` translates Streamlit's own uploader texts; an
    uploader made directly with ``file_uploader`` would show them in English on zh pages."""
    direct = [str(path.relative_to(ROOT)) for path in
              [*ROOT.glob("pages/*.py"), ROOT / "app.py", *ROOT.glob("seqviz/**/*.py")]
              if path.name != "controls.py" and ".file_uploader(" in path.read_text()]
    assert direct == []


def test_browser_tests_wait_in_the_page_on_a_timer():
    """A wait on a condition in the page goes through ``tests.browser.wait_js``, which checks
    on a timer: Playwright's ``wait_for_function`` checks once per animation frame by default,
    and a page starved of frames on a busy machine then does not check (a CI run waited 90 s
    on a step counter the page was showing)."""
    calls = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "wait_for_function"):
                polled = any(k.arg == "polling" for k in node.keywords)
                calls.append((path.name, node.lineno, polled))
    assert calls, "wait_js calls page.wait_for_function: the scan found nothing"
    assert [c for c in calls if c[0] != "browser.py" or not c[2]] == []


def test_the_test_run_keeps_the_file_order_conftest_sets():
    """``tests/conftest.py`` orders the files (the replicated class first, with the light files
    beside it); xdist's default reorder by test count would undo that and leave one test
    process waiting minutes on the machine lock (a CI run: 301 s in one test's setup)."""
    import tomllib

    opts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "--dist loadfile" in opts["addopts"] and "--no-loadscope-reorder" in opts["addopts"]
