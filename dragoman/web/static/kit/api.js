// The REST API with the session cookie and the CSRF header (and, for the
// pages' scripts, pageBootstrap from page.js).
import { t } from "./i18n.js";
import { pageBootstrap } from "./page.js";

export { pageBootstrap };

/** An API error: the HTTP status and the API's {"error", "field", "message"} body. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {any} body
   */
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    /** @type {any} */
    this.body = body || {};
    /** @type {string | null} */
    this.field = this.body.field || null;
  }
}

export function goToLogin() {
  const here = window.location.pathname + window.location.search;
  window.location.assign(`/login?next=${encodeURIComponent(here)}`);
}

/**
 * Calls the REST API with the session cookie and the CSRF header; a FormData
 * body goes as the browser encodes a form (a file upload), anything else as JSON.
 * @param {string} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { Accept: "application/json" };
  const isForm = typeof FormData !== "undefined" && body instanceof FormData;
  if (body !== undefined && !isForm) headers["Content-Type"] = "application/json";
  if (method !== "GET") headers["X-CSRF-Token"] = pageBootstrap().csrf_token;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined || isForm ? /** @type {FormData | undefined} */ (body) : JSON.stringify(body),
    });
  } catch (error) {
    throw new ApiError(0, { message: t("network_error") });
  }
  if (response.status === 401) {
    // The session expired or was ended elsewhere.
    goToLogin();
    throw new ApiError(401, { message: t("session_expired") });
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** "/api/v1/accounts/<the reader's account><path>". */
export const accountPath = (/** @type {string} */ path) => `/api/v1/accounts/${pageBootstrap().account_id}${path}`;

/** An error in words: the API's message, or what a 403 or 404 means to the reader. */
export function errorText(/** @type {unknown} */ error) {
  if (error instanceof ApiError) {
    if (error.status === 403) return t("not_allowed");
    if (error.status === 404) return t("not_found");
    return error.message;
  }
  return String(error instanceof Error ? error.message : error);
}
