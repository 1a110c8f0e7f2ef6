import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";
import { svelteTesting } from "@testing-library/svelte/vite";

// The app loads ui/dist from its own protocol; no dev server, no remote origins.
export default defineConfig({
  // svelteTesting: component tests (jsdom) get Svelte's browser build, not the server's.
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
