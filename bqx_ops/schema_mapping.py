"""A real base's names for the expected one (``base_schema``): its tables, fields and select options,
renamed to ours as records are read and back to its own as they are written.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from bqx_ops import yaml_files
from bqx_ops.base_schema import TABLES_BY_NAME, Field


@dataclass(frozen=True)
class SchemaMapping:
    """Maps logical table/field names to the names used in a real base.

    Loaded from a YAML file of the form::

        tables: {Stages: "Plan Stages"}
        fields: {Stages: {"Realized Cost": "Actual Cost"}}
        choices: {"Model Results": {Horizon: [d7, d14]}}   # a single/multi select's own options
        options: {Stages: {Status: {Complete: Done, Doing: In Progress}}}   # the base's option -> ours

    ``options`` renames a select's values, as ``fields`` renames fields: read, the base's option
    becomes ours (so a "Complete" stage counts as Done); written, ours becomes the first base
    option named for it. An option it does not name is read as it is (and validated as usual).
    """

    tables: dict[str, str] = field(default_factory=dict)
    fields: dict[str, dict[str, str]] = field(default_factory=dict)
    choices: dict[str, dict[str, tuple[str, ...]]] = field(default_factory=dict)
    options: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)
    # per table: (base name -> ours, our names the base uses for a field of its own), worked out once
    # (to_logical_fields runs for every record of a snapshot)
    _renames: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def _renamed_fields(self, logical_table: str) -> tuple[dict[str, str], set[str]]:
        if logical_table not in self._renames:
            reverse = {real: logical for logical, real in self.fields.get(logical_table, {}).items()}
            self._renames[logical_table] = (reverse, set(reverse.values()) - set(reverse))
        return self._renames[logical_table]

    @classmethod
    def load(cls, path: str | None) -> SchemaMapping:
        if not path:
            return cls()
        return cls.from_data(yaml_files.load(Path(path).read_text(encoding="utf-8")) or {}, str(path))

    @classmethod
    def from_data(cls, data: dict, source: str = "schema map") -> SchemaMapping:
        """From ``{tables: {...}, fields: {...}}`` (a file's content or the configuration's inline map)."""
        from bqx_ops.schema_map_check import check

        check(data, source)  # every shape and name problem, said before anything is read with it
        choices, options = {}, {}
        for table, by_field in (data.get("choices") or {}).items():
            for name, values in (by_field or {}).items():
                _select(source, "choices", table, name)
                choices.setdefault(table, {})[name] = tuple(str(v) for v in values or ())
        for table, by_field in (data.get("options") or {}).items():
            for name, renames in (by_field or {}).items():
                f = _select(source, "options", table, name)
                ours = choices.get(table, {}).get(name, f.choices)
                if not isinstance(renames, dict):
                    raise ValueError(f"schema mapping {source}: options: {table}.{name}: expected base option: our option")
                for real, logical in renames.items():
                    if ours and str(logical) not in ours:  # an open select takes any option
                        raise ValueError(f"schema mapping {source}: options: {table}.{name}: {logical!r} is not one "
                                         f"of {', '.join(ours)}")
                options.setdefault(table, {})[name] = {str(k): str(v) for k, v in renames.items()}
        return cls(tables=dict(data.get("tables") or {}), fields=dict(data.get("fields") or {}), choices=choices,
                   options=options)

    def field_for(self, table: str, f: Field) -> Field:
        """The field with the base's own options of a select, when the map gives them."""
        own = self.choices.get(table, {}).get(f.name)
        return f if own is None else replace(f, choices=own)

    def table_name(self, logical: str) -> str:
        return self.tables.get(logical, logical)

    def to_logical_fields(self, logical_table: str, fields: dict) -> dict:
        """Rename a record's real field names (and mapped select options) back to logical ones."""
        reverse, moved = self._renamed_fields(logical_table)  # moved: our names the base uses for its own fields
        out = {logical: fields[real] for real, logical in reverse.items() if real in fields}
        out.update({name: value for name, value in fields.items() if name not in reverse and name not in moved})
        for name, renames in self.options.get(logical_table, {}).items():
            if name in out:
                out[name] = _renamed(out[name], renames)
        return out

    def to_real_fields(self, logical_table: str, fields: dict) -> dict:
        """A record's logical fields as the base names them (what a write sends)."""
        names = self.fields.get(logical_table, {})
        out = {}
        for name, value in fields.items():
            renames = self.options.get(logical_table, {}).get(name)
            if renames:
                back = {}
                for real, logical in renames.items():
                    back.setdefault(logical, real)  # the first base option named for ours
                value = _renamed(value, back)
            out[names.get(name, name)] = value
        return out


def _select(source: str, key: str, table: str, name: str) -> Field:
    f = TABLES_BY_NAME[table].field(name)
    if f.kind not in ("single_select", "multi_select"):
        raise ValueError(f"schema mapping {source}: {key}: {table}.{name} is not a select field")
    return f


def _renamed(value, renames: dict[str, str]):
    """A select's value (an option, or a list of them) with each named option renamed."""
    if isinstance(value, str):
        return renames.get(value, value)
    if isinstance(value, list):
        return [renames.get(v, v) if isinstance(v, str) else v for v in value]
    return value
