// The console's words for what it shows: statuses, priorities, a contact's
// name, an activity line, who wrote a reply.

import { boot, formatDateTime, languageName, t } from "../common.js";
import { hasString } from "../kit/i18n.js";

export const statusLabel = (status) => t(`status_${status}`);

export const priorityLabel = (priority) => t(`priority_${priority}`);

export function contactName(conversation) {
  const contact = conversation.contact || {};
  return contact.name || contact.email || t("visitor_number", { id: contact.id });
}

/** An activity line worded in the reader's language from its attributes. */
export function activityText(message) {
  const a = message.attributes || {};
  const actor = a.actor || t("someone");
  switch (a.activity) {
    case "assigned":
      if (a.assignee && a.assignee === a.actor && !a.team) return t("activity_self_assigned", { actor });
      if (a.assignee && a.team) return t("activity_assigned_agent_team", { actor, assignee: a.assignee, team: a.team });
      if (a.assignee) return t("activity_assigned_agent", { actor, assignee: a.assignee });
      if (a.team) return t("activity_assigned_team", { actor, team: a.team });
      return t("activity_unassigned", { actor });
    case "unassigned":
      return t("activity_unassigned", { actor });
    case "status_open":
      return t("activity_status_open", { actor });
    case "status_pending":
      return t("activity_status_pending", { actor });
    case "status_resolved":
      return t("activity_status_resolved", { actor });
    case "routed": {
      const line = a.step
        ? t("activity_routed_step", { assignee: a.assignee, queue: a.queue, step: a.step, rule: ruleWords(a) })
        : t("activity_routed", { assignee: a.assignee, queue: a.queue });
      return a.machine_translation ? t("activity_routed_translation", { line }) : line;
    }
    case "routing_closed":
      return a.closed_until
        ? t("activity_routing_closed", { time: formatDateTime(a.closed_until) })
        : t("activity_routing_closed_no_opening");
    case "routing_no_answer":
      return t("activity_routing_no_answer", { assignee: a.assignee, seconds: a.seconds });
    case "routing_overflow":
      return t("activity_routing_overflow", { from_queue: a.from_queue, queue: a.queue });
    case "ticket_created":
      return t("activity_ticket_created", { actor, id: a.ticket_id });
    case "sla_warning":
      return t("activity_sla_warning", { metric: t(`sla_${a.metric}`), at: formatDateTime(a.due_at) });
    case "sla_breached":
      return t("activity_sla_breached", { metric: t(`sla_${a.metric}`), at: formatDateTime(a.due_at) });
    case "routing_ticket":
      return t("activity_routing_ticket", { id: a.ticket_id });
    case "sla_reassigned":
      return t("activity_sla_reassigned", { from: a.from });
    case "csat":
      return a.comment
        ? t("activity_csat_comment", { rating: a.rating, comment: a.comment })
        : t("activity_csat", { rating: a.rating });
    case "email_automatic":
      return t("activity_email_automatic", { reason: a.reason || "", subject: a.subject || "" });
    case "bot_handoff":
      // Worded by its reason; a reason this console does not know keeps the stored text.
      return hasString(`activity_bot_handoff_${a.reason}`) ? t(`activity_bot_handoff_${a.reason}`) : message.content;
    default:
      return message.content;
  }
}

/** Who wrote a reply: the FAQ bot, an automatic reply (queues closed), an agent. */
export function replyAuthor(message) {
  if ((message.attributes || {}).bot) return t("faq_bot");
  if ((message.attributes || {}).auto_reply) return t("automatic_reply");
  if ((message.attributes || {}).csat) return t("satisfaction_survey");
  // Another message the system sent on the team's behalf is the team's.
  if (message.sender_type === "system") return t("automatic_reply");
  return (message.sender && message.sender.name) || t("someone");
}

export function outgoingPreview(message) {
  if (!(message.attributes || {}).bot && message.sender && message.sender.id === boot.user.id) {
    return t("you_prefix", { text: message.content });
  }
  return t("named_prefix", { name: replyAuthor(message), text: message.content });
}

/** A routing step's rule in the reader's language, from its parts (older
 * lines carry only routing's English `rule`). */
export function ruleWords(activity) {
  const parts = activity.rule_parts;
  if (!parts) return activity.rule || "";
  const needs = [];
  if (parts.language && parts.min_language_level) {
    needs.push(t("rule_language", { language: languageName(parts.language), level: parts.min_language_level }));
  }
  if (parts.skill && parts.min_skill_level) needs.push(t("rule_skill", { skill: parts.skill, skill_level: parts.min_skill_level }));
  const who = needs.length ? needs.join(t("rule_and")) : t("rule_any_agent");
  return parts.machine_translation ? t("rule_with_translation", { rule: who }) : who;
}
