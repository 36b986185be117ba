"""What makes a schema map unusable, said before anything is read with it.

A map that cannot be right never reaches a run: each problem names the section, table and field,
never a stack trace from deep inside a snapshot read. Refused:

* a section (``tables``, ``fields``, ``choices``, ``options``) or a table's entry that is not a mapping;
* a name that is not one line of text, or (a table) not one file name: ``../x``, ``a/b``, empty;
* two tables read from one file (``{Stages: X, Phases: X}``, or ``{Stages: Phases}`` beside our own
  Phases), two fields from one base field: one would be read as the other, silently;
* a field the table does not have (a typo would read it as always empty);
* ``choices`` on one of our vocabularies (Status...): the code reads our words, so the base's own are
  mapped onto them with ``options``; ``choices`` that are not a list of options.

Pure: no Dagster, no I/O.
"""

from __future__ import annotations

from bqx_ops.sanitize import NOT_ONE_LINE

SECTIONS = ("tables", "fields", "choices", "options")


def _one_line(value) -> bool:
    return isinstance(value, str) and bool(value.strip()) and not NOT_ONE_LINE.search(value)


def _table_file_name(value) -> bool:
    return _one_line(value) and not any(c in value for c in "/\\") and value.strip() not in (".", "..")


def check(data, source: str) -> None:
    """Raise ValueError (``schema mapping <source>: <where>: <why>``) for the first problem found."""
    from bqx_ops.base_schema import TABLES_BY_NAME

    def fail(where: str, why: str):
        raise ValueError(f"schema mapping {source}: {where}: {why}")

    def mapping(value, where: str) -> dict:
        if value is not None and not isinstance(value, dict):
            fail(where, f"expected a mapping, got {type(value).__name__} {str(value)[:60]!r}")
        return value or {}

    if not isinstance(data, dict) or set(data) - set(SECTIONS):
        raise ValueError(f"schema mapping {source}: expected the keys {', '.join(SECTIONS)}")
    sections = {key: mapping(data.get(key), key) for key in SECTIONS}
    unknown = set().union(*(set(s) for s in sections.values())) - set(TABLES_BY_NAME)
    if unknown:
        raise ValueError(f"schema mapping {source} names unknown tables: {sorted(map(str, unknown))}")
    read_from: dict[str, str] = {}
    for table in TABLES_BY_NAME:
        real = sections["tables"].get(table, table)
        if not _table_file_name(real):
            fail(f"tables.{table}", f"{str(real)[:60]!r} is not a table name (one line of text, no '/')")
        key = real.strip().casefold()  # one file on a case-insensitive disk
        if key in read_from:
            fail("tables", f"{read_from[key]} and {table} would both be read from {real!r}")
        read_from[key] = table
    for table, by_field in sections["fields"].items():
        names = mapping(by_field, f"fields.{table}")
        own = [f.name for f in TABLES_BY_NAME[table].fields]
        for logical in names:
            if logical not in own:
                fail(f"fields.{table}", f"{table} has no field {str(logical)[:60]!r}")
        taken: dict[str, str] = {}
        for logical in own:
            real = names.get(logical, logical)
            if not _one_line(real):
                fail(f"fields.{table}.{logical}", f"{str(real)[:60]!r} is not a field name (one line of text)")
            if real in taken:
                fail(f"fields.{table}", f"{taken[real]} and {logical} would both be read from {real!r}")
            taken[real] = logical
    for key in ("choices", "options"):
        for table, by_field in sections[key].items():
            for name, value in mapping(by_field, f"{key}.{table}").items():
                f = next((f for f in TABLES_BY_NAME[table].fields if f.name == name), None)
                if f is None or f.kind not in ("single_select", "multi_select"):
                    fail(key, f"{table}.{name} is not a select field")
                if key == "choices":
                    if f.choices:
                        fail(f"choices.{table}.{name}", f"{table}.{name} is our vocabulary ({', '.join(f.choices)}): "
                                                         "map the base's options onto it with options")
                    if not isinstance(value, list) or not value or not all(_one_line(v) for v in value):
                        fail(f"choices.{table}.{name}", "expected a list of options, each one line of text")
                elif not isinstance(value, dict) or not all(_one_line(k) and _one_line(v) for k, v in value.items()):
                    fail(f"options.{table}.{name}", "expected base option: our option, each one line of text")
