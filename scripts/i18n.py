"""Translation catalogs: extract, update, compile and check them with Babel.

    python scripts/i18n.py update    # extract every _("…") into the .po files (new = empty)
    python scripts/i18n.py compile   # .po -> .mo (what the app reads)
    python scripts/i18n.py check     # untranslated, fuzzy or stale entries; .mo out of date
    python scripts/i18n.py todo lm   # the untranslated entries of a domain, as JSON to fill in
    python scripts/i18n.py apply lm filled.json  # write a filled-in JSON into the domain's .po

One gettext domain per lesson (its page, its core package and its UI package) and ``core`` for
everything shared, so translators of two lessons never edit the same file. A translator opens
``seqviz/locale/zh_CN/LC_MESSAGES/<domain>.po`` in any PO editor (Poedit, Lokalize, an IDE),
fills the empty ``msgstr`` entries, then runs ``compile``.
"""

from __future__ import annotations

import argparse
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALE = ROOT / "seqviz" / "locale"
LANGS = ["zh_CN"]
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
SHARED_PACKAGES = {"data", "models", "figures", "engine", "i18n", "ui", "locale", "pretrained"}


def page_domain(page: Path) -> str | None:
    """pages/N_Title.py -> the lesson whose UI it imports (``seqviz.ui.<lesson>``)."""
    found = re.findall(r"seqviz\.ui\.(\w+)", page.read_text(encoding="utf-8"))
    lessons = [f for f in found if (ROOT / "seqviz" / f).is_dir() and f not in SHARED_PACKAGES]
    return lessons[0] if lessons else None


def domain_of(path: Path) -> str:
    """The catalog a source file's strings belong to."""
    rel = path.relative_to(ROOT).parts
    if rel[0] == "pages":
        return page_domain(path) or "core"
    if rel[0] == "seqviz" and len(rel) > 2:
        pkg = rel[2] if rel[1] == "ui" and len(rel) > 3 else rel[1]
        if pkg not in SHARED_PACKAGES:
            return pkg
    return "core"


def sources() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")),
             *sorted((ROOT / "seqviz").rglob("*.py"))]
    return [f for f in files if f.exists()]


def templates() -> dict[str, Catalog]:
    """One template catalog per domain, from every ``_``/``N_``/``ngettext`` call in the code."""
    out: dict[str, Catalog] = {}
    for path in sources():
        domain = domain_of(path)
        cat = out.setdefault(domain, Catalog(domain=domain, project="seqviz",
                                             charset="utf-8"))
        rel = path.relative_to(ROOT).as_posix()
        for lineno, message, comments, context in extract_from_file(
                "python", str(path), keywords=KEYWORDS, comment_tags=("TRANSLATORS:",),
                options={"encoding": "utf-8"}):
            flags = ("python-brace-format",) if "{" in (message if isinstance(message, str)
                                                          else message[0]) else ()
            cat.add(message, None, [(rel, lineno)], auto_comments=comments, flags=flags,
                    context=context)
    return out


def po_path(lang: str, domain: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"


def read(path: Path, lang: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def update() -> None:
    for lang in LANGS:
        for domain, template in templates().items():
            path = po_path(lang, domain)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():
                cat = read(path, lang)
                template.creation_date = cat.creation_date  # no churn: git merges stay clean
                cat.update(template, no_fuzzy_matching=True)
                cat.obsolete.clear()
            else:
                cat = Catalog(locale=lang, domain=domain, project="seqviz", charset="utf-8")
                cat.update(template, no_fuzzy_matching=True)
            with path.open("wb") as fh:  # file names without line numbers: edits elsewhere in
                # a module do not rewrite the catalog (and two branches do not conflict on it)
                write_po(fh, cat, width=100, sort_by_file=True, omit_header=False,
                         include_lineno=False)
            print(f"{path.relative_to(ROOT)}: {len(cat)} messages")


def compiled(lang: str, domain: str) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, read(po_path(lang, domain), lang), use_fuzzy=False)
    return buf.getvalue()


def compile_all() -> None:
    for lang in LANGS:
        for po in sorted((LOCALE / lang / "LC_MESSAGES").glob("*.po")):
            po.with_suffix(".mo").write_bytes(compiled(lang, po.stem))
            print(f"compiled {po.relative_to(ROOT)}")


def problems() -> list[str]:
    """Everything that keeps the catalogs from being complete and current."""
    out = []
    wanted = templates()
    for lang in LANGS:
        for domain, template in wanted.items():
            path = po_path(lang, domain)
            if not path.exists():
                out.append(f"{lang}/{domain}.po is missing (run `python scripts/i18n.py update`)")
                continue
            cat = read(path, lang)
            for msg in template:
                if not msg.id:
                    continue
                have = cat.get(msg.id, context=msg.context)
                if have is None:
                    out.append(f"{lang}/{domain}: not in the catalog: {_short(msg.id)}")
                elif have.fuzzy or not _filled(have.string):
                    out.append(f"{lang}/{domain}: untranslated: {_short(msg.id)}")
                elif not _same_fields(msg.id, have.string):
                    out.append(f"{lang}/{domain}: placeholders differ: {_short(msg.id)}")
            mo = path.with_suffix(".mo")
            if not mo.exists():
                out.append(f"{lang}/{domain}.mo is missing (run `python scripts/i18n.py compile`)")
            else:
                with mo.open("rb") as fh:
                    have_mo = {_key(m.id): _key(m.string) for m in read_mo(fh) if m.id}
                want_mo = {_key(m.id): _key(m.string) for m in cat if m.id and not m.fuzzy
                           and _filled(m.string)}
                if have_mo != want_mo:
                    out.append(f"{lang}/{domain}.mo is out of date "
                               "(run `python scripts/i18n.py compile`)")
    return out


def _key(value):
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _filled(string) -> bool:
    return all(string) if isinstance(string, (tuple, list)) else bool(string)


FIELD = re.compile(r"\{(\w*)[^{}]*\}")


def _same_fields(msgid, msgstr) -> bool:
    """A translation keeps every ``{name}`` placeholder of its source (Chinese: one plural form,
    which must carry the plural source's placeholders)."""
    ids = msgid if isinstance(msgid, (tuple, list)) else (msgid,)
    strs = msgstr if isinstance(msgstr, (tuple, list)) else (msgstr,)
    want = set().union(*(set(FIELD.findall(i)) for i in ids))
    return all(set(FIELD.findall(s)) == want for s in strs)


def _short(msgid) -> str:
    text = msgid[0] if isinstance(msgid, (tuple, list)) else msgid
    return repr(text if len(text) < 70 else text[:67] + "…")


def _json_key(m) -> str:
    """A plural entry is keyed by its singular; an entry with a context by "context|msgid"."""
    key = m.id[0] if isinstance(m.id, tuple) else m.id
    return f"{m.context}|{key}" if m.context else key


def todo(domain: str, lang: str = "zh_CN") -> dict[str, str]:
    """{key: ""} for every untranslated entry (see ``_json_key``)."""
    cat = read(po_path(lang, domain), lang)
    return {_json_key(m): "" for m in cat if m.id and (m.fuzzy or not _filled(m.string))}


def apply(domain: str, filled: dict[str, str], lang: str = "zh_CN") -> int:
    """Write translations (msgid or a plural's singular -> text) into the domain's .po."""
    path = po_path(lang, domain)
    cat = read(path, lang)
    done = 0
    for m in cat:
        if not m.id:
            continue
        text = filled.get(_json_key(m))
        if not text:
            continue
        m.string = (text,) if isinstance(m.id, tuple) else text
        m.flags.discard("fuzzy")
        done += 1
    with path.open("wb") as fh:
        write_po(fh, cat, width=100, sort_by_file=True, include_lineno=False)
    return done


def main(argv: list[str] | None = None) -> int:
    import json

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["update", "compile", "check", "todo", "apply"])
    parser.add_argument("domain", nargs="?")
    parser.add_argument("file", nargs="?")
    args = parser.parse_args(argv)
    if args.command == "todo":
        print(json.dumps(todo(args.domain), ensure_ascii=False, indent=1))
    elif args.command == "apply":
        filled = json.loads(Path(args.file).read_text(encoding="utf-8"))
        print(f"{apply(args.domain, filled)} entries written to {args.domain}.po")
    elif args.command == "update":
        update()
    elif args.command == "compile":
        compile_all()
    else:
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problem(s)")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
