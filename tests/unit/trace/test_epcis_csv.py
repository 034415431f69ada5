"""The CSV layout of supply-chain events: properties (hypothesis) and the errors it gives by row."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jianguan.trace.epcis_csv import COLUMNS, by_row, parse_csv, to_csv
from jianguan.trace.epcis_model import Action, EPCISError, EPCISEvent, EPCISRefused, EventType

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
URN = "urn:jianguan:code:"

codes = st.from_regex(r"[1-9][0-9]{19}", fullmatch=True).map(lambda code: URN + code)
places = st.from_regex(r"69[0-9]{11}", fullmatch=True).map(lambda gln: f"https://id.gs1.org/414/{gln}")
offsets = st.sampled_from(["+08:00", "+00:00", "-05:00", "+05:45"])
moments = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2099, 1, 1),
                       timezones=st.just(dt.UTC))
steps = st.sampled_from(["commissioning", "packing", "unpacking", "shipping", "receiving", "retail_selling",
                         "returning", "destroying", "decommissioning"])
words = st.text(alphabet="ABCDEFGHJK0123456789-批号甲乙", min_size=1, max_size=20)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31)).map(dt.date.isoformat)
party_types = st.sampled_from(["owning_party", "possessing_party", "location"])


@st.composite
def events(draw: st.DrawFn, index: int = 0) -> EPCISEvent:
    kind = draw(st.sampled_from(list(EventType)))
    ilmd = {}
    if draw(st.booleans()):
        ilmd = {"cbvmda:lotNumber": draw(words), "cbvmda:productionDate": draw(days)}
    source = draw(st.none() | st.tuples(party_types, places))
    destination = draw(st.none() | st.tuples(party_types, places))
    return EPCISEvent(
        index=index, type=kind, action=draw(st.sampled_from(list(Action))), event_time=draw(moments),
        event_time_zone_offset=draw(offsets), event_id=draw(st.none() | st.uuids().map(lambda u: f"urn:uuid:{u}")),
        biz_step=draw(st.none() | steps),
        disposition=draw(st.none() | st.sampled_from(["in_transit", "in_progress", "sellable_accessible"])),
        read_point=draw(st.none() | places), biz_location=draw(st.none() | places),
        epc_list=tuple(draw(st.lists(codes, min_size=1, max_size=4))) if kind is EventType.OBJECT else (),
        parent_id=draw(codes) if kind is EventType.AGGREGATION else None,
        child_epcs=tuple(draw(st.lists(codes, min_size=1, max_size=4))) if kind is EventType.AGGREGATION else (),
        source_list=(source,) if source else (), destination_list=(destination,) if destination else (),
        extra={"ilmd": ilmd} if ilmd else {})


@st.composite
def documents(draw: st.DrawFn) -> list[EPCISEvent]:
    count = draw(st.integers(min_value=1, max_value=6))
    return [draw(events(index)) for index in range(count)]


@given(documents())
@SETTINGS
def test_what_is_written_reads_back_as_the_same_events(written: list[EPCISEvent]) -> None:
    read = parse_csv(to_csv(written).encode())
    assert read.rows == tuple(range(2, 2 + len(written)))
    assert list(read.document.events) == written
    assert [event.event_hash for event in read.document.events] == [event.event_hash for event in written]


@given(documents(), st.lists(st.integers(min_value=0, max_value=6), max_size=4))
@SETTINGS
def test_blank_rows_are_skipped_and_rows_still_named(written: list[EPCISEvent], blanks: list[int]) -> None:
    lines = to_csv(written).split("\r\n")
    for at in sorted(blanks, reverse=True):
        lines.insert(1 + min(at, len(lines) - 2), "," * (len(COLUMNS) - 1))
    read = parse_csv("\r\n".join(lines).encode("gb18030"))
    assert list(read.document.events) == written
    text_rows = [number for number, line in enumerate(lines, start=1) if line.strip(",") and number > 1]
    assert list(read.rows) == text_rows


@given(st.binary(max_size=400))
@SETTINGS
def test_any_bytes_are_read_or_refused_with_reasons(data: bytes) -> None:
    try:
        parse_csv(data)
    except EPCISRefused as refused:
        assert refused.errors and all(error.message and error.message_zh for error in refused.errors)


@given(st.lists(st.lists(st.text(max_size=30), min_size=5, max_size=5), min_size=1, max_size=8))
@SETTINGS
def test_any_cells_under_a_good_header_are_read_or_refused_by_row(rows: list[list[str]]) -> None:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["eventTime", "action", "bizStep", "bizLocation", "epcList"])
    writer.writerows(rows)
    try:
        read = parse_csv(out.getvalue().encode())
    except EPCISRefused as refused:
        for error in refused.errors:
            assert error.index is None or error.message.startswith("Row "), error
    else:
        assert len(read.document.events) == len(read.rows)


def test_errors_name_the_row_and_the_event() -> None:
    data = (b"eventTime,action,bizStep,epcList\n"
            b"2026-11-02 08:00,ADD,commissioning,12345678901234567890\n"
            b"\n"
            b"2026-11-02 09:00,SEND,shipping,12345678901234567890\n"
            b"2026-11-02 25:00,OBSERVE,flying,1\n")
    with pytest.raises(EPCISRefused) as refused:
        parse_csv(data)
    found = {(error.index, error.message.split(":")[0]) for error in refused.value.errors}
    assert found == {(1, "Row 4"), (2, "Row 5")}
    assert all(error.message_zh.startswith("第") for error in refused.value.errors)


def test_a_time_without_offset_is_beijing_time_and_codes_may_be_bare() -> None:
    read = parse_csv(b"EVENTTIME,Action,epcList\n2026-11-02 08:00,observe,12345678901234567890;https://x.cn/v/12345678901234567891\n")
    event = read.document.events[0]
    assert event.event_time == dt.datetime(2026, 11, 2, 0, 0, tzinfo=dt.UTC)
    assert event.event_time_zone_offset == "+08:00"
    assert event.epc_list == (URN + "12345678901234567890", "https://x.cn/v/12345678901234567891")


@pytest.mark.parametrize(("data", "says"), [
    (b"", "empty"), (b"eventTime,action\n", "no events"), (b"eventTime,color\n", "Unknown column"),
    (b"action\n", "lacks"), (b"eventTime,action,action\n", "twice"), (b"eventTime,action\n\x00,\n", "NUL"),
    (b"eventTime,action\n\xff\xfe\xfa,x\n", "neither UTF-8"),
])
def test_a_file_that_is_no_event_list_is_refused(data: bytes, says: str) -> None:
    with pytest.raises(EPCISRefused) as refused:
        parse_csv(data)
    assert says in refused.value.errors[0].message


def test_a_file_longer_than_the_limit_is_refused() -> None:
    rows = "".join(f"2026-11-02 08:00,OBSERVE,{12345678901234567890 + n}\n" for n in range(4))
    with pytest.raises(EPCISRefused, match="refused"):
        parse_csv(f"eventTime,action,epcList\n{rows}".encode(), max_events=3)


def test_the_capture_rules_errors_get_their_rows() -> None:
    refused = EPCISRefused([EPCISError(0, "Code 1 is not yours.", "监管码 1 不属于本单位。"), EPCISError(None, "x", "x")])
    again = by_row(refused, (3,))
    assert [error.message for error in again.errors] == ["Row 3: Code 1 is not yours.", "x"]
    assert again.errors[0].message_zh == "第 3 行：监管码 1 不属于本单位。"
