// The start address of any new TV or kiosk (/perangkat): a browser that was paired before goes straight to its board
// or kiosk with the token it kept; any other shows a pairing code of no mall yet, to be typed at a mall's Settings ->
// Perangkat, and opens the page that pairing made (device-pairing.js, docs/administration.md).
//
// There is no "forget this pairing" here: the screen stands in a public hall, so whoever walks by could press it.
// An admin or supervisor revokes the device at Settings -> Perangkat; its page then shows a new code by itself.

import { Pairing, keptDevice } from "/static/shared/device-pairing.js";

const kept = keptDevice();
// Only a path of this server (what the pairing kept), never another origin's address.
if (kept && kept.path.startsWith("/") && !kept.path.startsWith("//")) {
  location.replace(`${kept.path}${location.search}#token=${kept.token}`);
} else {
  new Pairing({ lang: document.documentElement.lang }).start();
}
