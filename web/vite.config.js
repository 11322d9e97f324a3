import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// Built into web/dist and served by `twindraw serve` (SPA fallback to index.html),
// so the base is '/' and the router uses history mode. `npm run dev` proxies the API
// to a local server started with `twindraw serve --port 8080`.
export default defineConfig({
  base: '/',
  plugins: [vue()],
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
      '/readyz': 'http://127.0.0.1:8080',
    },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus'
          if (id.includes('node_modules/')) return 'vendor'
        },
      },
    },
  },
})
