// The ticket list's saved views and bulk actions.
// Views: the filters shown, saved under a name (POST …/ticket_views), and
// deleted with their ×. Bulk: tick tickets, choose what changes, apply; one
// request (POST …/tickets/bulk) changes each ticket on its own; the list is
// shown again when all changed, and the ones that could not (a required
// field still empty, say) are listed with the reason.
import { pageBootstrap } from "/static/kit/api.js";
import { t } from "/static/kit/i18n.js";

const config = pageBootstrap();
const fieldLabels = JSON.parse(document.getElementById("tk-field-labels").textContent);

// Why a ticket was left as it was, in the reader's words where we have them.
function failureText(failure) {
  const key = (failure.field || "").replace(/^custom_fields\./, "");
  if (failure.reason === "required_to_solve" && key in fieldLabels) {
    return t("tickets_required_to_solve", { field: fieldLabels[key] });
  }
  return failure.message;
}

async function callApi(method, path, body) {
  const response = await fetch(`/api/v1/accounts/${config.account_id}${path}`, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": config.csrf_token },
    body: body === undefined ? undefined : JSON.stringify(body),
  }).catch(() => null);
  if (!response) return { ok: false, answer: { message: t("tickets_network_error") } };
  const answer = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok && !answer.message) answer.message = `HTTP ${response.status}`;
  return { ok: response.ok, answer };
}

(function savedViews() {
  const save = /** @type {HTMLFormElement & { elements: Record<string, any> } | null} */ (document.querySelector("form.tk-view-save"));
  const status = save.querySelector(".tk-view-status");
  const filters = JSON.parse(document.getElementById("tk-filters").textContent);
  save.addEventListener("submit", async (event) => {
    event.preventDefault();
    const { ok, answer } = await callApi("POST", "/ticket_views", { name: save.elements.name.value, filters });
    if (ok) window.location.href = answer.url;
    else status.textContent = answer.message;
  });
  for (const button of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll(".tk-view-delete"))) {
    button.addEventListener("click", async () => {
      const { ok, answer } = await callApi("DELETE", `/ticket_views/${button.dataset.view}`);
      if (ok) button.closest(".tk-view").remove();
      else status.textContent = answer.message;
    });
  }
})();

(function bulkActions() {
  const form = /** @type {HTMLFormElement | null} */ (document.querySelector("form.tk-bulk"));
  if (!form) return;
  const all = /** @type {HTMLInputElement} */ (document.querySelector("[data-testid=ticket-select-all]"));
  const boxes = /** @type {HTMLInputElement[]} */ (Array.from(document.querySelectorAll("[data-testid=ticket-select]")));
  const count = form.querySelector(".tk-bulk-count");
  const status = form.querySelector(".tk-bulk-status");

  function chosen() {
    return boxes.filter((box) => box.checked).map((box) => Number(box.value));
  }

  function showSelection() {
    const ids = chosen();
    form.hidden = ids.length === 0;
    count.textContent = t("tickets_selected", { count: String(ids.length) });
    all.checked = ids.length === boxes.length;
    all.indeterminate = ids.length > 0 && ids.length < boxes.length;
  }

  all.addEventListener("change", () => {
    for (const box of boxes) box.checked = all.checked;
    showSelection();
  });
  for (const box of boxes) box.addEventListener("change", showSelection);

  function say(text, isError) {
    status.classList.toggle("error", Boolean(isError));
    status.replaceChildren(text);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = { ticket_ids: chosen() };
    if (data.get("status")) body.status = data.get("status");
    if (data.get("priority")) body.priority = data.get("priority");
    const tag = String(data.get("tag") || "").trim();
    if (tag) body.add_tags = [tag];
    if (data.get("assignee") === "me") body.assignee_id = Number(form.dataset.me);
    if (data.get("assignee") === "nobody") body.assignee_id = null;
    if (Object.keys(body).length === 1) {
      say(t("tickets_nothing"), true);
      return;
    }
    const button = /** @type {HTMLButtonElement} */ (form.querySelector("button[type=submit]"));
    button.disabled = true;
    say(t("tickets_saving"), false);
    const { ok, answer } = await callApi("POST", "/tickets/bulk", body);
    button.disabled = false;
    if (!ok) {
      say(answer.message, true);
      return;
    }
    if (!answer.failed.length) {
      window.location.reload();
      return;
    }
    const list = document.createElement("ul");
    for (const failure of answer.failed) {
      const item = document.createElement("li");
      item.textContent = `#${failure.ticket_id}: ${failureText(failure)}`;
      list.append(item);
    }
    const again = document.createElement("a");
    again.href = window.location.href;
    again.textContent = t("tickets_reload");
    const summary = t("tickets_failed", { done: answer.updated.length, count: answer.failed.length });
    say(summary, true);
    status.append(list, again);
  });

  showSelection();
})();
