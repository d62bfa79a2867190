"""Every user-facing string exists in every language of LANGUAGES."""

import shutil
import subprocess

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from workshops.config import PROJECT_ROOT, configured_languages

LANGUAGES = configured_languages()
TRANSLATIONS = PROJECT_ROOT / "translations"
METHOD_MAP = [("workshops/**.py", "python"), ("templates/**.html", "jinja2")]
KEYWORDS = DEFAULT_KEYWORDS | {"_l": None, "lazy_gettext": None,
                               "lazy_pgettext": ((1, "c"), 2)}


def catalogue(language):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


def messages_in_code():
    """(context, msgid) of every translatable message in the code and templates."""
    found = set()
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        PROJECT_ROOT, METHOD_MAP, keywords=KEYWORDS
    ):
        found.add((context, message[0] if isinstance(message, tuple) else message))
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    problems = []
    for message in catalogue(language):
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if not all(s and s.strip() for s in strings):
            problems.append(f"untranslated: {message.id!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match_the_source(language):
    errors = [
        f"{message.id!r}: {'; '.join(map(str, message_errors))}"
        for message, message_errors in catalogue(language).check()
    ]
    assert not errors, "\n".join(errors)


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_message_in_the_code_is_missing_from_the_catalogue(language):
    known = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id)
             for m in catalogue(language) if m.id}
    missing = sorted(messages_in_code() - known, key=str)
    assert not missing, "run `make translations` and translate:\n" + "\n".join(map(str, missing))


@pytest.mark.parametrize("language", LANGUAGES)
def test_msgfmt_check_passes(language, tmp_path):
    msgfmt = shutil.which("msgfmt")
    assert msgfmt, "msgfmt is missing: apt-get install gettext"
    po = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    result = subprocess.run([msgfmt, "--check", "-o", str(tmp_path / "messages.mo"), str(po)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_compiled_catalogues_exist_for_every_language():
    for language in LANGUAGES:
        assert (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").exists(), (
            "run `make compile-translations`")
