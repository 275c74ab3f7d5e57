// Bundles one browser script with Vite and prints it: run in a process of its own, as Vite's
// native bundler refuses objects made in jest's VM contexts. See browser-bundle.ts.
import { build } from 'vite';

const [entry] = process.argv.slice(2);
const result = await build({
  configFile: false,
  logLevel: 'warn',
  define: { 'process.env.NODE_ENV': '"development"' },
  build: {
    write: false,
    minify: false,
    lib: { entry, formats: ['es'], fileName: 'page' },
  },
});
const outputs = Array.isArray(result) ? result : [result];
const chunks = outputs.flatMap((output) => output.output).filter((item) => item.type === 'chunk');
if (chunks.length !== 1) throw new Error(`${entry}: ${chunks.length} scripts instead of one`);
process.stdout.write(chunks[0].code);
