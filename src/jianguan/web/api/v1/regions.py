"""Administrative divisions (GB/T 2260): look one up by code, search by name, list the provinces."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get

from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionNode, region_tree
from jianguan.storage import reading
from jianguan.web.access import PUBLIC
from jianguan.web.api.openapi import errors
from jianguan.web.params import RegionInPath, Search

SEARCH_LIMIT = 20


def _brief(region: RegionNode) -> dict[str, Any]:
    return {"code": region.code, "name": region.name, "level": str(region.level)}


def _summary(region: RegionNode) -> dict[str, Any]:
    level = RegionLevel(region.level)
    return {
        **_brief(region),
        "level_label_zh": level.label_zh,
        "level_label_en": level.label_en,
        "kind": region.kind,
        "parent_code": region.parent_code,
    }


@get("/", opt=PUBLIC, sync_to_thread=True, summary="Search divisions / 查询行政区划")
def list_regions(request: Request[Any, Any, Any], q: Search = None) -> dict[str, Any]:
    """Divisions whose name contains ``q`` (at most 20, provinces first); without ``q``, the provinces."""
    with reading(request.app.state.sessions) as session:
        tree = region_tree(session)
    found = tree.search(q, limit=SEARCH_LIMIT) if q and q.strip() else tree.provinces()
    return {"query": (q or "").strip(), "regions": [_summary(region) for region in found]}


@get("/{code:str}", opt=PUBLIC, sync_to_thread=True, summary="One division / 行政区划详情", responses=errors(404))
def region_detail(request: Request[Any, Any, Any], code: RegionInPath) -> dict[str, Any]:
    """One division with its parent, its ancestors from the province down, and its children.

    A code that is not 6 digits is refused (400); a well-formed but unknown one is 404.
    """
    with reading(request.app.state.sessions) as session:
        tree = region_tree(session)
    region = tree.require(code)
    chain = tree.ancestors(region.code)
    body = _summary(region)
    del body["parent_code"]
    return {
        **body,
        "parent": _brief(chain[-1]) if chain else None,
        "ancestors": [_brief(item) for item in chain],
        "children": [_brief(item) for item in tree.children(region.code)],
    }


router = Router(path="/regions", route_handlers=[list_regions, region_detail], tags=["regions / 行政区划"])
