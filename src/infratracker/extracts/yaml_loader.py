"""YAML loading with PyYAML's safe semantics, at about twice the speed of CSafeLoader, that
refuses what a hand-edited extract has no use for and an attacker does.

CSafeLoader parses in C but resolves and constructs every node in Python through several
layers of calls; extracts are mostly plain strings in mappings and lists. This loader uses the
same C parser and the same implicit resolvers (YAML 1.1: `NO` is still a boolean, `004` still a
number, so extracts mean the same to every PyYAML user), builds strings, lists and mappings
directly, and hands any other node to SafeConstructor.

Refused, each as a problem at the record and field it sits in, before anything is expanded:
aliases (the composer shares an aliased node, so a node met twice is an alias; a 342-byte
"billion laughs" would otherwise expand to 387 million strings, and a self-referencing one
never ends), duplicate mapping keys (YAML keeps the last one silently), merge keys, and
scalars that cannot be constructed (30 February, a 5000-digit integer). For documents it
accepts, the result equals yaml.safe_load's (tests/test_fastyaml.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

STR, SEQ, MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
MERGE = "tag:yaml.org,2002:merge"
_BASE = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_RESOLVERS = yaml.SafeLoader.yaml_implicit_resolvers
# libyaml stops at 1000 levels; our own recursion must never be the one that fails first.
MAX_DEPTH = 200
_ANCHOR = re.compile(r"(?:![^\s]*\s+)?&([^\s,\[\]{}]+)")


@dataclass(frozen=True)
class Refusal:
    """A part of a document that is refused: where it is (record, field) and why."""
    record: str
    field: str
    message: str


class FastSafeLoader(_BASE):  # type: ignore[misc, valid-type]
    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        """yaml.resolver.Resolver.resolve without path resolvers (the safe loader has none)."""
        if kind is ScalarNode:
            if implicit[0]:
                for tag, regexp in _RESOLVERS.get(value[0] if value else "", ()):
                    if regexp.match(value):
                        return tag
            return STR
        return SEQ if kind is SequenceNode else MAP


def _line(node: Any) -> int:
    return node.start_mark.line + 1


def _record_id(node: Any) -> str | None:
    """The `id` of a record mapping, read from its nodes (nothing is constructed yet)."""
    if type(node) is MappingNode:
        for key, value in node.value:
            if type(key) is ScalarNode and key.value == "id" and type(value) is ScalarNode and value.value:
                return value.value
    return None


@dataclass
class _Walk:
    """One pass over the composed nodes: every node is visited once, so the work is bounded by
    the size of the text whatever its aliases say."""
    loader: FastSafeLoader
    text: str
    refusals: list[Refusal] = field(default_factory=list)
    seen: set[int] = field(default_factory=set)
    aliased: set[int] = field(default_factory=set)
    unusual: bool = False

    def refuse(self, where: tuple[str, str], message: str) -> None:
        self.refusals.append(Refusal(where[0], where[1], message))

    def build(self, node: Any, where: tuple[str, str], depth: int = 0) -> Any:
        if id(node) in self.seen:
            # a shared node keeps the marks of its anchor, which name it
            anchor = _ANCHOR.match(self.text, node.start_mark.index)
            name = f"*{anchor[1]}" if anchor else "(an alias)"
            if id(node) in self.aliased:  # once per anchor: a bomb is 72 uses of 8 anchors
                return None
            self.aliased.add(id(node))
            self.refuse(where, f"YAML alias {name} (anchor at line {_line(node)}): anchors and aliases are not allowed "
                               "in extracts; write the value out")
            return None
        self.seen.add(id(node))
        if depth > MAX_DEPTH:
            self.refuse(where, f"nested more than {MAX_DEPTH} levels deep at line {_line(node)}")
            return None
        tag, kind = node.tag, type(node)
        if tag == STR and kind is ScalarNode:
            return node.value
        if kind is ScalarNode:
            try:
                return self.loader.construct_object(node, deep=True)
            except (ValueError, OverflowError, yaml.YAMLError) as exc:
                reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                self.refuse(where, f"cannot read the value at line {_line(node)} ({node.value[:40]!r}): {reason}")
                return None
        if kind is SequenceNode:
            out = []
            for i, item in enumerate(node.value, 1):
                inner = where
                if depth == 1:  # a section's entries are records, named as parse_extract names them
                    inner = (_record_id(item) or f"{where[0]}[{i}]", "")
                out.append(self.build(item, inner, depth + 1))
            if tag != SEQ:
                self.unusual = True
            return out
        if kind is MappingNode:
            record_id = _record_id(node)
            built: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == MERGE:
                    self.refuse(where, f"merge key << at line {_line(key_node)}: not allowed in extracts")
                    continue
                key = self.build(key_node, where, depth + 1)
                if depth == 0:  # a section, or the source
                    inner = (str(key), "")
                else:  # the record that holds it, and its field
                    inner = ((record_id or where[0]) if depth == 1 else where[0], where[1] or str(key))
                value = self.build(value_node, inner, depth + 1)
                try:
                    if key in built:
                        self.refuse(inner, f"duplicate key {key!r} at line {_line(key_node)}: YAML would keep "
                                           "only the last value; give each key once")
                        continue
                    built[key] = value
                except TypeError:  # an unhashable key: the standard constructor says why
                    self.unusual = True
            if tag != MAP:
                self.unusual = True
            return built
        self.unusual = True
        return None


def load_checked(text: str) -> tuple[Any, list[Refusal]]:
    """The document as yaml.safe_load gives it, or the refusals found in it; raises
    yaml.YAMLError for text that is not YAML, as safe_load does."""
    loader = FastSafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, []
        walk = _Walk(loader, text)
        doc = walk.build(node, ("", ""))
        if walk.refusals:
            return None, walk.refusals
        if walk.unusual:  # explicit tags, unhashable keys: safe now that no node is shared
            doc = loader.construct_document(node)
        return doc, []
    finally:
        loader.dispose()


def load(text: str) -> Any:
    """yaml.safe_load(text), faster; raises yaml.YAMLError as it does, and ValueError for a
    document load_checked refuses."""
    doc, refusals = load_checked(text)
    if refusals:
        raise ValueError("; ".join(r.message for r in refusals))
    return doc
