// Parsing the Runs form's environment field: one NAME=value per line.
import type { EnvVar } from "./bindings";

/** `NAME=value` lines into variables; blank lines are skipped, bad ones reported. */
export function parseEnv(text: string): { env: EnvVar[]; errors: string[] } {
  const env: EnvVar[] = [];
  const errors: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    const name = eq > 0 ? line.slice(0, eq).trim() : "";
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      errors.push(`not NAME=value: ${line}`);
      continue;
    }
    env.push({ name, value: line.slice(eq + 1) });
  }
  return { env, errors };
}
