// The example SPA: auth0-spa-js 2 pointed at selfauth. Everything selfauth-specific is in
// config.json (`domain` is selfauth's issuer without its trailing slash).
import { createAuth0Client } from "@auth0/auth0-spa-js";

const $ = (id) => document.getElementById(id);

function show(id, visible) {
  $(id).hidden = !visible;
}

function fail(error) {
  $("error").textContent = `${error.error || "error"}: ${error.error_description || error.message}`;
  show("error", true);
}

async function main() {
  const config = await (await fetch("config.json")).json();
  const here = window.location.origin + window.location.pathname;
  const client = await createAuth0Client({
    domain: config.domain,
    clientId: config.clientId,
    useRefreshTokens: Boolean(config.useRefreshTokens),
    // Refresh tokens survive a reload in localStorage; without them, the hidden iframe renews
    // tokens, which needs selfauth's cookie in a third-party frame (see docs/browser-sdks.md).
    cacheLocation: config.useRefreshTokens ? "localstorage" : "memory",
    authorizationParams: { redirect_uri: here },
  });

  const query = new URLSearchParams(window.location.search);
  if (query.has("code") || query.has("error")) {
    try {
      await client.handleRedirectCallback();
    } catch (error) {
      fail(error);
    }
    window.history.replaceState({}, document.title, here);
  }

  $("login").addEventListener("click", () => client.loginWithRedirect());
  $("signup").addEventListener("click", () =>
    client.loginWithRedirect({ authorizationParams: { screen_hint: "signup" } }),
  );
  $("logout").addEventListener("click", () =>
    client.logout({ logoutParams: { returnTo: here } }),
  );
  $("call").addEventListener("click", async () => {
    try {
      const token = await client.getTokenSilently();
      const answer = await fetch(`${config.domain}/userinfo`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      $("userinfo").textContent = JSON.stringify(await answer.json(), null, 2);
    } catch (error) {
      fail(error);
    }
  });

  const signedIn = await client.isAuthenticated();
  $("status").textContent = signedIn ? "Signed in." : "Not signed in.";
  show("login", !signedIn);
  show("signup", !signedIn);
  show("logout", signedIn);
  show("signed-in", signedIn);
  if (signedIn) {
    $("profile").textContent = JSON.stringify(await client.getUser(), null, 2);
  }
}

main().catch(fail);
