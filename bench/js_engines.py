"""Which embedded JavaScript engine runs Rules and Actions: the benchmark behind the choice.

Each engine is measured in its own process (two of the wrappers install the same `quickjs`
module name), with its wheel installed into a scratch directory on first use:

- quickjs-ng 0.17 (the project's dependency; the maintained quickjs-ng engine)
- quickjs 1.19 (the older wrapper over Bellard's QuickJS)
- mini-racer 0.14 (V8)

For each: the cost of one async post-login Action on a reused context and on a fresh one,
whether a time limit stops `async () => { await null; while (true) {} }` (the microtask case),
whether a memory cap stops a memory bomb, and the process's resident memory. The figures are
printed beside quickjs-ng's, measured in the same run, as ratios.

    .venv/bin/python bench/js_engines.py
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

SCRATCH = Path(tempfile.gettempdir()) / "selfauth-bench-engines"
ENGINES = {
    "quickjs-ng": None,  # from the project's environment
    "quickjs": "quickjs==1.19.4",
    "mini-racer": "mini-racer==0.14.1",
}
HANG_SECONDS = 10
PIP_INSTALL = (sys.executable, "-m", "pip", "install", "--quiet", "--no-deps")

ACTION = (
    "exports.onExecutePostLogin = async (event, api) => {"
    " api.idToken.setCustomClaim('https://example.com/plan', event.client.metadata.plan);"
    " api.user.setUserMetadata('last', event.user.email); };"
)
SHIM = (
    "var commands = [];"
    "function run(event) { const exports = {}; "
    + ACTION
    + " const api = { idToken: { setCustomClaim: (k, v) => commands.push([k, v]) },"
    " user: { setUserMetadata: (k, v) => commands.push([k, v]) } };"
    " return exports.onExecutePostLogin(event, api); }"
)
EVENT = '{"user": {"email": "a@example.com"}, "client": {"metadata": {"plan": "gold"}}}'

QUICKJS_PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    import quickjs
    SHIM, EVENT, WHAT = sys.argv[1], sys.argv[2], sys.argv[3]

    def one(context):
        context.eval("globalThis.done = false; run(" + EVENT + ").then(() => { done = true; })")
        while context.execute_pending_job():
            pass
        assert context.eval("done")

    def fresh():
        context = quickjs.Context()
        context.set_memory_limit(64 << 20)
        context.set_time_limit(1)
        context.eval(SHIM)
        return context

    if WHAT == "speed":
        context = fresh()
        for _ in range(200):
            one(context)
        n = 5000
        start = time.perf_counter()
        for _ in range(n):
            one(context)
        reused = (time.perf_counter() - start) / n
        n = 1000
        start = time.perf_counter()
        for _ in range(n):
            one(fresh())
        fresh_cost = (time.perf_counter() - start) / n
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"reused_us": reused * 1e6, "fresh_us": fresh_cost * 1e6, "rss_mb": rss}))
    elif WHAT == "microtask":
        context = fresh()
        context.eval("(async () => { await null; globalThis.entered = true; while (true) {} })()")
        try:
            while context.execute_pending_job():
                pass
            entered = context.eval("globalThis.entered === true")
            print(json.dumps({"stopped": False, "entered": entered}))
        except Exception as error:
            print(json.dumps({"stopped": "interrupted" in str(error), "entered": True}))
    elif WHAT == "memory":
        context = fresh()
        context.set_time_limit(10)
        try:
            context.eval("const a = []; while (true) a.push(new Array(1e5).fill(1));")
            print(json.dumps({"capped": False}))
        except Exception as error:
            print(json.dumps({"capped": "memory" in str(error)}))
    """
)

RACER_PROBE = textwrap.dedent(
    """
    import json, resource, sys, time
    from py_mini_racer import MiniRacer
    SHIM, EVENT, WHAT = sys.argv[1], sys.argv[2], sys.argv[3]

    def fresh():
        racer = MiniRacer()
        racer.eval(SHIM)
        return racer

    def one(racer):
        promise = racer.eval("run(" + EVENT + ")", timeout_sec=1)
        promise.get(timeout=1)

    if WHAT == "speed":
        racer = fresh()
        for _ in range(100):
            one(racer)
        n = 2000
        start = time.perf_counter()
        for _ in range(n):
            one(racer)
        reused = (time.perf_counter() - start) / n
        n = 100
        start = time.perf_counter()
        for _ in range(n):
            one(fresh())
        fresh_cost = (time.perf_counter() - start) / n
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({"reused_us": reused * 1e6, "fresh_us": fresh_cost * 1e6, "rss_mb": rss}))
    elif WHAT == "microtask":
        racer = fresh()
        try:
            promise = racer.eval("(async () => { await null; while (true) {} })()", timeout_sec=1)
            promise.get(timeout=1)
            print(json.dumps({"stopped": False}))
        except Exception as error:
            print(json.dumps({"stopped": True}))
    elif WHAT == "memory":
        racer = MiniRacer()
        racer.set_hard_memory_limit(64 << 20)
        try:
            racer.eval("const a = []; while (true) a.push(new Array(1e5).fill(1));", timeout_sec=10)
            print(json.dumps({"capped": False}))
        except Exception as error:
            print(json.dumps({"capped": True}))
    """
)


def site_for(requirement: str | None) -> str | None:
    """A scratch directory holding the engine's wheel, or None for the project's own."""
    if requirement is None:
        return None
    target = SCRATCH / requirement.replace("==", "-")
    if not target.exists():
        subprocess.run(
            [*PIP_INSTALL, "--target", str(target), requirement],
            check=True,
        )
    return str(target)


def probe(engine: str, what: str) -> dict[str, object]:
    site = site_for(ENGINES[engine])
    script = RACER_PROBE if engine == "mini-racer" else QUICKJS_PROBE
    # -S: no site-packages, so `import quickjs` finds only the scratch copy; the project's
    # engine is found through the environment's own path instead.
    paths = [site] if site else [p for p in sys.path if "site-packages" in p]
    bootstrap = f"import sys; sys.path[:0] = {paths!r}\n" + script
    try:
        done = subprocess.run(
            [sys.executable, "-S", "-c", bootstrap, SHIM, EVENT, what],
            capture_output=True,
            text=True,
            timeout=HANG_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return {"hung": True}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    results = {engine: {} for engine in ENGINES}
    for engine in ENGINES:
        for what in ("speed", "microtask", "memory"):
            results[engine][what] = probe(engine, what)
    base = results["quickjs-ng"]["speed"]
    print(
        f"{'engine':<12} {'reused µs':>10} {'ratio':>6} {'fresh µs':>9} {'ratio':>6} "
        f"{'RSS MB':>7} {'microtask stopped':>18} {'memory capped':>14}"
    )
    for engine, found in results.items():
        speed = found["speed"]
        if "reused_us" not in speed:
            print(f"{engine:<12} {speed}")
            continue
        micro = found["microtask"]
        stopped = "hung (killed)" if micro.get("hung") else str(micro.get("stopped"))
        if micro.get("entered") is False:
            stopped = "loop never ran"
        elif micro.get("stopped") is False:
            # The job queue drained although the loop had started: the engine interrupted the
            # job and swallowed the error instead of reporting it.
            stopped = "yes, silently"
        capped = found["memory"].get("capped", found["memory"])
        print(
            f"{engine:<12} {speed['reused_us']:>10.1f} "
            f"{speed['reused_us'] / base['reused_us']:>6.2f} {speed['fresh_us']:>9.1f} "
            f"{speed['fresh_us'] / base['fresh_us']:>6.2f} {speed['rss_mb']:>7.0f} "
            f"{stopped:>18} {capped!s:>14}"
        )


if __name__ == "__main__":
    main()
