"""The docs are checked: every CLI command and option, page, metric, environment variable and
.streamlit/config.toml setting the code has is named in docs/, and every relative link in README.md
and docs/*.md points to a file that exists (as Datasette's ``test_docs.py`` does).

Each check is a small function that returns what is missing; the real check asserts it is empty,
and a second test feeds it a fake (an option, a page, a metric, a variable, a link the docs do not
have) to show the check can fail. ``python tests/test_docs.py cli`` rewrites the command reference of
docs/cli.md from the parser itself (run it when the parser changes; a test fails until then).
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
CODE = [ROOT / "app.py", ROOT / "serve.py", *sorted((ROOT / "tpm").rglob("*.py")), *sorted((ROOT / "pages").glob("*.py"))]
#: environment variables read by the servers TPM runs on rather than by TPM's code (uvicorn's
#: proxy setting, which the lockout depends on behind a reverse proxy)
SERVER_ENV = ("FORWARDED_ALLOW_IPS",)


def _doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def _named(word: str, text: str) -> bool:
    """``word`` occurs in ``text`` as a whole word (``--db`` is not found inside ``--dbx``)."""
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


# --- CLI: walk the argparse parser -------------------------------------------------------------

def cli_commands(parser: argparse.ArgumentParser, prefix: str = "") -> dict[str, argparse.ArgumentParser]:
    """``{"ingest": parser, "users add": parser, …}``: every (sub)command, depth first."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[f"{prefix}{name}"] = sub
                found.update(cli_commands(sub, f"{prefix}{name} "))
    return found


def cli_options(parser: argparse.ArgumentParser) -> list[str]:
    """The long options of one command (``--help`` left out: every command has it)."""
    return [opt for action in parser._actions for opt in action.option_strings
            if opt.startswith("--") and opt != "--help"]


def missing_cli(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """Commands whose ``python -m tpm COMMAND`` heading is not in ``text``, and options without a
    line of their own (``- `--option …`: …``) in that command's section (from its heading to the next)."""
    missing = []
    for command, sub in cli_commands(parser).items():
        heading = re.search(rf"^###+ `python -m tpm {re.escape(command)}`\s*$", text, re.M)
        if heading is None:
            missing.append(command)
            continue
        rest = text[heading.end():]
        section = rest[:m.start()] if (m := re.search(r"^#{1,3} ", rest, re.M)) else rest
        described = re.findall(r"^- `([^`\s,]+)", section, re.M)  # each option's own line, not just the usage
        missing += [f"{command} {opt}" for opt in cli_options(sub) if opt not in described]
    return missing


def cli_reference(parser: argparse.ArgumentParser) -> str:
    """The Markdown listing of docs/cli.md's reference: one section per command with its usage
    and every argument with its help text, generated from the parser (not copied by hand)."""
    out = []
    for command, sub in cli_commands(parser).items():
        if any(isinstance(a, argparse._SubParsersAction) for a in sub._actions):
            out.append(f"### `python -m tpm {command}`\n\n{sub.description or _help_of(parser, command)}\n")
            continue
        usage = " ".join(sub.format_usage().split())
        out.append(f"### `python -m tpm {command}`\n\n{_help_of(parser, command)}\n\n```\n{usage.removeprefix('usage: ')}\n```\n")
        for action in sub._actions:
            if action.option_strings == ["-h", "--help"]:
                continue
            name = ", ".join(action.option_strings) or action.dest
            meta = "" if action.nargs == 0 else (
                f" {' '.join(action.metavar)}" if isinstance(action.metavar, tuple)
                else f" {action.metavar}" if action.metavar else f" {{{','.join(action.choices)}}}" if action.choices
                else "" if not action.option_strings else f" {action.dest.upper()}")
            default = ("" if action.default in (None, False, [], argparse.SUPPRESS) or action.required
                       or "default" in (action.help or "") else f" (default {action.default})")
            text = (action.help or _PLAIN.get(action.dest, "")).replace("%%", "%")
            out.append(f"- `{name}{meta}`{' (required)' if action.required and action.option_strings else ''}"
                       f"{': ' + text if text else ''}{default}")
        out.append("")
    return "\n".join(out)


#: what the reference says of arguments the parser leaves without a help text
_PLAIN = {"db": "the database file (default: $TPM_DB, else data/tpm.duckdb)", "json": "print JSON (see JSON output)",
          "seed": "random seed of the bootstrap resamples", "paths": "the export files (.xlsx, .xlsm, .xls, .csv)",
          "name": "the user's name (OIDC: the e-mail address)", "dataset": "dataset name (repeatable; default: all)"}


def _help_of(parser: argparse.ArgumentParser, command: str) -> str:
    *parents, last = command.split()
    for word in parents:
        parser = cli_commands(parser)[word]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                if choice.dest == last:
                    return (choice.help or "").rstrip(".") + "."
    return ""


# --- pages: the st.Page calls of app.py --------------------------------------------------------

def pages(source: str) -> list[tuple[str, str]]:
    """``[(url_path, title_key), …]`` of every ``st.Page(…, title=t("key", lang), url_path="…")``
    in ``source`` that is shown in the menu (hidden aliases left out)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "Page":
            kw = {k.arg: k.value for k in node.keywords}
            if isinstance(kw.get("visibility"), ast.Constant) and kw["visibility"].value == "hidden":
                continue
            title = kw["title"]
            key = title.args[0].value if isinstance(title, ast.Call) else title.value
            found.append((kw["url_path"].value, key))
    return found


def missing_pages(found: list[tuple[str, str]], text: str) -> list[str]:
    """Pages whose address (``/url_path``) or title (German and English) ``text`` does not name."""
    from tpm.i18n import TEXT

    missing = []
    for url_path, key in found:
        titles = TEXT.get(key, (key, key))
        missing += [f"{url_path}: {word}" for word in (f"/{url_path}", *titles) if word not in text]
    return missing


# --- environment variables and config.toml -----------------------------------------------------

_ENV_READ = re.compile(r"""(?:environ(?:\.get)?|env\.get|getenv)\s*[\[(]\s*["']([A-Z][A-Z0-9_]+)["']""")
_TPM_LITERAL = re.compile(r"""["'](TPM_[A-Z0-9_]+)["']""")


def env_variables(sources: list[str]) -> set[str]:
    """Every variable the code reads (``os.environ.get("X")``, ``environ["X"]``, ``env.get("X")``,
    ``getenv("X")``) and every ``"TPM_…"`` string literal (a name passed around before it is read)."""
    return {name for source in sources for pattern in (_ENV_READ, _TPM_LITERAL) for name in pattern.findall(source)}


def config_keys(config: dict) -> list[str]:
    """``section.key`` of every setting in a parsed .streamlit/config.toml."""
    return [f"{section}.{key}" for section, values in config.items() for key in values]


def secrets_tables(secrets: dict, prefix: str = "") -> list[str]:
    """``[tpm]``, ``[tpm.roles]``, ``[auth]``: every table of a parsed secrets.toml(.example)."""
    tables = []
    for key, value in secrets.items():
        if isinstance(value, dict):
            tables += [f"[{prefix}{key}]", *secrets_tables(value, f"{prefix}{key}.")]
    return tables


def missing_words(words, text: str) -> list[str]:
    return sorted(word for word in words if not _named(word, text))


# --- links ---------------------------------------------------------------------------------------

_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def broken_links(path: Path, text: str) -> list[str]:
    """Relative links (and images) of a Markdown file whose target file does not exist; web links
    and in-page anchors are not followed, an anchor after a file name is dropped."""
    broken = []
    for target in _LINK.findall(text):
        if re.match(r"[a-z]+:", target) or target.startswith("#"):
            continue
        if not (path.parent / target.split("#")[0]).exists():
            broken.append(f"{path.name}: {target}")
    return broken


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


# --- the checks ------------------------------------------------------------------------------------

def test_every_cli_command_and_option_is_in_docs_cli():
    from tpm.cli import build_parser

    assert missing_cli(build_parser(), _doc("cli.md")) == []


def test_the_cli_check_fails_on_a_command_or_option_the_docs_lack():
    from tpm.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.choices["summary"].add_argument("--fake-option")
    sub.add_parser("fake-command").add_argument("--db")
    assert missing_cli(parser, _doc("cli.md")) == ["summary --fake-option", "fake-command"]


def test_every_page_is_in_the_user_guide():
    found = pages((ROOT / "app.py").read_text(encoding="utf-8"))
    assert len(found) >= 13  # the parse found the pages (an empty list would pass anything)
    assert missing_pages(found, _doc("user-guide.md")) == []


def test_the_page_check_fails_on_a_page_the_docs_lack():
    source = (ROOT / "app.py").read_text(encoding="utf-8") + (
        '\nst.Page("pages/fake.py", title=t("page_fake", lang), url_path="fake")\n')
    assert missing_pages(pages(source), _doc("user-guide.md")) == ["fake: /fake", "fake: page_fake", "fake: page_fake"]


def test_every_metric_is_in_docs_statistics():
    from tpm.metrics.registry import METRICS

    text = _doc("statistics.md")
    assert missing_words([f"`{name}`" for name in METRICS], text) == []
    assert missing_words(["`fake_metric`"], text) == ["`fake_metric`"]  # the check can fail


def test_every_environment_variable_and_setting_is_in_docs_hosting():
    """Variables the code reads, config.toml settings and the tables of secrets.toml.example."""
    text = _doc("hosting.md")
    names = env_variables([path.read_text(encoding="utf-8") for path in CODE]) | set(SERVER_ENV)
    assert {"TPM_DB", "TPM_AUTH", "TPM_SEED"} <= names  # the scan found the code's variables
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert missing_words(names, text) == []
    assert missing_words(config_keys(config), text) == []
    secrets = tomllib.loads((ROOT / ".streamlit" / "secrets.toml.example").read_text(encoding="utf-8"))
    assert [table for table in secrets_tables(secrets) if table not in text] == []


def test_the_environment_and_config_checks_fail_on_a_setting_the_docs_lack():
    text = _doc("hosting.md")
    fake = 'import os\nos.environ.get("TPM_FAKE_SETTING")\nenv.get("OTHER_FAKE")\nKEY = "TPM_FAKE_LITERAL"\n'
    assert missing_words(env_variables([fake]), text) == ["OTHER_FAKE", "TPM_FAKE_LITERAL", "TPM_FAKE_SETTING"]
    config = tomllib.loads('[server]\nfakeSetting = 1\naddress = "127.0.0.1"\n')
    assert missing_words(config_keys(config), text) == ["server.fakeSetting"]
    secrets = tomllib.loads('[tpm]\nauth = "oidc"\n[tpm.fake]\nx = 1\n')
    assert [table for table in secrets_tables(secrets) if table not in text] == ["[tpm.fake]"]


def test_every_relative_link_points_to_a_file():
    files = _markdown_files()
    assert len(files) >= 8
    assert [b for path in files for b in broken_links(path, path.read_text(encoding="utf-8"))] == []


def test_the_link_check_fails_on_a_broken_link():
    text = "![a](docs/overview.png) [b](docs/nowhere.md#top) [c](https://example.com) [d](#anchor)"
    assert broken_links(ROOT / "README.md", text) == ["README.md: docs/nowhere.md#top"]


def test_the_readme_commands_are_the_makefile_targets_ci_runs():
    """README's two commands exist in the Makefile, and CI (.ci/run) runs the README's test command."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"^([a-z]+):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.M)
    commands = re.findall(r"^make (\w+)", readme, re.M)
    assert commands[:2] == ["run", "test"] and set(commands) <= set(targets)
    assert re.search(r"^make test$", (ROOT / ".ci" / "run").read_text(encoding="utf-8"), re.M)


def test_user_docs_carry_no_issue_numbers():
    """Issue numbers and development history belong to the tracker, not to what a user reads."""
    for path in _markdown_files():
        text = path.read_text(encoding="utf-8")
        assert re.findall(r"(?i)\bissues? #\d+|\bround \d\b|\b(?:first|second|third) round\b", text) == [], path.name


#: docs/cli.md's generated part starts with the first command's heading and runs to the end of the file
_REFERENCE_START = "### `python -m tpm "


def with_reference(text: str, reference: str) -> str:
    """``text`` (docs/cli.md) with its generated part replaced by ``reference``."""
    return text[:text.index(_REFERENCE_START)] + reference.rstrip("\n") + "\n"


def test_the_cli_reference_is_the_parser_s():
    """docs/cli.md's reference is what the parser says now (help texts, defaults, choices)."""
    from tpm.cli import build_parser

    text = _doc("cli.md")
    assert text == with_reference(text, cli_reference(build_parser())), \
        "docs/cli.md is out of date: run `.venv/bin/python tests/test_docs.py cli` to regenerate its reference"


def test_the_reference_check_fails_on_a_changed_help_text():
    from tpm.cli import build_parser

    parser = build_parser()
    cli_commands(parser)["seed"]._actions[-1].help = "a changed help text"
    text = _doc("cli.md")
    assert text != with_reference(text, cli_reference(parser))


if __name__ == "__main__" and sys.argv[1:] == ["cli"]:  # regenerate docs/cli.md's reference
    sys.path.insert(0, str(ROOT))
    from tpm.cli import build_parser

    target = DOCS / "cli.md"
    target.write_text(with_reference(target.read_text(encoding="utf-8"), cli_reference(build_parser())), encoding="utf-8")
    print(f"wrote {target}")
