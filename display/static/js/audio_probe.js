// Does this browser let the page play sound without a tap? A kiosk Chromium started with
// --autoplay-policy=no-user-gesture-required (or the AutoplayAllowed policy) does; an ordinary browser does not,
// and then the screen must say so instead of staying silent.

// A short silent WAV, made here (the page's CSP allows blob: media, and no file has to be served).
export function silentWav(ms = 120, rate = 8000) {
  const samples = Math.round((rate * ms) / 1000);
  const view = new DataView(new ArrayBuffer(44 + samples * 2));
  const ascii = (offset, text) => [...text].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  ascii(0, "RIFF");
  view.setUint32(4, 36 + samples * 2, true);
  ascii(8, "WAVEfmt ");
  view.setUint32(16, 16, true); // PCM header size
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  ascii(36, "data");
  view.setUint32(40, samples * 2, true);
  return new Blob([view.buffer], { type: "audio/wav" });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// play() of silence, unmuted (muted playback is always allowed, so it would prove nothing).
async function mediaAllowed() {
  const audio = new Audio();
  const url = URL.createObjectURL(silentWav());
  audio.src = url;
  try {
    await audio.play();
    return true;
  } catch (err) {
    return err?.name !== "NotAllowedError"; // a missing device or codec is not a policy block
  } finally {
    audio.pause();
    URL.revokeObjectURL(url);
  }
}

// An AudioContext the browser keeps suspended is the other sign of a blocked autoplay.
async function contextAllowed(waitMs) {
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return true;
  const context = new Context();
  try {
    if (context.state !== "running") await Promise.race([context.resume().catch(() => {}), sleep(waitMs)]);
    return context.state === "running";
  } finally {
    context.close().catch(() => {});
  }
}

export async function audioAllowed(waitMs = 1000) {
  const [media, context] = await Promise.all([mediaAllowed(), contextAllowed(waitMs)]);
  return media && context;
}
