// Lock 14 as a page would load it: one global, Auth0Lock.
import Auth0Lock from "auth0-lock";

window.Auth0Lock = Auth0Lock;
