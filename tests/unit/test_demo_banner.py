"""The banner ``make demo`` prints from the seed's lines: sample codes as links on the served address,
a registered GS1 code as its Digital Link there."""

from __future__ import annotations

import io
import sys

import pytest

from jianguan.demo import banner


def test_samples_are_links_on_the_served_address(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    lines = ("login operator operator secret\n"
             "sample genuine 12345678901234567890\n"
             "sample gs1 http://127.0.0.1:8000/01/06901234000047/21/100008\n"
             "sample drug 80012340000780000004\n")
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    monkeypatch.setattr(sys, "argv", ["banner", "--host", "demo.example", "--port", "9000"])
    banner.main()
    shown = capsys.readouterr().out
    assert "http://demo.example:9000/v/12345678901234567890" in shown
    assert "http://demo.example:9000/01/06901234000047/21/100008" in shown
    assert "http://demo.example:9000/v/80012340000780000004" in shown
