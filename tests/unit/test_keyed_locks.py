"""KeyedLocks (storage/keyed_locks.py): one holder per key, no cycle between two keys, and no
entry left once nobody holds or waits."""

from __future__ import annotations

import asyncio

from selfauth.storage.keyed_locks import KeyedLocks


async def test_holders_of_one_key_take_turns_and_leave_nothing_behind() -> None:
    locks = KeyedLocks()
    inside = 0
    most = 0

    async def hold(key: str) -> None:
        nonlocal inside, most
        async with locks.held(key):
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.001)
            inside -= 1

    await asyncio.gather(*(hold("user-1") for _ in range(20)))
    assert most == 1
    assert len(locks) == 0


async def test_different_keys_do_not_wait_on_each_other() -> None:
    locks = KeyedLocks()
    both_inside = asyncio.Event()
    entered: set[str] = set()

    async def hold(key: str) -> None:
        async with locks.held(key):
            entered.add(key)
            if len(entered) == 2:
                both_inside.set()
            await asyncio.wait_for(both_inside.wait(), 1)

    await asyncio.gather(hold("a"), hold("b"))
    assert len(locks) == 0


async def test_two_keys_taken_in_either_order_never_deadlock() -> None:
    locks = KeyedLocks()

    async def pair(first: str, second: str) -> None:
        for _ in range(50):
            async with locks.held(first, second):
                await asyncio.sleep(0)

    await asyncio.wait_for(asyncio.gather(pair("a", "b"), pair("b", "a")), 5)
    assert len(locks) == 0


async def test_a_cancelled_waiter_leaves_no_entry() -> None:
    locks = KeyedLocks()
    release = asyncio.Event()

    async def holder() -> None:
        async with locks.held("k"):
            await release.wait()

    held = asyncio.create_task(holder())
    await asyncio.sleep(0)
    waiter = asyncio.create_task(asyncio.wait_for(holder(), 0.01))
    await asyncio.sleep(0.05)
    assert waiter.done() and isinstance(waiter.exception(), TimeoutError)
    release.set()
    await held
    assert len(locks) == 0
