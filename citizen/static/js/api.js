// One way to call the queue server's JSON API from every citizen page. An answer is always
// {ok, status, data, error}: a refusal carries the server's error ({code, message, message_en, details}), and a
// network failure or timeout becomes the error "network", so callers handle one shape.

const TIMEOUT_MS = 10_000;

export async function call(method, path, { body, token, headers = {}, timeoutMs = TIMEOUT_MS } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const sent = { ...headers };
  if (token) sent.Authorization = `Bearer ${token}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  try {
    const response = await fetch(path, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: controller.signal,
      cache: "no-store",
      credentials: "omit",
    });
    let data = null;
    try {
      data = await response.json();
    } catch {
      data = null;
    }
    if (response.ok) return { ok: true, status: response.status, data, error: null };
    const error = data?.error || { code: "http_" + response.status, message: "", message_en: "" };
    return { ok: false, status: response.status, data, error };
  } catch {
    return { ok: false, status: 0, data: null, error: { code: "network", message: "", message_en: "" } };
  } finally {
    clearTimeout(timer);
  }
}

// A key for Idempotency-Key: a retry with the same key never makes a second ticket. crypto.randomUUID exists
// only on https or localhost, and a kiosk on the mall's LAN is usually neither, so build one from random bytes.
export function newKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
