// auth0-spa-js 2 as its CDN build exposes it: window.auth0.createAuth0Client and friends.
import * as spa from "@auth0/auth0-spa-js";

window.auth0spa = spa;
