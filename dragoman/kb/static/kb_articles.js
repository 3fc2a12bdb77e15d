// Admins' article editor: every article with its language versions, edited
// one language at a time through the REST API (.../kb/articles). A missing
// language can be machine-translated (a draft marked for review); saving a
// machine-translated version marks it reviewed. The API checks everything;
// an error names its field, which this page marks.
import { api as callApi, accountPath, pageBootstrap } from "/static/kit/api.js";
import { confirmed } from "/static/kit/dialog.js";
import { el } from "/static/kit/dom.js";
import { clearFormError, showFormError } from "/static/kit/field.js";
import { t } from "/static/kit/i18n.js";
import { languageNameIn } from "/static/kit/i18n.js";

const config = pageBootstrap();
const form = /** @type {import("/static/kit/dialog.js").NamedForm} */ (document.getElementById("article-form"));
const formError = document.getElementById("form-error");
const api = (/** @type {string} */ method, /** @type {string} */ path, /** @type {unknown} */ body) => callApi(method, accountPath(path), body);
const state = { articles: [], categories: [], languages: [], current: null, language: null };
const uiLanguage = String(config.lang || "en").split("-")[0];

const languageName = (/** @type {string} */ code) => languageNameIn(code, config.lang);

function versionOf(article, language) {
  return (article.versions || []).find((version) => version.language === language) || null;
}

/** The version a reader of this console would look at first. */
function preferredVersion(article) {
  return versionOf(article, uiLanguage) || versionOf(article, "en") || (article.versions || [])[0] || null;
}

function articleTitle(article) {
  const version = preferredVersion(article);
  return version ? version.title : article.slug;
}

function renderList() {
  const needle = /** @type {HTMLInputElement} */ (document.getElementById("article-filter")).value.trim().toLowerCase();
  const shown = state.articles.filter((article) =>
    !needle || article.slug.includes(needle) || article.versions.some((v) => v.title.toLowerCase().includes(needle)),
  );
  document.getElementById("article-list").replaceChildren(
    ...shown.map((article) => {
      const drafts = article.versions.filter((v) => v.status === "draft").length;
      const facts = [article.versions.map((v) => v.language).join(" · ")];
      if (drafts) facts.push(`${drafts} ${t("kb_draft")}`);
      if (article.always_human) facts.push(t("kb_people_only"));
      return el(
        "li",
        {},
        el(
          "button",
          { type: "button", class: "kb-article-item", "data-article-id": article.id, "data-testid": "article-item", "aria-current": state.current && state.current.id === article.id ? "true" : null },
          el("strong", {}, articleTitle(article)),
          el("span", { class: "kb-note" }, facts.join(" · ")),
        ),
      );
    }),
  );
}

function renderTabs(article) {
  const codes = [...new Set([...state.languages, ...article.versions.map((v) => v.language)])];
  document.getElementById("language-tabs").replaceChildren(
    ...codes.map((code) => {
      const version = versionOf(article, code);
      const classes = ["kb-tab"];
      let label = code;
      if (!version) classes.push("is-missing");
      else if (version.status === "draft") {
        classes.push("is-draft");
        label = `${code} · ${version.machine_translated ? t("kb_machine") : t("kb_draft")}`;
      }
      return el(
        "button",
        { type: "button", role: "tab", class: classes.join(" "), "data-language": code, "aria-selected": code === state.language ? "true" : "false", title: languageName(code), "data-testid": "language-tab" },
        label,
      );
    }),
  );
}

function showVersion(language) {
  const article = state.current;
  state.language = language;
  renderTabs(article);
  const version = versionOf(article, language);
  form.elements.title.value = version ? version.title : "";
  form.elements.summary.value = version ? version.summary : "";
  form.elements.body.value = version ? version.body : "";
  form.elements.questions.value = version ? version.questions.join("\n") : "";
  form.elements.status.value = version ? version.status : "draft";
  document.getElementById("mt-note").hidden = !(version && version.machine_translated);
  const missing = document.getElementById("missing-note");
  missing.hidden = Boolean(version);
  missing.textContent = version ? "" : t("kb_missing", { language: languageName(language) });
  document.getElementById("translate-version").hidden = Boolean(version) || !article.id || !article.versions.length;
  document.getElementById("delete-version").hidden = !version || article.versions.length < 2;
}

function show(article, language) {
  state.current = article;
  clearFormError(form, formError);
  document.getElementById("saved").textContent = "";
  form.hidden = false;
  document.getElementById("editor-title").textContent = article.id ? t("kb_edit_article", { title: articleTitle(article) }) : t("kb_new_article");
  form.elements.slug.value = article.slug;
  document.getElementById("category").replaceChildren(
    el("option", { value: "" }, t("kb_no_category")),
    ...state.categories.map((category) =>
      el("option", { value: category.id, selected: category.id === article.category_id }, category.names[uiLanguage] || category.names.en || Object.values(category.names)[0] || category.slug),
    ),
  );
  form.elements.always_human.checked = article.always_human;
  document.getElementById("delete-article").hidden = !article.id;
  const first = preferredVersion(article);
  showVersion(language || (first ? first.language : state.languages[0] || "en"));
  renderList();
}

function blank() {
  return { id: null, slug: "", category_id: null, position: state.articles.length, always_human: false, versions: [] };
}

function versionBody() {
  return {
    title: form.elements.title.value.trim(),
    summary: form.elements.summary.value.trim(),
    body: form.elements.body.value,
    questions: form.elements.questions.value.split("\n").map((line) => line.trim()).filter(Boolean),
    status: form.elements.status.value || "draft",
    // A person saved it: reviewed.
    machine_translated: false,
  };
}

function articleBody() {
  const category = form.elements.category_id.value;
  return { slug: form.elements.slug.value.trim(), category_id: category ? Number(category) : null, always_human: form.elements.always_human.checked };
}

function markError(error) {
  // A new article's version is versions[0] in the request; the form has one version at a time.
  const field = error.field ? error.field.replace(/^versions\[\d+\]\./, "") : error.field;
  showFormError(form, formError, t("kb_error", { message: error.message }), field);
}

async function load(selectId, language) {
  const [articles, categories, settings] = await Promise.all([
    api("GET", "/kb/articles"), api("GET", "/kb/categories"), api("GET", "/language_settings"),
  ]);
  Object.assign(state, { articles, categories, languages: settings.languages });
  const chosen = articles.find((a) => a.id === selectId) || (selectId === undefined ? articles[0] : null);
  if (chosen) show(chosen, language);
  else renderList();
}

// -- events ---------------------------------------------------------------------------

document.getElementById("article-list").addEventListener("click", (event) => {
  const button = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest("[data-article-id]"));
  if (button) show(state.articles.find((a) => String(a.id) === button.dataset.articleId));
});
document.getElementById("article-filter").addEventListener("input", renderList);
document.getElementById("new-article").addEventListener("click", () => show(blank(), uiLanguage));
document.getElementById("language-tabs").addEventListener("click", (event) => {
  const tab = /** @type {HTMLElement | null} */ (/** @type {Element} */ (event.target).closest("[data-language]"));
  if (tab) {
    clearFormError(form, formError);
    document.getElementById("saved").textContent = "";
    showVersion(tab.dataset.language);
  }
});
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFormError(form, formError);
  const article = state.current;
  const language = state.language;
  try {
    let id = article.id;
    if (!id) {
      const created = await api("POST", "/kb/articles", { ...articleBody(), position: article.position, versions: [{ language, ...versionBody() }] });
      id = created.id;
    } else {
      const changes = articleBody();
      if (changes.slug !== article.slug || changes.category_id !== article.category_id || changes.always_human !== article.always_human) {
        await api("PATCH", `/kb/articles/${id}`, changes);
      }
      await api("PUT", `/kb/articles/${id}/versions/${encodeURIComponent(language)}`, versionBody());
    }
    await load(id, language);
    document.getElementById("saved").textContent = t("kb_saved");
  } catch (error) {
    markError(error);
  }
});
document.getElementById("translate-version").addEventListener("click", async () => {
  const article = state.current;
  const language = state.language;
  clearFormError(form, formError);
  try {
    await api("POST", `/kb/articles/${article.id}/versions/${encodeURIComponent(language)}/translate`, {});
    await load(article.id, language);
    document.getElementById("saved").textContent = t("kb_translated", { language: languageName(language) });
  } catch (error) {
    markError(error);
  }
});
document.getElementById("delete-version").addEventListener("click", async () => {
  const article = state.current;
  const language = state.language;
  if (!confirmed(t("kb_confirm_delete_version", { language: languageName(language) }))) return;
  try {
    await api("DELETE", `/kb/articles/${article.id}/versions/${encodeURIComponent(language)}`);
    await load(article.id);
    document.getElementById("saved").textContent = t("kb_deleted");
  } catch (error) {
    markError(error);
  }
});
document.getElementById("delete-article").addEventListener("click", async () => {
  const article = state.current;
  if (!article.id || !confirmed(t("kb_confirm_delete_article"))) return;
  try {
    await api("DELETE", `/kb/articles/${article.id}`);
    state.current = null;
    form.hidden = true;
    await load(undefined);
    document.getElementById("saved").textContent = t("kb_deleted");
  } catch (error) {
    markError(error);
  }
});

// Import: the file's text goes to the import endpoint as it is (JSON or CSV by its name).
document.getElementById("import-file").addEventListener("change", async (event) => {
  const input = /** @type {HTMLInputElement} */ (event.target);
  const file = input.files && input.files[0];
  const status = document.getElementById("import-status");
  if (!file) return;
  const csv = /\.csv$/i.test(file.name) || file.type === "text/csv";
  status.textContent = "";
  try {
    const response = await fetch(`/api/v1/accounts/${config.account_id}/kb/${csv ? "import.csv" : "import"}`, {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": csv ? "text/csv" : "application/json", "X-CSRF-Token": config.csrf_token },
      body: await file.text(),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.message || String(response.status));
    status.textContent = t("kb_imported", { created: data.articles_created, updated: data.articles_updated, versions: data.versions });
    await load(state.current ? state.current.id : undefined, state.language);
  } catch (error) {
    status.textContent = t("kb_import_failed", { message: error.message });
  } finally {
    input.value = "";
  }
});

load(undefined).catch((error) => markError(error));
