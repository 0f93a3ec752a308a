// auth0.js 10 as its CDN build exposes it: window.auth0.WebAuth, window.auth0.Authentication.
import * as auth0 from "auth0-js";

window.auth0 = auth0;
