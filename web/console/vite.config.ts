import path from 'node:path';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: here,
  plugins: [react()],
  build: { outDir: path.join(here, '../../dist/console'), emptyOutDir: true },
  // `npx vite --config web/console/vite.config.ts` serves the console with hot reload against a running API.
  server: { proxy: { '/trpc': 'http://127.0.0.1:4800' } },
});
