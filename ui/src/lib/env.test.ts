import { describe, expect, it } from "vitest";
import { parseEnv } from "./env";

describe("parseEnv", () => {
  it("reads NAME=value lines, keeping '=' inside values", () => {
    expect(parseEnv("A=1\n\n# comment\n B = x=y \nPATH_2=")).toEqual({
      env: [
        { name: "A", value: "1" },
        { name: "B", value: " x=y" },
        { name: "PATH_2", value: "" },
      ],
      errors: [],
    });
  });
  it("reports lines that are not assignments", () => {
    expect(parseEnv("=x\n1A=2\nnoequals").errors).toHaveLength(3);
  });
});
