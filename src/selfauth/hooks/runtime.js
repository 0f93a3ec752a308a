// The JavaScript side of selfauth's hooks: the objects Rules and Actions see (`user`, `context`,
// `event`, `api`, `console`, `configuration`, `auth0`), which only *record* what the tenant's
// code asks for. Python reads the records after each script and decides what to apply.
//
// The scripts of one run share this engine context with the runtime, and any of them may change
// any intrinsic: replace JSON.parse or Array.prototype.push, put a setter or a `toJSON` on
// Object.prototype, replace Promise.prototype.then. None of that may change what the runtime
// reports about another script or about itself. So the runtime:
// - takes its own references to every intrinsic it uses while it loads, before tenant code runs;
// - keeps its state in objects and arrays without a prototype (no inherited setter, getter or
//   toJSON applies to them), and records each command as JSON text at the call;
// - never calls a method through a prototype, never iterates with for-of or spreads (both
//   use Array.prototype[Symbol.iterator]), and watches a script's promise with `await` on an own
//   `constructor` (below), never through Promise.prototype.then;
// - is handed to the worker as one function (the value of this file) instead of a global, so
//   tenant code cannot call its entry points;
// - puts its globals back before each script (a script replacing `console` affects itself only).
// The tenant's intrinsics themselves stay writable: Auth0 rules polyfill prototypes.
"use strict";
(function (global) {
  // --- The runtime's own references, taken before any tenant code runs -----------------------
  const { parse, stringify, isRawJSON } = JSON;
  const { defineProperty, freeze, getOwnPropertyDescriptor, getPrototypeOf } = Object;
  const { keys, setPrototypeOf } = Object;
  const { apply, construct, deleteProperty } = Reflect;
  const isArray = Array.isArray;
  const max = Math.max;
  const toString = String;
  const toNumber = Number;
  const NativePromise = Promise;
  const NativeError = Error;
  const NativeTypeError = TypeError;
  // uncurryThis(String.prototype.slice)(text, 0, 2): calls the method this file saw, without
  // looking anything up on the receiver or on Function.prototype (call, apply, bind).
  const uncurryThis = (method) => (self, ...args) => apply(method, self, args);
  const sliceString = uncurryThis(String.prototype.slice);
  const indexOfString = uncurryThis(String.prototype.indexOf);
  const joinArray = uncurryThis(Array.prototype.join);
  // `instanceof` consults the constructor's Symbol.hasInstance, which a script can define.
  const hasInstance = uncurryThis(Function.prototype[Symbol.hasInstance]);
  const ObjectPrototype = Object.prototype;
  const ArrayPrototype = Array.prototype;
  const BigIntPrototype = BigInt.prototype;
  const numberValueOf = uncurryThis(Number.prototype.valueOf);
  const NativeUint8Array = Uint8Array;
  const NativeRangeError = RangeError;
  const parseInteger = parseInt;
  // The worker's operations for the modules of connection scripts (hooks/script_modules.py):
  // taken off the global object before any tenant code runs.
  const hostOperation = global.__selfauth_host;
  deleteProperty(global, "__selfauth_host");
  const stringValueOf = uncurryThis(String.prototype.valueOf);
  const booleanValueOf = uncurryThis(Boolean.prototype.valueOf);
  const bigintValueOf = uncurryThis(BigInt.prototype.valueOf);

  // A list without a prototype: `append` meets no setter a script put on Array.prototype or
  // Object.prototype (index setters included), and JSON.stringify finds no toJSON on it.
  function list() {
    return setPrototypeOf([], null);
  }
  function append(items, item) {
    items[items.length] = item;
  }

  // A property descriptor without a prototype: `get`, `set` or `value` a script added to
  // Object.prototype would otherwise be read into it.
  function dataProperty(value, enumerable) {
    return {
      __proto__: null,
      value: value,
      writable: true,
      enumerable: enumerable,
      configurable: true,
    };
  }

  function isObject(value) {
    return (typeof value === "object" && value !== null) || typeof value === "function";
  }

  const state = {
    __proto__: null,
    commands: list(), // JSON text of each {type, ..., by}, in call order
    metadata: list(), // {field, key, json} of the Actions' metadata changes, for later Actions
    log: null, // {lines, budget} of the script that runs now
    current: "", // the running script's name, for attribution
    run: 0, // counts scripts, so a stale settlement cannot set a later script's outcome
    result: "null", // JSON text of the value a connection script's callback was given
    outcome: null, // the running script's settlement: {ok} | {ok: false, error, unauthorized}
    denied: null, // {reason, userMessage, by, error}
    timers: list(), // {id, due, callback, args}, ordered by due time then id
    timerSeq: 0,
    virtualNow: 0,
  };

  // --- A script's values as JSON -----------------------------------------------------------------
  // JSON.stringify(value) as an untouched engine gives it, except that a toJSON found on
  // Object.prototype or Array.prototype is ignored: neither has one of its own, so it was put
  // there by a script, and would rewrite every object or array every later script records.
  // Any other toJSON (a Date's, a class's, a BigInt polyfill) applies as usual. Undefined when
  // JSON has no text for the value (undefined, a function, a symbol).
  function toJSONText(value) {
    return serialize(value, "", list());
  }

  // SerializeJSONProperty of the ECMAScript specification (no replacer, no indentation), for a
  // value already read from its holder under `key` (an array's index as a number).
  function serialize(value, key, ancestors) {
    if (typeof value === "bigint") value = applyToJSON(value, BigIntPrototype, key);
    if (!isObject(value)) return primitiveJSON(value);
    let prototype = getPrototypeOf(value);
    const toJSONResult = applyToJSON(value, prototype, key);
    if (toJSONResult !== value) {
      value = toJSONResult;
      if (!isObject(value)) return primitiveJSON(value);
      prototype = getPrototypeOf(value);
    }
    if (typeof value === "function") return undefined;
    if (prototype !== ObjectPrototype && prototype !== ArrayPrototype) {
      if (prototype === null && isRawJSON(value)) return value.rawJSON;
      value = unboxed(value);
      if (!isObject(value)) return primitiveJSON(value);
    }
    for (let i = 0; i < ancestors.length; i++) {
      if (ancestors[i] === value) throw new NativeTypeError("circular reference");
    }
    append(ancestors, value);
    let json = "";
    if (isArray(value)) {
      const length = value.length;
      for (let i = 0; i < length; i++) {
        const item = member(value[i], i, ancestors);
        json += (i === 0 ? "" : ",") + (item === undefined ? "null" : item);
      }
      json = "[" + json + "]";
    } else {
      const names = keys(value);
      for (let i = 0; i < names.length; i++) {
        const name = names[i];
        const item = member(value[name], name, ancestors);
        if (item !== undefined) json += (json === "" ? "" : ",") + stringify(name) + ":" + item;
      }
      json = "{" + json + "}";
    }
    ancestors.length -= 1;
    return json;
  }

  // A member of an object or array: most are strings, numbers, booleans or null (quicker here).
  function member(value, key, ancestors) {
    if (isObject(value) || typeof value === "bigint") return serialize(value, key, ancestors);
    return stringify(value);
  }

  // The value's toJSON(key), if it has one that is not Object.prototype's or Array.prototype's;
  // else the value itself. `prototype` is where the search goes on after the value's own keys.
  function applyToJSON(value, prototype, key) {
    let holder = typeof value === "bigint" ? prototype : value;
    while (holder !== null && holder !== ObjectPrototype && holder !== ArrayPrototype) {
      if (getOwnPropertyDescriptor(holder, "toJSON") !== undefined) {
        const toJSON = value.toJSON;
        return typeof toJSON === "function" ? apply(toJSON, value, [toString(key)]) : value;
      }
      holder = holder === value ? prototype : getPrototypeOf(holder);
    }
    return value;
  }

  function primitiveJSON(value) {
    if (typeof value === "bigint") {
      throw new NativeTypeError("BigInt are forbidden in JSON.stringify");
    }
    return stringify(value); // a primitive: nothing to look up, no toJSON
  }

  // A Number, String, Boolean or BigInt object stands for its primitive, as in JSON.stringify.
  function unboxed(value) {
    if (hasSlot(numberValueOf, value)) return toNumber(value);
    if (hasSlot(stringValueOf, value)) return toString(value);
    if (hasSlot(booleanValueOf, value)) return booleanValueOf(value);
    if (hasSlot(bigintValueOf, value)) return bigintValueOf(value);
    return value;
  }

  function hasSlot(valueOf, value) {
    try {
      valueOf(value);
      return true;
    } catch (_) {
      return false;
    }
  }

  // --- Recording -------------------------------------------------------------------------------
  // Values are recorded as they are at the call (later mutation must not change what was asked),
  // as JSON text. What JSON cannot hold (undefined, a function) is recorded as null, as
  // JSON.stringify does inside objects.
  function encode(value) {
    const json = toJSONText(value);
    return json === undefined ? "null" : json;
  }

  // `fields` is a null-prototype object of the runtime's own values; `json`, if given, the
  // encoded value. The command is kept as text: nothing a script does later reaches it.
  function record(by, fields, json) {
    fields.by = by;
    let entry = stringify(fields);
    if (json !== undefined) entry = sliceString(entry, 0, -1) + ',"value":' + json + "}";
    append(state.commands, entry);
  }

  function text(value) {
    if (typeof value === "string") return value;
    if (hasInstance(NativeError, value)) return toString(value.stack || value);
    try {
      const encoded = toJSONText(value);
      return encoded === undefined ? toString(value) : encoded;
    } catch (_) {
      return toString(value);
    }
  }

  // Each script gets its own console, writing to its own log.
  function makeConsole(log) {
    function writer(level) {
      return function (...args) {
        if (log.budget <= 0) return;
        let line = "";
        for (let i = 0; i < args.length; i++) line += (i === 0 ? "" : " ") + text(args[i]);
        if (line.length > log.budget) line = sliceString(line, 0, log.budget);
        log.budget -= line.length;
        append(log.lines, { __proto__: null, level: level, message: line });
      };
    }
    return freeze({
      log: writer("log"),
      info: writer("info"),
      warn: writer("warn"),
      error: writer("error"),
      debug: writer("debug"),
    });
  }

  // --- Timers ----------------------------------------------------------------------------------
  // Timers run on a virtual clock: when no promise job is pending, the earliest timer fires at
  // once. Code that waits for a timer gets its callback in the right order without the login
  // sleeping; the trigger's time limits still bound the whole run.
  function schedule(callback, delay, args) {
    if (typeof callback !== "function") throw new NativeTypeError("setTimeout needs a function");
    const id = ++state.timerSeq;
    const due = state.virtualNow + max(0, toNumber(delay) || 0);
    const timers = state.timers;
    let at = timers.length; // after every timer due no later (ids only grow)
    while (at > 0 && timers[at - 1].due > due) {
      timers[at] = timers[at - 1];
      at--;
    }
    timers[at] = { __proto__: null, id: id, due: due, callback: callback, args: args };
    return id;
  }
  function setTimeout(callback, delay, ...args) {
    return schedule(callback, delay, args);
  }
  function setImmediate(callback, ...args) {
    return schedule(callback, 0, args);
  }
  function clearTimeout(id) {
    const timers = state.timers;
    let kept = 0;
    for (let i = 0; i < timers.length; i++) {
      if (timers[i].id !== id) timers[kept++] = timers[i];
    }
    timers.length = kept;
  }

  // Rules and Actions load no module: an Action's `dependencies` are recorded, never installed.
  // Connection scripts get the few modules selfauth provides (`scriptModules`). The error is
  // Node's for a missing module (its `code` too), saying why.
  function require(name) {
    if (scriptGlobals !== null) {
      const found = getOwnPropertyDescriptor(scriptGlobals.modules, toString(name));
      if (found !== undefined) return setPrototypeOf(found, null).value;
    }
    const error = new NativeError(
      "Cannot find module '" +
        toString(name) +
        (scriptGlobals !== null
          ? "': connection scripts may require only " + joinArray(keys(scriptGlobals.modules), ", ")
          : "': selfauth's Actions runtime does not install npm dependencies, " +
            "and Rules and Actions run without modules")
    );
    defineProperty(error, "code", dataProperty("MODULE_NOT_FOUND", true));
    throw error;
  }

  // Not a class: `super()` would call whatever a script made the class's prototype link. The
  // runtime recognises its errors with its own `hasInstance` and an own `name` (isUnauthorized).
  function UnauthorizedError(message) {
    const error = construct(NativeError, [message], new.target || UnauthorizedError);
    defineProperty(error, "name", dataProperty("UnauthorizedError", true));
    return error;
  }
  UnauthorizedError.prototype = { __proto__: NativeError.prototype };
  const unauthorizedPrototype = UnauthorizedError.prototype;
  defineProperty(unauthorizedPrototype, "constructor", dataProperty(UnauthorizedError, false));
  defineProperty(UnauthorizedError, "prototype", { __proto__: null, writable: false });
  setPrototypeOf(UnauthorizedError, NativeError);

  // --- The api objects -------------------------------------------------------------------------
  // Every member is in the object literal: an assignment would meet a setter a script put on
  // Object.prototype. `by` is the script the api was made for, so whatever calls it later (a
  // timer it left behind) is still attributed to it.
  function checkKey(key, what) {
    if (typeof key !== "string" || key.length === 0) {
      throw new NativeTypeError(what + " needs a non-empty string name");
    }
  }

  function deny(by, reason, userMessage) {
    const denial = {
      __proto__: null,
      reason: reason === undefined ? "" : toString(reason),
      userMessage: userMessage === undefined ? null : toString(userMessage),
      by: by,
      error: "access_denied",
    };
    if (state.denied === null) state.denied = denial;
  }

  function unsupported(name) {
    return function () {
      throw new NativeError(name + " is not supported by selfauth");
    };
  }

  function metadataSetter(by, type, field, what) {
    return function (key, value) {
      checkKey(key, what);
      const json = encode(value);
      record(by, { __proto__: null, type: type, key: key }, json);
      append(state.metadata, { __proto__: null, field: field, key: key, json: json });
    };
  }

  function metadataApi(by) {
    return {
      setUserMetadata: metadataSetter(by, "set_user_metadata", "user_metadata", "setUserMetadata"),
      setAppMetadata: metadataSetter(by, "set_app_metadata", "app_metadata", "setAppMetadata"),
    };
  }

  function claimSetter(by, token) {
    return function (key, value) {
      checkKey(key, "setCustomClaim");
      record(by, { __proto__: null, type: "claim", token: token, key: key }, encode(value));
    };
  }

  function scopeRecorder(by, type, what) {
    return function (scope) {
      checkKey(scope, what);
      record(by, { __proto__: null, type: type, scope: scope });
    };
  }

  function buildApi(trigger, by) {
    const access = {
      deny(reason, userMessage) {
        deny(by, reason, userMessage);
        return api;
      },
    };
    const cache = {
      get: unsupported("api.cache.get"),
      set: unsupported("api.cache.set"),
      delete: unsupported("api.cache.delete"),
    };
    let api;
    if (trigger === "post-login") {
      api = {
        access: access,
        cache: cache,
        user: metadataApi(by),
        idToken: { setCustomClaim: claimSetter(by, "id") },
        accessToken: {
          setCustomClaim: claimSetter(by, "access"),
          addScope: scopeRecorder(by, "add_scope", "addScope"),
          removeScope: scopeRecorder(by, "remove_scope", "removeScope"),
        },
        redirect: {
          sendUserTo: unsupported("api.redirect.sendUserTo"),
          encodeToken: unsupported("api.redirect.encodeToken"),
          validateToken: unsupported("api.redirect.validateToken"),
          canRedirect: () => false,
        },
        multifactor: { enable: unsupported("api.multifactor.enable") },
        authentication: {
          challengeWith: unsupported("api.authentication.challengeWith"),
          challengeWithAny: unsupported("api.authentication.challengeWithAny"),
          enrollWith: unsupported("api.authentication.enrollWith"),
          enrollWithAny: unsupported("api.authentication.enrollWithAny"),
          setPrimaryUser: unsupported("api.authentication.setPrimaryUser"),
          recordMethod: unsupported("api.authentication.recordMethod"),
        },
      };
    } else if (trigger === "pre-user-registration") {
      api = {
        access: access,
        cache: cache,
        user: metadataApi(by),
        validation: {
          error(code, message) {
            const denial = {
              __proto__: null,
              reason: toString(message === undefined ? code : message),
              userMessage: message === undefined ? null : toString(message),
              code: code === undefined ? null : toString(code),
              by: by,
              error: "invalid_signup",
            };
            if (state.denied === null) state.denied = denial;
            return api;
          },
        },
      };
    } else if (trigger === "credentials-exchange") {
      const accessToken = { setCustomClaim: claimSetter(by, "access") };
      api = { access: access, cache: cache, accessToken: accessToken };
    } else {
      api = { access: access, cache: cache };
    }
    return api;
  }

  // --- Outcomes --------------------------------------------------------------------------------
  const OK = freeze({ __proto__: null, ok: true });

  function finish(run, outcome) {
    if (run === state.run && state.outcome === null) state.outcome = outcome;
  }

  // Never throws: a hostile error (a throwing getter or toString) still makes an error outcome.
  function failure(error) {
    let message = "error";
    let unauthorized = false;
    try {
      message = describe(error);
    } catch (_) {}
    try {
      unauthorized = isUnauthorized(error);
    } catch (_) {}
    return { __proto__: null, ok: false, error: message, unauthorized: unauthorized };
  }

  function describe(error) {
    if (typeof error === "string") return error;
    if (hasInstance(NativeError, error)) {
      const message = error.message || error.name;
      return typeof message === "string" ? message : text(message);
    }
    return text(error);
  }

  // An own `name` only: a script may have set Error.prototype.name for every error.
  function isUnauthorized(error) {
    if (!isObject(error)) return false;
    if (hasInstance(UnauthorizedError, error)) return true;
    const name = getOwnPropertyDescriptor(error, "name");
    return name !== undefined && setPrototypeOf(name, null).value === "UnauthorizedError";
  }

  // Waits for what an Action's handler returned, with the engine's own `await`. For a native
  // promise, `await` reads only its `constructor` (when that is not Promise it calls `.then`
  // instead), both found on Promise.prototype, where an earlier script may have put a `then`
  // that turns a rejection into success. An own `constructor`, there only while `await` reads it
  // (synchronously, below), leaves the engine nothing to look up.
  function watch(run, result) {
    if (!isObject(result)) {
      awaitResult(run, result);
      return;
    }
    let own;
    try {
      own = getOwnPropertyDescriptor(result, "constructor");
      defineProperty(result, "constructor", dataProperty(NativePromise, false));
    } catch (_) {
      finish(run, failure(new NativeError("The handler returned an object selfauth cannot read")));
      return;
    }
    awaitResult(run, result);
    if (own === undefined) deleteProperty(result, "constructor");
    else defineProperty(result, "constructor", setPrototypeOf(own, null));
  }

  async function awaitResult(run, result) {
    try {
      await result;
    } catch (error) {
      finish(run, failure(error));
      return;
    }
    finish(run, OK);
  }

  // --- Connection scripts (an oauth2 connection's fetchUserProfile, custom database scripts) ----
  // One function, called with its arguments and a callback `(error, value)`. These scripts alone
  // may reach the network, and only through `request` and `axios` below: a request is queued
  // here as JSON, the worker performs it (hooks/http_facility.py) if its host is one the
  // connection names, and its answer comes back through `deliver`.
  let scriptGlobals = null; // {configuration, modules} while a connection script runs
  const http = { __proto__: null, queued: list(), waiting: { __proto__: null }, seq: 0 };

  // Auth0's error types for these scripts; the server reads an own `name` (and `code`).
  function errorType(name, messageOf, fieldName) {
    function ScriptError(first, second) {
      const error = construct(NativeError, [messageOf(first, second)], new.target || ScriptError);
      defineProperty(error, "name", dataProperty(name, true));
      if (fieldName !== null) {
        defineProperty(error, fieldName, dataProperty(first === undefined ? null : first, true));
      }
      return error;
    }
    ScriptError.prototype = { __proto__: NativeError.prototype };
    defineProperty(ScriptError.prototype, "constructor", dataProperty(ScriptError, false));
    defineProperty(ScriptError, "prototype", { __proto__: null, writable: false });
    setPrototypeOf(ScriptError, NativeError);
    return ScriptError;
  }
  const WrongUsernameOrPasswordError = errorType(
    "WrongUsernameOrPasswordError",
    (user, message) => (message === undefined ? "Wrong email or password." : toString(message)),
    "user"
  );
  const ValidationError = errorType(
    "ValidationError",
    (code, message) => toString(message === undefined ? code : message),
    "code"
  );
  const SCRIPT_ERRORS = {
    __proto__: null,
    WrongUsernameOrPasswordError: true,
    ValidationError: true,
    UnauthorizedError: true,
  };

  function ownValue(object, name) {
    const found = getOwnPropertyDescriptor(object, name);
    return found === undefined ? undefined : setPrototypeOf(found, null).value;
  }

  // Never throws; `kind` is one of Auth0's error types, or "Error".
  function scriptFailure(error) {
    const outcome = failure(error);
    outcome.kind = "Error";
    outcome.code = null;
    try {
      if (isObject(error)) {
        const name = ownValue(error, "name");
        if (typeof name === "string" && SCRIPT_ERRORS[name] === true) outcome.kind = name;
        const code = ownValue(error, "code");
        if (outcome.kind === "ValidationError" && typeof code === "string") outcome.code = code;
      }
    } catch (_) {}
    return outcome;
  }


  // --- Buffer, crypto and bcrypt, for connection scripts ------------------------------------
  // What Auth0's script templates use to check legacy hashes. The bytes are computed by the
  // worker's Python (hooks/script_modules.py); bytes cross as hex text.
  function hostCall(name, args) {
    if (typeof hostOperation !== "function") throw new NativeError("No host operations");
    const answer = hostOperation(name, stringify(args));
    if (sliceString(answer, 0, 1) === "1") return sliceString(answer, 1);
    throw new NativeError(sliceString(answer, 1));
  }
  function hostArgs(...values) {
    const args = list();
    for (let i = 0; i < values.length; i++) append(args, values[i]);
    return args;
  }

  const HEX = "0123456789abcdef";
  function toHex(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i++) {
      const byte = bytes[i];
      text += HEX[byte >> 4] + HEX[byte & 15];
    }
    return text;
  }

  class Buffer extends NativeUint8Array {
    toString(encoding, start, end) {
      const from = start === undefined ? 0 : toNumber(start);
      const to = end === undefined ? this.length : toNumber(end);
      const name = encoding === undefined ? "utf8" : toString(encoding);
      let hex = "";
      for (let i = max(0, from); i < to && i < this.length; i++) {
        hex += HEX[this[i] >> 4] + HEX[this[i] & 15];
      }
      return hostCall("text", hostArgs(hex, name));
    }
    equals(other) {
      if (!hasInstance(NativeUint8Array, other)) {
        throw new NativeTypeError("The argument must be a Buffer or Uint8Array");
      }
      return toHex(this) === toHex(other);
    }
    toJSON() {
      const data = [];
      for (let i = 0; i < this.length; i++) defineProperty(data, i, dataProperty(this[i], true));
      return { type: "Buffer", data: data };
    }
    static from(value, encodingOrOffset) {
      if (typeof value === "string") {
        const encoding = encodingOrOffset === undefined ? "utf8" : toString(encodingOrOffset);
        return fromHex(hostCall("bytes", hostArgs(value, encoding)));
      }
      if (isObject(value) && typeof value.length === "number") {
        const copy = new Buffer(value.length);
        for (let i = 0; i < value.length; i++) copy[i] = toNumber(value[i]) & 255;
        return copy;
      }
      throw new NativeTypeError("Buffer.from takes a string, an array or a Buffer");
    }
    static alloc(size, fill) {
      const made = new Buffer(toNumber(size));
      if (fill !== undefined) for (let i = 0; i < made.length; i++) made[i] = toNumber(fill) & 255;
      return made;
    }
    static isBuffer(value) {
      return hasInstance(Buffer, value);
    }
    static byteLength(value, encoding) {
      return typeof value === "string" ? Buffer.from(value, encoding).length : value.length;
    }
    static concat(buffers, total) {
      let length = 0;
      for (let i = 0; i < buffers.length; i++) length += buffers[i].length;
      const joined = new Buffer(total === undefined ? length : toNumber(total));
      let at = 0;
      for (let i = 0; i < buffers.length && at < joined.length; i++) {
        for (let j = 0; j < buffers[i].length && at < joined.length; j++) joined[at++] = buffers[i][j];
      }
      return joined;
    }
  }

  function fromHex(hex) {
    const bytes = new Buffer(hex.length >> 1);
    for (let i = 0; i < bytes.length; i++) {
      bytes[i] = parseInteger(sliceString(hex, 2 * i, 2 * i + 2), 16);
    }
    return bytes;
  }

  // Data given to a hash, HMAC or key derivation: a string in `encoding` (utf8), or bytes.
  function hexOf(data, encoding) {
    if (typeof data === "string") {
      return hostCall("bytes", hostArgs(data, encoding === undefined ? "utf8" : toString(encoding)));
    }
    if (hasInstance(NativeUint8Array, data)) return toHex(data);
    throw new NativeTypeError("The data must be a string, a Buffer or a Uint8Array");
  }

  function output(hex, encoding) {
    if (encoding === undefined || encoding === "buffer") return fromHex(hex);
    if (toString(encoding) === "hex") return hex;
    return hostCall("text", hostArgs(hex, toString(encoding)));
  }

  function digester(operation, algorithm, key) {
    const parts = list();
    let done = false;
    const digester = {
      update(data, encoding) {
        if (done) throw new NativeError("Digest already called");
        append(parts, hexOf(data, encoding));
        return digester;
      },
      digest(encoding) {
        if (done) throw new NativeError("Digest already called");
        done = true;
        const data = joinArray(parts, "");
        const args = key === null ? hostArgs(algorithm, data) : hostArgs(algorithm, key, data);
        return output(hostCall(operation, args), encoding);
      },
    };
    return digester;
  }

  // Node calls these callbacks later, never before the call returns.
  function later(callback, compute) {
    if (typeof callback !== "function") throw new NativeTypeError("The callback must be a function");
    setImmediate(function () {
      let value;
      try {
        value = compute();
      } catch (error) {
        callback(error);
        return;
      }
      callback(null, value);
    });
  }

  function promised(compute) {
    return new NativePromise(function (resolve, reject) {
      setImmediate(function () {
        try {
          resolve(compute());
        } catch (error) {
          reject(error);
        }
      });
    });
  }

  function pbkdf2Sync(password, salt, iterations, keylen, digest) {
    const name = digest === undefined ? "sha1" : toString(digest);
    const args = hostArgs(hexOf(password), hexOf(salt), toNumber(iterations), toNumber(keylen), name);
    return fromHex(hostCall("pbkdf2", args));
  }

  function randomBytesNow(size) {
    return fromHex(hostCall("random", hostArgs(toNumber(size))));
  }

  const crypto = freeze({
    createHash: (algorithm) => digester("hash", toString(algorithm), null),
    createHmac: (algorithm, key) => digester("hmac", toString(algorithm), hexOf(key)),
    randomBytes(size, callback) {
      if (callback === undefined) return randomBytesNow(size);
      later(callback, () => randomBytesNow(size));
    },
    randomUUID: () => hostCall("uuid", list()),
    timingSafeEqual(first, second) {
      if (!hasInstance(NativeUint8Array, first) || !hasInstance(NativeUint8Array, second)) {
        throw new NativeTypeError("The arguments must be Buffers or Uint8Arrays");
      }
      if (first.length !== second.length) {
        throw new NativeRangeError("Input buffers must have the same byte length");
      }
      return hostCall("equal", hostArgs(toHex(first), toHex(second))) === "true";
    },
    pbkdf2(password, salt, iterations, keylen, digest, callback) {
      later(callback, () => pbkdf2Sync(password, salt, iterations, keylen, digest));
    },
    pbkdf2Sync: pbkdf2Sync,
  });

  function bcryptCompare(plain, hashed) {
    return hostCall("bcrypt_compare", hostArgs(toString(plain), toString(hashed))) === "true";
  }
  function bcryptHash(plain, roundsOrSalt) {
    const given = typeof roundsOrSalt === "string" ? roundsOrSalt : toNumber(roundsOrSalt);
    return hostCall("bcrypt_hash", hostArgs(toString(plain), given));
  }
  function bcryptSalt(rounds) {
    return hostCall("bcrypt_salt", hostArgs(rounds === undefined ? 10 : toNumber(rounds)));
  }
  // Node's bcrypt (and bcryptjs): each call takes a callback, or answers a promise without one.
  function callbackOrPromise(compute, callback) {
    if (typeof callback === "function") {
      later(callback, compute);
      return undefined;
    }
    return promised(compute);
  }
  const bcrypt = freeze({
    compare: (plain, hashed, callback) => callbackOrPromise(() => bcryptCompare(plain, hashed), callback),
    hash: (plain, rounds, callback) => callbackOrPromise(() => bcryptHash(plain, rounds), callback),
    genSalt(rounds, callback) {
      if (typeof rounds === "function") return callbackOrPromise(() => bcryptSalt(), rounds);
      return callbackOrPromise(() => bcryptSalt(rounds), callback);
    },
    compareSync: bcryptCompare,
    hashSync: bcryptHash,
    genSaltSync: bcryptSalt,
    getRounds: (hashed) => toNumber(hostCall("bcrypt_rounds", hostArgs(toString(hashed)))),
  });

  function beginScript(configurationJson) {
    scriptGlobals = {
      __proto__: null,
      configuration: freeze(parse(configurationJson)),
      modules: freeze({
        __proto__: null,
        request: request,
        axios: axios,
        bcrypt: bcrypt,
        crypto: crypto,
      }),
    };
  }

  function startScript(fn, argsJson) {
    const run = state.run;
    let called = false;
    function callback(error, value) {
      if (called) return;
      called = true;
      if (error) {
        finish(run, scriptFailure(error));
        return;
      }
      try {
        state.result = value === undefined ? "null" : encode(value);
      } catch (failed) {
        finish(run, scriptFailure(failed));
        return;
      }
      finish(run, OK);
    }
    try {
      if (typeof fn !== "function") throw new NativeTypeError("The script must be a function");
      const args = parse(argsJson);
      defineProperty(args, args.length, dataProperty(callback, true));
      apply(fn, undefined, args);
    } catch (error) {
      finish(run, scriptFailure(error));
    }
  }

  function scriptResult() {
    const outcome = state.outcome;
    if (outcome === null) return "null";
    if (!outcome.ok) return stringify(outcome);
    // One flat string (as `commands`): the binding cannot hand Python a long concatenation.
    return joinArray(['{"ok":true,"value":', state.result, "}"], "");
  }

  // A request, queued as JSON text: each option the script gave, encoded as it was at the call.
  // The worker builds the real request from it (query string, form, JSON body, basic auth).
  function enqueue(fields, settle) {
    const id = ++http.seq;
    let text = '{"id":' + id;
    const names = keys(fields);
    for (let i = 0; i < names.length; i++) {
      text += "," + stringify(names[i]) + ":" + encode(fields[names[i]]);
    }
    append(http.queued, text + "}");
    http.waiting[id] = { __proto__: null, settle: settle, run: state.run };
  }

  function networkError(failed) {
    const error = new NativeError(toString(failed.message));
    defineProperty(error, "code", dataProperty(toString(failed.code), true));
    return error;
  }

  function parsedOr(body) {
    try {
      return parse(body);
    } catch (_) {
      return body;
    }
  }

  function option(options, name) {
    return isObject(options) ? options[name] : undefined;
  }

  // The npm `request` package's calling forms: (url, callback), (url, options, callback),
  // (options, callback); `callback(error, response, body)`.
  function sendRequest(method, first, second, third) {
    let options = first;
    let callback = second;
    let url;
    if (typeof first === "string") {
      url = first;
      options = typeof second === "function" ? undefined : second;
      callback = typeof second === "function" ? second : third;
    } else {
      url = option(options, "url");
      if (url === undefined) url = option(options, "uri");
    }
    const json = option(options, "json");
    const fields = {
      __proto__: null,
      method: method || option(options, "method") || "GET",
      url: url === undefined ? null : toString(url),
      headers: option(options, "headers"),
      qs: option(options, "qs"),
      form: option(options, "form"),
      json: json,
      body: option(options, "body"),
      auth: option(options, "auth"),
      timeout: option(options, "timeout"),
      followRedirect: option(options, "followRedirect"),
    };
    enqueue(fields, function (answer) {
      if (typeof callback !== "function") return;
      if (answer.error) {
        apply(callback, undefined, [networkError(answer.error)]);
        return;
      }
      const body = json ? parsedOr(answer.body) : answer.body;
      const response = {
        statusCode: answer.status,
        statusMessage: answer.reason,
        headers: answer.headers,
        body: body,
      };
      apply(callback, undefined, [null, response, body]);
    });
  }

  function request(first, second, third) {
    sendRequest(null, first, second, third);
  }
  defineProperty(request, "get", dataProperty((a, b, c) => sendRequest("GET", a, b, c), true));
  defineProperty(request, "post", dataProperty((a, b, c) => sendRequest("POST", a, b, c), true));
  defineProperty(request, "put", dataProperty((a, b, c) => sendRequest("PUT", a, b, c), true));
  defineProperty(request, "patch", dataProperty((a, b, c) => sendRequest("PATCH", a, b, c), true));
  defineProperty(request, "del", dataProperty((a, b, c) => sendRequest("DELETE", a, b, c), true));
  defineProperty(request, "delete", dataProperty((a, b, c) => sendRequest("DELETE", a, b, c), true));
  defineProperty(request, "head", dataProperty((a, b, c) => sendRequest("HEAD", a, b, c), true));

  // A promise-based subset of axios: `axios(config)`, `axios(url, config)`, the method helpers;
  // the answer is `{data, status, statusText, headers, config}`, and a status outside 2xx
  // rejects with an error carrying `response`, as axios does.
  function axiosError(message, code, config, response) {
    const error = new NativeError(message);
    defineProperty(error, "code", dataProperty(code, true));
    defineProperty(error, "config", dataProperty(config, true));
    defineProperty(error, "response", dataProperty(response, true));
    defineProperty(error, "isAxiosError", dataProperty(true, true));
    return error;
  }

  function axiosSend(config) {
    return new NativePromise(function (resolve, reject) {
      const url = option(config, "url");
      const base = option(config, "baseURL");
      const data = option(config, "data");
      const auth = option(config, "auth");
      const fields = {
        __proto__: null,
        method: option(config, "method") || "GET",
        url: url === undefined ? null : (base === undefined ? "" : toString(base)) + toString(url),
        headers: option(config, "headers"),
        qs: option(config, "params"),
        json: typeof data === "string" ? undefined : data,
        body: typeof data === "string" ? data : undefined,
        auth: isObject(auth)
          ? { __proto__: null, user: auth.username, pass: auth.password }
          : undefined,
        timeout: option(config, "timeout"),
      };
      enqueue(fields, function (answer) {
        if (answer.error) {
          reject(axiosError(answer.error.message, answer.error.code, config, undefined));
          return;
        }
        const response = {
          data: parsedOr(answer.body),
          status: answer.status,
          statusText: answer.reason,
          headers: answer.headers,
          config: config,
        };
        if (answer.status >= 200 && answer.status < 300) {
          resolve(response);
          return;
        }
        const code = answer.status >= 500 ? "ERR_BAD_RESPONSE" : "ERR_BAD_REQUEST";
        reject(
          axiosError("Request failed with status code " + answer.status, code, config, response)
        );
      });
    });
  }

  function withConfig(config, fields) {
    const merged = {};
    if (isObject(config)) {
      const names = keys(config);
      for (let i = 0; i < names.length; i++) {
        defineProperty(merged, names[i], dataProperty(config[names[i]], true));
      }
    }
    const names = keys(fields);
    for (let i = 0; i < names.length; i++) {
      if (fields[names[i]] !== undefined) {
        defineProperty(merged, names[i], dataProperty(fields[names[i]], true));
      }
    }
    return merged;
  }

  function axios(first, second) {
    if (typeof first === "string") {
      return axiosSend(withConfig(second, { __proto__: null, url: first }));
    }
    return axiosSend(first);
  }
  function axiosWithout(method) {
    return (url, config) => axiosSend(withConfig(config, { __proto__: null, url, method }));
  }
  function axiosWith(method) {
    return (url, data, config) =>
      axiosSend(withConfig(config, { __proto__: null, url, method, data }));
  }
  defineProperty(axios, "request", dataProperty(axiosSend, true));
  defineProperty(axios, "get", dataProperty(axiosWithout("GET"), true));
  defineProperty(axios, "delete", dataProperty(axiosWithout("DELETE"), true));
  defineProperty(axios, "head", dataProperty(axiosWithout("HEAD"), true));
  defineProperty(axios, "post", dataProperty(axiosWith("POST"), true));
  defineProperty(axios, "put", dataProperty(axiosWith("PUT"), true));
  defineProperty(axios, "patch", dataProperty(axiosWith("PATCH"), true));
  defineProperty(axios, "default", dataProperty(axios, true));

  function takeRequests() {
    const text = joinArray(["[", joinArray(http.queued, ","), "]"], "");
    http.queued.length = 0;
    return text;
  }

  // The worker's answer to request `id`: `{status, reason, headers, body}` or `{error}`. A
  // callback that throws fails the script, as an uncaught exception would in Node.
  function deliver(id, answerJson) {
    const waiting = http.waiting[id];
    if (waiting === undefined) return;
    deleteProperty(http.waiting, id);
    if (waiting.run !== state.run) return; // an earlier script's request
    try {
      waiting.settle(parse(answerJson));
    } catch (error) {
      finish(waiting.run, scriptFailure(error));
    }
  }

  // --- Each script -----------------------------------------------------------------------------
  let rulesGlobals = null; // auth0 and configuration, during Rules

  // Before each script (and before its code is even evaluated): attribution, a fresh log and
  // console, and the runtime's globals put back.
  function begin(name, logLimit) {
    state.run += 1;
    state.current = name;
    state.outcome = null;
    state.log = { __proto__: null, lines: list(), budget: logLimit };
    defineProperty(global, "console", dataProperty(makeConsole(state.log), false));
    defineProperty(global, "setTimeout", dataProperty(setTimeout, false));
    defineProperty(global, "clearTimeout", dataProperty(clearTimeout, false));
    defineProperty(global, "setImmediate", dataProperty(setImmediate, false));
    defineProperty(global, "UnauthorizedError", dataProperty(UnauthorizedError, false));
    defineProperty(global, "require", dataProperty(require, false));
    // `global` persists nothing between logins (each run gets a fresh engine context), but Rules
    // written for Auth0 use it as a namespace.
    defineProperty(global, "global", dataProperty(global, true));
    if (rulesGlobals !== null) {
      defineProperty(global, "configuration", dataProperty(rulesGlobals.configuration, true));
      defineProperty(global, "auth0", dataProperty(rulesGlobals.auth0, true));
    }
    if (scriptGlobals !== null) {
      defineProperty(global, "configuration", dataProperty(scriptGlobals.configuration, true));
      defineProperty(global, "request", dataProperty(request, true));
      defineProperty(global, "Buffer", dataProperty(Buffer, true));
      defineProperty(global, "WrongUsernameOrPasswordError", dataProperty(WrongUsernameOrPasswordError, false));
      defineProperty(global, "ValidationError", dataProperty(ValidationError, false));
    }
  }

  // --- Actions ---------------------------------------------------------------------------------
  const HANDLERS = {
    __proto__: null,
    "post-login": "onExecutePostLogin",
    "pre-user-registration": "onExecutePreUserRegistration",
    "post-user-registration": "onExecutePostUserRegistration",
    "credentials-exchange": "onExecuteCredentialsExchange",
  };

  function startAction(factory, trigger, eventJson, secretsJson) {
    const run = state.run;
    const by = state.current;
    let result;
    try {
      const module = { exports: {} };
      factory(module.exports, module, require);
      const handler = module.exports[HANDLERS[trigger]];
      if (typeof handler !== "function") {
        finish(run, OK);
        return;
      }
      const event = parse(eventJson);
      defineProperty(event, "secrets", dataProperty(freeze(parse(secretsJson)), true));
      applyPending(event, trigger);
      result = handler(event, buildApi(trigger, by));
    } catch (error) {
      finish(run, failure(error));
      return;
    }
    watch(run, result);
  }

  // Later actions see the metadata earlier ones set (the tokens will, too), each a fresh copy.
  function applyPending(event, trigger) {
    if (!event.user || (trigger !== "post-login" && trigger !== "pre-user-registration")) return;
    const changes = state.metadata;
    for (let i = 0; i < changes.length; i++) {
      const change = changes[i];
      const source = event.user[change.field] || {};
      const target = {};
      const names = keys(source);
      for (let j = 0; j < names.length; j++) {
        defineProperty(target, names[j], dataProperty(source[names[j]], true));
      }
      if (change.json === "null") deleteProperty(target, change.key);
      else defineProperty(target, change.key, dataProperty(parse(change.json), true));
      defineProperty(event.user, change.field, dataProperty(target, true));
    }
  }

  // --- Rules -----------------------------------------------------------------------------------
  let rulesUser = null;
  let rulesUserId = null;
  let rulesContext = null;

  function beginRules(userJson, contextJson, configurationJson) {
    rulesUser = parse(userJson);
    rulesUserId = rulesUser.user_id;
    rulesContext = parse(contextJson);
    rulesGlobals = {
      __proto__: null,
      configuration: freeze(parse(configurationJson)),
      auth0: freeze({
        domain: rulesContext.tenant,
        users: freeze({
          updateUserMetadata(userId, metadata) {
            return persist("merge_user_metadata", userId, metadata);
          },
          updateAppMetadata(userId, metadata) {
            return persist("merge_app_metadata", userId, metadata);
          },
        }),
      }),
    };
  }

  function persist(type, userId, metadata) {
    if (userId !== rulesUserId) {
      const refusal = new NativeError("Rules may only update the user who is signing in");
      return new NativePromise((resolve, reject) => reject(refusal));
    }
    const json = encode(metadata === undefined ? {} : metadata);
    record(state.current, { __proto__: null, type: type }, json);
    return new NativePromise((resolve) => resolve());
  }

  // The callback settles the rule directly: no promise of the runtime's is involved.
  function startRule(fn) {
    const run = state.run;
    let called = false;
    function callback(error, user, context) {
      if (called) return;
      called = true;
      if (error) {
        finish(run, failure(error));
        return;
      }
      if (user) rulesUser = user;
      if (context) rulesContext = context;
      finish(run, OK);
    }
    try {
      fn(rulesUser, rulesContext, callback);
    } catch (error) {
      finish(run, failure(error));
    }
  }

  // What the rules left in `context` for the tokens: claims, and the access token's scope.
  function finishRules() {
    const id = rulesContext && rulesContext.idToken ? rulesContext.idToken : {};
    const access = rulesContext && rulesContext.accessToken ? rulesContext.accessToken : {};
    const idKeys = keys(id);
    for (let i = 0; i < idKeys.length; i++) {
      const key = idKeys[i];
      record("rules", { __proto__: null, type: "claim", token: "id", key: key }, encode(id[key]));
    }
    const accessKeys = keys(access);
    for (let i = 0; i < accessKeys.length; i++) {
      const key = accessKeys[i];
      if (key === "scope") {
        record("rules", { __proto__: null, type: "set_scopes", scopes: scopeList(access.scope) });
      } else {
        const fields = { __proto__: null, type: "claim", token: "access", key: key };
        record("rules", fields, encode(access[key]));
      }
    }
  }

  // An array's truthy entries, or a string's space-separated words, as strings.
  function scopeList(scope) {
    const scopes = list();
    if (isArray(scope)) {
      for (let i = 0; i < scope.length; i++) if (scope[i]) append(scopes, toString(scope[i]));
      return scopes;
    }
    const words = toString(scope);
    let start = 0;
    while (start <= words.length) {
      let end = indexOfString(words, " ", start);
      if (end === -1) end = words.length;
      if (end > start) append(scopes, sliceString(words, start, end));
      start = end + 1;
    }
    return scopes;
  }

  // --- The host's entry points -----------------------------------------------------------------
  function fireTimer() {
    const timers = state.timers;
    if (timers.length === 0) return false;
    const timer = timers[0];
    for (let i = 1; i < timers.length; i++) timers[i - 1] = timers[i];
    timers.length -= 1;
    state.virtualNow = max(state.virtualNow, timer.due);
    apply(timer.callback, undefined, timer.args);
    return true;
  }

  function report() {
    return stringify({
      __proto__: null,
      outcome: state.outcome,
      logs: state.log === null ? list() : state.log.lines,
      denied: state.denied,
      pendingTimers: state.timers.length,
      pendingRequests: http.queued.length,
    });
  }

  // One flat string: the binding cannot hand Python the "rope" a long concatenation makes.
  function commands() {
    return joinArray(["[", joinArray(state.commands, ","), "]"], "");
  }

  // The value of this file: the worker keeps it and calls it; it is on no global object.
  return function host(entry, a, b, c, d) {
    switch (entry) {
      case "begin":
        return begin(a, b);
      case "startAction":
        return startAction(a, b, c, d);
      case "beginRules":
        return beginRules(a, b, c);
      case "startRule":
        return startRule(a);
      case "finishRules":
        return finishRules();
      case "fireTimer":
        return fireTimer();
      case "report":
        return report();
      case "commands":
        return commands();
      case "beginScript":
        return beginScript(a);
      case "startScript":
        return startScript(a, b);
      case "scriptResult":
        return scriptResult();
      case "takeRequests":
        return takeRequests();
      case "deliver":
        return deliver(a, b);
    }
    throw new NativeError("unknown entry point " + entry);
  };
})(globalThis);
