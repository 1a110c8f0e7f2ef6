// @vitest-environment jsdom
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, render } from "@testing-library/svelte";
import SearchResults from "./SearchResults.svelte";

afterEach(cleanup);

describe("SearchResults", () => {
  it("names the transcripts that were not searched (issue 20, item 5)", () => {
    const why =
      "/g/chats/big.json: too large to read (70 MiB; files over 64 MiB are not read whole)";
    const { getByTestId } = render(SearchResults, {
      hits: [],
      error: null,
      skipped: [why],
      onPick: () => {},
    });
    const note = getByTestId("search-skipped");
    expect(note.textContent).toContain("Not searched (1)");
    expect(note.querySelector("li")?.textContent).toBe(why);
  });

  it("says nothing of skipped files when there are none", () => {
    const { queryByTestId } = render(SearchResults, { hits: [], error: null, onPick: () => {} });
    expect(queryByTestId("search-skipped")).toBeNull();
  });
});
