/** Path segments a hostile caller sends as ids: encodings, traversal, NUL, unicode, overlong. */
export const BAD_IDS = [
  "%00",
  "a%00b",
  "%ZZ",
  "%",
  "%2",
  "%%",
  "..%2F..%2Fv2%2Fschedules",
  "..%5C..%5Cv2",
  "a%3Fcancel%3Dtrue",
  "a%23b",
  "a%20b",
  "a%0Ab",
  "%E2%80%AE",
  "%F0%9F%92%A5",
  "%C0%AF",
  "x".repeat(300),
  "wfr_does-not-exist",
  "null",
];

/** What no response body may contain: stack frames, server paths, source locations. */
export const INTERNALS = /\n\s+at\s|node_modules|file:\/\/|\/work\/|\/home\/|\/tmp\/|\.ts:\d+|\.js:\d+/;
