"""Phone number prefix -> GB/T 2260 region code, through libphonenumber's Chinese geocoder."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from jianguan.channels.phone_regions import PhoneRegions, place_of_number, short_province_name


@pytest.mark.parametrize(("name", "short"), [("浙江省", "浙江"), ("北京市", "北京"), ("广西壮族自治区", "广西"),
                                             ("新疆维吾尔自治区", "新疆"), ("香港特别行政区", "香港")])
def test_short_province_names(name: str, short: str) -> None:
    assert short_province_name(name) == short


def test_places_of_numbers() -> None:
    assert place_of_number("13805710000") == "浙江省杭州市"
    assert place_of_number("+8613805710000") == "浙江省杭州市"
    assert place_of_number("not a number") is None
    assert place_of_number("+14155550100") is None  # not Chinese


@pytest.mark.parametrize(("number", "code"), [
    ("13805710000", "330100"),  # 浙江省杭州市
    ("+8613805710000", "330100"),
    ("13911112222", "110000"),  # 北京市: a municipality, the province-level code
    ("+862087654321", "440100"),  # a Guangzhou landline
    ("15977100000", "450100"),  # 广西南宁市: the province written short
    ("13947100000", "150100"),  # 内蒙古呼和浩特市
    ("18999000000", "652800"),  # 新疆巴音郭楞蒙古自治州
])
def test_numbers_map_to_regions(sessions: sessionmaker[Session], number: str, code: str) -> None:
    assert PhoneRegions(sessions).region_of(number) == code


@pytest.mark.parametrize("number", ["", "12", "abc", "+85291234567x", "+14155550100", "19912345678" * 3])
def test_unplaceable_numbers_have_no_region(sessions: sessionmaker[Session], number: str) -> None:
    assert PhoneRegions(sessions).region_of(number) is None


def test_the_mapping_is_cached(sessions: sessionmaker[Session]) -> None:
    regions = PhoneRegions(sessions)
    assert regions.region_of("13805710000") == "330100"
    sessions.kw["bind"].dispose()
    regions._sessions = None  # type: ignore[assignment]  # a second look-up must not touch the database
    assert regions.region_of("13805710001") == "330100"
