"""Cross-app reactions: every receiver the project connects is listed in rapport/signals.py, in
the order it runs, and a failing receiver undoes the write that sent the signal. (What each
reaction does is tested with its feature: tests/test_care_episode_close.py, test_measures.py, …)"""

from __future__ import annotations

import importlib
import pkgutil
import weakref
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import signals as auth_signals
from django.core import signals as request_signals
from django.db.models import signals as model_signals
from django.dispatch import Signal
from django.utils import timezone

import rapport
from rapport.care.services import episode_close
from rapport.care.signals import episode_closed, session_booked
from rapport.signals import REACTIONS


def signals_in(module: Any) -> list[Signal]:
    return [value for value in vars(module).values() if isinstance(value, Signal)]


def every_signal() -> list[Signal]:
    """Django's model, request and sign-in signals, and every signal the project defines."""
    found = [*signals_in(model_signals), *signals_in(request_signals), *signals_in(auth_signals)]
    for info in pkgutil.walk_packages(rapport.__path__, "rapport."):
        if info.name.endswith(".signals") and info.name != "rapport.signals":
            found += signals_in(importlib.import_module(info.name))
    return list({id(signal): signal for signal in found}.values())


def project_receivers(signal: Signal) -> list[tuple[Callable[..., Any], Any]]:
    """(receiver, sender id) of the receivers defined in the project, in the order they run."""
    connected = []
    for (_, sender_key), receiver, _, _ in signal.receivers:
        if isinstance(receiver, weakref.ReferenceType):
            receiver = receiver()
        if receiver is not None and receiver.__module__.startswith("rapport."):
            connected.append((receiver, sender_key))
    return connected


def connected_table() -> dict[int, list[tuple[Callable[..., Any], Any]]]:
    return {id(s): found for s in every_signal() if (found := project_receivers(s))}


def listed_table() -> dict[int, list[tuple[Callable[..., Any], Any]]]:
    listed: dict[int, list[tuple[Callable[..., Any], Any]]] = {}
    for reaction in REACTIONS:
        sender_key = id(reaction.sender) if reaction.sender else id(None)
        listed.setdefault(id(reaction.signal), []).append((reaction.receiver, sender_key))
    return listed


def test_the_connected_receivers_are_exactly_the_table_in_its_order():
    assert connected_table() == listed_table()


def test_a_receiver_connected_outside_the_table_is_noticed():
    def stray(sender: Any, **kwargs: Any) -> None: ...

    stray.__module__ = "rapport.elsewhere"
    session_booked.connect(stray, weak=False, dispatch_uid="test-stray")
    try:
        assert connected_table() != listed_table()
    finally:
        session_booked.disconnect(dispatch_uid="test-stray")


def test_every_listed_signal_is_one_the_check_watches():
    watched = {id(signal) for signal in every_signal()}
    assert all(id(reaction.signal) in watched for reaction in REACTIONS)


def test_a_failing_receiver_rolls_the_closing_of_an_episode_back(cast):
    def broken(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("a receiver failed")

    episode_closed.connect(broken, weak=False, dispatch_uid="test-broken")
    try:
        with pytest.raises(RuntimeError):
            episode_close(
                actor=cast.clinician,
                episode=cast.adult_episode,
                reason="completed",
                end_date=timezone.localdate(),
            )
    finally:
        episode_closed.disconnect(dispatch_uid="test-broken")

    cast.adult_episode.refresh_from_db()
    assert cast.adult_episode.is_open
