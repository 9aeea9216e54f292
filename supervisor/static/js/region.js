// The national pages' region: the province filter (the provinces of the malls the account sees, as the server
// lists them) and the search box's parameters.
import { T, currentLang, el } from "./common.js";

export function fillProvinces(select, provinces, chosen) {
  // Made again only when the list or the language changed: not under the pointer of someone choosing, every 5 s.
  const key = JSON.stringify([currentLang(), provinces, chosen]);
  if (select.dataset.filled === key) return;
  select.dataset.filled = key;
  const options = (provinces || []).map((p) => el("option", { value: p.code,
    text: `${p.code === "-" ? T("no_province") : currentLang() === "en" ? p.name_en : p.name} (${p.sites})` }));
  const all = el("option", { value: "", "data-t": "all_provinces", text: T("all_provinces") });
  select.replaceChildren(all, ...options);
  select.value = chosen || "";
}

export function regionParams(params, asked) {
  if (asked.province) params.set("province", asked.province);
  if (asked.q) params.set("q", asked.q);
  return params;
}
