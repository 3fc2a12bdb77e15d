// The settings area: agents, teams, inboxes, webhooks, language, ticket
// fields, SLA policies (admins), saved replies and satisfaction (supervisors
// too) and API tokens (everyone). The page names its section; only that
// section's module is loaded.
import { initShell } from "../common.js";
import { showLoadError } from "./page.js";

/** @type {Record<string, () => Promise<{ show: () => Promise<void> }>>} */
const SECTIONS = {
  agents: () => import("./agents/agents.js"),
  teams: () => import("./teams/teams.js"),
  inboxes: () => import("./inboxes/inboxes.js"),
  webhooks: () => import("./webhooks/webhooks.js"),
  language: () => import("./language/language.js"),
  "ticket-fields": () => import("./ticket-fields/ticket-fields.js"),
  "saved-replies": () => import("./saved-replies/saved-replies.js"),
  "sla-policies": () => import("./sla-policies/sla-policies.js"),
  satisfaction: () => import("./satisfaction/satisfaction.js"),
  "api-tokens": () => import("./api-tokens/api-tokens.js"),
};

initShell();
// On a phone the sections are a strip: the one open is scrolled into sight.
document.querySelector('.settings-nav a[aria-current="page"]')?.scrollIntoView({ block: "nearest", inline: "center" });
const section = /** @type {HTMLElement} */ (document.getElementById("settings-body")).dataset.section || "";
SECTIONS[section]()
  .then((module) => module.show())
  .catch(showLoadError);
