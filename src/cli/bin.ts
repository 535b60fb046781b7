// The CLI's entry point, bundled by scripts/bundle-cli.mjs and started by bin/llmos.
import { main } from './main.js';

process.exitCode = await main(process.argv);
