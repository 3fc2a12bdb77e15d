// What the features' own console pages (routing's queues, agents and live wall,
// the knowledge base's articles) share: building nodes, filling "%(name)s"
// placeholders, language names, calling the REST API with the session
// cookie, the opening-hours rows, and marking the field an API error names.
// Text from the server or from users is only ever set as text, never as HTML.
"use strict";

window.FeatureForms = (function () {
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === false || value === null || value === undefined) continue;
      node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children) {
      if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }

  function fill(text, values) {
    return text.replace(/%\((\w+)\)s/g, (_, key) => (key in values ? values[key] : ""));
  }

  /** A language's name in the reader's language ("es" → "Spanish"), else its code. */
  function languageName(code, readerLanguage) {
    try {
      return new Intl.DisplayNames([readerLanguage || "en"], { type: "language" }).of(code) || code;
    } catch (error) {
      return code;
    }
  }

  /** A function calling the account's REST API; errors carry the API's `field`. */
  function apiFor(config) {
    const base = `/api/v1/accounts/${config.account_id}`;
    return async function api(method, path, body) {
      const headers = { Accept: "application/json" };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (method !== "GET") headers["X-CSRF-Token"] = config.csrf_token;
      const response = await fetch(base + path, {
        method,
        headers,
        credentials: "same-origin",
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (response.status === 204) return null;
      const data = await response.json().catch(() => ({}));
      if (!response.ok) throw Object.assign(new Error(data.message || String(response.status)), { field: data.field });
      return data;
    };
  }

  let hoursWords = null;

  /** One row of opening (or working) hours; `field` is the API's name for the
   * list. Its words come from the page's "hours-strings" block. */
  function hoursRow(field, hours, index) {
    hoursWords = hoursWords || JSON.parse(document.getElementById("hours-strings").textContent);
    const strings = hoursWords;
    const name = (part) => `${field}[${index}].${part}`;
    return el(
      "tr",
      { "data-testid": "hours-row", "data-field": `${field}[${index}]` },
      el("td", {}, el("select", { name: "weekday", class: "select-sm", "aria-label": strings.day, "data-field": name("weekday") }, ...strings.days.map((day, n) => el("option", { value: n, selected: n === hours.weekday }, day)))),
      el("td", {}, el("input", { type: "text", name: "start", value: hours.start, placeholder: "09:00", "aria-label": strings.from, "data-field": name("start"), class: "input-sm" })),
      el("td", {}, el("input", { type: "text", name: "end", value: hours.end, placeholder: "18:00", "aria-label": strings.to, "data-field": name("end"), class: "input-sm" })),
      el("td", {}, el("button", { type: "button", class: "btn btn-sm btn-quiet", "data-remove": "row" }, strings.remove)),
    );
  }

  function readHours(row) {
    const value = (name) => row.querySelector(`[name=${name}]`).value;
    return { weekday: Number(value("weekday")), start: value("start").trim(), end: value("end").trim() };
  }

  /** The next row an "add hours" button offers: the day after the last row's, same times. */
  function nextHours(tbody) {
    const last = tbody.rows.length ? readHours(tbody.rows[tbody.rows.length - 1]) : null;
    return last ? { weekday: (last.weekday + 1) % 7, start: last.start, end: last.end } : { weekday: 0, start: "09:00", end: "18:00" };
  }

  /** Rebuilds a table's rows after one was removed, so each row's field names count from 0 again. */
  function renumber(tbody, builder, read) {
    const items = [...tbody.rows].map(read);
    tbody.replaceChildren(...items.map(builder));
  }

  function clearErrors(form, message) {
    for (const node of form.querySelectorAll("[aria-invalid]")) node.removeAttribute("aria-invalid");
    message.textContent = "";
  }

  /** Shows the API's message and marks the field it names ("hours[1].end" the
   * cell, "languages[1]" the languages box). */
  function markError(form, message, template, error) {
    message.textContent = fill(template, { message: error.message });
    if (!error.field) return;
    const exact = form.querySelector(`[data-field="${CSS.escape(error.field)}"]`);
    const broad = form.querySelector(`[data-field="${CSS.escape(error.field.replace(/\[\d+\]$/, ""))}"]`);
    const target = exact || broad;
    if (target) {
      target.setAttribute("aria-invalid", "true");
      if (typeof target.focus === "function") target.focus();
    }
  }

  return { el, fill, languageName, apiFor, hoursRow, readHours, nextHours, renumber, clearErrors, markError };
})();
