"""Whether two JSON Schemas of one event version can be read interchangeably.

Within a schema version, compatibility goes both ways: a consumer built on the new schema
reads messages written under the old one, and a consumer still on the old schema reads
messages written under the new one. So a field may not be removed (a rename is a removal),
change type, format or constraints, become required or stop being required, and no required
field may appear; an enum may gain values but not lose them. Adding an optional field is
fine: old consumers ignore unknown fields (`extra="ignore"`). Titles, descriptions, examples
and defaults are documentation and are not compared.
"""

from typing import Any

JsonSchema = dict[str, Any]

CONSTRAINTS = (
    "format",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minItems",
    "maxItems",
)
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", list: "array", dict: "object"}


def compatibility_problems(old: JsonSchema, new: JsonSchema) -> list[str]:
    """Why data under `old` and data under `new` cannot be read with the other schema; [] when they can."""
    comparison = _Comparison(old, new)
    comparison.compare(old, new, "")
    return comparison.problems


def _where(path: str) -> str:
    return f"field '{path}'" if path else "the message"


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _resolve(node: JsonSchema, root: JsonSchema) -> JsonSchema:
    """`node` with `$ref` (and a lone `allOf`) replaced by its target, sibling keywords kept."""
    while True:
        if "$ref" in node:
            reference = node["$ref"]
            if not reference.startswith("#/"):
                raise ValueError(f"only local references are supported, not {reference!r}")
            target: Any = root
            for part in reference[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = {**target, **{key: value for key, value in node.items() if key != "$ref"}}
        elif isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
            node = {**node["allOf"][0], **{key: value for key, value in node.items() if key != "allOf"}}
        else:
            return node


def _value_type(value: Any) -> str:
    return "null" if value is None else JSON_TYPES.get(type(value), "unknown")


class _Comparison:
    def __init__(self, old_root: JsonSchema, new_root: JsonSchema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.problems: list[str] = []
        self._active: set[tuple[str, str]] = set()

    def types(self, node: JsonSchema, root: JsonSchema) -> frozenset[str]:
        node = _resolve(node, root)
        alternatives = node.get("anyOf") or node.get("oneOf")
        if alternatives:
            return frozenset().union(*(self.types(branch, root) for branch in alternatives))
        declared = node.get("type")
        if isinstance(declared, str):
            return frozenset({declared})
        if isinstance(declared, list):
            return frozenset(declared)
        if "const" in node:
            return frozenset({_value_type(node["const"])})
        if "enum" in node:
            return frozenset(_value_type(value) for value in node["enum"])
        if "properties" in node:
            return frozenset({"object"})
        return frozenset({"any"})

    def branches(self, node: JsonSchema, root: JsonSchema) -> list[JsonSchema]:
        """The alternatives of a node other than null, resolved."""
        alternatives = node.get("anyOf") or node.get("oneOf") or [node]
        resolved = [_resolve(branch, root) for branch in alternatives]
        return [branch for branch in resolved if self.types(branch, root) != {"null"}]

    def compare(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        key = (old.get("$ref", ""), new.get("$ref", ""))
        if key != ("", "") and key in self._active:
            return  # a recursive model, already being compared further up
        self._active.add(key)
        try:
            self._compare_resolved(_resolve(old, self.old_root), _resolve(new, self.new_root), path)
        finally:
            self._active.discard(key)

    def _compare_resolved(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        old_types, new_types = self.types(old, self.old_root), self.types(new, self.new_root)
        if old_types != new_types:
            self.problems.append(f"{_where(path)} type changed from {_spell(old_types)} to {_spell(new_types)}")
            return
        old_branches, new_branches = self.branches(old, self.old_root), self.branches(new, self.new_root)
        if len(old_branches) != len(new_branches):
            self.problems.append(f"{_where(path)} alternatives changed")
            return
        for old_branch, new_branch in zip(old_branches, new_branches, strict=True):
            self._compare_branch(old_branch, new_branch, path)

    def _compare_branch(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        if "const" in old or "const" in new:
            if old.get("const") != new.get("const"):
                self.problems.append(f"{_where(path)} value changed from {old.get('const')!r} to {new.get('const')!r}")
        if "enum" in new:
            if "enum" not in old:
                self.problems.append(f"{_where(path)} restricted to the values {new['enum']!r}")
            for value in old.get("enum", []):
                if value not in new["enum"]:
                    self.problems.append(f"{_where(path)} enum value {value!r} removed")
        for keyword in CONSTRAINTS:
            if old.get(keyword) != new.get(keyword):
                self.problems.append(
                    f"{_where(path)} {keyword} changed from {old.get(keyword, 'none')} to {new.get(keyword, 'none')}"
                )
        types = self.types(old, self.old_root)
        if "object" in types:
            self._compare_objects(old, new, path)
        if "array" in types:
            self._compare_arrays(old, new, path)

    def _compare_objects(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name, old_field in old_fields.items():
            field_path = _join(path, name)
            if name not in new_fields:
                self.problems.append(f"field '{field_path}' removed")
                continue
            self.compare(old_field, new_fields[name], field_path)
            if name in new_required and name not in old_required:
                self.problems.append(f"field '{field_path}' made required")
            if name in old_required and name not in new_required:
                self.problems.append(f"field '{field_path}' made optional")
        for name in new_fields.keys() - old_fields.keys():
            if name in new_required:
                self.problems.append(f"new required field '{_join(path, name)}'")
        old_values, new_values = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_values, dict) and isinstance(new_values, dict):
            self.compare(old_values, new_values, _join(path, "*"))
        elif old_values != new_values:
            self.problems.append(f"{_where(path)} additional properties changed from {old_values} to {new_values}")

    def _compare_arrays(self, old: JsonSchema, new: JsonSchema, path: str) -> None:
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        if len(old_prefix) != len(new_prefix):
            self.problems.append(f"{_where(path)} tuple length changed from {len(old_prefix)} to {len(new_prefix)}")
        for index, (old_item, new_item) in enumerate(zip(old_prefix, new_prefix)):
            self.compare(old_item, new_item, f"{path}[{index}]")
        old_items, new_items = old.get("items"), new.get("items")
        if isinstance(old_items, dict) and isinstance(new_items, dict):
            self.compare(old_items, new_items, f"{path}[]")
        elif old_items != new_items:
            self.problems.append(f"{_where(path)} items changed from {old_items} to {new_items}")


def _spell(types: frozenset[str]) -> str:
    """`string | null`: the types in a stable order, null last."""
    return " | ".join(sorted(types, key=lambda name: (name == "null", name)))
