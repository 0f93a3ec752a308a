"""A User-Agent header summarised as Auth0's logs show it: `Chrome 120.0.0 / Mac OS X 10.15.7`
(browser and version, then system and version, each version in three parts, `0` for a part
the header does not give; `Other 0.0.0` for what is not recognised).

The names come from uap-core's patterns through `ua-parser` (the summary Auth0 shows is made
from the same patterns), with its pure-Python resolver compiling each pattern when first
needed: about 1 MB a process, where the Rust matchers took 25 MB of every worker. A header
not seen before costs well under a millisecond; headers repeat, so answers are cached. The
logs' writer calls this for each event it stores, off the request's path."""

from __future__ import annotations

from functools import lru_cache

from ua_parser import OS, Parser, UserAgent, basic, loaders

OTHER = "Other 0.0.0"
_PARSER = Parser(basic.Resolver(loaders.load_lazy_builtins()))
_MOBILE_SYSTEMS = ("iOS ", "Android ")


def _named(found: UserAgent | OS | None) -> str:
    if found is None:
        return OTHER
    version = ".".join(part or "0" for part in (found.major, found.minor, found.patch))
    return f"{found.family} {version}"


@lru_cache(maxsize=1024)
def summary(header: str) -> str:
    """`{browser} {version} / {system} {version}`, as Auth0's `user_agent`."""
    return f"{_named(_PARSER.parse_user_agent(header))} / {_named(_PARSER.parse_os(header))}"


def is_mobile(summarised: str | None) -> bool:
    """Auth0's `isMobile`, read from a summary: a phone's or tablet's system or browser."""
    if not summarised:
        return False
    browser, _, system = summarised.partition(" / ")
    return system.startswith(_MOBILE_SYSTEMS) or browser.startswith(("Mobile ", "Chrome Mobile"))
