// Built by `npm run build` (`vite build web`) into web/dist, which the server serves.
import { defineConfig } from "vite";

export default defineConfig({
  root: import.meta.dirname,
  // React 17+ automatic JSX runtime, without needing @vitejs/plugin-react.
  oxc: { jsx: { runtime: "automatic" } },
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: { proxy: { "/api": "http://127.0.0.1:3000", "/healthz": "http://127.0.0.1:3000" } },
});
