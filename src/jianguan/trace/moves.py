"""What a supply-chain event does to where a code is: pure, no I/O.

An event's bizStep (and action) makes it one ``Move``; ``step`` applies a move to a code's
position (``Place``) and says whether the move is allowed, and whether it is a diversion (串货):
goods received or sold by a party they were not shipped to. The capture service applies it to
runs of codes that share a position, in event-time order.

The rules:

- a code ships, is received, sold, returned or packed only once activated (checked by the
  capture service, which knows activations);
- a destroyed or decommissioned code never moves again;
- a distributor or shop ships, sells, returns or destroys only what it holds or what was shipped
  to it; receiving what was shipped to another party or to nobody, and receiving or selling in
  another county than the one the goods were shipped to, is recorded and flagged as a diversion,
  never refused: the goods are there, and their manufacturer needs to know;
- an event older than a code's position is kept as history and does not move it back.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from enum import StrEnum

from jianguan.trace.models import FINAL, PartyKind, Whereabouts

Party = tuple[PartyKind, int]


class Move(StrEnum):
    COMMISSION = "commissioning"
    PACK = "packing"
    UNPACK = "unpacking"
    SHIP = "shipping"
    RECEIVE = "receiving"
    SELL = "retail_selling"
    RETURN = "returning"
    DESTROY = "destroying"
    DECOMMISSION = "decommissioning"


_MOVES = {move.value: move for move in Move}


def move_of(event_type: str, action: str, biz_step: str | None) -> Move | None:
    """The move an event makes; None for an event that names no step the network knows (an
    observation moves nothing). An AggregationEvent without a step packs (ADD) or unpacks
    (DELETE); an ObjectEvent DELETE decommissions."""
    if biz_step is not None:
        return _MOVES.get(biz_step)
    if event_type == "AggregationEvent":
        return {"ADD": Move.PACK, "DELETE": Move.UNPACK}.get(action)
    if action == "DELETE":
        return Move.DECOMMISSION
    return Move.COMMISSION if action == "ADD" else None


# Moves that take codes away from where they are, or end them.
MOVES_GOODS = frozenset({Move.SHIP, Move.RECEIVE, Move.SELL, Move.RETURN, Move.DESTROY, Move.DECOMMISSION})
# Moves that need activated codes.
NEEDS_ACTIVATION = frozenset({Move.PACK, Move.SHIP, Move.RECEIVE, Move.SELL, Move.RETURN})


@dataclass(frozen=True, slots=True)
class Place:
    """Where a run of codes is: its state, who holds it and in which county, and while in transit
    to whom (and where) it was shipped; ``event`` is the event that put it there (a stored event's
    id, or ``-1 - index`` for an event of the capture in hand) at ``at``."""

    status: Whereabouts
    holder: Party
    region: str | None
    shipped_to: Party | None
    shipped_region: str | None
    event: int
    at: dt.datetime


@dataclass(frozen=True, slots=True)
class Context:
    """The event being applied: who captured it, where and when it happened, and where it sends
    the goods (``destination``: a shipping's or returning's destination party and its county)."""

    move: Move
    party: Party
    region: str | None
    at: dt.datetime
    event: int
    destination: Party | None = None
    destination_region: str | None = None


class Refusal(StrEnum):
    """Why a move is not allowed for a code."""

    FINAL = "final"
    NOT_HELD = "not_held"
    ALREADY_COMMISSIONED = "already_commissioned"


@dataclass(frozen=True, slots=True)
class Outcome:
    """A move's result: the new place (None: unchanged), a refusal, or a diversion flag."""

    place: Place | None = None
    refusal: Refusal | None = None
    diversion: bool = False


def _holds(party: Party, place: Place) -> bool:
    return place.holder == party or place.shipped_to == party


def destined_region(place: Place) -> str | None:
    """The county goods at ``place`` are meant for: where they were shipped while in transit,
    else where they are."""
    return place.shipped_region if place.status is Whereabouts.IN_TRANSIT else place.region


def _diverted(place: Place, party: Party, region: str | None) -> bool:
    """Whether goods at ``place`` taken by ``party`` in ``region`` went where they were not sent."""
    if not _holds(party, place):
        return True
    expected = destined_region(place)
    return expected is not None and region is not None and region != expected


def step(place: Place | None, context: Context, *, owner: Party) -> Outcome:
    """Apply ``context``'s move to codes at ``place`` (None: never moved; they are then at their
    enterprise, ``owner``). An older event than the place keeps the place."""
    move = context.move
    if place is not None and place.status in FINAL:
        return Outcome(refusal=Refusal.FINAL)
    current = place or Place(Whereabouts.COMMISSIONED, owner, None, None, None, 0, dt.datetime.min.replace(tzinfo=dt.UTC))
    merchant = context.party[0] is PartyKind.MERCHANT
    if move is Move.COMMISSION:
        if place is not None and (place.status is not Whereabouts.COMMISSIONED or place.holder != context.party):
            return Outcome(refusal=Refusal.ALREADY_COMMISSIONED)
    elif merchant and move is not Move.RECEIVE and not _holds(context.party, current):
        return Outcome(refusal=Refusal.NOT_HELD)
    if place is not None and context.at < place.at:
        return Outcome()  # history arriving late: kept, moves nothing
    made = Place(current.status, context.party, context.region or current.region, None, None, context.event,
                 context.at)
    diversion = False
    if move is Move.COMMISSION:
        made = replace(made, status=Whereabouts.COMMISSIONED)
    elif move is Move.SHIP:
        made = replace(made, status=Whereabouts.IN_TRANSIT, region=current.region or context.region,
                       shipped_to=context.destination, shipped_region=context.destination_region)
    elif move is Move.RECEIVE:
        made = replace(made, status=Whereabouts.IN_STOCK)
        diversion = merchant and _diverted(current, context.party, context.region)
    elif move is Move.SELL:
        made = replace(made, status=Whereabouts.SOLD)
        diversion = merchant and _diverted(current, context.party, context.region)
    elif move is Move.RETURN:
        made = replace(made, status=Whereabouts.RETURNED, shipped_to=context.destination or owner,
                       shipped_region=context.destination_region)
    elif move is Move.DESTROY:
        made = replace(made, status=Whereabouts.DESTROYED)
    elif move is Move.DECOMMISSION:
        made = replace(made, status=Whereabouts.DECOMMISSIONED)
    else:  # packing and unpacking leave the codes where they are
        return Outcome()
    return Outcome(place=made, diversion=diversion)
