"""Connection scripts (an oauth2 connection's fetchUserProfile, custom database scripts) driven
directly on the sandbox's worker processes, against a real HTTP server on this machine: the
callback's value and Auth0's error types come back; `request` (the npm package's callback
API) and `axios` reach only the hosts the call allows, with timeouts and a size cap; Rules
and Actions still have no network."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import bcrypt as python_bcrypt
import pytest

from selfauth.hooks.connection_scripts import (
    MAX_RESPONSE_BYTES,
    ConnectionScripts,
    ScriptCall,
    ScriptFailed,
)
from selfauth.hooks.pool import QuickJsSandbox, SandboxLimits, WorkerPool
from tests.support.sandbox import run_action
from tests.support.sandbox import sandbox as sandbox


class _Handler(BaseHTTPRequestHandler):
    """Echoes what it was sent as JSON; `/big` answers too much, `/slow` never answers in
    time, `/redirect?to=URL` redirects, `/text` answers plain text, `/status/N` answers N."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.send_header("x-echo", "yes")
        self.end_headers()
        self.wfile.write(body)

    def _handle(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/big":
            self._answer(200, b"x" * (MAX_RESPONSE_BYTES + 10), "text/plain")
            return
        if parts.path == "/slow":
            threading.Event().wait(3)
            self._answer(200, b"{}")
            return
        if parts.path == "/redirect":
            self.send_response(302)
            self.send_header("location", parse_qs(parts.query)["to"][0])
            self.send_header("content-length", "0")
            self.end_headers()
            return
        if parts.path == "/text":
            self._answer(200, b"plain words", "text/plain")
            return
        if parts.path.startswith("/status/"):
            self._answer(int(parts.path.rsplit("/", 1)[1]), b'{"error":"no"}')
            return
        length = int(self.headers.get("content-length") or 0)
        echo = {
            "method": self.command,
            "path": parts.path,
            "query": parse_qs(parts.query),
            "authorization": self.headers.get("authorization"),
            "content_type": self.headers.get("content-type"),
            "accept": self.headers.get("accept"),
            "body": self.rfile.read(length).decode() if length else None,
        }
        self._answer(200, json.dumps(echo).encode())

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle


@pytest.fixture
async def roomy() -> AsyncIterator[QuickJsSandbox]:
    """Workers with room for real requests on a busy machine (tests/support/sandbox.py's
    limits are tight, for runaway scripts): 5 s a script."""
    pool = WorkerPool(2, SandboxLimits(call_seconds=5, total_seconds=10, memory_bytes=64 << 20))
    await pool.start()
    try:
        yield QuickJsSandbox(pool)
    finally:
        await pool.close()


@pytest.fixture(scope="module")
def echo() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _call(code: str, args: list[Any], allowed: set[str], **configuration: str) -> ScriptCall:
    return ScriptCall("fetchUserProfile", code, args, configuration, frozenset(allowed))


async def _run(sandbox: QuickJsSandbox, code: str, args: list[Any], allowed: set[str]) -> Any:
    return await ConnectionScripts(sandbox, 2.0).call(_call(code, args, allowed))


async def test_the_callback_value_comes_back(sandbox: QuickJsSandbox) -> None:
    code = """function fetchUserProfile(accessToken, context, callback) {
      callback(null, {user_id: accessToken + '-id', given: context.id_token, nested: {a: [1]}});
    }"""
    value = await _run(sandbox, code, ["tok", {"id_token": "jwt"}], set())
    assert value == {"user_id": "tok-id", "given": "jwt", "nested": {"a": [1]}}


@pytest.mark.parametrize(
    ("throwing", "kind", "message", "code"),
    [
        (
            "new WrongUsernameOrPasswordError('a@b.c', 'bad password')",
            "WrongUsernameOrPasswordError",
            "bad password",
            None,
        ),
        ("new ValidationError('user_exists', 'taken')", "ValidationError", "taken", "user_exists"),
        ("new UnauthorizedError('go away')", "UnauthorizedError", "go away", None),
        ("new Error('plain')", "Error", "plain", None),
    ],
)
async def test_auth0_error_types_come_back(
    sandbox: QuickJsSandbox, throwing: str, kind: str, message: str, code: str | None
) -> None:
    script = f"function login(email, password, callback) {{ callback({throwing}); }}"
    with pytest.raises(ScriptFailed) as failed:
        await _run(sandbox, script, ["a@b.c", "pw"], set())
    assert (failed.value.kind, failed.value.message, failed.value.code) == (kind, message, code)


async def test_a_script_that_never_calls_back_or_throws_fails(sandbox: QuickJsSandbox) -> None:
    with pytest.raises(ScriptFailed, match="never called its callback"):
        await _run(sandbox, "function f(a, callback) { }", [1], set())
    with pytest.raises(ScriptFailed) as thrown:
        await _run(sandbox, "function f(a, callback) { throw new TypeError('oops'); }", [1], set())
    assert thrown.value.kind == "Error" and "oops" in thrown.value.message
    with pytest.raises(ScriptFailed, match="time"):
        await _run(sandbox, "function f(a, callback) { for (;;) {} }", [1], set())


async def test_request_with_the_npm_packages_callback_api(roomy: QuickJsSandbox, echo: str) -> None:
    code = f"""function fetchUserProfile(accessToken, context, callback) {{
      request.get({{
        url: 'http://{echo}/userinfo',
        headers: {{ Authorization: 'Bearer ' + accessToken }},
        qs: {{ fields: 'id,name' }},
        json: true,
      }}, function (err, response, body) {{
        if (err) return callback(err);
        callback(null, {{status: response.statusCode, echoed: response.headers['x-echo'], body}});
      }});
    }}"""
    value = await _run(roomy, code, ["abc", {}], {echo})
    assert value["status"] == 200 and value["echoed"] == "yes"
    body = value["body"]
    assert body["method"] == "GET" and body["path"] == "/userinfo"
    assert body["query"] == {"fields": ["id,name"]}
    assert body["authorization"] == "Bearer abc" and body["accept"] == "application/json"


async def test_request_bodies_and_auth(roomy: QuickJsSandbox, echo: str) -> None:
    code = f"""function f(callback) {{
      const request = require('request');
      const base = 'http://{echo}';
      const out = {{}};
      request.post({{url: base + '/form', form: {{a: '1', b: 'two words'}},
                     auth: {{user: 'u', pass: 'p'}}}}, function (e, r, body) {{
        out.form = JSON.parse(body);
        request.put(base + '/json', {{json: {{x: 1}}}}, function (e, r, body) {{
          out.json = body;
          request({{method: 'PATCH', uri: base + '/text-body', body: 'raw'}}, function (e, r, b) {{
            out.raw = JSON.parse(b);
            request.del(base + '/gone', function (e, r, b) {{
              out.del = JSON.parse(b).method;
              callback(null, out);
            }});
          }});
        }});
      }});
    }}"""
    value = await _run(roomy, code, [], {echo})
    form = value["form"]
    assert form["method"] == "POST" and form["body"] == "a=1&b=two+words"
    assert form["content_type"] == "application/x-www-form-urlencoded"
    assert form["authorization"] == "Basic " + base64.b64encode(b"u:p").decode()
    assert value["json"]["method"] == "PUT" and json.loads(value["json"]["body"]) == {"x": 1}
    assert value["json"]["content_type"] == "application/json"
    assert value["raw"]["method"] == "PATCH" and value["raw"]["body"] == "raw"
    assert value["del"] == "DELETE"


async def test_axios_promises(roomy: QuickJsSandbox, echo: str) -> None:
    code = f"""async function f(callback) {{
      const axios = require('axios');
      const got = await axios.get('http://{echo}/me', {{headers: {{authorization: 'Bearer t'}},
                                                        params: {{q: 'x'}}}});
      const posted = await axios.post('http://{echo}/items', {{name: 'n'}});
      let refused;
      try {{ await axios.get('http://{echo}/status/404'); }}
      catch (e) {{ refused = {{status: e.response.status, data: e.response.data,
                               axios: e.isAxiosError, message: e.message}}; }}
      const text = await axios({{url: 'http://{echo}/text'}});
      callback(null, {{got: got.data, status: got.status, posted: posted.data, refused,
                       text: text.data}});
    }}"""
    value = await _run(roomy, code, [], {echo})
    assert value["status"] == 200 and value["got"]["authorization"] == "Bearer t"
    assert value["got"]["query"] == {"q": ["x"]}
    assert json.loads(value["posted"]["body"]) == {"name": "n"}
    assert value["refused"] == {
        "status": 404,
        "data": {"error": "no"},
        "axios": True,
        "message": "Request failed with status code 404",
    }
    assert value["text"] == "plain words"


async def test_a_host_the_connection_does_not_name_is_refused(
    roomy: QuickJsSandbox, echo: str
) -> None:
    port = echo.rsplit(":", 1)[1]
    code = f"""function f(callback) {{
      request.get('http://localhost:{port}/userinfo', function (err, response, body) {{
        callback(null, {{code: err && err.code, message: err && err.message,
                         response: response === undefined}});
      }});
    }}"""
    value = await _run(roomy, code, [], {echo})
    assert value["code"] == "ENOTALLOWED" and value["response"] is True
    assert f"localhost:{port} is not one of them" in value["message"]
    # A redirect from an allowed host to another one is refused the same way.
    redirect = f"""function f(callback) {{
      request.get('http://{echo}/redirect?to=http://localhost:{port}/x', function (err) {{
        callback(null, err && err.code);
      }});
    }}"""
    assert await _run(roomy, redirect, [], {echo}) == "ENOTALLOWED"


async def test_timeouts_and_size_caps(roomy: QuickJsSandbox, echo: str) -> None:
    slow = f"""function f(callback) {{
      request.get({{url: 'http://{echo}/slow', timeout: 200}}, function (err) {{
        callback(null, err && err.code);
      }});
    }}"""
    assert await _run(roomy, slow, [], {echo}) == "ETIMEDOUT"
    big = f"""function f(callback) {{
      request.get('http://{echo}/big', function (err) {{ callback(null, err && err.code); }});
    }}"""
    assert await _run(roomy, big, [], {echo}) == "ERESPONSETOOLARGE"


async def test_only_the_modules_provided_load(sandbox: QuickJsSandbox) -> None:
    code = """function f(callback) {
      try { require('fs'); callback(null, 'loaded'); }
      catch (e) { callback(null, [e.code, e.message, typeof __selfauth_host]); }
    }"""
    code_name, message, host = await _run(sandbox, code, [], set())
    assert code_name == "MODULE_NOT_FOUND"
    assert "connection scripts may require only request, axios, bcrypt, crypto" in message
    assert host == "undefined"


async def test_crypto_answers_as_node_does(roomy: QuickJsSandbox) -> None:
    """Known answers (FIPS 180 for SHA-256 "abc", RFC 4231 case 2 for HMAC, RFC 6070 for
    PBKDF2-HMAC-SHA1) and Buffer's encodings."""
    code = """function f(callback) {
      const crypto = require('crypto');
      const out = {};
      out.sha256 = crypto.createHash('sha256').update('abc').digest('hex');
      out.md5b64 = crypto.createHash('md5').update('a').update('bc').digest('base64');
      out.hmac = crypto.createHmac('sha256', 'Jefe')
        .update('what do ya want for nothing?').digest('hex');
      out.pbkdf2 = crypto.pbkdf2Sync('password', 'salt', 2, 20, 'sha1').toString('hex');
      out.random = crypto.randomBytes(16).length;
      out.same = crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abc'));
      out.differ = crypto.timingSafeEqual(Buffer.from('abc'), Buffer.from('abd'));
      try { crypto.timingSafeEqual(Buffer.from('a'), Buffer.from('ab')); }
      catch (e) { out.lengths = e.message; }
      out.base64 = Buffer.from('héllo').toString('base64');
      out.back = Buffer.from('aMOpbGxv', 'base64').toString();
      out.hex = Buffer.from('ff00', 'hex').length + ':' + Buffer.isBuffer(Buffer.alloc(2));
      out.basic = Buffer.from('user:pass').toString('base64');
      crypto.pbkdf2('password', 'salt', 1, 20, 'sha1', function (err, key) {
        out.async = err ? String(err) : key.toString('hex');
        crypto.randomBytes(4, function (err, bytes) {
          out.asyncRandom = bytes.length;
          callback(null, out);
        });
      });
    }"""
    value = await _run(roomy, code, [], set())
    assert value["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert value["md5b64"] == "kAFQmDzST7DWlj99KOF/cg=="
    assert value["hmac"] == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    assert value["pbkdf2"] == "ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957"
    assert value["async"] == "0c60c80f961f0e71f3a9b524af6012062fe037a6"
    assert (value["random"], value["asyncRandom"]) == (16, 4)
    assert (value["same"], value["differ"]) == (True, False)
    assert value["lengths"] == "Input buffers must have the same byte length"
    assert (value["base64"], value["back"]) == ("aMOpbGxv", "héllo")
    assert value["hex"] == "2:true" and value["basic"] == "dXNlcjpwYXNz"


async def test_bcrypt_in_callback_and_promise_forms(roomy: QuickJsSandbox) -> None:
    legacy = python_bcrypt.hashpw(b"s3cret", python_bcrypt.gensalt(4)).decode()
    code = """async function login(email, password, callback) {
      const bcrypt = require('bcrypt');
      bcrypt.compare(password, 'LEGACY', async function (err, isValid) {
        if (err) return callback(err);
        const wrong = await bcrypt.compare('nope', 'LEGACY');
        const made = await bcrypt.hash(password, 4);
        const again = bcrypt.compareSync(password, made);
        const junk = await bcrypt.compare(password, 'not-a-hash');
        callback(null, {isValid, wrong, again, junk, prefix: made.slice(0, 7),
                        rounds: bcrypt.getRounds(made)});
      });
    }""".replace("LEGACY", legacy)
    value = await _run(roomy, code, ["a@b.c", "s3cret"], set())
    assert value == {
        "isValid": True,
        "wrong": False,
        "again": True,
        "junk": False,
        "prefix": "$2b$04$",
        "rounds": 4,
    }
    refused = """function f(callback) {
      require('bcrypt').hash('x', 40, function (err) { callback(null, String(err)); });
    }"""
    assert "rounds must be an integer from 4 to 15" in await _run(roomy, refused, [], set())


async def test_rules_and_actions_still_have_no_network(sandbox: QuickJsSandbox) -> None:
    answer = await run_action(
        sandbox,
        "api.idToken.setCustomClaim('request', typeof request);"
        "try { require('request'); } catch (e) { api.idToken.setCustomClaim('req', e.code); }",
    )
    values = {c["key"]: c["value"] for c in answer["commands"] if c["type"] == "claim"}
    assert values == {"request": "undefined", "req": "MODULE_NOT_FOUND"}


async def test_a_long_value_comes_back_whole(roomy: QuickJsSandbox) -> None:
    """QuickJS keeps a long built string as a rope, which the binding cannot hand to Python:
    the runtime flattens what it answers."""
    code = "function f(callback) { callback(null, {name: 'n'.repeat(100000), id: 1}); }"
    value = await _run(roomy, code, [], set())
    assert value == {"name": "n" * 100000, "id": 1}
