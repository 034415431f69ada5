"""The SMS channel on a live server: the signed webhook, the reply, the outbox and the query log."""

from __future__ import annotations

import json
import time

import pytest

from jianguan.channels.sms_text import HELP_REPLY, sms_length
from tests.functional.channel_helpers import hangzhou_number as fresh_number
from tests.functional.channel_helpers import post_sms, queries_of, rows, signed_headers
from tests.live import LiveServer

ANSWERED = {"genuine", "queried_before"}


def test_a_signed_message_gets_a_reply_an_outbox_row_and_a_logged_query(live: LiveServer) -> None:
    sender, code = fresh_number(), live.seed.samples["activated"][0]
    grouped = " ".join(code[i:i + 4] for i in range(0, 20, 4))
    with live.client() as client:
        response = post_sms(client, sender, f"查询 {grouped} 谢谢")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["verdict"] in ANSWERED and body["reply"].startswith("【电子监管】")
    assert sms_length(body["reply"]) <= 70
    outbox = rows(live, "SELECT * FROM outbound_sms WHERE \"to\" = :to", to=sender)
    assert [(row.text, row.status) for row in outbox] == [(body["reply"], "queued")]
    [query] = queries_of(live, sender, expect=1)
    assert query.channel == "sms" and query.verdict == body["verdict"]
    assert query.region_code == "330100"  # 杭州, from the 1380571 prefix
    assert query.caller_hash != sender and query.raw_input is None
    plain = rows(live, "SELECT id FROM queries WHERE caller_hash = :n OR source_hash = :n OR raw_input LIKE :like",
                 n=sender, like=f"%{sender}%")
    assert plain == []  # the number itself is never stored in the query log


def test_a_code_after_letters_and_a_form_encoded_body(live: LiveServer) -> None:
    sender, code = fresh_number(), live.seed.samples["spoiled"][0]
    body = f"sender={sender}&text=CX{code}".encode()
    with live.client() as client:
        response = client.post("/channels/sms/inbound", content=body,
                               headers=signed_headers(body, content_type="application/x-www-form-urlencoded"))
    assert response.status_code == 200, response.text
    assert response.json()["verdict"] == "spoiled" and "作废" in response.json()["reply"]


def test_a_wrong_length_gets_the_reason(live: LiveServer) -> None:
    sender = fresh_number()
    with live.client() as client:
        response = post_sms(client, sender, f"查询{live.seed.samples['activated'][0][:19]}")
    assert response.status_code == 200
    assert response.json()["verdict"] == "malformed" and "19" in response.json()["reply"]
    [query] = queries_of(live, sender, expect=1)
    assert query.verdict == "malformed" and query.channel == "sms"


def test_text_without_a_code_explains_how_to_query(live: LiveServer) -> None:
    sender = fresh_number()
    with live.client() as client:
        response = post_sms(client, sender, "你好，请问怎么查询真伪？")
    assert response.status_code == 200
    assert response.json() == {**response.json(), "reply": HELP_REPLY, "verdict": None}
    assert rows(live, "SELECT text FROM outbound_sms WHERE \"to\" = :to", to=sender)[0].text == HELP_REPLY
    time.sleep(0.5)
    assert queries_of(live, sender, expect=0, timeout=0) == []


@pytest.mark.parametrize("text", ["😀🎉 查询 😀", "'; DROP TABLE queries; --", "1' OR '1'='1", "查" * 10_000,
                                  "1234 " * 2000, "\u0000\ufeff\u202e", ""])
def test_odd_text_gets_a_reply_never_a_500(live: LiveServer, text: str) -> None:
    with live.client() as client:
        response = post_sms(client, fresh_number(), text)
    assert response.status_code == 200, response.text
    assert response.json()["reply"] and sms_length(response.json()["reply"]) <= 70
    assert rows(live, "SELECT count(*) AS n FROM queries")[0].n > 0  # the table is still there


@pytest.mark.parametrize("change", ["tampered", "unsigned", "old", "future", "wrong_secret"])
def test_bad_signatures_are_refused_and_nothing_is_logged(live: LiveServer, change: str) -> None:
    sender = fresh_number()
    body = json.dumps({"sender": sender, "text": live.seed.samples["activated"][0]}).encode()
    headers = {
        "tampered": signed_headers(body.replace(b"text", b"text ")),
        "unsigned": {"Content-Type": "application/json"},
        "old": signed_headers(body, timestamp=int(time.time()) - 301),
        "future": signed_headers(body, timestamp=int(time.time()) + 400),
        "wrong_secret": signed_headers(body, secret=b"not the secret"),
    }[change]
    with live.client() as client:
        response = client.post("/channels/sms/inbound", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] in {"bad_signature", "missing_signature", "stale_timestamp"}
    time.sleep(0.5)
    assert queries_of(live, sender, expect=0, timeout=0) == []
    assert rows(live, "SELECT id FROM outbound_sms WHERE \"to\" = :to", to=sender) == []


def test_a_replay_is_refused(live: LiveServer) -> None:
    sender = fresh_number()
    body = json.dumps({"sender": sender, "text": live.seed.samples["activated"][0]}).encode()
    headers = signed_headers(body)
    with live.client() as client:
        first = client.post("/channels/sms/inbound", content=body, headers=headers)
        again = client.post("/channels/sms/inbound", content=body, headers=headers)
    assert first.status_code == 200 and again.status_code == 409
    assert again.json()["error"]["code"] == "replayed"
    assert len(queries_of(live, sender, expect=2, timeout=1)) == 1
    assert len(rows(live, "SELECT id FROM outbound_sms WHERE \"to\" = :to", to=sender)) == 1


def test_a_bad_body_is_a_400(live: LiveServer) -> None:
    for body in (b"not json", b'{"text": "no sender"}', b'["a list"]', b'{"sender": 12, "text": "x"}'):
        with live.client() as client:
            response = client.post("/channels/sms/inbound", content=body, headers=signed_headers(body))
        assert response.status_code == 400, (body, response.text)


def test_the_operator_outbox_lists_the_reply_with_the_number_masked(live: LiveServer) -> None:
    sender = fresh_number()
    with live.client() as client:
        reply = post_sms(client, sender, f"查询{live.seed.samples['activated'][0]}").json()["reply"]
    operator = live.seed.logins["operator"][0][0]
    client = live.login(operator)
    page = client.get("/manage/outbox")
    client.close()
    assert page.status_code == 200
    assert reply in page.text and f"{sender[:3]}****{sender[-4:]}" in page.text and sender not in page.text
    with live.client() as anonymous:
        assert anonymous.get("/manage/outbox", follow_redirects=False).status_code in (303, 401)
