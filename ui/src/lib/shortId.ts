// Short session ids: core's rule (crates/core/src/sessions/short_id.rs), so the window
// shows the ids `sessionscope ps` shows and `kill` accepts. Like git's short hashes,
// each id is shown by the shortest prefix (at least MIN_LEN bytes) that names it alone
// among the ids shown with it, taken after what ids of one agent share by construction
// (a "session-" prefix, a leading date). Lengths and order are in UTF-8 bytes, as in
// Rust; both sides are tested on the same cases (short_id_cases.json).

const MIN_LEN = 8;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** `s` after `YYYY-MM-DD[THH-MM[-SS]]` and one "-" or "_", if it starts so; else null.
 * No backtracking: a time is taken whole when it is there, as in Rust. */
function stripDate(s: string): string | null {
  const digits = (from: number, n: number) => {
    for (let i = from; i < from + n; i++) {
      const c = s.charCodeAt(i);
      if (!(c >= 0x30 && c <= 0x39)) return false;
    }
    return true;
  };
  const is = (i: number, c: string) => s[i] === c;
  if (!(digits(0, 4) && is(4, "-") && digits(5, 2) && is(7, "-") && digits(8, 2))) return null;
  let end = 10;
  if (is(end, "T") && digits(end + 1, 2) && is(end + 3, "-") && digits(end + 4, 2)) {
    end += 6;
    if (is(end, "-") && digits(end + 1, 2)) end += 3;
  }
  return is(end, "-") || is(end, "_") ? s.slice(end + 1) : null;
}

/** The part of `id` after a leading "session-" and a leading date; the whole id when
 * nothing is left after them. */
export function distinctPart(id: string): string {
  const rest = id.startsWith("session-") ? id.slice("session-".length) : id;
  const after = stripDate(rest) ?? rest;
  return after === "" ? id : after;
}

/** Does `query` name `id`: a prefix of the id itself or of its distinct part? */
export function matchesId(id: string, query: string): boolean {
  return query !== "" && (id.startsWith(query) || distinctPart(id).startsWith(query));
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

function commonPrefix(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The short id of each of `ids`, in the same order (an id listed twice gets the same). */
export function shortIds(ids: readonly string[]): string[] {
  // Duplicated ids are the same session: the first occurrence owns them all.
  const owner = new Map<string, number>();
  ids.forEach((id, i) => {
    if (!owner.has(id)) owner.set(id, i);
  });
  const ownerOf = (i: number) => owner.get(ids[i])!;
  // Every string a query is matched against, with the index of its owner.
  const keys: { bytes: Uint8Array; i: number }[] = [];
  const distinct = ids.map((id, i) => {
    const d = distinctPart(id);
    const bytes = encoder.encode(d);
    keys.push({ bytes: d === id ? bytes : encoder.encode(id), i });
    if (d !== id) keys.push({ bytes, i });
    return bytes;
  });
  keys.sort((a, b) => compareBytes(a.bytes, b.bytes) || a.i - b.i);
  return ids.map((id, i) => {
    const me = ownerOf(i);
    const d = distinct[i];
    // First key not below d (keys equal to d sort before by bytes, as in Rust).
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compareBytes(keys[mid].bytes, d) < 0) lo = mid + 1;
      else hi = mid;
    }
    let shared = 0;
    for (let k = lo - 1; k >= 0; k--) {
      if (ownerOf(keys[k].i) !== me) {
        shared = Math.max(shared, commonPrefix(d, keys[k].bytes));
        break;
      }
    }
    for (let k = lo; k < keys.length; k++) {
      if (ownerOf(keys[k].i) !== me) {
        shared = Math.max(shared, commonPrefix(d, keys[k].bytes));
        break;
      }
    }
    const want = Math.max(shared + 1, Math.min(MIN_LEN, d.length));
    if (want > d.length) return id;
    let end = want;
    // Never cut a character: continuation bytes are 0b10xxxxxx.
    while (end < d.length && (d[end] & 0xc0) === 0x80) end++;
    return decoder.decode(d.subarray(0, end));
  });
}

/** The short ids of one set of sessions, looked up by full id. */
export class ShortIds {
  #byId = new Map<string, string>();

  constructor(ids: readonly string[]) {
    const shorts = shortIds(ids);
    ids.forEach((id, i) => this.#byId.set(id, shorts[i]));
  }

  /** The short id of `id`; the id itself when it was not in the set. */
  get(id: string): string {
    return this.#byId.get(id) ?? id;
  }
}

/** One id on its own (a message naming a session just stopped). */
export const shortId = (id: string): string => shortIds([id])[0];
