"""The documents of the phone dialogue, in VoiceXML 2.1: pure, no I/O.

Built with ElementTree, so every value (a product name, a lot, an enterprise's words) is escaped
and every document is well-formed. Each document is one step of the call: ``collect`` (the
greeting and the keys of a code by DTMF ending with ``#``: 20 digits, or a GS1 GTIN, ``*`` and
a numeric serial, see ``channels/ivr.py``), ``confirm`` (the code read back in groups of four,
a GS1 code as its GTIN and serial: 1 to confirm, 2 to re-enter), ``wrong_input`` (too few digits, letters, nothing: the
reason, then collect again), ``verdict`` (the answer, then 1 repeat, 2 report, 3 another code,
9 hang up) and ``report``. Every prompt that waits for a key reprompts on silence and on a wrong
key twice, then says goodbye and hangs up.

The keys are collected with an inline SRGS DTMF grammar (digits and ``*``, up to ``MAX_KEYS``),
which every VoiceXML 2.x platform must support; the ``builtin:dtmf/digits`` grammar takes no
``*``. Some platforms space the keys of such a grammar's utterance; the reader drops the spaces.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urlencode

from jianguan.verify.risk import RiskLevel
from jianguan.verify.services import Answer

VXML_NS = "http://www.w3.org/2001/vxml"
BASE = "/channels/ivr"
MAX_KEYS = 38  # "01", a GTIN-14, "21" and a serial of 20 digits (channels/ivr.py)
KEYS = tuple("0123456789*")
GREETING = "欢迎致电产品质量电子监管网。"
ASK_CODE = ("请输入商品标签上的20位监管码，输入完毕请按井号键。"
            "如标签上是GS1商品条码和序列号，请先输入条码下方的数字，按星号键，再输入序列号，最后按井号键。")
ASK_AGAIN = "监管码为20位数字；GS1序列号请依次输入商品条码、星号键和序列号。请重新输入。"
GOODBYE = "感谢您的来电，再见。"
NO_INPUT = "没有收到您的按键。"
NO_MATCH = "您的按键无效。"
REPORT_HOTLINE = "如您怀疑买到了假冒产品，请拨打12365举报，并保留购物凭证和商品。"
RETRIES = 2  # reprompts on silence or a wrong key before goodbye


def report_received(reference: str, secret: str = "") -> str:
    """What the caller hears when the report was recorded: the number and, digit by digit, the
    secret to look it up with (both are sent by text message too)."""
    said = f"查询码{' '.join(secret)}。" if secret else ""
    return (f"您的举报已受理，编号{reference}。{said}编号和查询码将以短信发送给您。"
            "请保留购物凭证和商品，监管部门将尽快核查。")


def url(page: str, **params: str) -> str:
    """The address of one of the dialogue's documents, with its query."""
    query = urlencode({name: value for name, value in params.items() if value})
    return f"{BASE}/{page}" + (f"?{query}" if query else "")


def _document(caller: str) -> ET.Element:
    root = ET.Element("vxml", {"version": "2.1", "xmlns": VXML_NS, "xml:lang": "zh-CN"})
    # The caller is reduced to digits and "+" before it gets here, so it is a safe ECMAScript string.
    ET.SubElement(root, "var", {"name": "caller", "expr": f"'{caller}'"})
    ET.SubElement(root, "property", {"name": "inputmodes", "value": "dtmf"})
    ET.SubElement(root, "property", {"name": "termchar", "value": "#"})
    return root


def _prompt(parent: ET.Element, *texts: str) -> ET.Element:
    prompt = ET.SubElement(parent, "prompt")
    prompt.text = "".join(texts)
    return prompt


def _retries(parent: ET.Element, no_match: str = NO_MATCH) -> None:
    """Reprompt after silence or a wrong key, twice; the third time, goodbye."""
    for event, words in (("noinput", NO_INPUT), ("nomatch", no_match)):
        first = ET.SubElement(parent, event, {"count": "1"})
        _prompt(first, words)
        ET.SubElement(first, "reprompt")
        last = ET.SubElement(parent, event, {"count": str(RETRIES + 1)})
        ET.SubElement(last, "goto", {"next": "#goodbye"})


def _goodbye(root: ET.Element) -> None:
    form = ET.SubElement(root, "form", {"id": "goodbye"})
    block = ET.SubElement(form, "block")
    _prompt(block, GOODBYE)
    ET.SubElement(block, "disconnect")


def _menu(root: ET.Element, menu_id: str, words: str, choices: list[tuple[str, str, str]]) -> None:
    menu = ET.SubElement(root, "menu", {"id": menu_id, "dtmf": "false"})
    _prompt(menu, words)
    for key, label, target in choices:
        choice = ET.SubElement(menu, "choice", {"dtmf": key, "next": target})
        choice.text = label
    _retries(menu)


def _serialise(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def _code_grammar(field: ET.Element) -> None:
    """One to ``MAX_KEYS`` keys, each a digit or ``*`` (SRGS 1.0, DTMF; ``#`` ends the input)."""
    grammar = ET.SubElement(field, "grammar", {"mode": "dtmf", "version": "1.0", "root": "keys"})
    rule = ET.SubElement(grammar, "rule", {"id": "keys", "scope": "public"})
    one_of = ET.SubElement(ET.SubElement(rule, "item", {"repeat": f"1-{MAX_KEYS}"}), "one-of")
    for key in KEYS:
        ET.SubElement(one_of, "item").text = key


def collect(caller: str, *, greet: bool = True) -> bytes:
    """Greeting (on the first visit) and the keys of a code, ending with #."""
    root = _document(caller)
    form = ET.SubElement(root, "form", {"id": "collect"})
    if greet:
        _prompt(ET.SubElement(form, "block"), GREETING)
    field = ET.SubElement(form, "field", {"name": "digits"})
    _code_grammar(field)
    ET.SubElement(field, "property", {"name": "interdigittimeout", "value": "5s"})
    _prompt(field, ASK_CODE)
    _retries(field, ASK_AGAIN)
    filled = ET.SubElement(field, "filled")
    ET.SubElement(filled, "submit", {"next": url("confirm.vxml"), "method": "get", "namelist": "digits caller"})
    _goodbye(root)
    return _serialise(root)


def _spoken_digits(prompt: ET.Element, digits: str, after: str) -> None:
    """Digits in groups of four, digit by digit, with a pause between groups; then ``after``."""
    for start in range(0, len(digits), 4):
        say = ET.SubElement(prompt, "say-as", {"interpret-as": "digits"})
        say.text = digits[start:start + 4]
        ET.SubElement(prompt, "break", {"time": "400ms"}).tail = ""
    prompt[-1].tail = after


def confirm(caller: str, code: str, *, gs1: tuple[str, str] | None = None) -> bytes:
    """The code read back in groups of four (a GS1 code as the GTIN and the serial keyed, ``gs1``):
    1 to confirm, 2 to re-enter."""
    root = _document(caller)
    menu = ET.SubElement(root, "menu", {"id": "confirm", "dtmf": "false"})
    then = "。确认请按1，重新输入请按2。"
    if gs1 is None:
        _spoken_digits(_prompt(menu, "您输入的监管码是："), code, then)
    else:
        prompt = _prompt(menu, "您输入的商品条码是：")
        _spoken_digits(prompt, gs1[0], "，序列号是：")
        _spoken_digits(prompt, gs1[1], then)
    for key, label, target in (("1", "确认", url("verdict.vxml", digits=code, caller=caller)),
                               ("2", "重新输入", url("start.vxml", caller=caller, again="1"))):
        ET.SubElement(menu, "choice", {"dtmf": key, "next": target}).text = label
    _retries(menu)
    _goodbye(root)
    return _serialise(root)


def wrong_input(caller: str, reason: str) -> bytes:
    """Input that cannot be a code (a wrong count, letters, nothing): the reason, then collect again."""
    root = _document(caller)
    form = ET.SubElement(root, "form", {"id": "wrong"})
    block = ET.SubElement(form, "block")
    _prompt(block, reason, "请重新输入。")
    ET.SubElement(block, "goto", {"next": url("start.vxml", caller=caller, again="1")})
    _goodbye(root)
    return _serialise(root)


def verdict(caller: str, code: str | None, spoken: str, *, verdict: str, can_report: bool) -> bytes:
    """The answer, then 1 to hear it again (no new query), 2 to report, 3 another code, 9 hang up."""
    root = _document(caller)
    form = ET.SubElement(root, "form", {"id": "verdict"})
    block = ET.SubElement(form, "block")
    _prompt(block, spoken)
    ET.SubElement(block, "goto", {"next": "#after"})
    choices = [("1", "重听", "#verdict")]
    words = "重听请按1，"
    if can_report and code:
        choices.append(("2", "举报", url("report.vxml", digits=code, verdict=verdict, caller=caller)))
        words += "举报假冒请按2，"
    choices += [("3", "查询其他监管码", url("start.vxml", caller=caller, again="1")), ("9", "挂机", "#goodbye")]
    words += "查询其他监管码请按3，结束通话请按9。"
    _menu(root, "after", words, choices)
    _goodbye(root)
    return _serialise(root)


def report(caller: str, spoken: str) -> bytes:
    """What happens to a report, then 3 for another code or 9 to hang up."""
    root = _document(caller)
    form = ET.SubElement(root, "form", {"id": "report"})
    block = ET.SubElement(form, "block")
    _prompt(block, spoken)
    ET.SubElement(block, "goto", {"next": "#after"})
    _menu(root, "after", "查询其他监管码请按3，结束通话请按9。",
          [("3", "查询其他监管码", url("start.vxml", caller=caller, again="1")), ("9", "挂机", "#goodbye")])
    _goodbye(root)
    return _serialise(root)


def spoken_verdict(answer: Answer) -> str:
    """What the phone says about a verdict: the headline, the scheme of a registered code of another
    scheme, the product and lot, and the advice."""
    decision = answer.decision
    parts = [decision.headline_zh + "。"]
    if answer.scheme is not None:  # as the page marks it: registered here, not issued by this network
        parts.append(f"此码为{answer.scheme.scheme.label_zh}，由企业在本网注册，非本网签发。")
    product = answer.product or {}
    name = " ".join(part for part in (product.get("name"), product.get("specification")) if part)
    if name:
        parts.append(f"产品：{name}。")
    lot = (answer.production or {}).get("lot")
    if lot:
        parts.append(f"批号：{lot}。")
    risk = answer.risk
    if risk is not None and risk.level is not RiskLevel.LOW:  # the places and times say more than the advice
        parts.append(f"复制风险{risk.level.label_zh}。{risk.reason_zh}")
    else:
        parts.append(decision.advice_zh)
    promotion = answer.promotion
    if promotion and promotion["won"]:
        digits = "，".join(" ".join(group) for group in promotion["claim_code"].split("-"))
        parts.append(f"恭喜您在{promotion['name']}活动中获得{promotion['tier']}。兑奖码是：{digits}。"
                     f"再说一遍：{digits}。兑奖码只告诉您这一次，请记下。")
    elif promotion:
        parts.append(f"感谢参与{promotion['name']}活动，本次未中奖。")
    return "".join(parts)
