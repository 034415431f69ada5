"""Capture over HTTP against the capture service called directly, and event queries over HTTP.

Run: .venv/bin/python -m benchmarks.epcis_api [--cases 2000 --per-case 25] [--databases sqlite postgresql]

Two enterprises of one database get the same-sized document of ``epcis_capture`` (commission with
the lot, pack each case, ship the cases: 2,002 events, 52,000 codes at the default size). One
document is captured through ``trace.captures.receive`` in a transaction, as the API's handler
calls it; the other is sent to ``POST /api/v1/epcis/capture`` of a served app (``jianguan
serve``) with the enterprise's API key. The difference is what the HTTP layer costs: receiving
the body, authentication, the thread hop, the answer. Then the same bytes are sent again over
HTTP (answered with the first capture, nothing stored), and the enterprise's events are paged
through ``GET /api/v1/epcis/events`` (500 a page, following ``nextPageToken``) and one code's
events asked for. It prints seconds, events/s and codes/s, and the ratios measured in the run;
it asserts only that nothing was stored twice.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import httpx
from sqlalchemy import func, select
from tests.functional.registry_data import ACTOR
from tests.live import free_port

from benchmarks.databases import DATABASES
from benchmarks.epcis_capture import _chain, document
from benchmarks.http import serve, stop
from jianguan.accounts import services as accounts
from jianguan.accounts.models import Role
from jianguan.codes.keyring import KeyService
from jianguan.config import Settings
from jianguan.storage import make_engine, session_factory, transaction
from jianguan.trace import captures
from jianguan.trace.models import Event, EventRange


def run(name: str, cases: int, per_case: int) -> None:
    with DATABASES[name]() as url, tempfile.TemporaryDirectory(prefix="jianguan-bench-") as folder:
        engine = make_engine(url)
        sessions = session_factory(engine, keys=KeyService(Settings().master_key_bytes()))
        direct_owner, items, case_codes, sender, receiver = _chain(sessions, cases, per_case)
        direct = document(items, case_codes, per_case, sender, receiver)
        http_owner, http_items, http_cases, http_sender, http_receiver = _chain(sessions, cases, per_case)
        over_http = document(http_items, http_cases, per_case, http_sender, http_receiver)
        with transaction(sessions) as session:
            key, _row = accounts.create_api_key(session, actor=ACTOR, name="bench", role=Role.MANUFACTURER,
                                                enterprise_id=http_owner.enterprise_id)
        codes = len(items) + len(case_codes)
        started = time.perf_counter()
        with transaction(sessions) as session:
            result = captures.receive(session, actor=ACTOR, principal=direct_owner, data=direct,
                                      content_type="application/ld+json")
            events = result.capture.events
        service = time.perf_counter() - started

        port = free_port()
        process = serve(url, port, Path(folder) / "server.log")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600,
                              headers={"Authorization": f"Bearer {key}"}) as client:
                headers = {"Content-Type": "application/ld+json"}
                started = time.perf_counter()
                answer = client.post("/api/v1/epcis/capture", content=over_http, headers=headers)
                http = time.perf_counter() - started
                assert answer.status_code == 202, answer.text[:500]
                with sessions() as session:
                    stored = session.scalar(select(func.count()).select_from(EventRange)) or 0
                started = time.perf_counter()
                again = client.post("/api/v1/epcis/capture", content=over_http, headers=headers)
                repeat = time.perf_counter() - started
                assert again.status_code == 202 and again.json()["repeatedDocument"], again.text[:500]
                with sessions() as session:
                    assert (session.scalar(select(func.count()).select_from(EventRange)) or 0) == stored, \
                        "re-capture stored rows"
                started = time.perf_counter()
                pages, paged, url_next = 0, 0, "/api/v1/epcis/events?perPage=500"
                while url_next:
                    page = client.get(url_next)
                    assert page.status_code == 200, page.text[:500]
                    paged += len(page.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
                    pages += 1
                    link = page.headers.get("link")
                    url_next = link.split(">", 1)[0].lstrip("<") if link else ""
                query = time.perf_counter() - started
                started = time.perf_counter()
                one = client.get(f"/api/v1/epcis/epcs/{http_items[-1]}/events")
                code_query = time.perf_counter() - started
                assert one.status_code == 200
                named = len(one.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"])
        finally:
            stop(process)
        with sessions() as session:
            total = session.scalar(select(func.count()).select_from(Event)) or 0
        engine.dispose()
    print(f"{name}: {events:,} events, {codes:,} codes, {len(over_http) / 1e6:.1f} MB a document")
    print(f"  service          {service:7.2f} s  {events / service:9,.0f} events/s  {codes / service:10,.0f} codes/s")
    print(f"  HTTP             {http:7.2f} s  {events / http:9,.0f} events/s  {codes / http:10,.0f} codes/s"
          f"  ({http / service:.2f}x the service's time)")
    print(f"  HTTP again       {repeat:7.2f} s  ({repeat / http:.1%} of the first; the same bytes: nothing stored)")
    print(f"  query all        {query:7.2f} s  {paged:,} events in {pages} pages of 500 "
          f"({paged / query:,.0f} events/s with their codes; {total:,} events stored)")
    print(f"  a code's events  {code_query * 1000:7.1f} ms  ({named} events)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--per-case", type=int, default=25)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"], choices=sorted(DATABASES))
    args = parser.parse_args()
    for name in args.databases:
        run(name, args.cases, args.per_case)


if __name__ == "__main__":
    main()
