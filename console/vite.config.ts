import { defineConfig } from "vitest/config";
import vue from "@vitejs/plugin-vue";

// The console is served by the API's own origin under /console/ (no CORS);
// its build goes under the repository's ignored .cache/.
export default defineConfig({
  base: "/console/",
  plugins: [vue()],
  build: {
    outDir: "../.cache/console/dist",
    emptyOutDir: true,
    // No inline script or style: the Content-Security-Policy allows only
    // files from the same origin.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1200,
  },
  test: {
    include: ["src/**/*.test.ts"],
  },
});
