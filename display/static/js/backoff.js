// How long to wait before reconnecting: exponential (0.5 s doubling to 30 s) with jitter, so that a hall full
// of TVs does not hit a restarted server in the same instant.

export const BASE_MS = 500;
export const MAX_MS = 30_000;

// "Equal jitter": half the ceiling for sure, plus a random part of the other half.
export function backoffDelay(attempt, random = Math.random) {
  const ceiling = Math.min(MAX_MS, BASE_MS * 2 ** Math.min(attempt, 16));
  return ceiling / 2 + random() * (ceiling / 2);
}
