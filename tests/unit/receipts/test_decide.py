"""Which codes of a receiving check are accepted: the party's refusals, problems and cases (pure)."""

from __future__ import annotations

from jianguan.receipts.checks import CheckedCode
from jianguan.receipts.models import CheckResult
from jianguan.receipts.services import _decide

OK, BAD = CheckResult.OK, CheckResult.NOT_SHIPPED


def line(code: str, result: CheckResult = OK, container: str | None = None) -> CheckedCode:
    return CheckedCode(code, result, container, is_container=code.startswith("case"))


def test_what_passed_is_accepted_unless_refused() -> None:
    lines = [line("a"), line("b", BAD), line("c")]
    assert _decide(lines, set()) == [True, False, True]
    assert _decide(lines, {"c"}) == [True, False, False]


def test_a_case_is_accepted_only_with_all_it_holds_and_a_refused_case_refuses_its_contents() -> None:
    lines = [line("case1"), line("i1", container="case1"), line("i2", container="case1"),
             line("case2"), line("i3", container="case2"), line("i4", BAD, container="case2")]
    assert _decide(lines, set()) == [True, True, True, False, True, False]
    assert _decide(lines, {"i2"}) == [False, True, False, False, True, False]
    assert _decide(lines, {"case1"}) == [False, False, False, False, True, False]


def test_pallets_pass_refusals_up_and_down_every_level() -> None:
    lines = [line("pallet"), line("case1", container="pallet"), line("i1", container="case1"),
             line("case2", container="pallet"), line("i2", container="case2")]
    assert _decide(lines, set()) == [True] * 5
    assert _decide(lines, {"i2"}) == [False, True, True, False, False]
