// Loads the built browser module (web/lib/wasm, or $INTAKE_WASM_DIR) under Node for the binding
// tests. Emscripten 3.1.6's ES6 loader expects CommonJS globals under Node and cannot fetch a
// file path, so both are supplied here (see /work/shared/TOOLCHAIN.md).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');
export const wasmDir = path.resolve(repoRoot, process.env.INTAKE_WASM_DIR || 'web/lib/wasm');

export async function loadIntakeModule() {
  const js = path.join(wasmDir, 'intake_module.js');
  const wasm = path.join(wasmDir, 'intake_module.wasm');
  if (!fs.existsSync(js) || !fs.existsSync(wasm)) {
    throw new Error(`the wasm module is not built: ${js} missing; run ` +
      '`cmake --preset wasm && cmake --build --preset wasm -j2 --target intake_module`');
  }
  globalThis.require ??= createRequire(import.meta.url);
  globalThis.__dirname ??= wasmDir;
  const { default: createIntakeModule } = await import(pathToFileURL(js).href);
  return createIntakeModule({ wasmBinary: fs.readFileSync(wasm) });
}

export const benchFields = JSON.parse(
  fs.readFileSync(path.join(repoRoot, '../shared/bench/fields.json'), 'utf8'));
