// A minimal W3C WebDriver client over fetch, enough to drive the real app through
// tauri-driver (which forwards to WebKitWebDriver). Only loopback is ever contacted.

const ELEMENT = "element-6066-11e4-a52e-4f735466cecf";

export class WebDriver {
  constructor(port) {
    this.base = `http://127.0.0.1:${port}`;
    this.sessionId = null;
  }

  async call(method, path, body) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({}));
    if (!res.ok || json?.value?.error) {
      const v = json?.value ?? {};
      throw new Error(`${method} ${path} → ${res.status} ${v.error ?? ""}: ${v.message ?? ""}`);
    }
    return json.value;
  }

  s(path) {
    return `/session/${this.sessionId}${path}`;
  }

  async start(application) {
    const value = await this.call("POST", "/session", {
      capabilities: { alwaysMatch: { "tauri:options": { application } } },
    });
    this.sessionId = value.sessionId;
  }

  async quit() {
    if (this.sessionId) await this.call("DELETE", `/session/${this.sessionId}`).catch(() => {});
    this.sessionId = null;
  }

  /** Run `script` (a function body) in the page and return its value. */
  execute(script, ...args) {
    return this.call("POST", this.s("/execute/sync"), { script, args });
  }

  async find(css) {
    const v = await this.call("POST", this.s("/element"), { using: "css selector", value: css });
    return v[ELEMENT];
  }

  /** Wait until `css` matches an element, then return it. */
  async waitForElement(css, timeout = 10000) {
    await this.waitFor(`return document.querySelector(${JSON.stringify(css)}) !== null`, {
      timeout,
      what: css,
    });
    return this.find(css);
  }

  click(element) {
    return this.call("POST", this.s(`/element/${element}/click`), {});
  }

  type(element, text) {
    return this.call("POST", this.s(`/element/${element}/value`), { text });
  }

  clear(element) {
    return this.call("POST", this.s(`/element/${element}/clear`), {});
  }

  /** The web view's own screenshot as PNG bytes. */
  async screenshot() {
    return Buffer.from(await this.call("GET", this.s("/screenshot")), "base64");
  }

  /** Poll `script` in the page until it returns a truthy value; return that value. */
  async waitFor(script, { timeout = 10000, interval = 20, what = script } = {}) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      last = await this.execute(script).catch((e) => e);
      if (last && !(last instanceof Error)) return last;
      await new Promise((r) => setTimeout(r, interval));
    }
    throw new Error(`timed out after ${timeout} ms waiting for: ${what} (last: ${last})`);
  }
}
