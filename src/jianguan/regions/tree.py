"""The administrative divisions as one tree in memory: every walk of the tree goes through here.

The divisions change a few times a year and number about 3,200, so each process loads them
once per database (``region_tree(session)``) and answers parents, ancestors, descendants,
paths and roll-ups from memory. ``jianguan db upgrade`` reloads the tree of the database it
upgraded; a server started afterwards loads the new one (servers refuse a database that is not
at the newest migration, so an upgrade happens before they start).

Scoping follows parent links, not code arithmetic: municipalities (北京, 上海, …) have no
prefecture level in the data, and a province governs some county-level cities directly
(仙桃, 济源, …), so a county's parent may be its province.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from jianguan.errors import NotFound, ValidationFailed
from jianguan.regions.models import Region, RegionLevel

_LEVEL_ORDER = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}


@dataclass(frozen=True, slots=True)
class RegionNode:
    """One division as the tree holds it."""

    code: str
    name: str
    level: RegionLevel
    kind: str
    parent_code: str | None


def validate_region_code(code: object) -> str:
    """Return ``code`` if it has the shape of a GB/T 2260 code; raise ValidationFailed if not."""
    if not isinstance(code, str) or len(code) != 6 or not code.isascii() or not code.isdigit():
        raise ValidationFailed(
            f"A region code is 6 digits (GB/T 2260); got {code!r}.",
            f"行政区划代码应为 6 位数字（GB/T 2260），收到 {code!r}。",
            code="invalid_region_code",
        )
    return code


class RegionTree:
    """Parents, children, ancestors, descendants and roll-ups of the divisions, from memory."""

    def __init__(self, nodes: Iterable[RegionNode]) -> None:
        self._nodes: dict[str, RegionNode] = {node.code: node for node in nodes}
        children: dict[str | None, list[RegionNode]] = {}
        for node in sorted(self._nodes.values(), key=lambda n: n.code):
            children.setdefault(node.parent_code, []).append(node)
        self._children = {parent: tuple(nodes) for parent, nodes in children.items()}
        self._descendants: dict[str, frozenset[str]] = {}
        self._lock = threading.Lock()
        self._provinces: dict[str, str] = {}
        for code in self._nodes:
            top = self._nodes[code]
            while top.parent_code is not None and top.parent_code in self._nodes:
                top = self._nodes[top.parent_code]
            self._provinces[code] = top.code

    @classmethod
    def load(cls, session: Session) -> RegionTree:
        """The tree of the divisions stored in ``session``'s database."""
        rows = session.execute(select(Region.code, Region.name, Region.level, Region.kind, Region.parent_code))
        return cls(RegionNode(row.code, row.name, RegionLevel(row.level), row.kind, row.parent_code) for row in rows)

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, code: object) -> bool:
        return code in self._nodes

    def __iter__(self) -> Iterator[RegionNode]:
        return iter(self._nodes.values())

    def get(self, code: str | None) -> RegionNode | None:
        """The division with ``code``, or None."""
        return self._nodes.get(code) if code is not None else None

    def require(self, code: str) -> RegionNode:
        """The division with ``code``; ValidationFailed for a malformed code, NotFound for an unknown one."""
        node = self._nodes.get(validate_region_code(code))
        if node is None:
            raise NotFound(f"No region has the code {code}.", f"没有代码为 {code} 的行政区划。", code="unknown_region")
        return node

    def name(self, code: str | None) -> str | None:
        """The division's name, or None when ``code`` is None or unknown."""
        node = self.get(code)
        return node.name if node is not None else None

    def level(self, code: str) -> RegionLevel:
        return self.require(code).level

    def parent(self, code: str) -> RegionNode | None:
        """The division directly above ``code``; None for a province."""
        return self.get(self.require(code).parent_code)

    def children(self, code: str | None = None) -> tuple[RegionNode, ...]:
        """The divisions directly under ``code`` by code; the provinces when ``code`` is None."""
        if code is not None:
            self.require(code)
        return self._children.get(code, ())

    def provinces(self) -> tuple[RegionNode, ...]:
        return self.children(None)

    def ancestors(self, code: str) -> list[RegionNode]:
        """The divisions above ``code``, from the province down; empty for a province."""
        chain: list[RegionNode] = []
        node = self.parent(code)
        while node is not None:
            chain.append(node)
            node = self.get(node.parent_code)
        return chain[::-1]

    def province(self, code: str | None) -> str | None:
        """The code of the province ``code`` lies in (itself for a province); None when unknown."""
        return self._provinces.get(code) if code is not None else None

    def path(self, code: str) -> list[RegionNode]:
        """``code`` and the divisions above it, from the province down."""
        return [*self.ancestors(code), self.require(code)]

    def path_name(self, code: str | None) -> str:
        """The names from the province down to ``code``, space-separated ("河北省 石家庄市 栾城区");
        empty for None or an unknown code."""
        if code is None or code not in self._nodes:
            return ""
        return " ".join(node.name for node in self.path(code))

    def descendants(self, code: str) -> frozenset[str]:
        """``code`` and every division under it (computed once a code, then kept)."""
        found = self._descendants.get(code)
        if found is None:
            self.require(code)
            codes, frontier = {code}, [code]
            while frontier:
                frontier = [child.code for parent in frontier for child in self._children.get(parent, ())]
                codes.update(frontier)
            found = frozenset(codes)
            with self._lock:
                self._descendants[code] = found
        return found

    def contains(self, outer: str, inner: str | None) -> bool:
        """Whether ``inner`` is ``outer`` or lies under it."""
        node = self.get(inner)
        while node is not None:
            if node.code == outer:
                return True
            node = self.get(node.parent_code)
        return False

    def is_leaf(self, code: str) -> bool:
        """Whether nothing lies under ``code`` (a county, or a prefecture-level city without counties)."""
        self.require(code)
        return not self._children.get(code)

    def roll_up(self, counts: Mapping[str, int]) -> Counter[str]:
        """Per-division numbers (usually per county) added up to every division above them: the
        result holds, for each division with anything under it, the sum over its descendants."""
        totals: Counter[str] = Counter()
        for code, count in counts.items():
            node = self.get(code)
            while node is not None:
                totals[node.code] += count
                node = self.get(node.parent_code)
        return totals

    def search(self, text: str, limit: int = 20) -> list[RegionNode]:
        """Divisions whose name contains ``text``, provinces first, then by code."""
        text = text.strip()
        if not text:
            return []
        found = [node for node in self._nodes.values() if text in node.name]
        return sorted(found, key=lambda node: (_LEVEL_ORDER[node.level], node.code))[:limit]

_trees: weakref.WeakKeyDictionary[Engine, RegionTree] = weakref.WeakKeyDictionary()
_trees_lock = threading.Lock()


def region_tree(source: Session | Engine) -> RegionTree:
    """The tree of the database of ``source`` (a session, or an engine), loaded on first use in
    this process and kept."""
    engine = source if isinstance(source, Engine) else source.get_bind().engine
    tree = _trees.get(engine)
    if tree is None:
        if isinstance(source, Engine):
            with Session(source) as session:
                tree = RegionTree.load(session)
        else:
            tree = RegionTree.load(source)
        with _trees_lock:
            _trees[engine] = tree
    return tree


def forget_region_tree(engine: Engine) -> None:
    """Drop the kept tree of ``engine``'s database, so the next use reloads it (after ``db upgrade``)."""
    with _trees_lock:
        _trees.pop(engine, None)
