// The component kit's pure parts, run by `node --test` (make test).
import { test } from "node:test";
import assert from "node:assert/strict";

import { fill, t, useStrings } from "../../dragoman/web/static/kit/i18n.js";
import { fieldErrorOf, fieldSelectors } from "../../dragoman/web/static/kit/field.js";
import { compareValues, sortItems } from "../../dragoman/web/static/kit/table.js";
import { toastMilliseconds } from "../../dragoman/web/static/kit/toast.js";

test("t() gives the page's translation with its placeholders filled", () => {
  useStrings({ saved: "已保存。", availability_saved: "你的状态现在是：%(status)s", count: "%(count)d steps" });
  assert.equal(t("saved"), "已保存。");
  assert.equal(t("availability_saved", { status: "在线" }), "你的状态现在是：在线");
  assert.equal(t("count", { count: 3 }), "3 steps");
});

test("a string the page lacks shows as its key, never as nothing", () => {
  useStrings({});
  const warn = console.warn;
  const warned = [];
  console.warn = (...args) => warned.push(args.join(" "));
  try {
    assert.equal(t("no_such_string"), "no_such_string");
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warned, ["missing console string no_such_string"]);
});

test("fill() leaves a placeholder it has no value for as written", () => {
  assert.equal(fill("%(sender)s wrote: “%(subject)s”.", { sender: "Eva" }), "Eva wrote: “%(subject)s”.");
  assert.equal(fill("100%(x)", { x: 1 }), "100%(x)");
  assert.equal(fill("no placeholders"), "no placeholders");
});

test("the API's error body names the field and the message", () => {
  assert.deepEqual(fieldErrorOf({ error: "validation", field: "hours[1].end", message: "use a time from 00:00 to 24:00" }), {
    field: "hours[1].end",
    message: "use a time from 00:00 to 24:00",
  });
  // An error about the whole request names no field.
  assert.deepEqual(fieldErrorOf({ error: "conflict", message: "already exists" }), { field: null, message: "already exists" });
  assert.deepEqual(fieldErrorOf({ error: "forbidden", field: "" }), { field: null, message: "forbidden" });
  assert.equal(fieldErrorOf(null), null);
  assert.equal(fieldErrorOf("Internal Server Error"), null);
  assert.equal(fieldErrorOf({ detail: "nope" }), null);
});

test("a field name finds its control, then its list, then its group", () => {
  assert.deepEqual(fieldSelectors("hours[1].end"), [
    '[data-field="hours[1].end"]',
    '[name="hours[1].end"]',
    '[name="hours"]',
    '[data-name="hours"]',
  ]);
  assert.deepEqual(fieldSelectors("languages[1]"), [
    '[data-field="languages[1]"]',
    '[name="languages[1]"]',
    '[data-field="languages"]',
    '[name="languages"]',
    '[data-name="languages"]',
  ]);
  assert.deepEqual(fieldSelectors("settings.imap.port").slice(0, 2), ['[data-field="settings.imap.port"]', '[name="settings.imap.port"]']);
  // A quote in a name cannot break out of the selector.
  assert.equal(fieldSelectors('a"b')[0], '[data-field="a\\"b"]');
});

test("sorting puts missing values last and numbers inside text by value", () => {
  const agents = [{ name: "Agent 10", score: 4.5 }, { name: "agent 2", score: null }, { name: "Ana", score: 3 }, { name: "Agent 1", score: 4.5 }];
  assert.deepEqual(sortItems(agents, (a) => a.name).map((a) => a.name), ["Agent 1", "agent 2", "Agent 10", "Ana"]);
  assert.deepEqual(sortItems(agents, (a) => a.score).map((a) => a.name), ["Ana", "Agent 10", "Agent 1", "agent 2"]);
  // Descending keeps equal ones in their order and missing ones still last.
  assert.deepEqual(sortItems(agents, (a) => a.score, true).map((a) => a.name), ["Agent 10", "Agent 1", "Ana", "agent 2"]);
  assert.equal(agents[0].name, "Agent 10", "the input is left as it was");
  assert.ok(compareValues(2, 10) < 0);
  assert.equal(compareValues(undefined, ""), 0);
});

test("an error toast stays longer than a confirmation", () => {
  assert.ok(toastMilliseconds("error") > toastMilliseconds("info"));
});
