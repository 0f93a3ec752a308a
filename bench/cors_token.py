"""What the CORS layer adds to `/userinfo` and a user's own profile when the browser sends
`Origin`: reading the bearer token's `azp` (unverified) to pick the application whose origins
apply. The baseline, measured in the same run, is the full RS256 verification every such
request pays anyway in its handler (PyJWT, the same token).

    .venv/bin/python bench/cors_token.py [--calls N]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from selfauth.web.cors import _token_client


def per_call_us(work: Callable[[], object], calls: int) -> float:
    best = float("inf")
    for _ in range(5):  # the best of five: the least disturbed by the rest of the machine
        started = time.perf_counter()
        for _ in range(calls):
            work()
        best = min(best, time.perf_counter() - started)
    return best / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    calls = parser.parse_args().calls
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {
        "iss": "http://127.0.0.1:8080/",
        "sub": "auth0|0123456789abcdef01234567",
        "aud": ["http://127.0.0.1:8080/api/v2/", "http://127.0.0.1:8080/userinfo"],
        "azp": "AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        "scope": "openid profile email read:current_user",
        "iat": int(time.time()),
        "exp": int(time.time()) + 86_400,
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})
    header = f"Bearer {token}"
    public = key.public_key()
    read = per_call_us(lambda: _token_client(header), calls)
    verify = per_call_us(
        lambda: jwt.decode(token, public, algorithms=["RS256"], audience=claims["aud"][1]),
        max(calls // 10, 100),
    )
    print(f"azp read for CORS: {read:.2f} us/request")
    print(f"baseline, RS256 verification of the same token: {verify:.1f} us/request")
    print(f"ratio: {read / verify:.3f}")


if __name__ == "__main__":
    main()
