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

const ASCII = /^[\x00-\x7f]*$/;

/** `s` as a string of its UTF-8 bytes, one character each: compared, sorted and cut
 * like the bytes Rust works on, with JavaScript's own (fast) string operations. An
 * ASCII id is its own byte string. */
function bytesOf(s: string): string {
  if (ASCII.test(s)) return s;
  let out = "";
  for (const b of encoder.encode(s)) out += String.fromCharCode(b);
  return out;
}

function textOf(bytes: string): string {
  if (ASCII.test(bytes)) return bytes;
  return decoder.decode(Uint8Array.from(bytes, (c) => c.charCodeAt(0)));
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}

/** The short ids of one set of sessions, looked up by full id. The sorted strings are
 * built once (a native sort, ~10k ids in a few ms); each short id is computed when it
 * is first asked for. */
export class ShortIds {
  #ids: readonly string[];
  /** Index of each id's first occurrence: duplicated ids are the same session. */
  #owner = new Map<string, number>();
  #distinct: string[];
  /** Every string a query is matched against (byte strings), with its owner, sorted. */
  #keys: { k: string; i: number }[] = [];
  #memo = new Map<string, string>();

  constructor(ids: readonly string[]) {
    this.#ids = ids;
    ids.forEach((id, i) => {
      if (!this.#owner.has(id)) this.#owner.set(id, i);
    });
    this.#distinct = ids.map((id, i) => {
      const d = distinctPart(id);
      const bytes = bytesOf(d);
      this.#keys.push({ k: d === id ? bytes : bytesOf(id), i });
      if (d !== id) this.#keys.push({ k: bytes, i });
      return bytes;
    });
    this.#keys.sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.i - b.i));
  }

  #ownerOf(i: number): number {
    return this.#owner.get(this.#ids[i])!;
  }

  #compute(i: number): string {
    const id = this.#ids[i];
    const me = this.#ownerOf(i);
    const d = this.#distinct[i];
    const keys = this.#keys;
    // First key not below d.
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (keys[mid].k < d) lo = mid + 1;
      else hi = mid;
    }
    // The longest prefix shared with another owner's string is shared with the nearest
    // such string on either side.
    let shared = 0;
    for (let k = lo - 1; k >= 0; k--) {
      if (this.#ownerOf(keys[k].i) !== me) {
        shared = Math.max(shared, commonPrefix(d, keys[k].k));
        break;
      }
    }
    for (let k = lo; k < keys.length; k++) {
      if (this.#ownerOf(keys[k].i) !== me) {
        shared = Math.max(shared, commonPrefix(d, keys[k].k));
        break;
      }
    }
    const want = Math.max(shared + 1, Math.min(MIN_LEN, d.length));
    if (want > d.length) return id;
    let end = want;
    // Never cut a character: continuation bytes are 0b10xxxxxx.
    while (end < d.length && (d.charCodeAt(end) & 0xc0) === 0x80) end++;
    return textOf(d.slice(0, end));
  }

  /** The short id of `id`; the id itself when it was not in the set. */
  get(id: string): string {
    const i = this.#owner.get(id);
    if (i === undefined) return id;
    let short = this.#memo.get(id);
    if (short === undefined) {
      short = this.#compute(i);
      this.#memo.set(id, short);
    }
    return short;
  }
}

/** The short id of each of `ids`, in the same order (an id listed twice gets the same). */
export function shortIds(ids: readonly string[]): string[] {
  const short = new ShortIds(ids);
  return ids.map((id) => short.get(id));
}

/** One id on its own (a message naming a session just stopped). */
export const shortId = (id: string): string => shortIds([id])[0];
