// The demo mail page: "Drop a sample customer mail" asks the server to mail
// a sample request to the e-mail inbox through its SMTP listener, then says
// who wrote and links the new conversation.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("dm-config").textContent);
  const strings = JSON.parse(document.getElementById("dm-strings").textContent);
  const form = document.getElementById("dm-drop");
  if (!form) return;
  const status = document.getElementById("dm-status");
  const button = form.querySelector("button");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    status.classList.remove("error");
    status.textContent = strings.dropping;
    const response = await fetch(`/api/v1/accounts/${config.account_id}/demo/sample-mail`, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRF-Token": config.csrf_token },
    }).catch(() => null);
    button.disabled = false;
    if (response && response.ok) {
      const dropped = await response.json();
      status.textContent = `${strings.dropped.replace("%(sender)s", dropped.sender).replace("%(subject)s", dropped.subject)} `;
      const link = document.createElement("a");
      link.href = `/app?conversation=${dropped.conversation_id}`;
      link.textContent = strings.open;
      link.dataset.testid = "sample-mail-link";
      status.append(link);
      return;
    }
    const problem = response ? await response.json().catch(() => ({})) : { message: strings.network_error };
    status.classList.add("error");
    status.textContent = problem.message || `HTTP ${response ? response.status : 0}`;
  });
})();
