"""The phone dialogue on a live server, walked as an IVR platform walks VoiceXML 2.1 documents."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlencode

import httpx
import pytest

from tests.functional.channel_helpers import hangzhou_number as fresh_number
from tests.functional.channel_helpers import queries_of
from tests.live import LiveServer

NS = "{http://www.w3.org/2001/vxml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def fetch(client: httpx.Client, url: str) -> ET.Element:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/voicexml+xml")
    root = ET.fromstring(response.content)  # noqa: S314 - the document of our own test server
    assert root.tag == f"{NS}vxml" and root.get("version") == "2.1" and root.get(XML_LANG) == "zh-CN"
    assert root.find(f"{NS}form[@id='goodbye']/{NS}block/{NS}disconnect") is not None
    return root


def variables(root: ET.Element) -> dict[str, str]:
    return {var.get("name", ""): (var.get("expr") or "").strip("'") for var in root.findall(f"{NS}var")}


def spoken(element: ET.Element) -> str:
    return "".join("".join(prompt.itertext()) for prompt in element.iter(f"{NS}prompt"))


def assert_retries(element: ET.Element) -> None:
    """Silence and a wrong key reprompt (twice) and then say goodbye."""
    for event in ("noinput", "nomatch"):
        handlers = {h.get("count"): h for h in element.findall(f"{NS}{event}")}
        assert handlers["1"].find(f"{NS}reprompt") is not None
        assert handlers["3"].find(f"{NS}goto").get("next") == "#goodbye"


def collect_field(root: ET.Element) -> ET.Element:
    field = root.find(f"{NS}form/{NS}field[@name='digits']")
    assert field is not None
    grammar = field.find(f"{NS}grammar")
    # Inline SRGS: digits and "*" (between a GS1 GTIN and its serial), 1 to 38 keys, "#" ends.
    assert grammar.get("mode") == "dtmf" and grammar.get("root") == "keys" and grammar.get("src") is None
    rule = grammar.find(f"{NS}rule[@id='keys']")
    assert rule.find(f"{NS}item").get("repeat") == "1-38"
    assert sorted(item.text for item in rule.iter(f"{NS}item") if item.text) == sorted("0123456789*")
    assert {p.get("name"): p.get("value") for p in root.findall(f"{NS}property")}["termchar"] == "#"
    assert_retries(field)
    return field


def submit(root: ET.Element, field: ET.Element, digits: str) -> str:
    """The address the platform requests when the field is filled with ``digits``."""
    target = field.find(f"{NS}filled/{NS}submit")
    assert target.get("method") == "get"
    values = {**variables(root), "digits": digits}
    return target.get("next") + "?" + urlencode({name: values[name] for name in target.get("namelist").split()})


def choices(root: ET.Element, menu_id: str) -> dict[str, str]:
    menu = root.find(f"{NS}menu[@id='{menu_id}']")
    assert menu is not None
    assert_retries(menu)
    return {choice.get("dtmf"): choice.get("next") for choice in menu.findall(f"{NS}choice")}


def test_full_call_to_the_verdict_of_a_demo_code(live: LiveServer) -> None:
    caller, code = fresh_number(), live.seed.samples["activated"][0]
    with live.client() as client:
        start = fetch(client, f"/channels/ivr/start.vxml?caller={caller}")
        assert "欢迎致电产品质量电子监管网" in spoken(start) and variables(start)["caller"] == caller
        confirm = fetch(client, submit(start, collect_field(start), code))
        read_back = confirm.findall(f".//{NS}say-as")
        assert [s.get("interpret-as") for s in read_back] == ["digits"] * 5
        assert [s.text for s in read_back] == [code[i:i + 4] for i in range(0, 20, 4)]
        confirm_choices = choices(confirm, "confirm")
        assert set(confirm_choices) == {"1", "2"}
        again = fetch(client, confirm_choices["2"])  # 2: enter again, without the greeting
        assert "欢迎" not in spoken(again)
        verdict = fetch(client, confirm_choices["1"])
        words = spoken(verdict.find(f"{NS}form[@id='verdict']"))
        assert "正品" in words or "已被查询" in words
        after = choices(verdict, "after")
        assert after["1"] == "#verdict" and set(after) == {"1", "2", "3", "9"}  # 1 repeats inside the document
        assert after["9"] == "#goodbye" and "start.vxml" in after["3"]
        [query] = queries_of(live, caller, expect=1)
        assert query.channel == "phone" and query.region_code == "330100"
        report = fetch(client, after["2"])
        assert "举报已受理" in spoken(report) or "12365" in spoken(report)
        assert set(choices(report, "after")) == {"3", "9"}
        fetch(client, after["3"])
    assert len(queries_of(live, caller, expect=2, timeout=1)) == 1  # one verification for the call


@pytest.mark.parametrize(("digits", "words"), [("1234567890123456789", "19"), ("abcd", "数字"), ("", "未输入")])
def test_wrong_input_is_explained_and_collected_again(live: LiveServer, digits: str, words: str) -> None:
    caller = fresh_number()
    with live.client() as client:
        start = fetch(client, f"/channels/ivr/start.vxml?caller={caller}")
        wrong = fetch(client, submit(start, collect_field(start), digits))
        assert words in spoken(wrong)
        retry = wrong.find(f"{NS}form/{NS}block/{NS}goto").get("next")
        assert "start.vxml" in retry and "again=1" in retry
        collect_field(fetch(client, retry))
    assert queries_of(live, caller, expect=1, timeout=0.5) == []  # nothing was verified


def test_the_verdict_page_speaks_the_reason_of_a_malformed_code(live: LiveServer) -> None:
    caller = fresh_number()
    code = live.seed.samples["activated"][0]
    typo = code[:-1] + str((int(code[-1]) + 1) % 10)
    with live.client() as client:
        verdict = fetch(client, f"/channels/ivr/verdict.vxml?digits={typo}&caller={caller}")
        assert "校验位" in spoken(verdict) and "2" not in choices(verdict, "after")
        short = fetch(client, f"/channels/ivr/verdict.vxml?digits=12345&caller={caller}")
        assert "5 位" in spoken(short)
    assert {q.verdict for q in queries_of(live, caller, expect=2)} == {"malformed"}


def test_spoiled_code_and_other_caller_parameter_names(live: LiveServer) -> None:
    caller = fresh_number()
    with live.client() as client:
        start = fetch(client, f"/channels/ivr/start.vxml?{urlencode({'session.callerid': 'tel:+86' + caller})}")
        assert variables(start)["caller"] == "+86" + caller
        verdict = fetch(client, f"/channels/ivr/verdict.vxml?digits={live.seed.samples['spoiled'][0]}"
                                f"&caller=%2B86{caller}")
        assert "作废" in spoken(verdict)
    [query] = queries_of(live, "+86" + caller, expect=1)
    assert query.verdict == "spoiled" and query.region_code == "330100"


def test_no_caller_and_hostile_input_still_give_documents(live: LiveServer) -> None:
    with live.client() as client:
        start = fetch(client, "/channels/ivr/start.vxml")
        assert variables(start)["caller"] == ""
        fetch(client, "/channels/ivr/confirm.vxml?digits=%3C%2Fprompt%3E%27%22&caller=%27%3B+alert(1)")
        fetch(client, "/channels/ivr/verdict.vxml?digits=%3Cvxml%3E")
        fetch(client, "/channels/ivr/report.vxml")


def test_a_registered_drug_code_is_verified_by_phone(live: LiveServer) -> None:
    """A drug supervision code an enterprise registered has 20 digits, as ours do: the caller keys
    it in and hears its verdict."""
    caller, code = fresh_number(), live.seed.samples["drug"][0]
    with live.client() as client:
        start = fetch(client, f"/channels/ivr/start.vxml?caller={caller}")
        confirm = fetch(client, submit(start, collect_field(start), code))
        verdict = fetch(client, choices(confirm, "confirm")["1"])
        words = spoken(verdict.find(f"{NS}form[@id='verdict']"))
        assert ("正品" in words or "已被查询" in words) and "药品电子监管码" in words
    [query] = queries_of(live, caller, expect=1)
    assert query.channel == "phone" and query.verdict in ("genuine", "queried_before")


def _registered_gs1(live: LiveServer) -> tuple[str, str]:
    """The GTIN-14 and numeric serial of the demo's registered GS1 sample (a Digital Link)."""
    found = re.search(r"/01/(\d{14})/21/(\d+)$", live.seed.samples["gs1"][0])
    assert found is not None
    return found.group(1), found.group(2)


@pytest.mark.parametrize("form", ["star", "star13", "element"])
def test_a_registered_gs1_serial_is_keyed_by_phone(live: LiveServer, form: str) -> None:
    """A GS1 serial is keyed as the GTIN, "*" and the serial (the GTIN-13 under a retail bar code
    too), or as the digits of the printed (01)…(21)… line: read back as GTIN and serial, then
    verified as the same code scanned is, with its scheme."""
    caller, (gtin, serial) = fresh_number(), _registered_gs1(live)
    keyed_gtin = gtin[1:] if form == "star13" else gtin
    keys = f"01{gtin}21{serial}" if form == "element" else f"{keyed_gtin}*{serial}"
    with live.client() as client:
        start = fetch(client, f"/channels/ivr/start.vxml?caller={caller}")
        assert "星号键" in spoken(start)
        confirm = fetch(client, submit(start, collect_field(start), " ".join(keys)))  # platforms may space keys
        words = spoken(confirm)
        assert "商品条码" in words and "序列号" in words
        read_back = "".join(s.text for s in confirm.findall(f".//{NS}say-as"))
        assert read_back == keyed_gtin + serial
        verdict = fetch(client, choices(confirm, "confirm")["1"])
        words = spoken(verdict.find(f"{NS}form[@id='verdict']"))
        assert "正品" in words or "已被查询" in words
        assert "GS1 商品序列号" in words and "非本网签发" in words
        assert "report.vxml" in choices(verdict, "after")["2"]
    [query] = queries_of(live, caller, expect=1)
    assert query.channel == "phone" and query.verdict in ("genuine", "queried_before")
    assert (query.generation, query.serial is not None) == (0, True)


@pytest.mark.parametrize(("keys", "words"), [
    ("6901234000079*1000007", "商品条码有误"),  # a wrong check digit
    ("06901234000078*", "序列号应为"),
    ("06901234000078**12", "星号键"),
    ("*12345", "星号键"),
    ("0106901234000078991000007", "01、14位商品条码、21和序列号"),
    ("06901234000078*123456789012345678901", "1至20位"),
])
def test_a_malformed_gs1_keying_is_said_back_as_wrong(live: LiveServer, keys: str, words: str) -> None:
    caller = fresh_number()
    with live.client() as client:
        start = fetch(client, f"/channels/ivr/start.vxml?caller={caller}")
        wrong = fetch(client, submit(start, collect_field(start), keys))
        assert words in spoken(wrong) and "请重新输入" in spoken(wrong)
        assert "start.vxml" in wrong.find(f"{NS}form/{NS}block/{NS}goto").get("next")
    assert queries_of(live, caller, expect=1, timeout=0.5) == []


def test_a_gs1_serial_nobody_registered_is_unknown_by_phone(live: LiveServer) -> None:
    caller, (gtin, _) = fresh_number(), _registered_gs1(live)
    with live.client() as client:
        start = fetch(client, f"/channels/ivr/start.vxml?caller={caller}")
        confirm = fetch(client, submit(start, collect_field(start), f"{gtin}*99999999999999"))
        fetch(client, choices(confirm, "confirm")["1"])
    [query] = queries_of(live, caller, expect=1)
    assert query.verdict == "unknown"
