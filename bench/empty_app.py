"""Baseline for figure (2): FastAPI on uvicorn doing nothing but return a small JSON dict.

It is served exactly like selfauth (one uvicorn process on 127.0.0.1), so the
ratio of the two request rates shows what selfauth's own work costs on top of
the framework and server it is built on.
"""

from fastapi import FastAPI

# Configured as selfauth configures FastAPI (its OpenTelemetry probe off), so the baseline
# gets no per-request saving that selfauth has.
app = FastAPI(telemetry={"tracing": False, "metrics": False, "logs": False})


@app.get("/")
async def root() -> dict[str, str]:
    return {"status": "ok"}
