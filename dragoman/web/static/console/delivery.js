// A reply's delivery status in the timeline (channels/delivery.py): a small
// mark beside its time (queued, sent, delivered, read, failed) and, when the
// channel could not deliver it, the channel's reason under the text, with a
// button to send a failed reply again.

import { accountPath, api, el, errorText, t, toast } from "../common.js";

const MARKS = { queued: "◷", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };

/** The mark for the message's meta line; null for messages without a status (incoming, notes). */
export function deliveryMark(message) {
  const status = message.delivery_status;
  if (!status || !MARKS[status]) return null;
  const label = t(`reply_status_${status}`);
  return el(
    "span",
    { class: `delivery-mark delivery-${status}`, "data-testid": "delivery-status", "data-status": status, title: message.delivery_error ? `${label}: ${message.delivery_error}` : label },
    el("span", { "aria-hidden": "true" }, MARKS[status]),
    " ",
    label,
  );
}

/** Why the channel has not delivered it (still trying, or given up); null when nothing went wrong. */
export function deliveryProblem(message) {
  const status = message.delivery_status;
  if (message.direction !== "outgoing" || !message.delivery_error || (status !== "queued" && status !== "failed")) return null;
  const failed = status === "failed";
  const problem = el(
    "p",
    { class: "delivery-error", role: "status", "data-testid": "delivery-error" },
    t(failed ? "reply_not_delivered" : "reply_retrying", { error: message.delivery_error }),
  );
  if (failed) {
    const again = el("button", { type: "button", class: "btn btn-sm delivery-retry", "data-testid": "delivery-retry" }, t("reply_send_again"));
    again.addEventListener("click", async () => {
      again.disabled = true;
      try {
        await api("POST", accountPath(`/conversations/${message.conversation_id}/messages/${message.id}/retry_delivery`));
        toast(t("reply_sending_again"));
      } catch (error) {
        again.disabled = false;
        toast(errorText(error), "error");
      }
    });
    problem.append(" ", again);
  }
  return problem;
}
