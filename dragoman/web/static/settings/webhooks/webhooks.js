// Webhooks: the addresses events are posted to, their signing secrets and recent deliveries.

import { accountPath, api, ApiError, el, errorText, formatDateTime, relativeTime, t, toast } from "../../common.js";
import { field, input, checkboxGroup, checkedValues } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, secretBox, table, emptyState } from "../page.js";
import { confirmed } from "../../kit/dialog.js";

const WEBHOOK_EVENTS = ["conversation_created", "message_created", "conversation_status_changed", "conversation_assigned"];
function webhookForm(onSaved) {
  openDialog({
    title: t("add_webhook"),
    fields: [
      field(t("webhook_url"), input("url", { type: "url", required: true, placeholder: "https://example.com/dragoman/events", autocomplete: "off" })),
      checkboxGroup("events", t("webhook_events"), WEBHOOK_EVENTS.map((name) => [name, `${t(`event_${name}`)} (${name})`]), WEBHOOK_EVENTS),
    ],
    submitLabel: t("create_webhook"),
    onSubmit: async (form) => {
      const created = await api("POST", accountPath("/webhooks"), { url: form.elements.url.value.trim(), events: checkedValues(form, "events") });
      toast(t("webhook_created"));
      onSaved(created);
    },
  });
}

function deliveryRow(webhook, delivery, refresh) {
  return el(
    "tr",
    { "data-testid": "delivery-row", "data-delivery-id": delivery.id },
    el("td", {}, el("time", { datetime: delivery.created_at, title: formatDateTime(delivery.created_at) }, relativeTime(delivery.created_at))),
    el("td", {}, el("code", {}, delivery.event)),
    el("td", {}, el("span", { class: `pill pill-delivery-${delivery.status}` }, t(`delivery_${delivery.status}`))),
    el("td", { class: "num" }, String(delivery.attempts)),
    el("td", { class: "num" }, delivery.last_status_code ? String(delivery.last_status_code) : "—"),
    el("td", { class: "error-cell" }, delivery.last_error || "—"),
    el(
      "td",
      {},
      delivery.delivered_at
        ? t("delivered_at", { time: formatDateTime(delivery.delivered_at) })
        : delivery.status === "pending" && delivery.next_attempt_at
          ? t("next_attempt_at", { time: formatDateTime(delivery.next_attempt_at) })
          : "—",
    ),
    el(
      "td",
      { class: "actions" },
      delivery.status === "succeeded"
        ? null
        : el(
            "button",
            {
              type: "button",
              class: "btn btn-sm",
              "data-testid": "delivery-retry",
              onclick: async () => {
                try {
                  await api("POST", accountPath(`/webhooks/${webhook.id}/deliveries/${delivery.id}/retry`));
                  toast(t("retry_queued"));
                  refresh();
                } catch (error) {
                  toast(errorText(error), "error");
                }
              },
            },
            t("retry"),
          ),
    ),
  );
}

async function showDeliveries(webhook, panel) {
  panel.replaceChildren(el("p", { class: "muted" }, t("loading")));
  const refresh = () => showDeliveries(webhook, panel).catch((error) => panel.replaceChildren(el("p", { class: "form-error" }, errorText(error))));
  const deliveries = await api("GET", accountPath(`/webhooks/${webhook.id}/deliveries`));
  panel.replaceChildren(
    el(
      "div",
      { class: "panel-head" },
      el("h4", {}, t("delivery_log")),
      el("button", { type: "button", class: "btn btn-sm", onclick: refresh }, t("refresh")),
    ),
    table(
      [t("when"), t("event"), t("status"), t("attempts"), t("http_code"), t("error"), t("delivery"), ""],
      deliveries.map((delivery) => deliveryRow(webhook, delivery, refresh)),
      t("no_deliveries"),
    ),
  );
}

function webhookCard(webhook, reload, revealSecret) {
  const secretSlot = el("div", { class: "secret-slot" });
  const showSecret = () => secretSlot.replaceChildren(el("p", { class: "field-label" }, t("signing_secret")), secretBox(webhook.secret, "webhook-secret"), el("p", { class: "field-help" }, t("signing_secret_help")));
  if (revealSecret) showSecret();
  const deliveries = el("div", { class: "deliveries", hidden: true });
  const card = el(
    "article",
    { class: "card webhook-card", "data-testid": "webhook-card", "data-webhook-id": webhook.id },
    el(
      "header",
      { class: "inbox-head" },
      el(
        "div",
        {},
        el("h3", { class: "webhook-url" }, webhook.url),
        el("div", { class: "chips" }, webhook.events.map((name) => el("span", { class: "chip" }, t(`event_${name}`)))),
        el("p", { class: "muted" }, t("created_on", { time: formatDateTime(webhook.created_at) }), " · ", webhook.active ? t("active") : t("paused")),
      ),
      el(
        "div",
        { class: "actions" },
        el("button", { type: "button", class: "btn btn-sm", onclick: () => (secretSlot.childElementCount ? secretSlot.replaceChildren() : showSecret()) }, t("show_secret")),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            "data-testid": "webhook-deliveries",
            onclick: () => {
              deliveries.hidden = !deliveries.hidden;
              if (!deliveries.hidden) showDeliveries(webhook, deliveries).catch((error) => deliveries.replaceChildren(el("p", { class: "form-error" }, errorText(error))));
            },
          },
          t("deliveries"),
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm",
            onclick: async () => {
              try {
                await api("PATCH", accountPath(`/webhooks/${webhook.id}`), { active: !webhook.active });
                reload();
              } catch (error) {
                toast(errorText(error), "error");
              }
            },
          },
          webhook.active ? t("pause") : t("resume"),
        ),
        el(
          "button",
          {
            type: "button",
            class: "btn btn-sm btn-danger-quiet",
            onclick: async () => {
              if (!confirmed(t("confirm_delete_webhook", { url: webhook.url }))) return;
              try {
                await api("DELETE", accountPath(`/webhooks/${webhook.id}`));
                toast(t("webhook_deleted"));
                reload();
              } catch (error) {
                toast(errorText(error), "error");
              }
            },
          },
          t("delete"),
        ),
      ),
    ),
    secretSlot,
    deliveries,
  );
  return card;
}

export async function show(justCreatedId) {
  const reload = (created) => show(created && created.id).catch(showLoadError);
  onAdd(() => webhookForm(reload));
  let webhooks;
  try {
    webhooks = await api("GET", accountPath("/webhooks"));
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 405)) {
      content.replaceChildren(emptyState(t("webhooks_unavailable")));
      return;
    }
    throw error;
  }
  if (!webhooks.length) {
    content.replaceChildren(emptyState(t("no_webhooks")));
    return;
  }
  content.replaceChildren(...webhooks.map((webhook) => webhookCard(webhook, reload, webhook.id === justCreatedId)));
}
