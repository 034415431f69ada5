"""The draw's arithmetic: chances in parts per million, the tier a roll falls in, and 10^5
cryptographic draws against the stated probabilities (chi-squared) and the budget."""

from __future__ import annotations

from collections import Counter

import pytest

from jianguan.errors import ValidationFailed
from jianguan.promotions import odds

# The chi-squared distribution's upper critical values at p = 0.001, by degrees of freedom
# (NIST/SEMATECH e-Handbook of Statistical Methods, table 1.3.6.7.4).
CRITICAL_0001 = {1: 10.828, 2: 13.816, 3: 16.266, 4: 18.467, 5: 20.515, 6: 22.458}
DRAWS = 100_000


def chi_squared(observed: list[int], probabilities: list[float], total: int) -> float:
    return sum((seen - total * p) ** 2 / (total * p) for seen, p in zip(observed, probabilities, strict=True))


def test_probabilities_become_parts_per_million() -> None:
    assert odds.chance_ppm("0.001") == 1000 and odds.chance_ppm(1) == odds.ONE and odds.chance_ppm(0.25) == 250_000
    for bad in ("0", "-0.1", "1.5", "0.0000001", "nan", "inf", "abc"):
        with pytest.raises(ValidationFailed):
            odds.chance_ppm(bad)


def test_chances_over_one_are_refused() -> None:
    odds.check_total([500_000, 500_000])
    with pytest.raises(ValidationFailed) as refused:
        odds.check_total([500_000, 500_001])
    assert refused.value.code == "probabilities_over_one"


def test_a_roll_falls_in_consecutive_stretches() -> None:
    chances = [10, 100, 1000]
    assert [odds.pick(roll, chances) for roll in (0, 9, 10, 109, 110, 1109, 1110, odds.ONE - 1)] == [
        0, 0, 1, 1, 2, 2, None, None]
    assert odds.pick(odds.ONE - 1, [odds.ONE]) == 0
    with pytest.raises(ValueError, match="below"):
        odds.pick(odds.ONE, chances)


def test_claim_codes_are_twelve_digits_typed_any_way() -> None:
    code = odds.claim_code()
    assert len(code) == 12 and code.isdigit()
    assert odds.normal_claim_code(odds.grouped(code)) == code
    assert odds.normal_claim_code(" 1234 5678 9012 ") == "123456789012"
    assert odds.normal_claim_code("12345678901") is None and odds.normal_claim_code("１２３４５６７８９０１２") is None


def draw_many(chances: list[int], quantities: list[int], total: int) -> tuple[Counter[int | None], list[int]]:
    """``total`` draws as the service makes them: a cryptographic roll picks a tier, and the prize
    is taken only while the tier has one left (the conditional decrement), else no prize."""
    remaining = list(quantities)
    won: Counter[int | None] = Counter()
    for _ in range(total):
        tier = odds.pick(odds.roll(), chances)
        if tier is not None and remaining[tier] > 0:
            remaining[tier] -= 1
            won[tier] += 1
        else:
            won[None] += 1
    return won, remaining


def test_a_hundred_thousand_draws_match_the_stated_probabilities() -> None:
    probabilities = [0.001, 0.01, 0.05, 0.2]
    chances = [odds.chance_ppm(str(p)) for p in probabilities]
    won, _ = draw_many(chances, [DRAWS] * 4, DRAWS)
    observed = [won[index] for index in range(4)] + [won[None]]
    expected = [*probabilities, 1 - sum(probabilities)]
    statistic = chi_squared(observed, expected, DRAWS)
    assert statistic < CRITICAL_0001[len(expected) - 1], (observed, statistic)
    # The test has power: the same draws are far from probabilities a tenth off.
    skewed = [0.0011, 0.011, 0.055, 0.2]
    assert chi_squared(observed, [*skewed, 1 - sum(skewed)], DRAWS) > CRITICAL_0001[4]


def test_a_hundred_thousand_draws_never_exceed_the_budget() -> None:
    chances = [odds.chance_ppm(p) for p in ("0.001", "0.01", "0.05")]
    quantities = [50, 2000, 7000]  # expected 100, 1,000 and 5,000 wins: the first tier runs out
    won, remaining = draw_many(chances, quantities, DRAWS)
    assert won[0] == 50 and remaining[0] == 0
    assert all(won[index] <= quantities[index] for index in range(3)) and min(remaining) >= 0
    assert sum(won.values()) == DRAWS
