// The demo mail page: "Drop a sample customer mail" asks the server to mail
// a sample request to the e-mail inbox through its SMTP listener, then says
// who wrote and links the new conversation.
import { pageBootstrap } from "/static/kit/api.js";
import { t } from "/static/kit/i18n.js";

const config = pageBootstrap();
const form = /** @type {import("/static/kit/dialog.js").NamedForm} */ (document.getElementById("dm-drop"));
const status = document.getElementById("dm-status");
const button = form.querySelector("button");
// No form where the install does not catch mail (the page says why).
form?.addEventListener("submit", async (event) => {
  event.preventDefault();
  button.disabled = true;
  status.classList.remove("error");
  status.textContent = t("demo_mail_dropping");
  const response = await fetch(`/api/v1/accounts/${config.account_id}/demo/sample-mail`, {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": config.csrf_token },
  }).catch(() => null);
  button.disabled = false;
  if (response && response.ok) {
    const dropped = await response.json();
    status.textContent = `${t("demo_mail_dropped", { sender: dropped.sender, subject: dropped.subject })} `;
    const link = document.createElement("a");
    link.href = `/app?conversation=${dropped.conversation_id}`;
    link.textContent = t("demo_mail_open");
    link.dataset.testid = "sample-mail-link";
    status.append(link);
    return;
  }
  const problem = response ? await response.json().catch(() => ({})) : { message: t("demo_mail_network_error") };
  status.classList.add("error");
  status.textContent = problem.message || `HTTP ${response ? response.status : 0}`;
});
