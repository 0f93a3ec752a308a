// The connection page: shows only the password policy the chosen kind uses (the level or the
// flexible rules). Without it both are shown and the server reads the chosen one.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const radios = document.querySelectorAll('input[name="password_mode"]');
  if (radios.length === 0) return;
  const show = () => {
    const chosen = document.querySelector('input[name="password_mode"]:checked');
    for (const block of document.querySelectorAll(".policy[data-policy]")) {
      block.hidden = chosen !== null && block.dataset.policy !== chosen.value;
    }
  };
  for (const radio of radios) radio.addEventListener("change", show);
  show();
});
