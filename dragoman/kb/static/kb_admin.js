// The FAQ bot page: each unanswered question can become a published article
// in the question's language ("Create article"), or a new way of asking an
// article that exists ("Add as a way of asking it"); a language customers
// write in can get machine-translated drafts of the articles it lacks
// ("Translate the missing articles"). The page then reloads.
import { pageBootstrap } from "/static/kit/api.js";
import { t } from "/static/kit/i18n.js";

const config = pageBootstrap();
const headers = { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": config.csrf_token };
async function problemOf(response) {
  const problem = response ? await response.json().catch(() => ({})) : { message: t("kb_network_error") };
  return problem.message || `HTTP ${response ? response.status : 0}`;
}
for (const form of /** @type {NodeListOf<HTMLFormElement>} */ (document.querySelectorAll("form.kb-translate"))) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = form.querySelector(".kb-status");
    const button = form.querySelector("button");
    button.disabled = true;
    status.classList.remove("error");
    status.textContent = t("kb_translating");
    const response = await fetch(`/api/v1/accounts/${config.account_id}/kb/translate-missing`, {
      method: "POST",
      credentials: "same-origin",
      headers,
      body: JSON.stringify({ language: form.dataset.language }),
    }).catch(() => null);
    if (response && response.ok) {
      const summary = await response.json();
      // Every article an engine could translate is done; say why the rest were not.
      if (!summary.failed.length) {
        window.location.reload();
        return;
      }
      status.classList.add("error");
      const [first] = summary.failed;
      status.textContent = t("kb_not_translated")
        .replace("%(count)s", String(summary.failed.length))
        .replace("%(done)s", String(summary.translated.length))
        .replace("%(reason)s", `${first.slug}: ${first.message}`);
      button.disabled = false;
      return;
    }
    status.classList.add("error");
    status.textContent = await problemOf(response);
    button.disabled = false;
  });
}
for (const form of /** @type {NodeListOf<HTMLFormElement>} */ (document.querySelectorAll("form.kb-resolve"))) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const status = form.querySelector(".kb-status");
    const data = new FormData(form);
    const body = form.dataset.mode === "add" ? { article_id: Number(data.get("article_id")) } : {
      article: {
        slug: String(data.get("slug") || "").trim(),
        versions: [
          {
            language: form.dataset.language,
            title: String(data.get("title") || "").trim(),
            summary: String(data.get("summary") || "").trim(),
            status: "published",
          },
        ],
      },
    };
    status.classList.remove("error");
    status.textContent = t("kb_saving");
    const response = await fetch(`/api/v1/accounts/${config.account_id}/kb/bot/exchanges/${form.dataset.exchange}/resolve`, {
      method: "POST",
      credentials: "same-origin",
      headers,
      body: JSON.stringify(body),
    }).catch(() => null);
    if (response && response.ok) {
      window.location.reload();
      return;
    }
    status.classList.add("error");
    status.textContent = await problemOf(response);
  });
}
