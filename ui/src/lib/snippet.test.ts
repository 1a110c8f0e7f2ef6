import { describe, expect, it } from "vitest";
import { splitSnippet } from "./snippet";

describe("splitSnippet", () => {
  it("marks the bracketed hits and keeps the rest as plain text", () => {
    expect(splitSnippet("…fix the [login] <b>bug</b> in [café]")).toEqual([
      { text: "…fix the ", hit: false },
      { text: "login", hit: true },
      { text: " <b>bug</b> in ", hit: false },
      { text: "café", hit: true },
    ]);
  });
  it("leaves an unmatched bracket as text", () => {
    expect(splitSnippet("a [b")).toEqual([{ text: "a [b", hit: false }]);
    expect(splitSnippet("")).toEqual([]);
  });
});
