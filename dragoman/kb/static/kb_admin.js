// The FAQ bot page: each unanswered question can become a published article
// in the question's language ("Create article"), or a new way of asking an
// article that exists ("Add as a way of asking it"); the page then reloads.
"use strict";

(function () {
  const config = JSON.parse(document.getElementById("kb-config").textContent);
  const strings = JSON.parse(document.getElementById("kb-strings").textContent);
  for (const form of document.querySelectorAll("form.kb-resolve")) {
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
      status.textContent = strings.saving;
      const response = await fetch(`/api/v1/accounts/${config.account_id}/kb/bot/exchanges/${form.dataset.exchange}/resolve`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": config.csrf_token },
        body: JSON.stringify(body),
      }).catch(() => null);
      if (response && response.ok) {
        window.location.reload();
        return;
      }
      const problem = response ? await response.json().catch(() => ({})) : { message: strings.network_error };
      status.classList.add("error");
      status.textContent = problem.message || `HTTP ${response ? response.status : 0}`;
    });
  }
})();
