"""Where a phone number is from: its province and city, as a GB/T 2260 region code.

libphonenumber's geocoder (the ``phonenumbers`` package) names the place a Chinese number's
prefix was allotted to, in Chinese: ``浙江省杭州市``, ``北京市``, ``广西南宁市``,
``新疆巴音郭楞蒙古自治州``. The provinces are written in full or shortened (``广西`` for
广西壮族自治区), so a province is matched by its short name, then the rest is looked up
among that province's cities. The city's code is preferred; the province's is the fallback.
A few hundred names cover every prefix, so each name's code is cached for the process.
"""

from __future__ import annotations

import threading

import phonenumbers
from phonenumbers import geocoder
from sqlalchemy.orm import Session, sessionmaker

from jianguan.regions.models import RegionLevel
from jianguan.regions.tree import RegionTree, region_tree
from jianguan.storage.tx import reading

_PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "特别行政区", "自治区", "省", "市")


def short_province_name(name: str) -> str:
    """``广西壮族自治区`` -> ``广西``, ``浙江省`` -> ``浙江``, ``北京市`` -> ``北京``."""
    for suffix in _PROVINCE_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def place_of_number(number: str) -> str | None:
    """The geocoder's Chinese name of the place of a Chinese number, or None if it has none."""
    try:
        parsed = phonenumbers.parse(number, "CN")
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != 86 or not phonenumbers.is_valid_number(parsed):
        return None
    place = geocoder.description_for_number(parsed, "zh")
    return place if place and place != "中国" else None


def region_of_place(tree: RegionTree, place: str) -> str | None:
    """The code of the city named by a geocoder place, else of its province, else None."""
    matches = [(short_province_name(p.name), p) for p in tree.provinces()]
    matches = [(short, p) for short, p in matches if place.startswith(p.name) or place.startswith(short)]
    if not matches:
        return None
    short, province = max(matches, key=lambda item: len(item[0]))
    rest = place[len(province.name):] if place.startswith(province.name) else place[len(short):]
    if rest:
        cities = [r for r in tree.children(province.code) if rest in r.name and r.level == RegionLevel.CITY]
        exact = [r for r in cities if r.name == rest]
        if exact or cities:
            return (exact or cities)[0].code
    return province.code


class PhoneRegions:
    """Phone number -> region code, with the place names' codes cached (one per process)."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self._sessions = sessions
        self._lock = threading.Lock()
        self._codes: dict[str, str | None] = {}

    def region_of(self, number: str | None) -> str | None:
        """The region code of ``number``'s prefix, or None (unknown, foreign, or not a number)."""
        if not number:
            return None
        place = place_of_number(number)
        if place is None:
            return None
        with self._lock:
            if place in self._codes:
                return self._codes[place]
        with reading(self._sessions) as session:
            code = region_of_place(region_tree(session), place)
        with self._lock:
            self._codes[place] = code
        return code
