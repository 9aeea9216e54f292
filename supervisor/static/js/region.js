// The national pages' region: the province filter (the provinces of the malls the account sees, as the server
// lists them), the search box's parameters, and the filters kept in the page's address, so that a filtered view
// can be sent as a link, survives a reload, and Back and Forward step through it.
import { T, config, currentLang, el } from "./common.js";

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

// A province asked for that none of the reader's malls is in (a link from a colleague who watches other malls):
// the server answers an empty table, and the list has no such choice. The page drops it and says so instead.
export function provinceUnwatched(province, provinces) {
  return Boolean(province) && !(provinces || []).some((p) => p.code === province);
}

// The page's sentence for such a province, with its name ("Aceh"; the code where the page does not know it).
export function provinceUnwatchedText(code) {
  if (code === "-") return T("province_unwatched_none"); // the malls without a province: no name to say "in"
  const known = (config.provinces || []).find((p) => p.code === code);
  const name = known ? (currentLang() === "en" ? known.name_en : known.name) : code;
  return T("province_unwatched").replace("{province}", () => name);
}

// --- the address ----------------------------------------------------------------------------------------------

// What an address may say (the API's own names, so that the address reads as the request does): read back only
// these, each once, trimmed; anything else in it (?lang=) is left where it is.
export function addressFilters(keys) {
  const params = new URLSearchParams(location.search);
  const found = {};
  for (const key of keys) {
    const value = (params.get(key) || "").trim();
    if (value) found[key] = value;
  }
  return found;
}

// The address of the filters `values` (empty ones left out), written into the browser's history: `push` for a
// committed change (a province chosen, a period shown: Back returns to the view before), `replace` for one still
// under way (a search being typed: not an entry per keystroke) or a view put right (a sort, a value refused).
// The same address again writes nothing, so a page's refresh every 5 seconds leaves the history alone.
export function keepInAddress(keys, values, how = "replace") {
  const address = new URL(location.href);
  for (const key of keys) address.searchParams.delete(key);
  for (const key of keys) if (values[key]) address.searchParams.append(key, values[key]); // always in one order
  address.searchParams.delete("tz"); // the reader's zone is the browser's own: a link opened elsewhere uses its own
  if (address.search === location.search) return;
  if (how === "push") history.pushState(null, "", address);
  else history.replaceState(null, "", address);
}

// A refusal of a value the address gave (not one the reader chose on the page): the page's own sentence, and the
// names of the fields it is about, which are dropped before asking again.
export function addressRefusal(body, message) {
  const code = String(body?.error?.code);
  const field = body?.error?.details?.field;
  const wrong = code.startsWith("period_") ? ["from", "to"] : field ? [field] : [];
  return { wrong, said: T("address_ignored").replace("{reason}", () => message) };
}
