// The login screens' small helpers, served as /u/assets/screens.js (the pages' CSP allows no
// inline script). Everything here is progressive: without it the screens work as plain forms.
//
// 1. The show-password buttons: rendered `hidden`, shown here, each switching its password
//    field between hidden and shown (aria-pressed says which).
// 2. The password policy on the sign-up screen: each rule of the list under the password field
//    is marked met or unmet as the user types. The rules mirror
//    selfauth.domain.connections.password_policy; the server stays the judge.
"use strict";

(function () {
  function setUpToggle(button) {
    var field = document.getElementById(button.getAttribute("aria-controls"));
    if (!field) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      var shown = field.type === "password";
      field.type = shown ? "text" : "password";
      button.setAttribute("aria-pressed", shown ? "true" : "false");
    });
    // A form sent with the password shown must not leave it in the page's history as text.
    if (field.form) {
      field.form.addEventListener("submit", function () {
        field.type = "password";
        button.setAttribute("aria-pressed", "false");
      });
    }
  }

  // Python's str.islower/isupper for one character, string.digits, and the rest "special".
  function characterTypes(password) {
    var found = {};
    Array.from(password).forEach(function (ch) {
      if (/\p{Lowercase}/u.test(ch)) {
        found.lowercase = true;
      } else if (/\p{Uppercase}/u.test(ch)) {
        found.uppercase = true;
      } else if (/[0-9]/.test(ch)) {
        found.number = true;
      } else {
        found.special = true;
      }
    });
    return found;
  }

  // Three ASCII letters or digits in a row that follow each other, up or down (abc, CBA, 789).
  function hasSequence(password) {
    var chars = Array.from(password.toLowerCase());
    for (var i = 0; i + 2 < chars.length; i++) {
      var a = chars[i], b = chars[i + 1], c = chars[i + 2];
      if (![a, b, c].every(function (ch) { return /^[a-z0-9]$/.test(ch); })) {
        continue;
      }
      var step = b.charCodeAt(0) - a.charCodeAt(0);
      var digits = /[0-9]/.test(a) === /[0-9]/.test(c);
      if ((step === 1 || step === -1) && c.charCodeAt(0) - b.charCodeAt(0) === step && digits) {
        return true;
      }
    }
    return false;
  }

  // Whether `password` meets one rule; null where the browser cannot tell.
  function meets(kind, value, password) {
    var types = characterTypes(password);
    var wanted = value ? value.split(" ") : [];
    switch (kind) {
      case "length": // JavaScript's length counts UTF-16 code units, as the server does
        return password.length >= Number(value);
      case "types":
        return wanted.every(function (t) { return types[t]; });
      case "three_of":
        return wanted.filter(function (t) { return types[t]; }).length >= 3;
      case "identical":
        return !/(.)\1\1/u.test(password);
      case "sequential":
        return !hasSequence(password);
      default:
        return null;
    }
  }

  function setUpPolicy(list) {
    var field = document.getElementById(list.getAttribute("data-policy-for"));
    if (!field) {
      return;
    }
    var rules = Array.from(list.querySelectorAll("li[data-rule]"));
    function mark() {
      rules.forEach(function (rule) {
        var met = meets(rule.getAttribute("data-rule"), rule.getAttribute("data-value"),
          field.value);
        var status = rule.querySelector(".status");
        if (met === null) {
          return;
        }
        rule.setAttribute("data-state", met ? "met" : "unmet");
        if (status) {
          status.textContent = list.getAttribute(met ? "data-met" : "data-unmet");
        }
      });
    }
    field.addEventListener("input", mark);
    mark();
  }

  function start() {
    document.querySelectorAll("button[data-password-toggle]").forEach(setUpToggle);
    document.querySelectorAll("ul[data-policy-for]").forEach(setUpPolicy);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
