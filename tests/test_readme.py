"""The README's generated parts stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

from nblabel._keymap import key_table

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def test_key_table_matches_the_key_map():
    block = re.search(r"<!-- key-table:.*?-->\n(.*?)\n<!-- /key-table -->", README, re.S)
    assert block is not None, "the README lost its key table markers"
    assert block.group(1) == key_table()


def test_readme_commands_are_the_ci_commands():
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert "./dev test" in README and "./dev test" in ci
    assert "./dev lab" in README
