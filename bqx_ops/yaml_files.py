"""YAML read with libyaml's parser when PyYAML has it (the wheels do), else PyYAML's own.

The configuration, the triage rules and a schema map are read when the code location loads;
the pure-Python parser took ~50 ms of that for the rules alone, libyaml ~4 ms. Same values;
only the wording of a syntax error differs (it still names the line and column).
"""

from __future__ import annotations

import yaml

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SafeLoader(_BaseLoader):
    """Refuses a key given twice in one mapping: YAML keeps the last silently, so a second ``targets:``
    or ``P0:`` further down a file replaced the first with no word."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"the key {key!r} is given twice in one mapping", key_node.start_mark)
                seen.add(key)
            except TypeError:  # an unhashable key: the constructor says so itself
                pass
        return super().construct_mapping(node, deep)


def load(text: str, loader: type = SafeLoader):
    """The document in ``text`` (safe tags only)."""
    return yaml.load(text, Loader=loader)  # noqa: S506 - only safe loaders are passed here


class TextDatesLoader(SafeLoader):
    """Dates stay text, so pydantic validates them and a bad one names its key."""


TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in SafeLoader.yaml_implicit_resolvers.items()
}
