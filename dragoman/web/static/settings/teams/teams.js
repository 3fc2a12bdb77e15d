// Teams: who works together, and the outsourcing vendor a team belongs to.

import { accountPath, api, el, t, toast } from "../../common.js";
import { field, input, select, checkboxGroup, checkedValues } from "../../kit/field.js";
import { content, onAdd, showLoadError, openDialog, table } from "../page.js";
const NEW_VENDOR = "__new__";

function teamForm(team, agents, vendors, onSaved) {
  const creating = !team;
  const vendorSelect = select(
    "vendor_id",
    [["", t("in_house")], ...vendors.map((vendor) => [vendor.id, vendor.name]), [NEW_VENDOR, t("new_vendor")]],
    team && team.vendor_id ? team.vendor_id : "",
  );
  const newVendor = field(t("vendor_name"), input("new_vendor", { autocomplete: "off" }));
  newVendor.hidden = true;
  vendorSelect.addEventListener("change", () => {
    newVendor.hidden = vendorSelect.value !== NEW_VENDOR;
  });
  const members = agents.filter((agent) => agent.active || (team && team.member_ids.includes(agent.id)));
  openDialog({
    title: creating ? t("add_team") : t("edit_team", { name: team.name }),
    fields: [
      field(t("name"), input("name", { value: team ? team.name : "", required: true, autocomplete: "off" })),
      field(t("vendor"), vendorSelect, t("vendor_help")),
      newVendor,
      checkboxGroup("member_ids", t("members"), members.map((agent) => [agent.id, agent.name]), team ? team.member_ids : [], t("no_agents")),
    ],
    submitLabel: creating ? t("create_team") : t("save"),
    onSubmit: async (form) => {
      let vendorId = form.elements.vendor_id.value;
      if (vendorId === NEW_VENDOR) {
        const vendor = await api("POST", accountPath("/vendors"), { name: form.elements.new_vendor.value });
        vendorId = vendor.id;
      }
      const body = {
        name: form.elements.name.value,
        vendor_id: vendorId ? Number(vendorId) : null,
        member_ids: checkedValues(form, "member_ids").map(Number),
      };
      if (creating) {
        await api("POST", accountPath("/teams"), body);
        toast(t("team_created", { name: body.name }));
      } else {
        await api("PATCH", accountPath(`/teams/${team.id}`), body);
        toast(t("saved"));
      }
      onSaved();
    },
  });
}

export async function show() {
  const [teams, agents, vendors, inboxes] = await Promise.all([
    api("GET", accountPath("/teams")),
    api("GET", accountPath("/agents")),
    api("GET", accountPath("/vendors")),
    api("GET", accountPath("/inboxes")),
  ]);
  const agentNames = new Map(agents.map((agent) => [agent.id, agent.name]));
  const vendorNames = new Map(vendors.map((vendor) => [vendor.id, vendor.name]));
  const reload = () => show().catch(showLoadError);
  onAdd(() => teamForm(null, agents, vendors, reload));
  const rows = teams.map((team) =>
    el(
      "tr",
      { "data-testid": "team-row", "data-team-id": team.id },
      el("td", {}, el("strong", {}, team.name)),
      el("td", {}, team.vendor_id ? vendorNames.get(team.vendor_id) : el("span", { class: "muted" }, t("in_house"))),
      el(
        "td",
        {},
        team.member_ids.length
          ? el("div", { class: "chips" }, team.member_ids.map((id) => el("span", { class: "chip" }, agentNames.get(id) || `#${id}`)))
          : el("span", { class: "muted" }, t("no_members")),
      ),
      el("td", {}, inboxes.filter((inbox) => inbox.team_ids.includes(team.id)).map((inbox) => inbox.name).join(", ") || el("span", { class: "muted" }, "—")),
      el("td", { class: "actions" }, el("button", { type: "button", class: "btn btn-sm", onclick: () => teamForm(team, agents, vendors, reload) }, t("edit"))),
    ),
  );
  content.replaceChildren(table([t("name"), t("vendor"), t("members"), t("inboxes"), ""], rows, t("no_teams_yet")));
}
