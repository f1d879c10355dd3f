#!/usr/bin/env node
// The package's `bin`: loads the TypeScript CLI through tsx's ESM API, so the tools run from
// source with no build step.
import { tsImport } from 'tsx/esm/api';

const cli = await tsImport('../tools/cli.ts', import.meta.url);
await cli.main(process.argv);
