// The JavaScript side of selfauth's hooks: the objects Rules and Actions see (`user`, `context`,
// `event`, `api`, `console`, `configuration`, `auth0`), which only *record* what the tenant's
// code asks for. Python reads the records after each script and decides what to apply.
"use strict";
(function (global) {
  const state = {
    commands: [], // {type, ..., by} in call order
    logs: [], // log lines of the script that runs now
    logBudget: 0,
    current: "", // the running script's name, for attribution
    outcome: null, // the running script's settlement: {ok} | {error, kind}
    denied: null, // {reason, userMessage, error}
    timers: [],
    timerSeq: 0,
    virtualNow: 0,
    settings: { logLimit: 4096 },
  };

  function snapshot(value) {
    // Record values as they are at the call: later mutation must not change what was asked.
    // What JSON cannot hold (undefined, a function) is recorded as null, as JSON.stringify
    // does inside objects.
    const encoded = JSON.stringify(value);
    return encoded === undefined ? null : JSON.parse(encoded);
  }

  function record(command) {
    command.by = state.current;
    state.commands.push(command);
  }

  function text(value) {
    if (typeof value === "string") return value;
    if (value instanceof Error) return String(value.stack || value);
    try {
      const encoded = JSON.stringify(value);
      return encoded === undefined ? String(value) : encoded;
    } catch (_) {
      return String(value);
    }
  }

  function log(level) {
    return function (...args) {
      if (state.logBudget <= 0) return;
      let line = args.map(text).join(" ");
      if (line.length > state.logBudget) line = line.slice(0, state.logBudget);
      state.logBudget -= line.length;
      state.logs.push({ level: level, message: line });
    };
  }

  const console = Object.freeze({
    log: log("log"),
    info: log("info"),
    warn: log("warn"),
    error: log("error"),
    debug: log("debug"),
  });

  // Timers run on a virtual clock: when no promise job is pending, the earliest timer fires at
  // once. Code that waits for a timer gets its callback in the right order without the login
  // sleeping; the trigger's time limits still bound the whole run.
  function setTimeout(callback, delay, ...args) {
    if (typeof callback !== "function") throw new TypeError("setTimeout needs a function");
    const id = ++state.timerSeq;
    const due = state.virtualNow + Math.max(0, Number(delay) || 0);
    state.timers.push({ id: id, due: due, callback: callback, args: args });
    state.timers.sort((a, b) => a.due - b.due || a.id - b.id);
    return id;
  }
  function clearTimeout(id) {
    state.timers = state.timers.filter((t) => t.id !== id);
  }
  function setImmediate(callback, ...args) {
    return setTimeout(callback, 0, ...args);
  }

  function require(name) {
    throw new Error(
      "require('" + String(name) + "') is not available: selfauth runs hooks without modules"
    );
  }

  class UnauthorizedError extends Error {
    constructor(message) {
      super(message);
      this.name = "UnauthorizedError";
    }
  }

  function checkKey(key, what) {
    if (typeof key !== "string" || key.length === 0) {
      throw new TypeError(what + " needs a non-empty string name");
    }
  }

  function deny(reason, userMessage) {
    if (state.denied === null) {
      state.denied = {
        reason: reason === undefined ? "" : String(reason),
        userMessage: userMessage === undefined ? null : String(userMessage),
        by: state.current,
        error: "access_denied",
      };
    }
  }

  function unsupported(name) {
    return function () {
      throw new Error(name + " is not supported by selfauth");
    };
  }

  function metadataApi() {
    return {
      setUserMetadata(key, value) {
        checkKey(key, "setUserMetadata");
        record({ type: "set_user_metadata", key: key, value: snapshot(value) });
      },
      setAppMetadata(key, value) {
        checkKey(key, "setAppMetadata");
        record({ type: "set_app_metadata", key: key, value: snapshot(value) });
      },
    };
  }

  function claimsApi(target) {
    return {
      setCustomClaim(key, value) {
        checkKey(key, "setCustomClaim");
        record({ type: "claim", token: target, key: key, value: snapshot(value) });
      },
    };
  }

  function buildApi(trigger) {
    const access = {
      deny(reason, userMessage) {
        deny(reason, userMessage);
        return api;
      },
    };
    const api = {
      access: access,
      cache: {
        get: unsupported("api.cache.get"),
        set: unsupported("api.cache.set"),
        delete: unsupported("api.cache.delete"),
      },
    };
    if (trigger === "post-login") {
      api.user = metadataApi();
      api.idToken = claimsApi("id");
      const accessToken = claimsApi("access");
      accessToken.addScope = function (scope) {
        checkKey(scope, "addScope");
        record({ type: "add_scope", scope: scope });
      };
      accessToken.removeScope = function (scope) {
        checkKey(scope, "removeScope");
        record({ type: "remove_scope", scope: scope });
      };
      api.accessToken = accessToken;
      api.redirect = {
        sendUserTo: unsupported("api.redirect.sendUserTo"),
        encodeToken: unsupported("api.redirect.encodeToken"),
        validateToken: unsupported("api.redirect.validateToken"),
        canRedirect: () => false,
      };
      api.multifactor = { enable: unsupported("api.multifactor.enable") };
      api.authentication = {
        challengeWith: unsupported("api.authentication.challengeWith"),
        challengeWithAny: unsupported("api.authentication.challengeWithAny"),
        enrollWith: unsupported("api.authentication.enrollWith"),
        enrollWithAny: unsupported("api.authentication.enrollWithAny"),
        setPrimaryUser: unsupported("api.authentication.setPrimaryUser"),
        recordMethod: unsupported("api.authentication.recordMethod"),
      };
    } else if (trigger === "pre-user-registration") {
      api.user = metadataApi();
      api.validation = {
        error(code, message) {
          if (state.denied === null) {
            state.denied = {
              reason: String(message === undefined ? code : message),
              userMessage: message === undefined ? null : String(message),
              code: code === undefined ? null : String(code),
              by: state.current,
              error: "invalid_signup",
            };
          }
          return api;
        },
      };
    } else if (trigger === "credentials-exchange") {
      api.accessToken = claimsApi("access");
    }
    return api;
  }

  function settle(promise) {
    state.outcome = null;
    Promise.resolve(promise).then(
      () => {
        state.outcome = { ok: true };
      },
      (error) => {
        state.outcome = { ok: false, error: describe(error), unauthorized: isUnauthorized(error) };
      }
    );
  }

  function describe(error) {
    if (error instanceof Error) return error.message || error.name;
    if (typeof error === "string") return error;
    return text(error);
  }

  function isUnauthorized(error) {
    return error instanceof UnauthorizedError || (error && error.name === "UnauthorizedError");
  }

  function begin(name, logLimit) {
    state.current = name;
    state.logs = [];
    state.logBudget = logLimit;
    state.outcome = null;
  }

  // --- Actions -----------------------------------------------------------------------------
  const HANDLERS = {
    "post-login": "onExecutePostLogin",
    "pre-user-registration": "onExecutePreUserRegistration",
    "post-user-registration": "onExecutePostUserRegistration",
    "credentials-exchange": "onExecuteCredentialsExchange",
  };

  function startAction(factory, trigger, eventJson, secretsJson, name, logLimit) {
    begin(name, logLimit);
    const module = { exports: {} };
    try {
      factory(module.exports, module, require);
      const handler = module.exports[HANDLERS[trigger]];
      if (typeof handler !== "function") {
        settle(Promise.resolve());
        return;
      }
      const event = JSON.parse(eventJson);
      event.secrets = Object.freeze(JSON.parse(secretsJson));
      applyPending(event, trigger);
      settle(handler(event, buildApi(trigger)));
    } catch (error) {
      settle(Promise.reject(error));
    }
  }

  // Later actions see the metadata earlier ones set (the tokens will, too).
  function applyPending(event, trigger) {
    if (!event.user || (trigger !== "post-login" && trigger !== "pre-user-registration")) return;
    for (const command of state.commands) {
      const field =
        command.type === "set_user_metadata"
          ? "user_metadata"
          : command.type === "set_app_metadata"
          ? "app_metadata"
          : null;
      if (field === null) continue;
      const target = Object.assign({}, event.user[field] || {});
      if (command.value === null) delete target[command.key];
      else target[command.key] = command.value;
      event.user[field] = target;
    }
  }

  // --- Rules -------------------------------------------------------------------------------
  let rulesUser = null;
  let rulesContext = null;

  function beginRules(userJson, contextJson, configurationJson) {
    rulesUser = JSON.parse(userJson);
    rulesContext = JSON.parse(contextJson);
    global.configuration = Object.freeze(JSON.parse(configurationJson));
    global.auth0 = Object.freeze({
      domain: rulesContext.tenant,
      users: Object.freeze({
        updateUserMetadata(userId, metadata) {
          return persist("merge_user_metadata", userId, metadata);
        },
        updateAppMetadata(userId, metadata) {
          return persist("merge_app_metadata", userId, metadata);
        },
      }),
    });
  }

  function persist(type, userId, metadata) {
    if (rulesUser === null || userId !== rulesUser.user_id) {
      return Promise.reject(new Error("Rules may only update the user who is signing in"));
    }
    record({ type: type, value: snapshot(metadata === undefined ? {} : metadata) });
    return Promise.resolve();
  }

  function startRule(fn, name, logLimit) {
    begin(name, logLimit);
    let called = false;
    const done = new Promise((resolve, reject) => {
      try {
        fn(rulesUser, rulesContext, function (error, user, context) {
          if (called) return;
          called = true;
          if (error) {
            reject(error);
            return;
          }
          if (user) rulesUser = user;
          if (context) rulesContext = context;
          resolve();
        });
      } catch (error) {
        reject(error);
      }
    });
    settle(done);
  }

  // What the rules left in `context` for the tokens: claims, and the access token's scope.
  function finishRules() {
    const id = rulesContext && rulesContext.idToken ? rulesContext.idToken : {};
    const access = rulesContext && rulesContext.accessToken ? rulesContext.accessToken : {};
    state.current = "rules";
    for (const key of Object.keys(id)) {
      record({ type: "claim", token: "id", key: key, value: snapshot(id[key]) });
    }
    for (const key of Object.keys(access)) {
      if (key === "scope") {
        const scope = access.scope;
        const list = Array.isArray(scope) ? scope : String(scope).split(" ");
        record({ type: "set_scopes", scopes: list.filter((s) => s).map(String) });
      } else {
        record({ type: "claim", token: "access", key: key, value: snapshot(access[key]) });
      }
    }
  }

  // --- The host's entry points -------------------------------------------------------------
  function fireTimer() {
    const timer = state.timers.shift();
    if (!timer) return false;
    state.virtualNow = Math.max(state.virtualNow, timer.due);
    timer.callback(...timer.args);
    return true;
  }

  function report() {
    return JSON.stringify({
      outcome: state.outcome,
      logs: state.logs,
      denied: state.denied,
      pendingTimers: state.timers.length,
    });
  }

  function commands() {
    return JSON.stringify(state.commands);
  }

  const host = Object.freeze({
    startAction: startAction,
    beginRules: beginRules,
    startRule: startRule,
    finishRules: finishRules,
    fireTimer: fireTimer,
    report: report,
    commands: commands,
  });

  Object.defineProperty(global, "__selfauth", { value: host, enumerable: false });
  for (const [name, value] of Object.entries({
    console: console,
    setTimeout: setTimeout,
    clearTimeout: clearTimeout,
    setImmediate: setImmediate,
    UnauthorizedError: UnauthorizedError,
    require: require,
  })) {
    Object.defineProperty(global, name, { value: value, writable: true, configurable: true });
  }
  // `global` persists nothing between logins (each run gets a fresh engine context), but Rules
  // written for Auth0 use it as a namespace.
  global.global = global;
})(globalThis);
